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
