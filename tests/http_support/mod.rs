//! A scripted HTTP/1.1 server on 127.0.0.1 for fault injection: each accepted connection plays
//! the next step of its script (a response, a hang, a truncated body, a reset) and the request
//! heads it saw are kept for assertions.

#![allow(dead_code)] // Shared by several test binaries, each using a part.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub enum Step {
    /// Status line, extra header lines ("Name: value"), body. Content-Length is added.
    Respond(u16, Vec<String>, String),
    /// Read the request, then say nothing for this long.
    Hang(Duration),
    /// Announce `announced` bytes of body, send `sent`, close.
    Truncate { announced: usize, sent: String },
    /// Read the request, then reset the connection.
    Reset,
}

pub fn ok(body: &str) -> Step {
    Step::Respond(200, vec![], body.to_string())
}

pub fn status(code: u16, headers: &[&str], body: &str) -> Step {
    Step::Respond(
        code,
        headers.iter().map(|h| h.to_string()).collect(),
        body.to_string(),
    )
}

#[derive(Clone)]
pub struct Server {
    pub addr: SocketAddr,
    listener: Arc<Mutex<Option<TcpListener>>>,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Server {
    pub async fn bind() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        Server {
            addr: listener.local_addr().expect("addr"),
            listener: Arc::new(Mutex::new(Some(listener))),
            requests: Arc::default(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Serve `steps`, one per connection, in the background.
    pub fn run(&self, steps: Vec<Step>) {
        let listener = self
            .listener
            .lock()
            .expect("lock")
            .take()
            .expect("run once");
        let requests = self.requests.clone();
        tokio::spawn(async move {
            for step in steps {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                // Each connection on its own task: a hanging one must not block the retry.
                tokio::spawn(play(stream, step, requests.clone()));
            }
        });
    }

    /// The request heads received so far, header names lower-cased.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().expect("lock").clone()
    }
}

async fn play(mut stream: TcpStream, step: Step, requests: Arc<Mutex<Vec<String>>>) {
    let Some(head) = read_request(&mut stream).await else {
        return;
    };
    requests.lock().expect("lock").push(head);
    match step {
        Step::Respond(code, headers, body) => {
            let mut out = format!("HTTP/1.1 {code} Status\r\n");
            for h in headers {
                out.push_str(&h);
                out.push_str("\r\n");
            }
            out.push_str(&format!(
                "Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            ));
            let _ = stream.write_all(out.as_bytes()).await;
            let _ = stream.shutdown().await;
        }
        Step::Hang(d) => tokio::time::sleep(d).await,
        Step::Truncate { announced, sent } => {
            let out = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {announced}\r\nConnection: close\r\n\r\n{sent}"
            );
            let _ = stream.write_all(out.as_bytes()).await;
            let _ = stream.shutdown().await;
        }
        Step::Reset => {
            // SO_LINGER 0 makes close send RST instead of FIN.
            #[allow(deprecated)]
            let _ = stream.set_linger(Some(Duration::ZERO));
            drop(stream);
        }
    }
}

/// The request line and headers (names lower-cased), after draining any Content-Length body.
async fn read_request(stream: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let end = loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..end]).to_string();
    let mut lines = head.lines();
    let mut shown = lines.next().unwrap_or_default().to_string();
    let mut length = 0usize;
    for line in lines {
        if let Some((k, v)) = line.split_once(':') {
            let k = k.trim().to_ascii_lowercase();
            if k == "content-length" {
                length = v.trim().parse().unwrap_or(0);
            }
            shown.push_str(&format!("\n{k}: {}", v.trim()));
        }
    }
    let mut have = buf.len() - end;
    while have < length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        have += n;
    }
    Some(shown)
}
