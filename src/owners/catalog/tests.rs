use super::parse::split_documents;
use super::repo::{normalize_slug, parse_location, parse_slug, slug_matches, url_slug};
use super::*;

const BILLING: &str = "\
# billing service
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: billing-api
  annotations:
    github.com/project-slug: acme/platform
spec:
  type: service
  lifecycle: production
  owner: payments
  system: billing
";

fn one(text: &str) -> CatalogFile {
    CatalogFile::parse("services/billing/catalog-info.yaml", text)
}

#[test]
fn reads_a_component_with_lines() {
    let f = one(BILLING);
    assert!(f.diagnostics().is_empty(), "{:?}", f.diagnostics());
    let e = &f.entities()[0];
    assert_eq!(
        (e.kind.as_str(), e.name.as_str()),
        ("Component", "billing-api")
    );
    assert_eq!(e.namespace, "default");
    assert_eq!(
        e.owner.as_ref().map(|o| o.to_string()).as_deref(),
        Some("group:payments")
    );
    assert_eq!(
        e.system.as_ref().map(|o| o.to_string()).as_deref(),
        Some("system:billing")
    );
    assert_eq!((e.line, e.owner_line), (2, Some(11)));
    assert_eq!(e.links[0].line, 7);
    assert_eq!(
        e.annotation("github.com/project-slug"),
        Some("acme/platform")
    );
    assert_eq!(f.dir(), "services/billing");
}

#[test]
fn entity_refs_in_every_form() {
    let cases = [
        ("payments", "group", "default", "payments"),
        ("group:payments", "group", "default", "payments"),
        ("Group:default/payments", "group", "default", "payments"),
        ("user:jdoe", "user", "default", "jdoe"),
        ("default/payments", "group", "default", "payments"),
        ("ops/payments", "group", "ops", "payments"),
        ("user:corp/j.doe", "user", "corp", "j.doe"),
    ];
    for (text, kind, ns, name) in cases {
        let r = EntityRef::parse(text, "group", "default").expect(text);
        assert_eq!(
            (r.kind.as_str(), r.namespace.as_str(), r.name.as_str()),
            (kind, ns, name)
        );
    }
    // The referring entity's namespace is the default.
    let r = EntityRef::parse("payments", "group", "ops").unwrap();
    assert_eq!(r.to_string(), "group:ops/payments");
    for bad in ["", "group:", ":x", "a/b/c", "/x", "group:ns/"] {
        assert!(EntityRef::parse(bad, "group", "default").is_err(), "{bad}");
    }
}

#[test]
fn splits_documents_at_markers_only() {
    let text =
        "# lead comment\n---\na: 1\n---\nb: |\n  ---not a marker\n...\n%YAML 1.2\n---\nc: 3\n";
    let docs = split_documents(text);
    let firsts: Vec<usize> = docs.iter().map(|d| d.0).collect();
    assert_eq!(firsts, [1, 4, 8]);
    assert!(docs[1].1.contains("---not a marker"));
    assert!(split_documents("# only a comment\n").is_empty());
    assert_eq!(split_documents("a: 1").len(), 1);
}

#[test]
fn one_broken_document_keeps_the_others() {
    let text = format!(
        "{BILLING}---\nkind: [unclosed\n---\n{}",
        BILLING.replace("billing-api", "ledger")
    );
    let f = one(&text);
    let names: Vec<&str> = f.entities().iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["billing-api", "ledger"]);
    assert_eq!(f.diagnostics().len(), 1, "{:?}", f.diagnostics());
    let d = &f.diagnostics()[0];
    assert!(matches!(d.problem, Problem::Yaml(_)));
    assert!((14..=15).contains(&d.line), "{d}");
    // The third document's lines are those of the file.
    assert_eq!(f.entities()[1].line, 17);
}

#[test]
fn shapes_that_are_not_entities() {
    let text = "- a\n- b\n---\nplain scalar\n---\nkind: Component\n---\nkind: Component\nmetadata: []\n---\nkind: 7\nmetadata: {name: x}\n---\napiVersion: v1\nkind: Component\nmetadata:\n  name: {a: 1}\n";
    let f = one(text);
    assert!(f.entities().is_empty());
    let got: Vec<(usize, String)> = f
        .diagnostics()
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| (d.line, d.problem.to_string()))
        .collect();
    let want = [
        (1, "the document is a sequence, not a mapping; skipped"),
        (4, "the document is a string, not a mapping; skipped"),
        (6, "`metadata` is missing; the entity is skipped"),
        (9, "`metadata` must be a mapping, not a sequence"),
        (11, "`kind` must be a string, not a number"),
        (17, "`metadata.name` must be a string, not a mapping"),
    ];
    let want: Vec<(usize, String)> = want.iter().map(|(l, s)| (*l, s.to_string())).collect();
    assert_eq!(got, want);
}

