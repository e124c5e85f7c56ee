//! The demo's stand-in for GitHub: a small HTTP/1.1 server on 127.0.0.1 (a random port) that
//! answers the requests lastmile's GitHub connector makes, from state held in memory. It exists
//! so `lastmile demo` can show tracker links, the outbox and conflicts, and sync live, with no
//! network and no account. It is not GitHub and nothing outside the demo uses it.
//!
//! Its payloads start from GitHub's own documented response examples (assets/demo/github, see
//! assets/demo/SOURCES.md), adapted by `demo::sync` to the demo's findings. What it keeps: the
//! alerts (a dismissal stays dismissed), the issues lastmile opens (listed afterwards, so a
//! retried create finds them by their marker), comments, labels and assignees. Lists come in
//! small pages with `Link` headers and an `ETag`, so paging and "not modified" show.
//!
//! One connection per request (`Connection: close`), a thread each: the connector sends a few
//! requests at a time, and a server this small is easier to keep correct than a pooled one.
//! Whatever arrives, the answer is an HTTP response (404 with a JSON message for anything it
//! does not know); nothing a client sends can stop it or the demo.

pub mod issues;
pub mod world;

#[cfg(test)]
mod tests;

use crate::clock::Clock;
use chrono::{DateTime, Utc};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
pub use world::{AlertKind, Repo, World};

/// The largest request head and body read; the connector's are a few KiB.
const MAX_HEAD: usize = 64 * 1024;
const MAX_BODY: usize = 1024 * 1024;
/// Connections served at once; past it a client gets 503 at once rather than a thread each.
const MAX_CONNECTIONS: usize = 32;
/// How long a client may take to send its request or read the answer.
const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// One request as the world sees it: the path split into decoded segments, the query decoded.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub method: String,
    pub segments: Vec<String>,
    pub query: Vec<(String, String)>,
    /// Names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// An answer: status, extra headers, and a JSON body (none for 204 and 304).
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Option<serde_json::Value>,
}

impl Reply {
    pub fn json(status: u16, body: serde_json::Value) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Some(body),
        }
    }

    /// GitHub's shape for errors: a message and where the docs are.
    pub fn error(status: u16, message: &str) -> Reply {
        Reply::json(
            status,
            serde_json::json!({
                "message": message,
                "documentation_url": "https://docs.github.com/rest",
                "status": status.to_string(),
            }),
        )
    }
}

/// A clock that started at `start` and runs with the wall clock: after the build, the
/// stand-in's times go on from the demo's "now".
#[derive(Debug)]
pub struct RunningFrom {
    start: DateTime<Utc>,
    at: Instant,
}

impl RunningFrom {
    pub fn new(start: DateTime<Utc>) -> RunningFrom {
        RunningFrom {
            start,
            at: Instant::now(),
        }
    }
}

impl Clock for RunningFrom {
    fn now(&self) -> DateTime<Utc> {
        let elapsed = chrono::Duration::from_std(self.at.elapsed()).unwrap_or_default();
        self.start + elapsed
    }
}

struct Shared {
    world: Mutex<World>,
    clock: Mutex<Arc<dyn Clock>>,
    latency: Mutex<Duration>,
    stop: AtomicBool,
    connections: AtomicUsize,
    base: String,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A handler that panicked mid-request leaves the state as it was between two requests at
    // worst; the demo keeps going.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The running stand-in. Dropping it stops the server.
pub struct Replay {
    shared: Arc<Shared>,
    addr: SocketAddr,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Replay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Replay").field("addr", &self.addr).finish()
    }
}

impl Replay {
    /// Serves `world` on a random loopback port, with times from `clock`.
    pub fn start(world: World, clock: Arc<dyn Clock>) -> std::io::Result<Replay> {
        let listener = TcpListener::bind(("127.0.0.1", 0))?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            world: Mutex::new(world),
            clock: Mutex::new(clock),
            latency: Mutex::new(Duration::ZERO),
            stop: AtomicBool::new(false),
            connections: AtomicUsize::new(0),
            base: format!("http://{addr}"),
        });
        let serving = shared.clone();
        let thread = std::thread::Builder::new()
            .name("demo-github".into())
            .spawn(move || accept(listener, serving))?;
        Ok(Replay {
            shared,
            addr,
            thread: Some(thread),
        })
    }

    /// The API base to put in `[trackers.github] api`.
    pub fn api(&self) -> String {
        self.shared.base.clone()
    }

    /// Reads or changes the state, as "someone on GitHub" would between two syncs.
    pub fn world<R>(&self, f: impl FnOnce(&mut World, DateTime<Utc>) -> R) -> R {
        let now = lock(&self.shared.clock).now();
        f(&mut lock(&self.shared.world), now)
    }

    pub fn set_clock(&self, clock: Arc<dyn Clock>) {
        *lock(&self.shared.clock) = clock;
    }

    /// A pause before each answer: on loopback a sync is over before the console draws its
    /// progress, and a tracker on the other side of the world is not that fast.
    pub fn set_latency(&self, latency: Duration) {
        *lock(&self.shared.latency) = latency;
    }
}

