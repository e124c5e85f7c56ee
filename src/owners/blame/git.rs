//! `git blame` in a local clone: many files from one pass over the history (history.rs),
//! the rest (few files, files merged from branches) one process per file, as many at once as
//! there are cores.
//!
//! Why the git command, not gix 0.90's `blame` feature: measured on `GenSpec::benchmark(7)`
//! (5,000 files, 3,000 commits, 2 cores shared with another build), 200 files, CPU time:
//! gix `blame_file` 12.5 s without a commit-graph, 7.0 s with one (35-60 ms a file); git
//! `blame -M -C -w` 6.4 s and 4.2 s (21-32 ms a file, process start included), `-M -w`
//! alone 1.8 s with the graph. And gix has no move or copy detection (`-M`/`-C`), so code
//! moved within or across files would be blamed on whoever moved it.
//!
//! `-C` is the expensive part: all 5,000 files cold took 133 s wall (168 s CPU) with it and
//! 40 s (48 s CPU) without, on the loaded machine; 4 processes instead of 2 did not help.
//! The changed-path Bloom filters of a commit-graph are the other lever: without them git
//! opens every commit's tree to see whether the file changed (see [`Blamer::prepare`]).

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::history::History;
use super::{FileBlame, Origin, is_commit_id};
use crate::sanitize;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlameError {
    #[error("cannot run git ({git}): {detail}")]
    GitMissing { git: String, detail: String },
    #[error("repo {repo}: {path} is not a git repository{detail}")]
    NotARepo {
        repo: String,
        path: String,
        detail: String,
    },
    #[error(
        "repo {repo}: git refuses {path} because another user owns it; add it to git's safe.directory (git config --global --add safe.directory PATH)"
    )]
    NotTrusted { repo: String, path: String },
    #[error("repo {repo}: refusing path {path}: {reason}")]
    BadPath {
        repo: String,
        path: String,
        reason: &'static str,
    },
    #[error("repo {repo}: {path} does not exist at commit {commit}")]
    NoSuchFile {
        repo: String,
        commit: String,
        path: String,
    },
    #[error("repo {repo}: no commit {rev} in the clone")]
    UnknownRev { repo: String, rev: String },
    #[error("repo {repo}: git blame {path} failed: {detail}")]
    Git {
        repo: String,
        path: String,
        detail: String,
    },
}

/// Which commit a blame was taken at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevSource {
    /// The commit the scan ran on.
    Scan,
    /// The clone's HEAD, because the scan named no commit or the clone lacks it: lines may
    /// have moved since the scan.
    Head,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// Full commit id.
    pub commit: String,
    pub source: RevSource,
}

#[derive(Debug, Clone)]
pub struct BlameOptions {
    /// The git program.
    pub git: OsString,
    /// Run git with `safe.directory` set to the clone, for clones another user owns (a CI
    /// checkout). Only for clones you trust: git's check exists because a repository's config
    /// can name programs to run.
    pub trust_owner: bool,
    /// Parallel git processes; 0 means the number of cores.
    pub jobs: usize,
    /// `-C`: also follow lines moved from other files changed in the same commit (`-M`, moves
    /// within the file, is always on). Measured at 2.3 times the time of `-M` alone.
    pub copies: bool,
    /// Extra `git blame` options, after the defaults (`-M -C -w`).
    pub extra_args: Vec<String>,
    /// Before blaming many files, give the clone a commit-graph with changed-path Bloom
    /// filters if it has none (see [`Blamer::prepare`]).
    pub commit_graph: bool,
}

impl Default for BlameOptions {
    fn default() -> Self {
        BlameOptions {
            git: "git".into(),
            trust_owner: false,
            jobs: 0,
            copies: true,
            extra_args: Vec::new(),
            commit_graph: true,
        }
    }
}

/// Blames files in one local clone. Does no I/O until asked, so a warm cache can be used
/// even when the clone is gone.
#[derive(Debug)]
pub struct Blamer {
    repo: String,
    root: PathBuf,
    options: BlameOptions,
    runs: AtomicUsize,
    prepared: OnceLock<()>,
}