#[test]
fn field_problems_keep_the_entity() {
    let text = "\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: odd
  annotations:
    github.com/project-slug: not-a-slug
    backstage.io/source-location: url:ftp://nowhere
    count: 3
spec:
  owner: group:a/b/c
  system: [x]
";
    let f = one(text);
    assert_eq!(f.entities().len(), 1);
    let e = &f.entities()[0];
    assert!(e.owner.is_none() && e.system.is_none() && e.links.is_empty());
    let lines: Vec<usize> = f.diagnostics().iter().map(|d| d.line).collect();
    assert_eq!(lines, [8, 10, 11, 6, 7], "{:?}", f.diagnostics());
}

#[test]
fn component_without_owner_is_an_error_but_kept() {
    let f = one("apiVersion: x\nkind: Component\nmetadata:\n  name: lonely\n");
    assert_eq!(f.entities().len(), 1);
    assert!(matches!(
        f.diagnostics()[0].problem,
        Problem::NoOwner { .. }
    ));
    // Other kinds need no owner.
    let f = one(
        "apiVersion: x\nkind: Location\nmetadata:\n  name: root\nspec:\n  targets: [./a/catalog-info.yaml]\n",
    );
    assert!(f.diagnostics().is_empty(), "{:?}", f.diagnostics());
}

#[test]
fn template_skeletons_and_duplicates_are_warnings() {
    let skeleton = "apiVersion: x\nkind: Component\nmetadata:\n  name: ${{ values.name }}\nspec:\n  owner: ${{ values.owner }}\n";
    let f = one(skeleton);
    assert!(f.entities().is_empty());
    assert_eq!(f.diagnostics()[0].problem, Problem::Template);
    let f = one(&format!(
        "{BILLING}---\n{}",
        BILLING.replace("billing-api", "Billing-API")
    ));
    assert_eq!(f.entities().len(), 2);
    assert_eq!(f.diagnostics()[0].severity, Severity::Warning);
    assert_eq!(f.diagnostics()[0].line, 15);
}

#[test]
fn slugs_and_locations() {
    assert_eq!(normalize_slug(" /Acme/Platform.git/ "), "acme/platform");
    assert!(parse_slug(PROJECT_SLUG_GITHUB, "a/b/c", 1).is_none());
    assert!(parse_slug(PROJECT_SLUG_GITLAB, "a/b/c", 1).is_some());
    let cases = [
        (
            "url:https://github.com/acme/platform/tree/main/services/billing/",
            "acme/platform",
            "services/billing",
        ),
        (
            "url:https://github.com/acme/platform/tree/main/",
            "acme/platform",
            "",
        ),
        ("url:https://github.com/acme/platform", "acme/platform", ""),
        (
            "url:https://github.com/acme/platform/blob/main/svc/a/catalog-info.yaml",
            "acme/platform",
            "svc/a",
        ),
        (
            "url:https://gitlab.com/grp/sub/repo/-/tree/main/apps/web",
            "grp/sub/repo",
            "apps/web",
        ),
        (
            "url:https://gitlab.example.com/grp/repo/-/blob/dev/x/catalog-info.yaml",
            "grp/repo",
            "x",
        ),
        (
            "https://bitbucket.org/ws/repo/src/main/lib/",
            "ws/repo",
            "lib",
        ),
        (
            "url:https://github.com/acme/platform/tree/main/my%20dir?x=1#y",
            "acme/platform",
            "my dir",
        ),
    ];
    for (value, slug, path) in cases {
        let l = parse_location(SOURCE_LOCATION, value, 1).expect(value);
        assert_eq!(
            (l.slug.as_str(), l.path.as_deref()),
            (slug, Some(path)),
            "{value}"
        );
    }
    for bad in [
        "url:https://github.com/acme",
        "url:file:///x",
        "url:",
        "dir:.",
    ] {
        assert!(parse_location(SOURCE_LOCATION, bad, 1).is_none(), "{bad}");
    }
}

