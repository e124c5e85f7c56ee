//! git blame for routing, on a repository built here with real `git` commands: several
//! authors, a block moved within a file and one moved to another file, a later edit by someone
//! else, a second e-mail and a rename. Then the cache, hostile paths and broken clones.

mod support;

use std::path::Path;

use lastmile::owners::blame::{BlameError, BlameOptions, Blamer, FileBlame, RevSource};
use lastmile::owners::gitgen::{self, GenSpec};
use lastmile::store::Store;

/// Lines long enough for git's move and copy detection (20 and 40 alphanumerics).
fn line(tag: &str) -> String {
    format!("    let value_{tag} = compute_checked_{tag}(input_{tag}, limit_{tag});")
}

fn lines(tags: &[&str]) -> String {
    tags.iter().map(|t| line(t) + "\n").collect()
}

fn git(dir: &Path, who: (&str, &str, i64), args: &[&str]) -> String {
    support::git::git(dir, (who.0, who.1), T0 + who.2, args)
}

/// Dates are T0 plus a few seconds: git reads a small number as something other than a time.
const T0: i64 = 1_600_000_000;

const ANN: (&str, &str) = ("Ann Author", "ann@corp.example");
const ANN_HOME: (&str, &str) = ("Ann Author", "ann@home.example");
const BOB: (&str, &str) = ("Bob Builder", "bob@corp.example");
const CY: (&str, &str) = ("Cy Coder", "cy@corp.example");
const DEE: (&str, &str) = ("Dee Dev", "dee@corp.example");

struct Repo {
    _dir: tempfile::TempDir,
    root: std::path::PathBuf,
    /// After the move to b.rs.
    third: String,
    head: String,
}

fn commit(root: &Path, who: (&str, &str), t: i64, msg: &str) -> String {
    let w = (who.0, who.1, t);
    git(root, w, &["add", "-A"]);
    git(root, w, &["commit", "-q", "-m", msg]);
    git(root, w, &["rev-parse", "HEAD"])
}

/// a.rs and b.rs by Ann; Bob moves a block within a.rs; Cy moves a block from a.rs to b.rs;
/// Dee edits one moved line; Ann, from home, edits Cy's line; Bob renames b.rs.
fn build() -> Repo {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("clone");
    std::fs::create_dir(&root).expect("mkdir");
    git(&root, (ANN.0, ANN.1, 1000), &["init", "-q", "-b", "main"]);
    let w = |name: &str, text: String| std::fs::write(root.join(name), text).expect("write");
    let a: Vec<String> = (1..=10).map(|i| format!("a{i}")).collect();
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    w("a.rs", lines(&a));
    w("b.rs", lines(&["b1", "b2", "b3", "b4", "b5"]));
    commit(&root, ANN, 1000, "first");
    // a2..a5 move below a10.
    w(
        "a.rs",
        lines(&["a1", "a6", "a7", "a8", "a9", "a10", "a2", "a3", "a4", "a5"]),
    );
    commit(&root, BOB, 2000, "move within a.rs");
    // a7..a9 move to the end of b.rs, and Cy writes a line of their own on top.
    w("a.rs", lines(&["a1", "a6", "a10", "a2", "a3", "a4", "a5"]));
    w(
        "b.rs",
        lines(&["c1", "b1", "b2", "b3", "b4", "b5", "a7", "a8", "a9"]),
    );
    let third = commit(&root, CY, 3000, "move to b.rs");
    w("a.rs", lines(&["a1", "a6", "a10", "a2", "d3", "a4", "a5"]));
    commit(&root, DEE, 4000, "edit a moved line");
    w(
        "b.rs",
        lines(&["e1", "b1", "b2", "b3", "b4", "b5", "a7", "a8", "a9"]),
    );
    commit(&root, ANN_HOME, 5000, "edit from home");
    std::fs::create_dir(root.join("lib")).expect("mkdir");
    git(&root, (BOB.0, BOB.1, 6000), &["mv", "b.rs", "lib/b.rs"]);
    let head = commit(&root, BOB, 6000, "rename");
    Repo {
        _dir: dir,
        root,
        third,
        head,
    }
}

/// Each line's author e-mail, for compact assertions.
fn emails(b: &FileBlame) -> Vec<String> {
    (1..=b.lines())
        .map(|l| b.origin_of(l).map_or("?".into(), |o| o.email.clone()))
        .collect()
}