impl Drop for Replay {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wakes the blocking accept so the thread sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn accept(listener: TcpListener, shared: Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else {
            continue;
        };
        if shared.connections.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            let mut stream = stream;
            let _ = write_reply(&mut stream, &Reply::error(503, "Too many connections"));
            shared.connections.fetch_sub(1, Ordering::SeqCst);
            continue;
        }
        let conn = shared.clone();
        let spawned = std::thread::Builder::new()
            .name("demo-github-conn".into())
            .spawn(move || {
                serve(stream, &conn);
                conn.connections.fetch_sub(1, Ordering::SeqCst);
            });
        if spawned.is_err() {
            shared.connections.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

fn serve(stream: TcpStream, shared: &Shared) {
    let _ = stream.set_read_timeout(Some(IO_TIMEOUT));
    let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
    let Ok(mut out) = stream.try_clone() else {
        return;
    };
    let mut input = BufReader::new(stream);
    match read_request(&mut input) {
        Ok(req) => {
            let latency = *lock(&shared.latency);
            if !latency.is_zero() {
                std::thread::sleep(latency);
            }
            let now = lock(&shared.clock).now();
            let reply = lock(&shared.world).handle(&req, &shared.base, now);
            let _ = write_reply(&mut out, &reply);
        }
        Err(reply) => {
            let _ = write_reply(&mut out, &reply);
            // Closing with unread input makes the kernel reset the connection, and the client
            // may lose the answer with it: read what is left first, for a while.
            let _ = out.shutdown(std::net::Shutdown::Write);
            let _ = input
                .get_ref()
                .set_read_timeout(Some(Duration::from_secs(1)));
            let _ = std::io::copy(&mut input.take(MAX_BODY as u64), &mut std::io::sink());
        }
    }
}

/// Reads one request; an answer to send instead when it cannot be read.
fn read_request(r: &mut impl BufRead) -> Result<Request, Reply> {
    let bad = |m: &str| Reply::error(400, m);
    let mut head = 0usize;
    let mut line = String::new();
    let mut read_line = |line: &mut String| -> Result<(), Reply> {
        line.clear();
        let n = r
            .by_ref()
            .take((MAX_HEAD - head.min(MAX_HEAD)) as u64)
            .read_line(line)
            .map_err(|_| bad("Unreadable request"))?;
        head += n;
        if n == 0 || !line.ends_with('\n') {
            return Err(if head >= MAX_HEAD {
                Reply::error(431, "Request header fields too large")
            } else {
                bad("Incomplete request")
            });
        }
        Ok(())
    };
    read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(bad("Malformed request line"));
    };
    if !version.starts_with("HTTP/1.") {
        return Err(Reply::error(505, "HTTP version not supported"));
    }
    let method = method.to_ascii_uppercase();
    let target = target.to_string();
    let mut headers = Vec::new();
    loop {
        read_line(&mut line)?;
        let l = line.trim_end_matches(['\r', '\n']);
        if l.is_empty() {
            break;
        }
        let Some((k, v)) = l.split_once(':') else {
            return Err(bad("Malformed header"));
        };
        headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
    }
    let mut req = Request {
        method,
        headers,
        ..Request::default()
    };
    if req
        .header("transfer-encoding")
        .is_some_and(|t| !t.eq_ignore_ascii_case("identity"))
    {
        return Err(Reply::error(411, "Length required"));
    }
    let length = match req.header("content-length") {
        None => 0,
        Some(v) => v.parse::<usize>().map_err(|_| bad("Bad Content-Length"))?,
    };
    if length > MAX_BODY {
        return Err(Reply::error(413, "Payload too large"));
    }
    let mut body = vec![0u8; length];
    r.read_exact(&mut body)
        .map_err(|_| bad("Body shorter than Content-Length"))?;
    req.body = body;
    // Only origin-form targets: an absolute URL or `*` is not something the connector sends.
    if !target.starts_with('/') {
        return Err(Reply::error(404, "Not Found"));
    }
    let url = reqwest::Url::parse(&format!("http://replay{target}"))
        .map_err(|_| Reply::error(404, "Not Found"))?;
    req.segments = url
        .path_segments()
        .map(|s| {
            s.filter(|p| !p.is_empty())
                .map(|p| {
                    percent_encoding::percent_decode_str(p)
                        .decode_utf8_lossy()
                        .into_owned()
                })
                .collect()
        })
        .unwrap_or_default();
    req.query = url.query_pairs().into_owned().collect();
    Ok(req)
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        304 => "Not Modified",
        400 => "Bad Request",
        404 => "Not Found",
        411 => "Length Required",
        413 => "Payload Too Large",
        422 => "Unprocessable Entity",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    }
}

fn write_reply(w: &mut impl Write, reply: &Reply) -> std::io::Result<()> {
    let body = match &reply.body {
        Some(v) if reply.status != 204 && reply.status != 304 => {
            serde_json::to_vec(v).unwrap_or_default()
        }
        _ => Vec::new(),
    };
    let mut head = format!("HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status));
    head.push_str("Content-Type: application/json; charset=utf-8\r\n");
    head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    head.push_str("Connection: close\r\nX-GitHub-Media-Type: github.v3; format=json\r\n");
    for (k, v) in &reply.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    w.write_all(head.as_bytes())?;
    w.write_all(&body)?;
    w.flush()
}
