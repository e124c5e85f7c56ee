//! A loopback GitHub stand-in for the sync benchmark: N generated code scanning alerts, 100 a
//! page with `Link: rel="next"`, and empty Dependabot and issue lists. Usage:
//! `pull_server N` prints the port it listens on, then serves until killed.

use std::fmt::Write as _;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

const PER_PAGE: usize = 100;

fn alert(n: usize) -> String {
    // Newest first, as `sort=updated&direction=desc` asks: alert 1 is the most recent, each
    // next one a minute older.
    let newest = chrono::DateTime::parse_from_rfc3339("2026-11-01T00:00:00Z").expect("a date");
    let updated = (newest - chrono::Duration::minutes(n as i64)).format("%Y-%m-%dT%H:%M:%SZ");
    let sev = ["critical", "high", "medium", "low"][n % 4];
    format!(
        r#"{{"number":{n},"created_at":"2026-09-01T00:00:00Z","updated_at":"{updated}","url":"https://api.github.com/repos/bench/app/code-scanning/alerts/{n}","html_url":"https://github.com/bench/app/security/code-scanning/{n}","state":"open","fixed_at":null,"dismissed_by":null,"dismissed_at":null,"dismissed_reason":null,"dismissed_comment":null,"rule":{{"id":"py/rule-{r}","severity":"error","security_severity_level":"{sev}","description":"Generated rule {r}","name":"py/rule-{r}","tags":["security","external/cwe/cwe-{cwe:03}"]}},"tool":{{"name":"CodeQL","guid":null,"version":"2.19.0"}},"most_recent_instance":{{"ref":"refs/heads/main","analysis_key":".github/workflows/codeql.yml:analyze","environment":"{{}}","category":"python","state":"open","commit_sha":"0123456789abcdef0123456789abcdef01234567","message":{{"text":"Generated finding {n} in module {f}"}},"location":{{"path":"src/module_{f}.py","start_line":{l},"end_line":{l},"start_column":5,"end_column":40}},"classifications":[]}},"instances_url":"https://api.github.com/repos/bench/app/code-scanning/alerts/{n}/instances"}}"#,
        r = n % 97,
        cwe = 20 + n % 60,
        f = n % 5000,
        l = 1 + n % 400,
    )
}

fn page(total: usize, page: usize) -> (String, Option<usize>) {
    let start = (page - 1) * PER_PAGE + 1;
    let end = (start + PER_PAGE - 1).min(total);
    let mut body = String::from("[");
    for n in start..=end {
        if n > start {
            body.push(',');
        }
        body.push_str(&alert(n));
    }
    body.push(']');
    (body, (end < total).then_some(page + 1))
}

async fn serve(stream: TcpStream, total: usize, port: u16) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let target = line.split_whitespace().nth(1).unwrap_or("/").to_string();
        let mut length = 0usize;
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).await? == 0 {
                return Ok(());
            }
            if h == "\r\n" || h == "\n" {
                break;
            }
            if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            }
        }
        let mut skip = vec![0; length];
        reader.read_exact(&mut skip).await?;
        let (body, link) = if target.contains("/code-scanning/alerts") {
            let n: usize = target
                .split(['?', '&'])
                .find_map(|p| p.strip_prefix("page="))
                .and_then(|p| p.parse().ok())
                .unwrap_or(1);
            let (body, next) = page(total, n);
            let link = next.map(|p| {
                format!(
                    "Link: <http://127.0.0.1:{port}/repos/bench/app/code-scanning/alerts?sort=updated&direction=desc&per_page=100&page={p}>; rel=\"next\"\r\n"
                )
            });
            (body, link)
        } else if target.starts_with("/repos/bench/app?") || target == "/repos/bench/app" {
            (r#"{"id":4242,"full_name":"bench/app"}"#.to_string(), None)
        } else {
            ("[]".to_string(), None)
        };
        let mut head = String::new();
        let _ = write!(
            head,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{}\r\n",
            body.len(),
            link.unwrap_or_default()
        );
        let stream = reader.get_mut();
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(body.as_bytes()).await?;
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let total: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(50_000);
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    println!("{port}");
    loop {
        let (stream, _) = listener.accept().await?;
        tokio::spawn(async move {
            let _ = serve(stream, total, port).await;
        });
    }
}
