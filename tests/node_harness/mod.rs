//! The node tools the tracker tests run on loopback: `@octokit/fixtures-server` replays recorded
//! api.github.com traffic in order (request bodies matched), prism mocks GitHub's OpenAPI
//! description and validates requests against it. Both come from the repository's
//! package-lock.json; a missing tool fails the test that needs it, it is never skipped.
//!
//! Every server runs under a small `sh` supervisor in its own process group: when the test
//! process drops the server or ends in any way (a `OnceLock` static is never dropped; a crash
//! drops nothing), the supervisor's stdin pipe closes and it terminates the group, so no node
//! process outlives the tests.
#![allow(dead_code)] // Each test binary uses a part.

use std::collections::{BTreeMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The packages package.json pins, with the binary each provides.
const TOOLS: [(&str, &str); 2] = [
    ("@octokit/fixtures-server", "octokit-fixtures-server"),
    ("@stoplight/prism-cli", "prism"),
];
const NPM_CI: &str = "npm ci --no-audit --no-fund";

pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared/trackers/github`, beside the repository (as CI lays it out).
pub fn github_data() -> PathBuf {
    let p = repo_root().join("../shared/trackers/github");
    assert!(
        p.is_dir(),
        "the GitHub test data is missing: expected {} (clone with ../shared beside the repo)",
        p.display()
    );
    p
}

/// PyGithub's recordings of real api.github.com traffic, converted to nock format.
pub fn pygithub_scenarios() -> PathBuf {
    github_data().join("scenarios/pygithub")
}

/// `@octokit/fixtures` recordings (nock format as published; strict request headers).
pub fn octokit_scenarios() -> PathBuf {
    github_data().join("octokit-fixtures")
}

/// The trimmed GitHub OpenAPI description prism serves (see SOURCES.md beside it).
pub fn github_spec() -> PathBuf {
    github_data().join("openapi/github-subset.openapi.json")
}

struct Tools {
    fixtures_server: PathBuf,
    prism: PathBuf,
}

/// The two binaries, installed with `npm ci` first if they are missing or not the pinned
/// versions. Parallel test binaries take a file lock so only one of them installs.
fn tools() -> &'static Tools {
    static TOOLS_READY: OnceLock<Tools> = OnceLock::new();
    TOOLS_READY.get_or_init(|| {
        let root = repo_root();
        if let Err(why) = installed(root) {
            let lock_path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("node-harness-npm-ci.lock");
            let lock = std::fs::File::create(&lock_path)
                .unwrap_or_else(|e| panic!("{}: {e}", lock_path.display()));
            lock.lock()
                .unwrap_or_else(|e| panic!("locking {}: {e}", lock_path.display()));
            // Another test binary may have installed while we waited for the lock.
            if installed(root).is_err() {
                npm_ci(root, &why);
            }
            if let Err(still) = installed(root) {
                panic!("after `{NPM_CI}` in {}: {still}", root.display());
            }
        }
        let bin = root.join("node_modules/.bin");
        Tools {
            fixtures_server: bin.join(TOOLS[0].1),
            prism: bin.join(TOOLS[1].1),
        }
    })
}

/// Ok when node_modules holds a finished install of the versions package.json pins.
fn installed(root: &Path) -> Result<(), String> {
    let read = |p: PathBuf| -> Result<serde_json::Value, String> {
        let text = std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", p.display()))
    };
    let manifest = read(root.join("package.json"))?;
    // npm writes this last; `npm ci` deletes node_modules first, so an interrupted install
    // has none.
    let marker = root.join("node_modules/.package-lock.json");
    if !marker.is_file() {
        return Err(format!("{} is missing", marker.display()));
    }
    for (package, bin) in TOOLS {
        let pinned = manifest["devDependencies"][package]
            .as_str()
            .ok_or_else(|| format!("package.json does not pin {package}"))?;
        let have = read(root.join("node_modules").join(package).join("package.json"))?;
        if have["version"].as_str() != Some(pinned) {
            return Err(format!(
                "{package} {} is installed, package.json pins {pinned}",
                have["version"]
            ));
        }
        let path = root.join("node_modules/.bin").join(bin);
        if !path.is_file() {
            return Err(format!("{} is missing", path.display()));
        }
    }
    Ok(())
}

fn npm_ci(root: &Path, why: &str) {
    eprintln!(
        "node_harness: {why}; running `{NPM_CI}` in {} (about 20 s)",
        root.display()
    );
    let out = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(root)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "the tracker tests need Node.js 20+ and npm ({e} starting npm); install them and \
                 run `{NPM_CI}` in {}",
                root.display()
            )
        });
    if !out.status.success() {
        panic!(
            "`{NPM_CI}` failed in {} ({}); run it there by hand and fix what it says:\n{}\n{}",
            root.display(),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// A loopback port nobody held a moment ago. The server binds it later, so a start that
/// finds it taken retries with another.
fn free_port() -> u16 {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
    l.local_addr().expect("local addr").port()
}

const START_ATTEMPTS: usize = 5;

/// Both tools log this when the port is taken, then exit.
fn port_taken(log: &str) -> bool {
    log.contains("EADDRINUSE")
}

/// Runs the server in the background with the test's pipe moved to fd 3 (the server gets
/// neither). A watcher waits for EOF on it, then sends SIGTERM to the process group; the shell
/// ignores that, reaps the server and the watcher, and exits with the server's status, so when
/// the server dies on its own the test sees the exit, and nothing is left unreaped.
const SUPERVISOR: &str = r#"exec 3<&0 </dev/null
"$@" 3<&- &
server=$!
trap '' TERM
(while read -r _ <&3; do :; done; kill -TERM 0) >/dev/null 2>&1 &
watcher=$!
exec 3<&-
wait "$server"
status=$?
kill -KILL "$watcher" 2>/dev/null
wait "$watcher"
exit "$status""#;

/// A node server process and everything it printed.
struct NodeProcess {
    name: &'static str,
    child: Child,
    stdin: Option<ChildStdin>,
    log: Arc<Mutex<VecDeque<String>>>,
}

/// Lines of server output kept for failure messages; prism logs several per request.
const LOG_LINES: usize = 2000;

impl NodeProcess {
    fn spawn(name: &'static str, program: &Path, args: &[String]) -> NodeProcess {
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(SUPERVISOR)
            .arg("node-harness")
            .arg(program)
            .args(args)
            .current_dir(repo_root())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {name} ({}): {e}", program.display()));
        let log = Arc::new(Mutex::new(VecDeque::new()));
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr = child.stderr.take().expect("piped stderr");
        // Drained for the server's whole life: a full pipe would block its logging.
        drain(stdout, log.clone());
        drain(stderr, log.clone());
        NodeProcess {
            name,
            stdin: child.stdin.take(),
            child,
            log,
        }
    }

    fn log(&self) -> String {
        let lines = self.log.lock().unwrap_or_else(|e| e.into_inner());
        lines.iter().map(|l| format!("{l}\n")).collect()
    }

    fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().expect("try_wait")
    }

    /// Waits up to `within` for `ready`. Err(log) when the process ended first.
    fn wait_ready(
        &mut self,
        within: Duration,
        mut ready: impl FnMut(&Self) -> bool,
    ) -> Result<(), String> {
        let start = Instant::now();
        loop {
            if let Some(status) = self.exited() {
                // Let the readers catch the last lines (the reason it died).
                std::thread::sleep(Duration::from_millis(100));
                return Err(format!("{} exited ({status}):\n{}", self.name, self.log()));
            }
            if ready(self) {
                return Ok(());
            }
            if start.elapsed() > within {
                panic!(
                    "{} was not ready after {:?}:\n{}",
                    self.name,
                    within,
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn drain(pipe: impl Read + Send + 'static, log: Arc<Mutex<VecDeque<String>>>) {
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            let mut lines = log.lock().unwrap_or_else(|e| e.into_inner());
            if lines.len() == LOG_LINES {
                lines.pop_front();
            }
            lines.push_back(line);
        }
    });
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        // EOF on the supervisor's pipe: its watcher sends SIGTERM to the group.
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        // Deaf to SIGTERM: kill the whole group, the shell included.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .status();
        let _ = self.child.wait();
    }
}

/// `@octokit/fixtures-server` serving nock-format scenarios (one file = one scenario, named
/// after the file without `.json`).
pub struct FixturesServer {
    process: NodeProcess,
    port: u16,
    scenarios: Vec<String>,
}

impl FixturesServer {
    /// Serves every `*.json` in `dirs`. Names must be unique across them: the server would keep
    /// only the last file of a name.
    pub fn start(dirs: &[&Path]) -> FixturesServer {
        let tools = tools();
        // It takes one glob; copying the files into one folder keeps the glob free of the
        // repository path (which might hold glob characters) and the dirs free to live anywhere.
        // The server reads every file at start, so the copy is removed once it answers.
        let copy = tempfile::Builder::new()
            .prefix("lastmile-fixtures-")
            .tempdir()
            .expect("temp dir");
        let mut from: BTreeMap<String, PathBuf> = BTreeMap::new();
        for dir in dirs {
            let entries = std::fs::read_dir(dir).unwrap_or_else(|e| {
                panic!(
                    "fixtures folder {}: {e} (clone with ../shared beside the repo)",
                    dir.display()
                )
            });
            for entry in entries {
                let path = entry.expect("dir entry").path();
                if path.extension().and_then(|e| e.to_str()) != Some("json") {
                    continue;
                }
                let name = path
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .expect("UTF-8 name");
                if let Some(other) = from.get(name) {
                    panic!(
                        "scenario {name} is in both {} and {}",
                        other.display(),
                        path.display()
                    );
                }
                let file = path.file_name().expect("file name");
                std::fs::copy(&path, copy.path().join(file))
                    .unwrap_or_else(|e| panic!("copying {}: {e}", path.display()));
                from.insert(name.to_string(), path.clone());
            }
        }
        assert!(!from.is_empty(), "no *.json scenarios in {dirs:?}");
        let glob = copy.path().join("*.json");
        let glob = glob.to_str().expect("UTF-8 temp path");
        assert!(
            !glob[..glob.len() - "*.json".len()]
                .contains(['*', '?', '[', ']', '{', '}', '(', ')', '!']),
            "the temp dir {glob} has glob characters; set TMPDIR elsewhere"
        );
        let mut last = String::new();
        for _ in 0..START_ATTEMPTS {
            let port = free_port();
            let base = format!("http://127.0.0.1:{port}");
            let args = [
                "--port".to_string(),
                port.to_string(),
                "--fixtures".into(),
                glob.to_string(),
                // The URL it hands out and writes into every rewritten header and body.
                // Its default, localhost, may resolve to ::1 first, and a Link on another host
                // than the base fails our client's same-origin check.
                "--fixtures-url".into(),
                base,
                // 60 s by default, counted from `load`: a loaded CI runner can be slower.
                "--ttl".into(),
                "600000".into(),
            ];
            let mut process =
                NodeProcess::spawn("octokit-fixtures-server", &tools.fixtures_server, &args);
            let ready = process.wait_ready(Duration::from_secs(30), |p| {
                p.log().contains(&format!("http://localhost:{port}"))
                    && matches!(http(port, "GET", "/ping", None), Ok((200, body)) if json(&body)["ok"] == true)
            });
            // Another server on the port would answer the ping while ours dies of
            // EADDRINUSE right after printing its line: give that a moment to show.
            let ready = ready.and_then(|()| {
                std::thread::sleep(Duration::from_millis(150));
                process.wait_ready(Duration::ZERO, |_| true)
            });
            match ready {
                Ok(()) => {
                    return FixturesServer {
                        process,
                        port,
                        scenarios: from.into_keys().collect(),
                    };
                }
                Err(log) if port_taken(&log) => last = log,
                Err(log) => panic!("{log}"),
            }
        }
        panic!("no free port after {START_ATTEMPTS} attempts:\n{last}");
    }

    /// The PyGithub and @octokit GitHub scenarios, one server per test binary.
    pub fn github() -> &'static FixturesServer {
        static SERVER: OnceLock<FixturesServer> = OnceLock::new();
        SERVER.get_or_init(|| FixturesServer::start(&[&pygithub_scenarios(), &octokit_scenarios()]))
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The process group of the server and its supervisor (the supervisor's pid).
    pub fn process_group(&self) -> u32 {
        self.process.child.id()
    }

    pub fn scenarios(&self) -> &[String] {
        &self.scenarios
    }

    /// Loads a fresh copy of `scenario` and returns its base URL, the stand-in for
    /// `https://api.github.com` (each load has its own id: parallel tests don't share state).
    pub fn load(&self, scenario: &str) -> String {
        assert!(
            self.scenarios.iter().any(|s| s == scenario),
            "no scenario {scenario:?}; this server has {:?}",
            self.scenarios
        );
        let body = serde_json::json!({ "scenario": scenario }).to_string();
        let (status, answer) = http(self.port, "POST", "/fixtures", Some(&body))
            .unwrap_or_else(|e| panic!("POST /fixtures: {e}\n{}", self.process.log()));
        assert_eq!(status, 201, "POST /fixtures {body}: {answer}");
        let url = json(&answer)["url"]
            .as_str()
            .unwrap_or_else(|| panic!("POST /fixtures answered {answer}"))
            .to_string();
        assert!(
            url.starts_with(&format!("http://127.0.0.1:{}/", self.port)),
            "fixtures URL {url} is not on 127.0.0.1:{}",
            self.port
        );
        url
    }

    /// Everything the server printed, for failure messages.
    pub fn log(&self) -> String {
        self.process.log()
    }
}