#[test]
fn repository_identity() {
    assert_eq!(
        url_slug("git@github.com:Acme/Platform.git").as_deref(),
        Some("acme/platform")
    );
    assert_eq!(
        url_slug("https://gitlab.com/g/s/r.git/").as_deref(),
        Some("g/s/r")
    );
    assert_eq!(url_slug("ssh://git@host:22/g/r").as_deref(), Some("g/r"));
    assert_eq!(
        url_slug("https://gitlab.com/g/s/r/-/tree/main").as_deref(),
        Some("g/s/r")
    );
    assert!(slug_matches("acme/platform", "platform", None));
    assert!(slug_matches("acme/platform", "Acme/Platform", None));
    assert!(slug_matches("g/s/r", "s/r", None));
    assert!(slug_matches(
        "acme/platform",
        "local-alias",
        Some("acme/platform")
    ));
    assert!(!slug_matches("acme/platform", "form", None));
    assert!(!slug_matches("acme/platform", "other", Some("acme/other")));
}

#[test]
fn scope_boundaries_are_path_segments() {
    let f = CatalogFile::parse(
        "svc/bill/catalog-info.yaml",
        &BILLING.replace("acme/platform", "acme/mono"),
    );
    let cat = Catalog::new(vec![f]);
    assert!(cat.owner_of("mono", None, "svc/bill/main.go").is_some());
    assert!(cat.owner_of("mono", None, "./svc/bill/x/y.rs").is_some());
    assert!(cat.owner_of("mono", None, "svc/billing/main.go").is_none());
    assert!(cat.owner_of("mono", None, "svc/main.go").is_none());
    assert!(cat.owner_of("other", None, "svc/bill/main.go").is_none());
}

#[test]
fn deep_nesting_is_refused_not_a_crash() {
    let deep = format!("x:\n{}a\n", "- ".repeat(5000));
    let f = one(&deep);
    assert_eq!(f.diagnostics()[0].problem, Problem::TooDeep);
    assert_eq!(f.diagnostics()[0].line, 2);
    // Within the limit the deepest shapes parse (and drop) fine on a test thread's stack:
    // one level per column of mapping indentation, with flow nesting on top.
    let seq = format!("{}a\n", "- ".repeat(MAX_INDENT / 2));
    let map: String = (0..MAX_INDENT)
        .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
        .collect();
    let map = format!(
        "{map}{}{}x{}\n",
        " ".repeat(MAX_INDENT),
        "[".repeat(250),
        "]".repeat(250)
    );
    for text in [seq, map] {
        let f = one(&text);
        assert!(
            matches!(
                f.diagnostics()[0].problem,
                Problem::NotAMapping(_) | Problem::Missing(_)
            ),
            "{:?}",
            f.diagnostics()
        );
    }
    let bomb = "a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n";
    let f = one(bomb);
    assert!(
        matches!(f.diagnostics()[0].problem, Problem::Yaml(_)),
        "{:?}",
        f.diagnostics()
    );
}

#[test]
fn ties_go_to_the_first_in_file_order() {
    let a = "apiVersion: x\nkind: Component\nmetadata:\n  name: first\nspec:\n  owner: a\n";
    let text = format!(
        "{a}---\n{}",
        a.replace("first", "second").replace("owner: a", "owner: b")
    );
    let cat = Catalog::new(vec![CatalogFile::parse("lib/catalog-info.yaml", &text)]);
    let m = cat.owner_of("any", None, "lib/x.rs").unwrap();
    assert_eq!(
        (m.entity.name.as_str(), m.scope.as_str(), m.via),
        ("first", "lib", None)
    );
    assert!(
        m.explain()
            .ends_with("covers `lib/` (catalog file in this repository)"),
        "{}",
        m.explain()
    );
    // Only components cover paths.
    let cat = Catalog::new(vec![CatalogFile::parse(
        "catalog-info.yaml",
        &text.replace("Component", "API"),
    )]);
    assert!(cat.owner_of("any", None, "x").is_none());
}

#[test]
fn crlf_and_bom() {
    let f = one(&format!("\u{feff}{}", BILLING.replace('\n', "\r\n")));
    assert!(f.diagnostics().is_empty(), "{:?}", f.diagnostics());
    assert_eq!(
        (f.entities()[0].line, f.entities()[0].owner_line),
        (2, Some(11))
    );
}
