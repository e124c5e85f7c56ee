//! CODEOWNERS: the real files in ../shared/corpus/codeowners against their repositories' file
//! lists, a table of tricky patterns for both syntaxes, GitLab sections, and hostile input.

mod support;

use lastmile::owners::codeowners::{
    CodeOwners, Owner, Problem, Severity, Syntax, locate, locate_for,
};

fn corpus_file(name: &str) -> std::path::PathBuf {
    support::corpus().join("codeowners").join(name)
}

fn load(name: &str) -> CodeOwners {
    let co = CodeOwners::load(&corpus_file(name), None).expect(name);
    assert!(
        co.diagnostics().is_empty(),
        "{name}: {:?}",
        co.diagnostics()
    );
    co
}

fn paths(name: &str) -> Vec<String> {
    let text = std::fs::read_to_string(corpus_file(name)).expect(name);
    text.lines().map(str::to_string).collect()
}

/// The deciding line and the owners, as strings, for compact assertions.
fn decided(co: &CodeOwners, path: &str) -> (Option<usize>, Vec<String>) {
    let m = co.owners_of(path);
    let line = m.decisions.last().map(|d| d.rule.line);
    (line, m.owners().iter().map(|o| o.to_string()).collect())
}

#[test]
fn every_corpus_file_parses_cleanly() {
    let dir = support::corpus().join("codeowners");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("codeowners dir") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "CODEOWNERS") {
            let co = CodeOwners::load(&path, None).expect("load");
            assert_eq!(co.syntax(), Syntax::GitHub, "{}", path.display());
            assert!(!co.has_errors(), "{:?}", co.diagnostics());
            assert!(!co.rules().is_empty());
            seen += 1;
        }
    }
    assert_eq!(seen, 4, "SOURCES.md lists four CODEOWNERS files");
}

const ARGO: &str = "argoproj__argo-cd.CODEOWNERS";
const APPROVERS: &str = "@argoproj/argocd-approvers";

#[test]
fn argo_cd_rules_decide_as_read_by_hand() {
    let co = load(ARGO);
    let ci = vec![
        APPROVERS.to_string(),
        "@argoproj/argocd-approvers-ci".into(),
    ];
    let docs = vec![
        APPROVERS.to_string(),
        "@argoproj/argocd-approvers-docs".into(),
    ];
    let only = vec![APPROVERS.to_string()];
    let cases: &[(&str, usize, &Vec<String>)] = &[
        // `**` catch-all
        ("go.mod", 2, &only),
        ("controller/appcontroller.go", 2, &only),
        // `/docs/**`, and the later `/docs/operator-manual/` adding the CLI team
        ("docs/index.md", 5, &docs),
        ("docs/user-guide/commands/argocd.md", 5, &docs),
        ("/README.md", 7, &docs),
        // anchored: a nested README.md is not the root one
        (
            "ui/README.md",
            50,
            &vec![APPROVERS.into(), "@argoproj/argocd-approvers-ui".into()],
        ),
        // unanchored Makefile / Dockerfile / Dockerfile.* at any depth
        ("Makefile", 16, &ci),
        ("gitops-engine/Makefile", 16, &ci),
        ("test/remote/Makefile", 16, &ci),
        ("Dockerfile", 17, &ci),
        ("Dockerfile.dev", 18, &ci),
        ("Dockerfile.ui.tilt", 18, &ci),
        ("test/container/Dockerfile", 17, &ci),
        // `Dockerfile.*` matches, but `/hack/` comes later and wins
        ("hack/Dockerfile.dev-tools", 33, &ci),
        (".github/workflows/ci-build.yaml", 11, &ci),
        // `/hack/` then more specific hack/ rules later win
        ("hack/test.sh", 33, &ci),
        ("hack/gen-docs/main.go", 34, &only),
        ("hack/known_types/main.go", 37, &only),
        ("hack/git-ask-pass.sh", 40, &only),
        (
            "cmd/argocd/commands/app.go",
            44,
            &vec![APPROVERS.into(), "@argoproj/argocd-approvers-cli".into()],
        ),
        (
            "cmd/main.go",
            45,
            &vec![APPROVERS.into(), "@argoproj/argocd-approvers-cli".into()],
        ),
        // only /cmd/argocd/** and /cmd/main.go are CLI
        ("cmd/argocd-server/commands/argocd_server.go", 2, &only),
    ];
    let listed = paths("argoproj__argo-cd.paths.txt");
    for (path, line, owners) in cases {
        let bare = path.trim_start_matches('/');
        assert!(
            listed.iter().any(|p| p == bare),
            "{bare} not in the file list"
        );
        assert_eq!(
            decided(&co, path),
            (Some(*line), (*owners).clone()),
            "{path}"
        );
    }
    let op = co.owners_of("docs/operator-manual/rbac.md");
    assert_eq!(op.decisions[0].rule.line, 47);
    assert_eq!(op.owners().len(), 3);
    assert!(
        op.explain().contains("line 47 `/docs/operator-manual/`"),
        "{}",
        op.explain()
    );
}