/// prism (`@stoplight/prism-cli`), as a mock or a validating proxy for an OpenAPI file.
pub struct Prism {
    process: NodeProcess,
    port: u16,
}

impl Prism {
    /// `prism mock`: answers from the spec's examples and rejects requests the spec forbids.
    pub fn mock(spec: &Path) -> Prism {
        Prism::start(|port| {
            vec![
                "mock".into(),
                "-h".into(),
                "127.0.0.1".into(),
                "-p".into(),
                port.to_string(),
                spec_arg(spec),
            ]
        })
    }

    /// `prism proxy --errors`: validates each request against the spec (4xx before forwarding
    /// when it does not conform), forwards it to `upstream`, and turns a response that does not
    /// conform into an error.
    pub fn proxy(spec: &Path, upstream: &str) -> Prism {
        Prism::start(|port| {
            vec![
                "proxy".into(),
                "-h".into(),
                "127.0.0.1".into(),
                "-p".into(),
                port.to_string(),
                "--errors".into(),
                spec_arg(spec),
                upstream.to_string(),
            ]
        })
    }

    /// One mock of the GitHub spec per test binary (each prism costs ~3 s and ~180 MB).
    pub fn github_mock() -> &'static Prism {
        static MOCK: OnceLock<Prism> = OnceLock::new();
        MOCK.get_or_init(|| Prism::mock(&github_spec()))
    }

    fn start(args: impl Fn(u16) -> Vec<String>) -> Prism {
        let tools = tools();
        let mut last = String::new();
        for _ in 0..START_ATTEMPTS {
            let port = free_port();
            let mut process = NodeProcess::spawn("prism", &tools.prism, &args(port));
            let listening = format!("Prism is listening on http://127.0.0.1:{port}");
            match process.wait_ready(Duration::from_secs(60), |p| p.log().contains(&listening)) {
                Ok(()) => return Prism { process, port },
                Err(log) if port_taken(&log) => last = log,
                Err(log) => panic!("{log}"),
            }
        }
        panic!("no free port after {START_ATTEMPTS} attempts:\n{last}");
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn log(&self) -> String {
        self.process.log()
    }
}

fn spec_arg(spec: &Path) -> String {
    assert!(spec.is_file(), "OpenAPI file {} is missing", spec.display());
    spec.to_str().expect("UTF-8 spec path").to_string()
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or(serde_json::Value::Null)
}

/// One HTTP/1.1 exchange with a local server, blocking: the harness runs before and outside any
/// async client, and the control endpoints answer with a Content-Length body.
fn http(port: u16, method: &str, path: &str, body: Option<&str>) -> std::io::Result<(u16, String)> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let body = body.unwrap_or("");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: application/json\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let bad = |what: &str| std::io::Error::other(format!("{what}: {text}"));
    let (head, rest) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| bad("no header end"))?;
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        return Err(bad("chunked answer"));
    }
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("no status"))?;
    Ok((status, rest.to_string()))
}