fn blamer(root: &Path) -> Blamer {
    Blamer::new("demo", root, BlameOptions::default())
}

#[test]
fn moved_code_is_attributed_to_who_wrote_it() {
    let r = build();
    let b = blamer(&r.root);
    let a = b.blame(&r.head, "a.rs").expect("blame a.rs");
    let want = [ANN, ANN, ANN, ANN, DEE, ANN, ANN].map(|p| p.1.to_string());
    assert_eq!(emails(&a), want);
    let lib = b.blame(&r.head, "lib/b.rs").expect("blame lib/b.rs");
    let mut want = vec![ANN_HOME.1.to_string()];
    want.extend([ANN.1; 8].map(String::from));
    assert_eq!(emails(&lib), want);
    // Without -C the block moved across files is Cy's, who only moved it.
    let no_copies = Blamer::new(
        "demo",
        &r.root,
        BlameOptions {
            copies: false,
            ..BlameOptions::default()
        },
    );
    let moved = no_copies.blame(&r.head, "lib/b.rs").expect("blame");
    assert_eq!(emails(&moved)[6..], [CY.1; 3].map(String::from));
}

#[test]
fn authors_of_exact_lines() {
    let r = build();
    let a = blamer(&r.root).blame(&r.head, "a.rs").expect("blame");
    let who = a.authors_of(4, 7);
    let got: Vec<_> = who
        .iter()
        .map(|w| (w.email.as_str(), w.lines, w.latest))
        .collect();
    assert_eq!(got, vec![(DEE.1, 1, T0 + 4000), (ANN.1, 3, T0 + 1000)]);
    assert_eq!(who[0].name, DEE.0);
    // Ann's two e-mails stay two identities: mapping them to one person is the router's.
    let lib = blamer(&r.root).blame(&r.head, "lib/b.rs").expect("blame");
    let got: Vec<_> = lib
        .authors_of(1, 9)
        .iter()
        .map(|w| (w.email.clone(), w.lines))
        .collect();
    assert_eq!(got, vec![(ANN_HOME.1.into(), 1), (ANN.1.into(), 8)]);
    assert!(lib.authors_of(10, 20).is_empty());
}

#[test]
fn resolves_the_scan_commit_or_falls_back_to_head() {
    let r = build();
    let b = blamer(&r.root);
    let at = b.resolve(Some(&r.third[..12])).expect("resolve");
    assert_eq!(
        (at.commit.as_str(), at.source),
        (r.third.as_str(), RevSource::Scan)
    );
    for missing in [
        Some("0123456789abcdef"),
        None,
        Some("HEAD~1"),
        Some("--output=x"),
    ] {
        let at = b.resolve(missing).expect("resolve");
        assert_eq!(
            (at.commit.as_str(), at.source),
            (r.head.as_str(), RevSource::Head)
        );
    }
    // At the scan's commit, b.rs was still b.rs and line 1 was Cy's.
    let old = b.blame(&r.third, "b.rs").expect("blame at third");
    assert_eq!(old.origin_of(1).map(|o| o.email.as_str()), Some(CY.1));
}

#[test]
fn clear_errors_for_bad_input() {
    let r = build();
    let b = blamer(&r.root);
    let e = b.blame(&r.head, "missing.rs").expect_err("missing");
    assert!(matches!(e, BlameError::NoSuchFile { .. }), "{e}");
    assert!(e.to_string().contains("missing.rs") && e.to_string().contains("demo"));
    for path in [
        "/etc/passwd",
        "../outside",
        "lib/../../outside",
        "",
        ".git/config",
        "C:\\x",
        "a\nb",
    ] {
        let e = b.blame(&r.head, path).expect_err(path);
        assert!(matches!(e, BlameError::BadPath { .. }), "{path:?}: {e}");
    }
    assert!(b.blame(&r.head, "./a.rs").is_ok());
    let e = b.blame("HEAD", "a.rs").expect_err("not a full id");
    assert!(matches!(e, BlameError::UnknownRev { .. }), "{e}");

    let plain = tempfile::tempdir().expect("tempdir");
    let e = blamer(plain.path()).resolve(None).expect_err("not a repo");
    assert!(matches!(e, BlameError::NotARepo { .. }), "{e}");
    let gone = plain.path().join("nowhere");
    let results = blamer(&gone).blame_many(&r.head, &["a.rs", "b.rs"]);
    assert!(
        results
            .iter()
            .all(|r| matches!(r, Err(BlameError::NotARepo { .. })))
    );
    let no_git = Blamer::new(
        "demo",
        &r.root,
        BlameOptions {
            git: "/nonexistent/git".into(),
            ..BlameOptions::default()
        },
    );
    let e = no_git.blame(&r.head, "a.rs").expect_err("no git");
    assert!(matches!(e, BlameError::GitMissing { .. }), "{e}");
}