#[test]
fn argo_cd_every_listed_path_is_owned() {
    let co = load(ARGO);
    let listed = paths("argoproj__argo-cd.paths.txt");
    assert_eq!(listed.len(), 5574);
    let mut by_line = std::collections::BTreeMap::<usize, usize>::new();
    for p in &listed {
        let m = co.owners_of(p);
        assert!(m.owners().iter().any(|o| o.to_string() == APPROVERS), "{p}");
        *by_line.entry(m.decisions[0].rule.line).or_default() += 1;
    }
    // Rules that must decide something in this tree.
    for line in [2, 5, 11, 16, 18, 33, 34, 44, 47, 50] {
        assert!(
            by_line.get(&line).copied().unwrap_or(0) > 0,
            "line {line}: {by_line:?}"
        );
    }
    // `/hack/` is overridden for the listed sub-trees but still owns the rest of hack/.
    let hack: Vec<_> = listed.iter().filter(|p| p.starts_with("hack/")).collect();
    let ci_hack = hack
        .iter()
        .filter(|p| co.owners_of(p).decisions[0].rule.line == 33)
        .count();
    assert!(ci_hack > 0 && ci_hack < hack.len());
}

const PROM: &str = "prometheus__prometheus.CODEOWNERS";

#[test]
fn prometheus_rules_decide_as_read_by_hand() {
    let co = load(PROM);
    let cases: &[(&str, usize, &str)] = &[
        ("go.mod", 7, "@prometheus/default-maintainers"),
        ("Makefile", 10, "@SuperQ"),
        // directory rules without a trailing slash own the directory's contents
        ("cmd/promtool/main.go", 11, "@dgl"),
        ("model/histogram/float_histogram.go", 13, "@krajorama"),
        ("web/ui/package.json", 14, "@juliusv"),
        (
            "web/ui/module/codemirror-promql/package.json",
            15,
            "@nexucis",
        ),
        ("promql/engine.go", 16, "@roidelapluie"),
        ("promql/parser/lex.go", 16, "@vpranckaitis"),
        ("storage/remote/client.go", 17, "@alexgreenbank"),
        (
            "storage/remote/otlptranslator/prometheusremotewrite/helper.go",
            18,
            "@ArthurSens",
        ),
        ("tsdb/head.go", 19, "@codesome"),
        ("tsdb/agent/db.go", 20, "@kgeckhart"),
        ("discovery/kubernetes/kubernetes.go", 23, "@rexagod"),
        ("discovery/aws/ec2.go", 25, "@sysadmind"),
        ("discovery/hetzner/hetzner.go", 27, "@apricote"),
        // commented-out rules do not apply
        (
            "discovery/aliyun/aliyun.go",
            7,
            "@prometheus/default-maintainers",
        ),
        (
            "discovery/nomad/nomad.go",
            7,
            "@prometheus/default-maintainers",
        ),
        // `/tsdb` is anchored and matches the directory, not a prefix of a name
        (
            "cmd/prometheus/main.go",
            7,
            "@prometheus/default-maintainers",
        ),
        (
            "storage/remote_test_helper.go",
            7,
            "@prometheus/default-maintainers",
        ),
    ];
    let listed = paths("prometheus__prometheus.paths.txt");
    for (path, line, owner) in cases {
        let (got_line, owners) = decided(&co, path);
        assert_eq!(got_line, Some(*line), "{path}: {owners:?}");
        assert!(owners.iter().any(|o| o == owner), "{path}: {owners:?}");
        if ![
            "discovery/aliyun/aliyun.go",
            "storage/remote_test_helper.go",
        ]
        .contains(path)
        {
            assert!(
                listed.iter().any(|p| p == path),
                "{path} not in the file list"
            );
        }
    }
    // Every listed path below a directory rule is decided by it (or a later, deeper one).
    let has = |d: &str| listed.iter().any(|p| p.starts_with(d));
    for (dir, line) in [
        ("discovery/aws/", 25),
        ("tsdb/agent/", 20),
        ("web/ui/module/", 15),
    ] {
        assert!(has(dir), "{dir}");
        for p in listed.iter().filter(|p| p.starts_with(dir)) {
            assert_eq!(co.owners_of(p).decisions[0].rule.line, line, "{p}");
        }
    }
}