/// A git command that behaves the same whatever the user's environment: C locale (the error
/// texts below are matched), no system config, no pager or prompt, pathspecs taken
/// literally, no repository named by a parent process (a hook's GIT_DIR) and no discovery
/// above `dir` (a configured clone that is not one must not silently blame its parent).
pub(crate) fn git_command(git: Option<&OsStr>, dir: &Path) -> Command {
    let mut cmd = Command::new(git.unwrap_or(OsStr::new("git")));
    cmd.arg("--no-pager").arg("-C").arg(dir);
    for var in [
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_NAMESPACE",
        "GIT_COMMON_DIR",
        "GIT_CONFIG",
        "GIT_CONFIG_PARAMETERS",
        "GIT_CONFIG_COUNT",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("LC_ALL", "C")
        .env("LANGUAGE", "C")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_PAGER", "cat")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_LITERAL_PATHSPECS", "1")
        .env("GIT_OPTIONAL_LOCKS", "0");
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        cmd.env("GIT_CEILING_DIRECTORIES", parent);
    }
    cmd
}

impl Blamer {
    pub fn new(repo: &str, root: &Path, options: BlameOptions) -> Blamer {
        Blamer {
            repo: repo.to_string(),
            root: root.to_path_buf(),
            options,
            runs: AtomicUsize::new(0),
            prepared: OnceLock::new(),
        }
    }

