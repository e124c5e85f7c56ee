//! What a source reader skipped or doubts, with the file and line: one shape for CODEOWNERS
//! and catalogs, so `route` and `config check` report them alike.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// `problem` is the reader's own list of what can go wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic<P> {
    pub file: String,
    pub line: usize,
    pub severity: Severity,
    pub problem: P,
}

impl<P: fmt::Display> fmt::Display for Diagnostic<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{}:{}: {sev}: {}", self.file, self.line, self.problem)
    }
}

/// Why a source file could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is {size} bytes; {what} files must be under {max}")]
    TooLarge {
        path: std::path::PathBuf,
        size: u64,
        max: u64,
        what: &'static str,
    },
    #[error("{path} is not UTF-8")]
    NotUtf8 { path: std::path::PathBuf },
}

/// A source file's text, refused past `max` bytes (it comes from a repository nobody here
/// wrote): `what` names the kind of file in the message.
pub fn read_bounded(
    path: &std::path::Path,
    max: u64,
    what: &'static str,
) -> Result<String, LoadError> {
    let io = |source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size >= max {
        return Err(LoadError::TooLarge {
            path: path.to_path_buf(),
            size,
            max,
            what,
        });
    }
    let bytes = std::fs::read(path).map_err(io)?;
    String::from_utf8(bytes).map_err(|_| LoadError::NotUtf8 {
        path: path.to_path_buf(),
    })
}