#[test]
fn prometheus_every_listed_path_has_the_default_team() {
    let co = load(PROM);
    let listed = paths("prometheus__prometheus.paths.txt");
    assert_eq!(listed.len(), 1668);
    for p in &listed {
        let owners = co.owners_of(p).owners();
        assert!(
            owners.contains(&&Owner::Team("prometheus/default-maintainers".into())),
            "{p}"
        );
    }
}

#[test]
fn trivial_corpus_files() {
    let dd = load("DefectDojo__django-DefectDojo.CODEOWNERS");
    assert_eq!(
        decided(&dd, "docs/content/en/about.md").0,
        Some(4),
        "`*` comes last and wins"
    );
    let rt = load("ratatui__ratatui.CODEOWNERS");
    assert_eq!(
        decided(&rt, "src/lib.rs"),
        (Some(11), vec!["@ratatui/maintainers".to_string()])
    );
}

/// Does a file holding only `pattern @o` give `path` an owner?
fn owned(pattern: &str, syntax: Syntax, path: &str) -> bool {
    let co = CodeOwners::parse("T", &format!("{pattern} @o\n"), syntax);
    assert!(
        co.diagnostics().is_empty(),
        "{pattern}: {:?}",
        co.diagnostics()
    );
    co.owners_of(path).is_matched()
}