    /// The repo's name in the config.
    pub fn repo(&self) -> &str {
        &self.repo
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// How many git processes this blamer has started (tests prove cache hits with it).
    pub fn git_runs(&self) -> usize {
        self.runs.load(Ordering::Relaxed)
    }

    fn command(&self) -> Command {
        let mut cmd = git_command(Some(&self.options.git), &self.root);
        if self.options.trust_owner {
            let mut safe = OsString::from("safe.directory=");
            safe.push(&self.root);
            cmd.arg("-c").arg(safe);
        }
        cmd.stdin(Stdio::null());
        cmd
    }

    fn run(&self, cmd: &mut Command, path: &str) -> Result<Vec<u8>, BlameError> {
        self.runs.fetch_add(1, Ordering::Relaxed);
        let output = cmd.output().map_err(|e| BlameError::GitMissing {
            git: self.options.git.to_string_lossy().into_owned(),
            detail: e.to_string(),
        })?;
        if output.status.success() {
            return Ok(output.stdout);
        }
        let stderr = String::from_utf8_lossy(&output.stderr);
        let repo = self.repo.clone();
        let root = self.root.display().to_string();
        Err(if stderr.contains("dubious ownership") {
            BlameError::NotTrusted { repo, path: root }
        } else if stderr.contains("not a git repository") || !self.root.is_dir() {
            BlameError::NotARepo {
                repo,
                path: root,
                detail: String::new(),
            }
        } else {
            BlameError::Git {
                repo,
                path: sanitize::line(path).into_owned(),
                detail: sanitize::line(stderr.trim()).into_owned(),
            }
        })
    }

    /// The commit to blame at: the scan's commit when the clone has it, else HEAD.
    pub fn resolve(&self, scan_commit: Option<&str>) -> Result<Resolved, BlameError> {
        // Only hex reaches git: a scanner report is not trusted to name a rev expression.
        let wanted = scan_commit
            .map(str::trim)
            .filter(|c| (4..=64).contains(&c.len()) && c.bytes().all(|b| b.is_ascii_hexdigit()));
        if let Some(c) = wanted
            && let Some(id) = self.rev_parse(&c.to_ascii_lowercase())?
        {
            return Ok(Resolved {
                commit: id,
                source: RevSource::Scan,
            });
        }
        match self.rev_parse("HEAD")? {
            Some(commit) => Ok(Resolved {
                commit,
                source: RevSource::Head,
            }),
            None => Err(BlameError::UnknownRev {
                repo: self.repo.clone(),
                rev: "HEAD".into(),
            }),
        }
    }

    fn rev_parse(&self, rev: &str) -> Result<Option<String>, BlameError> {
        let mut cmd = self.command();
        cmd.args(["rev-parse", "--verify", "--quiet"])
            .arg(format!("{rev}^{{commit}}"));
        match self.run(&mut cmd, rev) {
            Ok(out) => {
                let id = String::from_utf8_lossy(&out).trim().to_string();
                Ok(is_commit_id(&id).then_some(id))
            }
            // --quiet: an unknown rev exits 1 with nothing on stderr.
            Err(BlameError::Git { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Blames `path` (relative to the repository root) at `commit` (a full id, see
    /// [`Blamer::resolve`]).
    pub fn blame(&self, commit: &str, path: &str) -> Result<FileBlame, BlameError> {
        let path = self.check_path(path)?;
        if !is_commit_id(commit) {
            return Err(BlameError::UnknownRev {
                repo: self.repo.clone(),
                rev: sanitize::line(commit).into_owned(),
            });
        }
        let mut cmd = self.command();
        cmd.args(["blame", "--incremental", "-M", "-w"]);
        if self.options.copies {
            cmd.arg("-C");
        }
        cmd.args(&self.options.extra_args)
            .arg(commit)
            .arg("--")
            .arg(path);
        let out = match self.run(&mut cmd, path) {
            Err(BlameError::Git { detail, .. }) if detail.contains("no such path") => {
                return Err(BlameError::NoSuchFile {
                    repo: self.repo.clone(),
                    commit: commit.to_string(),
                    path: sanitize::line(path).into_owned(),
                });
            }
            other => other?,
        };
        parse_incremental(&out).map_err(|detail| BlameError::Git {
            repo: self.repo.clone(),
            path: sanitize::line(path).into_owned(),
            detail: format!("unreadable output: {detail}"),
        })
    }

    /// Blames every path at `commit`, `jobs` at a time; results in the order of `paths`.
    pub fn blame_many<S: AsRef<str> + Sync>(
        &self,
        commit: &str,
        paths: &[S],
    ) -> Vec<Result<FileBlame, BlameError>> {
        if !self.root.is_dir() {
            let e = BlameError::NotARepo {
                repo: self.repo.clone(),
                path: self.root.display().to_string(),
                detail: " (no such directory)".into(),
            };
            return paths.iter().map(|_| Err(e.clone())).collect();
        }
        let jobs = match self.options.jobs {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n,
        }
        .min(paths.len())
        .max(1);
        let mut results: Vec<Option<Result<FileBlame, BlameError>>> =
            (0..paths.len()).map(|_| None).collect();
        // Many files: one pass over the history answers most of them (see history.rs).
        if paths.len() >= HISTORY_FROM {
            match self.history(commit) {
                Ok(h) => {
                    for (r, p) in results.iter_mut().zip(paths) {
                        if let Some(b) = h.exact(p.as_ref().trim_start_matches("./")) {
                            *r = Some(Ok(b));
                        }
                    }
                }
                Err(e) => tracing::warn!("{e}; blaming file by file"),
            }
        }
        let todo: Vec<usize> = (0..paths.len()).filter(|&i| results[i].is_none()).collect();
        if self.options.commit_graph && todo.len() >= PREPARE_FROM {
            self.prepared.get_or_init(|| {
                if let Err(e) = self.prepare() {
                    tracing::warn!("{e}; blaming without a commit-graph (slower)");
                }
            });
        }
        let jobs = jobs.min(todo.len()).max(1);
        let next = AtomicUsize::new(0);
        std::thread::scope(|s| {
            let workers: Vec<_> = (0..jobs)
                .map(|_| {
                    s.spawn(|| {
                        let mut done = Vec::new();
                        loop {
                            let k = next.fetch_add(1, Ordering::Relaxed);
                            let Some(&i) = todo.get(k) else { break };
                            let p = &paths[i];
                            done.push((i, self.blame(commit, p.as_ref())));
                        }
                        done
                    })
                })
                .collect();
            for w in workers {
                // A worker only panics on a bug; its paths then report an error below.
                if let Ok(done) = w.join() {
                    for (i, r) in done {
                        results[i] = Some(r);
                    }
                }
            }
        });
        results
            .into_iter()
            .zip(paths)
            .map(|(r, p)| {
                r.unwrap_or_else(|| {
                    Err(BlameError::Git {
                        repo: self.repo.clone(),
                        path: sanitize::line(p.as_ref()).into_owned(),
                        detail: "blame worker failed".into(),
                    })
                })
            })
            .collect()
    }

    /// Every file's blame at `commit` from one `git log` pass (see history.rs).
    pub fn history(&self, commit: &str) -> Result<History, BlameError> {
        if !is_commit_id(commit) {
            return Err(BlameError::UnknownRev {
                repo: self.repo.clone(),
                rev: sanitize::line(commit).into_owned(),
            });
        }
        self.runs.fetch_add(1, Ordering::Relaxed);
        let fail = |detail: String| BlameError::Git {
            repo: self.repo.clone(),
            path: "(history)".into(),
            detail,
        };
        let mut cmd = self.command();
        cmd.args(super::history::log_args(commit))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(|e| BlameError::GitMissing {
            git: self.options.git.to_string_lossy().into_owned(),
            detail: e.to_string(),
        })?;
        // stderr drains on its own thread so a chatty git cannot block on a full pipe.
        let mut stderr = child.stderr.take();
        let errors = std::thread::spawn(move || {
            let mut s = String::new();
            if let Some(e) = stderr.as_mut() {
                let _ = std::io::Read::read_to_string(e, &mut s);
            }
            s
        });
        let parsed = match child.stdout.take() {
            Some(out) => super::history::read(out, self.options.copies),
            None => Err("no output".into()),
        };
        if parsed.is_err() {
            let _ = child.kill();
        }
        let status = child.wait().map_err(|e| fail(e.to_string()))?;
        let stderr = errors.join().unwrap_or_default();
        if !status.success() && parsed.is_ok() {
            return Err(fail(sanitize::line(stderr.trim()).into_owned()));
        }
        parsed.map_err(|e| fail(format!("unreadable git log: {e}")))
    }

    /// Gives the clone a commit-graph with changed-path Bloom filters unless it has one;
    /// returns whether it wrote one. git blame then skips the commits that did not touch the
    /// file without opening their trees. It is what `git maintenance` writes, derived data
    /// only, and takes well under a second per thousand commits.
    pub fn prepare(&self) -> Result<bool, BlameError> {
        let mut cmd = self.command();
        cmd.args(["rev-parse", "--git-common-dir"]);
        let out = self.run(&mut cmd, "")?;
        let common = PathBuf::from(String::from_utf8_lossy(&out).trim());
        let info = self.root.join(common).join("objects/info");
        if has_bloom_filters(&info) {
            return Ok(false);
        }
        let mut cmd = self.command();
        cmd.args(["commit-graph", "write", "--reachable", "--changed-paths"]);
        self.run(&mut cmd, "(commit-graph)")?;
        Ok(true)
    }

    /// Scanner paths are hostile: only plain relative paths inside the repository reach git.
    fn check_path<'a>(&self, path: &'a str) -> Result<&'a str, BlameError> {
        let bad = |reason| BlameError::BadPath {
            repo: self.repo.clone(),
            path: sanitize::line(path).into_owned(),
            reason,
        };
        let p = path.trim_start_matches("./");
        if p.is_empty() {
            return Err(bad("empty path"));
        }
        if p.starts_with('/') || p.starts_with('\\') || p.as_bytes().get(1) == Some(&b':') {
            return Err(bad("absolute path"));
        }
        if p.contains('\0') || p.chars().any(char::is_control) {
            return Err(bad("control character in path"));
        }
        if p.split(['/', '\\']).any(|c| c == "..") {
            return Err(bad("path escapes the repository"));
        }
        if p.split(['/', '\\']).any(|c| c.eq_ignore_ascii_case(".git")) {
            return Err(bad("path inside .git"));
        }
        Ok(p)
    }
}

/// From this many files one pass over the history beats a `git blame` per file (a pass costs
/// about a dozen blames).
const HISTORY_FROM: usize = 24;

/// Below this many files the commit-graph is not worth writing (it takes seconds on a
/// repository with a long history).
const PREPARE_FROM: usize = 16;

/// Whether a commit-graph in `info` (one file or a chain of layers) has changed-path Bloom
/// filters: its chunk table names a `BIDX` chunk.
fn has_bloom_filters(info: &Path) -> bool {
    let mut files = vec![info.join("commit-graph")];
    if let Ok(dir) = std::fs::read_dir(info.join("commit-graphs")) {
        files.extend(dir.flatten().map(|e| e.path()));
    }
    files.iter().any(|f| {
        let mut head = [0u8; 8 + 12 * 16];
        let n = std::fs::File::open(f)
            .and_then(|mut file| std::io::Read::read(&mut file, &mut head))
            .unwrap_or(0);
        if n < 8 || &head[..4] != b"CGPH" {
            return false;
        }
        let chunks = usize::from(head[6]).min(15);
        head[8..n]
            .chunks_exact(12)
            .take(chunks)
            .any(|c| &c[..4] == b"BIDX")
    })
}

/// Reads `git blame --incremental`: per run of lines a `<commit> <orig> <final> <count>`
/// line, the commit's headers the first time it appears, and `filename` closing the run.
fn parse_incremental(out: &[u8]) -> Result<FileBlame, String> {
    let mut origins: Vec<Origin> = Vec::new();
    let mut index: HashMap<Vec<u8>, u32> = HashMap::new();
    let mut runs: Vec<(u32, u32, u32)> = Vec::new();
    let mut current: Option<(u32, u32, u32)> = None;
    for line in out.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        if let Some((start, len, origin)) = current {
            let o = &mut origins[origin as usize];
            let text = |v: &[u8]| String::from_utf8_lossy(v).into_owned();
            if let Some(v) = line.strip_prefix(b"author ") {
                o.name = text(v);
            } else if let Some(v) = line.strip_prefix(b"author-mail ") {
                let v = v.strip_prefix(b"<").unwrap_or(v);
                o.email = text(v.strip_suffix(b">").unwrap_or(v));
            } else if let Some(v) = line.strip_prefix(b"author-time ") {
                o.time = text(v).trim().parse().map_err(|_| "bad author-time")?;
            } else if line == b"boundary" {
                o.boundary = true;
            } else if line.starts_with(b"filename ") {
                runs.push((start, len, origin));
                current = None;
            }
            continue;
        }
        let text = std::str::from_utf8(line).map_err(|_| "run header is not text")?;
        let mut parts = text.split(' ');
        let (Some(id), Some(_orig), Some(fin), Some(n), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(format!("unexpected line {:?}", sanitize::line(text)));
        };
        if !is_commit_id(id) {
            return Err(format!("bad commit id {:?}", sanitize::line(id)));
        }
        let fin: u32 = fin.parse().map_err(|_| "bad line number")?;
        let n: u32 = n.parse().map_err(|_| "bad line count")?;
        let next = origins.len() as u32;
        let origin = *index.entry(id.as_bytes().to_vec()).or_insert_with(|| {
            origins.push(Origin {
                name: String::new(),
                email: String::new(),
                time: 0,
                commit: id.to_string(),
                boundary: false,
            });
            next
        });
        current = Some((fin, n, origin));
    }
    if current.is_some() {
        return Err("output ends inside a run".into());
    }
    FileBlame::from_runs(origins, runs)
}

#[cfg(test)]
pub(super) fn parse_for_tests(out: &[u8]) -> Result<FileBlame, String> {
    parse_incremental(out)
}