#[test]
fn blame_many_keeps_order_and_reports_each_failure() {
    let r = build();
    let b = blamer(&r.root);
    let paths = ["lib/b.rs", "missing.rs", "a.rs", "../x"];
    let results = b.blame_many(&r.head, &paths);
    assert_eq!(results.len(), 4);
    assert_eq!(results[0].as_ref().map(FileBlame::lines).ok(), Some(9));
    assert!(matches!(results[1], Err(BlameError::NoSuchFile { .. })));
    assert_eq!(results[2].as_ref().map(FileBlame::lines).ok(), Some(7));
    assert!(matches!(results[3], Err(BlameError::BadPath { .. })));
}

#[test]
fn cache_serves_a_second_batch_without_git() {
    let r = build();
    let db_dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open(&db_dir.path().join("db")).expect("store");
    let first = blamer(&r.root);
    let paths = ["a.rs", "lib/b.rs", "missing.rs", "a.rs"];
    let cold = store.blame_batch(&first, &r.head, &paths).expect("cold");
    assert_eq!((cold.hits, cold.blamed, cold.damaged), (0, 3, 0));
    assert_eq!(cold.blames.len(), 2);
    assert_eq!(cold.errors.len(), 1);
    assert_eq!(cold.errors[0].0, "missing.rs");

    // The clone is gone: only the cache can answer.
    std::fs::remove_dir_all(&r.root).expect("delete clone");
    let second = blamer(&r.root);
    let warm = store
        .blame_batch(&second, &r.head, &["a.rs", "lib/b.rs"])
        .expect("warm");
    assert_eq!(second.git_runs(), 0);
    assert_eq!((warm.hits, warm.blamed), (2, 0));
    assert_eq!(warm.blames, cold.blames);
    // Another commit is another key.
    let other = store
        .blame_batch(&second, &r.third, &["a.rs"])
        .expect("other commit");
    assert_eq!((other.hits, other.errors.len()), (0, 1));
}

#[test]
fn a_damaged_cache_row_is_blamed_again() {
    let r = build();
    let db_dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open(&db_dir.path().join("db")).expect("store");
    let b = blamer(&r.root);
    let cold = store
        .blame_batch(&b, &r.head, &["a.rs", "lib/b.rs"])
        .expect("cold");
    store
        .raw_connection()
        .execute(
            "UPDATE blame_cache SET data = x'4c4d424c01ff' WHERE path = 'a.rs'",
            [],
        )
        .expect("damage");
    assert_eq!(
        store.cached_blame("demo", &r.head, "a.rs").expect("read"),
        None
    );
    let again = store
        .blame_batch(&b, &r.head, &["a.rs", "lib/b.rs"])
        .expect("again");
    assert_eq!((again.hits, again.blamed, again.damaged), (1, 1, 1));
    assert!(again.errors.is_empty());
    assert_eq!(again.blames, cold.blames);
    assert_eq!(
        store.cached_blame("demo", &r.head, "a.rs").expect("read"),
        cold.blames.get("a.rs").cloned()
    );
}

#[test]
fn generated_repositories_are_deterministic_and_blameable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = GenSpec::small(42);
    let one = gitgen::generate(&dir.path().join("one"), &spec).expect("generate");
    let two = gitgen::generate(&dir.path().join("two"), &spec).expect("generate");
    assert_eq!(one.head, two.head);
    assert_eq!(one.files.len(), spec.files);
    assert!(one.authors.iter().any(|a| a.identities.len() > 1));
    assert!(dir.path().join("one").join(&one.files[0]).is_file());
    let b = blamer(&dir.path().join("one"));
    let results = b.blame_many(&one.head, &one.files);
    let mut emails = std::collections::BTreeSet::new();
    for r in &results {
        let blame = r.as_ref().expect("blame");
        assert!(blame.lines() > 0);
        emails.extend(blame.origins().iter().map(|o| o.email.clone()));
    }
    assert!(emails.len() > 2, "{emails:?}");
    let other = gitgen::generate(&dir.path().join("three"), &GenSpec::small(43)).expect("gen");
    assert_ne!(other.head, one.head);
    assert!(gitgen::generate(&dir.path().join("one"), &spec).is_err());
}