/// (pattern, path, GitHub, GitLab). Where the two differ it is GitLab floating a pattern with
/// a slash in the middle (`/**/` prefixed), which GitHub anchors as gitignore does.
const TABLE: &[(&str, &str, bool, bool)] = &[
    // floating single names, files or directories at any depth
    ("Makefile", "Makefile", true, true),
    ("Makefile", "a/b/Makefile", true, true),
    ("Makefile", "Makefile.old", false, false),
    ("docs", "docs/a.md", true, true),
    ("docs", "src/docs/a.md", true, true),
    ("docs", "docsx/a.md", false, false),
    // anchored
    ("/docs", "docs/a/b.md", true, true),
    ("/docs", "src/docs/a.md", false, false),
    ("/docs/", "docs/a/b.md", true, true),
    ("/docs/", "docs", false, false),
    ("/docs/", "src/docs/a.md", false, false),
    // trailing slash: everything below a directory, never a file of that name
    ("docs/", "docs", false, false),
    ("docs/", "x/docs/a.md", true, true),
    ("docs/", "docs/a/b/c.md", true, true),
    // a slash in the middle: anchored on GitHub, floating on GitLab
    ("apps/web", "apps/web/x.js", true, true),
    ("apps/web", "src/apps/web/x.js", false, true),
    ("apps/web/", "src/apps/web/x.js", false, true),
    // `*` does not cross `/`; a lone trailing `*` stays in its directory
    ("docs/*", "docs/a.md", true, true),
    ("docs/*", "docs/sub/a.md", false, false),
    ("/*", "a.md", true, true),
    ("/*", "a/b.md", false, false),
    ("/*/", "a/b.md", true, true),
    ("docs/*.md", "docs/a.md", true, true),
    ("docs/*.md", "docs/sub/a.md", false, false),
    ("f*", "foo/bar", true, true),
    ("f*", "bar/foo/baz", true, true),
    ("f*", "bar/baz", false, false),
    ("*", "any/thing/at/all", true, true),
    ("*", ".hidden", true, true),
    // `*.js` at any depth
    ("*.js", "a.js", true, true),
    ("*.js", "a/b/c.js", true, true),
    ("*.js", "a/b/c.jsx", false, false),
    // `**`
    ("**", "a/b/c", true, true),
    ("/docs/**", "docs/a/b.md", true, true),
    ("/docs/**", "docs", false, false),
    ("**/foo/bar", "foo/bar", true, true),
    ("**/foo/bar", "x/y/foo/bar/z", true, true),
    ("a/**/b", "a/b", true, true),
    ("a/**/b", "a/x/y/b", true, true),
    ("a/**/b", "a/x/y/c", false, false),
    ("/a/**/b.txt", "a/b.txt", true, true),
    ("/a/**/b.txt", "x/a/b.txt", false, false),
    ("a**b", "axyb", true, true),
    ("a**b", "ax/yb", false, false),
    ("?.rs", "a.rs", true, true),
    ("?.rs", "ab.rs", false, false),
    // escapes
    ("my\\ file.txt", "dir/my file.txt", true, true),
    ("my\\ dir/", "my dir/a", true, true),
    ("f\\*o", "f*o", true, true),
    ("f\\*o", "foo", false, false),
    ("{a,b}.md", "a.md", false, false),
    ("{a,b}.md", "{a,b}.md", true, true),
    // case sensitive on both hosts
    ("README.md", "readme.md", false, false),
    ("/Docs/", "docs/a.md", false, false),
];

