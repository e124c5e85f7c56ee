//! git blame for ownership routing: who recently wrote exactly the lines a finding points at.
//!
//! [`FileBlame`] is the blame of one file at one commit in compact form (runs of lines pointing
//! into a table of commits with their authors), with a versioned binary form for the cache.
//! [`Blamer`] runs `git blame` in one local clone, many files in parallel.
//!
//! The git command rather than gix: faster per file here and it follows moved code; the
//! figures are in `blame/git.rs`.

mod codec;
mod git;
mod history;

pub use codec::DecodeError;
pub(crate) use git::git_command;
pub use git::{BlameError, BlameOptions, Blamer, Resolved, RevSource};
pub use history::History;

/// A commit that last touched some lines, with its author.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub name: String,
    pub email: String,
    /// Author time, unix seconds.
    pub time: i64,
    /// Full commit id, lowercase hex.
    pub commit: String,
    /// The commit is where history stops (a shallow clone's edge): it did not necessarily
    /// write these lines, only brought them into the clone.
    pub boundary: bool,
}

/// One author of some lines: how many of them, and when they last touched one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineAuthor {
    pub name: String,
    pub email: String,
    pub lines: u32,
    /// Latest author time among those lines, unix seconds.
    pub latest: i64,
    /// The commit of that latest change.
    pub commit: String,
    /// Every one of the lines came from a boundary commit (see [`Origin::boundary`]).
    pub boundary: bool,
}

/// Lines `start..start + len` (1-based) came from `origins[origin]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Hunk {
    start: u32,
    len: u32,
    origin: u32,
}

/// The blame of one file at one commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileBlame {
    lines: u32,
    /// Deduplicated: one entry per commit.
    origins: Vec<Origin>,
    /// Sorted, contiguous from line 1 to `lines`; neighbours have different origins.
    hunks: Vec<Hunk>,
}

impl FileBlame {
    /// Builds from `(first line, count, origin)` runs in any order; they must cover lines
    /// `1..=n` exactly once and name origins that exist, and commit ids must be hex.
    pub fn from_runs(
        origins: Vec<Origin>,
        mut runs: Vec<(u32, u32, u32)>,
    ) -> Result<FileBlame, String> {
        if let Some(o) = origins.iter().find(|o| !is_commit_id(&o.commit)) {
            return Err(format!("not a commit id: {:?}", o.commit));
        }
        runs.sort_unstable();
        let mut hunks: Vec<Hunk> = Vec::with_capacity(runs.len());
        let mut next: u32 = 1;
        for (start, len, origin) in runs {
            if len == 0 {
                continue;
            }
            if start != next {
                return Err(format!("lines {next}.. are missing or blamed twice"));
            }
            if origin as usize >= origins.len() {
                return Err(format!("origin {origin} does not exist"));
            }
            next = start
                .checked_add(len)
                .ok_or_else(|| "line numbers overflow".to_string())?;
            match hunks.last_mut() {
                Some(h) if h.origin == origin => h.len += len,
                _ => hunks.push(Hunk { start, len, origin }),
            }
        }
        Ok(FileBlame {
            lines: next - 1,
            origins,
            hunks,
        })
    }

    /// Lines in the file.
    pub fn lines(&self) -> u32 {
        self.lines
    }

    /// Every commit that wrote some line of the file.
    pub fn origins(&self) -> &[Origin] {
        &self.origins
    }

    /// Who last changed `line` (1-based).
    pub fn origin_of(&self, line: u32) -> Option<&Origin> {
        let i = self.hunks.partition_point(|h| h.start + h.len <= line);
        let h = self.hunks.get(i).filter(|h| h.start <= line)?;
        self.origins.get(h.origin as usize)
    }

    /// The distinct authors (same name and e-mail) of lines `start..=end` (1-based; clamped to
    /// the file, 0 read as 1), most recent first. Empty when the range misses the file, e.g.
    /// when the file has shrunk since the scan.
    pub fn authors_of(&self, start: u32, end: u32) -> Vec<LineAuthor> {
        let start = start.max(1);
        let end = end.min(self.lines);
        let mut out: Vec<LineAuthor> = Vec::new();
        if start > end {
            return out;
        }
        let first = self.hunks.partition_point(|h| h.start + h.len <= start);
        for h in self.hunks[first..].iter().take_while(|h| h.start <= end) {
            let n = (h.start + h.len - 1).min(end) - h.start.max(start) + 1;
            let Some(o) = self.origins.get(h.origin as usize) else {
                continue;
            };
            match out
                .iter_mut()
                .find(|a| a.email == o.email && a.name == o.name)
            {
                Some(a) => {
                    a.lines += n;
                    a.boundary &= o.boundary;
                    if o.time > a.latest {
                        a.latest = o.time;
                        a.commit.clone_from(&o.commit);
                    }
                }
                None => out.push(LineAuthor {
                    name: o.name.clone(),
                    email: o.email.clone(),
                    lines: n,
                    latest: o.time,
                    commit: o.commit.clone(),
                    boundary: o.boundary,
                }),
            }
        }
        out.sort_by(|a, b| {
            (b.latest, b.lines)
                .cmp(&(a.latest, a.lines))
                .then_with(|| a.email.cmp(&b.email))
                .then_with(|| a.name.cmp(&b.name))
        });
        out
    }

    /// The cache's binary form; see [`FileBlame::decode`].
    pub fn encode(&self) -> Vec<u8> {
        codec::encode(self)
    }

    /// Reads [`FileBlame::encode`]'s output; damaged or foreign data is an error, never a panic.
    pub fn decode(data: &[u8]) -> Result<FileBlame, DecodeError> {
        codec::decode(data)
    }
}

/// 40 (SHA-1) or 64 (SHA-256) lowercase hex digits.
pub(crate) fn is_commit_id(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests;