/// Per line, the commit `git blame` credits and the one-pass history credits.
fn disagreements(b: &Blamer, head: &str, files: &[String]) -> (usize, usize, Vec<String>) {
    let h = b.history(head).expect("history");
    let (mut lines, mut differ, mut worst) = (0, 0, Vec::new());
    for f in files {
        let Some(fast) = h.exact(f) else { continue };
        let exact = b.blame(head, f).expect("blame");
        assert_eq!(fast.lines(), exact.lines(), "{f}");
        for l in 1..=exact.lines() {
            lines += 1;
            let (a, e) = (fast.origin_of(l).unwrap(), exact.origin_of(l).unwrap());
            if a.commit != e.commit {
                differ += 1;
                worst.push(format!("{f}:{l} history {} blame {}", a.email, e.email));
            }
        }
    }
    (lines, differ, worst)
}

#[test]
fn one_pass_over_history_credits_lines_as_git_blame_does() {
    let r = build();
    let b = blamer(&r.root);
    let h = b.history(&r.head).expect("history");
    for f in ["a.rs", "lib/b.rs"] {
        assert_eq!(
            emails(&h.exact(f).expect(f)),
            emails(&b.blame(&r.head, f).expect(f)),
            "{f}"
        );
    }
    // Without -C the block moved across files is the mover's, as with git blame.
    let no_copies = Blamer::new(
        "demo",
        &r.root,
        BlameOptions {
            copies: false,
            ..BlameOptions::default()
        },
    );
    let moved = no_copies
        .history(&r.head)
        .expect("history")
        .exact("lib/b.rs")
        .unwrap();
    assert_eq!(emails(&moved)[6..], [CY.1; 3].map(String::from));

    // A generated repository with thousands of edits, moved blocks and renames.
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = GenSpec {
        files: 120,
        commits: 400,
        ..GenSpec::small(5)
    };
    let g = gitgen::generate(&dir.path().join("g"), &spec).expect("generate");
    assert!(
        g.moved_blocks > 0 && g.renames > 0,
        "{} {}",
        g.moved_blocks,
        g.renames
    );
    let (lines, differ, worst) = disagreements(&blamer(&dir.path().join("g")), &g.head, &g.files);
    assert!(lines > 1000, "{lines}");
    assert!(
        differ * 1000 <= lines,
        "{differ} of {lines} lines credited differently: {:?}",
        &worst[..worst.len().min(10)]
    );
}

#[test]
fn a_merged_branch_is_left_to_git_blame() {
    let r = build();
    let w = (BOB.0, BOB.1, 7000);
    git(&r.root, w, &["checkout", "-q", "-b", "side"]);
    std::fs::write(r.root.join("side.rs"), lines(&["s1", "s2"])).unwrap();
    commit(&r.root, DEE, 7000, "on a branch");
    git(&r.root, w, &["checkout", "-q", "main"]);
    std::fs::write(r.root.join("main.rs"), lines(&["m1"])).unwrap();
    commit(&r.root, BOB, 7100, "on main");
    git(
        &r.root,
        w,
        &["merge", "-q", "--no-ff", "-m", "merge", "side"],
    );
    let head = git(&r.root, w, &["rev-parse", "HEAD"]);
    let b = blamer(&r.root);
    let h = b.history(&head).expect("history");
    assert!(
        h.exact("side.rs").is_none(),
        "first-parent diffs would credit Bob"
    );
    assert!(h.exact("main.rs").is_some());
    // blame_many answers both, side.rs through git blame.
    let many: Vec<String> = (0..30).map(|_| "side.rs".to_string()).collect();
    let got = b.blame_many(&head, &many);
    assert_eq!(
        emails(got[0].as_ref().unwrap()),
        [DEE.1; 2].map(String::from)
    );
}