#[test]
fn pattern_table_for_both_syntaxes() {
    let mut failures = Vec::new();
    for &(pattern, path, gh, gl) in TABLE {
        for (syntax, want) in [(Syntax::GitHub, gh), (Syntax::GitLab, gl)] {
            if owned(pattern, syntax, path) != want {
                failures.push(format!("{syntax:?} `{pattern}` on {path}: want {want}"));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn last_match_wins_and_ownerless_rules_unown() {
    let text = "*       @all\n/apps/  @apps\n/apps/github\n*.md    @docs\n";
    let co = CodeOwners::parse("CODEOWNERS", text, Syntax::GitHub);
    assert!(co.diagnostics().is_empty());
    assert_eq!(decided(&co, "apps/a.go"), (Some(2), vec!["@apps".into()]));
    let m = co.owners_of("apps/github/main.go");
    assert!(
        m.is_matched() && m.owners().is_empty(),
        "matched but un-owned"
    );
    assert!(
        m.explain().contains("line 3 `/apps/github` (no owners)"),
        "{}",
        m.explain()
    );
    assert_eq!(decided(&co, "apps/github/README.md").0, Some(4));
    let empty = CodeOwners::parse("C", "/only/ @x\n", Syntax::GitHub);
    assert!(!empty.owners_of("elsewhere.rs").is_matched());
}

#[test]
fn owners_of_all_kinds() {
    let text = "* @user @org/team someone@example.com\n";
    let co = CodeOwners::parse("C", text, Syntax::GitHub);
    assert_eq!(
        co.rules()[0].owners,
        vec![
            Owner::User("user".into()),
            Owner::Team("org/team".into()),
            Owner::Email("someone@example.com".into()),
        ]
    );
    let gl = CodeOwners::parse("C", "* @@maintainer @group/sub/nested\n", Syntax::GitLab);
    assert!(gl.diagnostics().is_empty(), "{:?}", gl.diagnostics());
    assert_eq!(gl.rules()[0].owners[0], Owner::Role("maintainer".into()));
    let gh = CodeOwners::parse("C", "* @@maintainer\n* @a/b/c\n", Syntax::GitHub);
    assert_eq!(gh.diagnostics().len(), 2);
}

const GITLAB: &str = "\
# outside any section: always applies
* @general

[Documentation] @docs-team
docs/
README.md
*.txt @writers

^[Database][2] @database-team
model/db/
config/db/database-setup.md @docs-team

[documentation]
/ee/docs/ @ee-docs
";

#[test]
fn gitlab_sections_defaults_optional_approvals() {
    assert_eq!(Syntax::detect(GITLAB), Syntax::GitLab);
    let co = CodeOwners::parse("CODEOWNERS", GITLAB, Syntax::GitLab);
    assert!(co.diagnostics().is_empty(), "{:?}", co.diagnostics());
    let secs = co.sections();
    assert_eq!(secs.len(), 2, "duplicate names (any case) are one section");
    assert_eq!(
        (secs[0].name.as_str(), secs[0].optional, secs[0].approvals),
        ("Documentation", false, 1)
    );
    assert_eq!(
        (secs[1].name.as_str(), secs[1].optional, secs[1].approvals),
        ("Database", true, 2)
    );

    // every section applies: the unnamed one and Documentation
    let m = co.owners_of("docs/guide.md");
    let owners: Vec<String> = m.owners().iter().map(|o| o.to_string()).collect();
    assert_eq!(owners, vec!["@general", "@docs-team"]);
    assert!(m.decisions[1].rule.inherited);
    assert!(
        m.explain()
            .contains("line 5 `docs/` in [Documentation] (section default owners)")
    );

    // explicit owners beat the defaults; floating `docs/` and `*.txt`
    assert_eq!(
        decided(&co, "a/b/notes.txt").1,
        vec!["@general", "@writers"]
    );
    // the later `[documentation]` header continues the same section: last match wins in it
    let ee = co.owners_of("ee/docs/x.md");
    assert_eq!(ee.decisions.len(), 2);
    assert_eq!(ee.decisions[1].rule.line, 14);
    assert_eq!(ee.owners()[1].to_string(), "@ee-docs");
    // optional section with approvals still owns
    let db = co.owners_of("model/db/schema.sql");
    assert_eq!(db.decisions[1].section.map(|s| s.optional), Some(true));
    assert_eq!(
        decided(&co, "config/db/database-setup.md").1,
        vec!["@general", "@docs-team"]
    );
    // only the unnamed section
    assert_eq!(
        decided(&co, "src/main.rs"),
        (Some(2), vec!["@general".into()])
    );
}

fn problems(text: &str, syntax: Syntax) -> Vec<(usize, Severity, Problem)> {
    let co = CodeOwners::parse("CODEOWNERS", text, syntax);
    co.diagnostics()
        .iter()
        .map(|d| (d.line, d.severity, d.problem.clone()))
        .collect()
}

#[test]
fn github_errors_name_the_line_and_skip_it() {
    let text = "* @ok\n!neg @a\n*.[ch] @a\n\\#x @a\n/docs/ @a # inline\n/x/ notanowner\n/ @a\n";
    let got = problems(text, Syntax::GitHub);
    let lines: Vec<usize> = got.iter().map(|g| g.0).collect();
    assert_eq!(lines, vec![2, 3, 4, 5, 6, 7], "{got:?}");
    assert!(got.iter().all(|g| g.1 == Severity::Error));
    assert_eq!(
        got[3].2,
        Problem::InvalidOwner("#".into()),
        "no inline comments on GitHub"
    );
    let co = CodeOwners::parse("CODEOWNERS", text, Syntax::GitHub);
    assert_eq!(
        co.rules().len(),
        1,
        "bad lines are skipped, the rest applies"
    );
    let shown = co.diagnostics()[0].to_string();
    assert!(shown.starts_with("CODEOWNERS:2: error: "), "{shown}");
}

#[test]
fn gitlab_errors_and_warnings() {
    let text = "[Unclosed\n[]\n[Docs][x]\n[Docs][0]\n[Docs]junk\n[Ok] bad-owner\nentry/\n!excluded @a\n[Fine] @f\nfine/\n";
    let got = problems(text, Syntax::GitLab);
    let summary: Vec<(usize, Severity)> = got.iter().map(|g| (g.0, g.1)).collect();
    assert_eq!(
        summary,
        vec![
            (1, Severity::Error),
            (2, Severity::Error),
            (3, Severity::Error),
            (4, Severity::Error),
            (5, Severity::Error),
            (6, Severity::Error),
            (7, Severity::Error),
            (8, Severity::Warning),
        ],
        "{got:?}"
    );
    assert_eq!(got[0].2, Problem::UnbalancedBracket);
    assert_eq!(
        got[6].2,
        Problem::MissingOwner,
        "[Ok] opened with no defaults"
    );
    let co = CodeOwners::parse("C", text, Syntax::GitLab);
    assert_eq!(decided(&co, "fine/x").1, vec!["@f"]);
}

#[test]
fn garbled_input_never_panics() {
    let seeds = [
        std::fs::read_to_string(corpus_file(ARGO)).expect("argo"),
        GITLAB.to_string(),
        "^[A][3] @a\n\\ \\\\ \\\n[[]]\n**/**/*** @x\n/a/**/ @b\n\u{feff}ü/ä @ö\n".to_string(),
    ];
    let specials = [
        '[', ']', '\\', '*', '/', '^', '@', '#', '!', '{', ' ', '\n', '\r', 'é',
    ];
    let mut state = 0x2545_f491_u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let probe = ["a", "docs/x.md", "a/b/c/d.txt", "é/ü", "[x]"];
    for seed in &seeds {
        let chars: Vec<char> = seed.chars().collect();
        for _ in 0..300 {
            let mut text: Vec<char> = chars[..(next() as usize % (chars.len() + 1))].to_vec();
            for _ in 0..(next() % 8) {
                if text.is_empty() {
                    break;
                }
                let i = next() as usize % text.len();
                text[i] = specials[next() as usize % specials.len()];
            }
            let text: String = text.into_iter().collect();
            for syntax in [Syntax::GitHub, Syntax::GitLab] {
                let co = CodeOwners::parse("fuzz", &text, syntax);
                for p in probe {
                    let m = co.owners_of(p);
                    let _ = (m.owners(), m.explain());
                }
                for d in co.diagnostics() {
                    assert!(d.line >= 1 && d.line <= text.lines().count(), "{d}");
                }
            }
        }
    }
}

#[test]
fn locate_follows_each_hosts_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    assert_eq!(locate(root), None);
    let write = |rel: &str| {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, "* @x\n").expect("write");
        p
    };
    let gitlab_dir = write(".gitlab/CODEOWNERS");
    assert_eq!(locate(root), Some(gitlab_dir.clone()));
    let docs = write("docs/CODEOWNERS");
    assert_eq!(locate(root), Some(docs.clone()));
    assert_eq!(locate_for(root, Syntax::GitLab), Some(docs));
    let top = write("CODEOWNERS");
    assert_eq!(locate(root), Some(top.clone()));
    let github = write(".github/CODEOWNERS");
    assert_eq!(locate(root), Some(github.clone()));
    assert_eq!(locate_for(root, Syntax::GitHub), Some(github.clone()));
    assert_eq!(locate_for(root, Syntax::GitLab), Some(top));
    // the directory says the syntax
    let co = CodeOwners::load(&gitlab_dir, None).expect("load");
    assert_eq!(co.syntax(), Syntax::GitLab);
    assert_eq!(
        CodeOwners::load(&github, None).expect("load").syntax(),
        Syntax::GitHub
    );
}
