//! The demo's local clone of payments-api: a git history by several people (two of whom have
//! left, one a contractor nobody mapped), a CODEOWNERS file and Backstage catalog files, so
//! routing has every kind of source to reason from. Built with the git command; without git
//! the demo routes without blame.

use chrono::{DateTime, Duration, Utc};
use std::path::Path;
use std::process::Command;

/// Who wrote what: (name, e-mail, days ago). The first writes every file; each later one
/// rewrites its share of every file's segments.
const AUTHORS: &[(&str, &str, i64)] = &[
    ("Carol Chen", "carol@acme.test", 300),
    ("Frank Fox", "frank@acme.test", 210),
    ("Dana Diaz", "dana@acme.test", 120),
    ("Gus Green", "gus@acme.test", 60),
    ("Kim Contractor", "kim@contractor.example", 21),
];

/// Segments per file: a finding's lines fall in one of them, so its recent author differs
/// from file to file and from place to place in a file.
const SEGMENTS: usize = 10;

const CODEOWNERS: &str = "\
# payments-api: the catalog says payments owns the service; these folders belong elsewhere.
/web/               @acme/web
/infra/             @acme/platform
/src/auth/          @acme/security
# Generated scripts: nobody owns them.
/scripts/
";

const CATALOG_ROOT: &str = "\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments-api
  annotations:
    github.com/project-slug: acme/payments-api
spec:
  type: service
  lifecycle: production
  owner: group:default/payments
  system: billing
";

/// The ledger team was merged into payments; the catalog still names it (an alias in the
/// demo config routes it).
const CATALOG_LEDGER: &str = "\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: ledger-sync
spec:
  type: service
  lifecycle: production
  owner: ledger-team
  system: billing
";

/// Builds the clone at `root` holding `files` (path, lines needed) as of `now`.
pub fn build(root: &Path, files: &[(String, usize)], now: DateTime<Utc>) -> Result<(), String> {
    std::fs::create_dir_all(root).map_err(|e| format!("{}: {e}", root.display()))?;
    git(root, AUTHORS[0], now, &["init", "-q", "-b", "main"])?;
    let mut texts: Vec<Vec<String>> = files
        .iter()
        .map(|(path, n)| (1..=n + 20).map(|l| line(path, l, 0)).collect())
        .collect();
    for (j, &author) in AUTHORS.iter().enumerate() {
        for (f, text) in texts.iter_mut().enumerate() {
            if j == 0 {
                continue;
            }
            let seg = text.len().div_ceil(SEGMENTS);
            for s in 0..SEGMENTS {
                if (s + f) % AUTHORS.len() == j {
                    let end = ((s + 1) * seg).min(text.len());
                    for (l, t) in text.iter_mut().enumerate().take(end).skip(s * seg) {
                        *t = line(&files[f].0, l + 1, j);
                    }
                }
            }
        }
        write_all(root, files, &texts)?;
        if j == 0 {
            write(root, ".github/CODEOWNERS", CODEOWNERS)?;
            write(root, "catalog-info.yaml", CATALOG_ROOT)?;
            write(root, "services/ledger/catalog-info.yaml", CATALOG_LEDGER)?;
        }
        git(root, author, now, &["add", "-A"])?;
        let msg = format!("Work by {}", author.0);
        git(root, author, now, &["commit", "-q", "-m", &msg])?;
    }
    // Dana moves a block down in a few files: blame keeps crediting who wrote it.
    for text in texts.iter_mut().take(6) {
        if text.len() > 60 {
            let block: Vec<String> = text.drain(20..30).collect();
            let at = (text.len() / 2).max(30);
            text.splice(at..at, block);
        }
    }
    write_all(root, files, &texts)?;
    let dana = (AUTHORS[2].0, AUTHORS[2].1, 10);
    git(root, dana, now, &["commit", "-q", "-am", "Reorder helpers"])?;
    Ok(())
}

/// A line of code long enough for blame's move detection; `rev` tells the authors apart.
fn line(path: &str, n: usize, rev: usize) -> String {
    if path.ends_with(".txt") || path.ends_with(".json") || path.ends_with(".xml") {
        return format!("package-{n}-dependency == 1.{rev}.{n}");
    }
    let stem = path
        .rsplit('/')
        .next()
        .unwrap_or(path)
        .split('.')
        .next()
        .unwrap_or("module");
    format!("    result_{n} = {stem}_handler_{n}(request, settings)  # revision {rev}")
}

fn write_all(root: &Path, files: &[(String, usize)], texts: &[Vec<String>]) -> Result<(), String> {
    for ((path, _), text) in files.iter().zip(texts) {
        write(root, path, &(text.join("\n") + "\n"))?;
    }
    Ok(())
}

fn write(root: &Path, rel: &str, text: &str) -> Result<(), String> {
    let p = root.join(rel);
    if let Some(dir) = p.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(&p, text).map_err(|e| format!("{}: {e}", p.display()))
}

/// git as the given author, dated `days` before `now`, untouched by the user's git config
/// (signing, hooks, templates would make the demo depend on the machine).
fn git(
    root: &Path,
    who: (&str, &str, i64),
    now: DateTime<Utc>,
    args: &[&str],
) -> Result<(), String> {
    let date = (now - Duration::days(who.2)).to_rfc3339();
    let out = Command::new("git")
        .arg("-C")
        .arg(root)
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "core.hooksPath=/dev/null",
        ])
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", who.0)
        .env("GIT_AUTHOR_EMAIL", who.1)
        .env("GIT_AUTHOR_DATE", &date)
        .env("GIT_COMMITTER_NAME", who.0)
        .env("GIT_COMMITTER_EMAIL", who.1)
        .env("GIT_COMMITTER_DATE", &date)
        .env("LC_ALL", "C")
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "git {}: {}",
            args.first().unwrap_or(&""),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}
