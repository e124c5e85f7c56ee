//! The tracker token must appear in no log line and no error message, whatever the server does.
//! Its own test binary: tracing caches "nobody listens" per callsite when another test thread
//! hits it first, which would hide events from this test's subscriber.

mod http_support;

use http_support::{Server, Step, status};
use lastmile::trackers::http::{Client, Config, HttpError, RecordingSleeper, Secret, Transport};
use std::sync::Arc;
use std::time::Duration;

const TOKEN: &str = "sekret-token-123";

fn config(server: &Server) -> Config {
    let mut c = Config::new(server.url("/api/v3"));
    c.token = Some(Secret::new(TOKEN));
    c.timeout = Duration::from_millis(400);
    c
}

fn client_with(c: Config) -> (Client, Arc<RecordingSleeper>) {
    let sleeper = Arc::new(RecordingSleeper::default());
    let client = Client::new(c)
        .expect("client")
        .with_sleeper(sleeper.clone());
    (client, sleeper)
}

/// Collects everything the subscriber writes.
#[derive(Clone, Default)]
struct Buffer(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_token_appears_in_no_log_and_no_error() {
    let logs = Buffer::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).expect("only subscriber");

    let (a, b) = (Server::bind().await, Server::bind().await);
    let elsewhere = format!("Location: {}", b.url("/x"));
    // A server that echoes the Authorization header back in its error body.
    let echo = format!(r#"{{"message":"Bad credentials","you_sent":"Bearer {TOKEN}"}}"#);
    a.run(vec![
        status(429, &["Retry-After: 1"], ""),
        status(401, &[], &echo),
        status(502, &[], &echo),
        status(502, &[], &echo),
        status(307, &[elsewhere.as_str()], ""),
        Step::Reset,
    ]);
    b.run(vec![status(500, &[], "")]);
    let mut c = config(&a);
    c.retry.max_attempts = 2;
    c.base_url = a.url(&format!("/api?private_token={TOKEN}"));
    let (client, _) = client_with(c);

    let mut seen = vec![format!("{client:?}"), format!("{:?}", config(&a))];
    for path in ["one", "two", "three", "four"] {
        let url = client
            .url(&format!("{path}?access_token={TOKEN}"))
            .expect("url");
        match client.get(url).await {
            Ok(r) => seen.push(format!("{r:?}")),
            Err(e) => {
                seen.push(e.to_string());
                seen.push(format!("{e:?}"));
            }
        }
    }
    // Connection refused: reqwest's own error text would carry the URL and its query.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr")
    };
    let mut c = Config::new(format!("http://{dead}/?token={TOKEN}"));
    c.token = Some(Secret::new(TOKEN));
    c.retry.max_attempts = 1;
    let (dead_client, _) = client_with(c);
    let err = dead_client
        .get(dead_client.base().clone())
        .await
        .expect_err("refused");
    assert!(
        matches!(
            err,
            HttpError::Transport {
                kind: Transport::Connect,
                ..
            }
        ),
        "{err}"
    );
    seen.push(err.to_string());
    seen.push(format!("{err:?}"));

    let log = String::from_utf8_lossy(&logs.0.lock().expect("lock")).to_string();
    assert!(
        log.contains("retrying tracker request"),
        "the log captured nothing: {log}"
    );
    for text in seen.iter().chain([&log]) {
        assert!(!text.contains(TOKEN), "token leaked: {text}");
    }
    // The 401 error still says what went wrong.
    assert!(
        seen.iter()
            .any(|s| s.contains("HTTP 401") && s.contains("Bad credentials")),
        "{seen:?}"
    );
}
