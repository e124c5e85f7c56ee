//! Backstage catalogs: two fixture clones (a GitHub monorepo, a GitLab project) under
//! tests/fixtures/catalog, discovered and loaded from disk, asked who owns what and why; broken
//! documents; discovery's limits on a temporary tree.

use std::path::{Path, PathBuf};

use lastmile::owners::catalog::{
    Catalog, CatalogFile, MAX_FILE_BYTES, Problem, Severity, discover,
};

fn fixture(clone: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/catalog")
        .join(clone)
}

fn load(clone: &str) -> Catalog {
    let (cat, errors) = Catalog::load(&fixture(clone));
    assert!(errors.is_empty(), "{errors:?}");
    cat
}

/// (component, owner, scope) for compact assertions.
fn who(
    cat: &Catalog,
    repo: &str,
    url: Option<&str>,
    path: &str,
) -> Option<(String, String, String)> {
    cat.owner_of(repo, url, path).map(|m| {
        let owner = m
            .entity
            .owner
            .as_ref()
            .map_or("-".into(), |o| o.to_string());
        (m.entity.name.clone(), owner, m.scope)
    })
}

fn rel(root: &Path, paths: &[PathBuf]) -> Vec<String> {
    paths
        .iter()
        .map(|p| {
            p.strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect()
}

#[test]
fn discovers_every_catalog_file_in_path_order() {
    let root = fixture("platform");
    let found = rel(&root, &discover(&root));
    assert_eq!(
        found,
        [
            "apps/web/catalog-info.yml",
            "broken/catalog-info.yaml",
            "catalog-info.yaml",
            "services/bill/catalog-info.yaml",
            "services/billing/catalog-info.yaml",
            "services/billing/ledger/catalog-info.yaml",
            "templates/service/skeleton/catalog-info.yaml",
            "tools/deploy/catalog-info.yaml",
        ]
    );
}

#[test]
fn monorepo_owners_with_prefix_precedence() {
    let cat = load("platform");
    let t = |c: &str, o: &str, s: &str| Some((c.to_string(), o.to_string(), s.to_string()));
    let url = Some("git@github.com:acme/platform.git");
    // Source location scope, bare owner name is a group.
    assert_eq!(
        who(&cat, "platform", url, "services/billing/cmd/main.go"),
        t("billing-api", "group:payments", "services/billing")
    );
    // Nested component: its file's directory, longer than billing's scope.
    assert_eq!(
        who(&cat, "platform", url, "services/billing/ledger/post.go"),
        t("ledger", "user:jdoe", "services/billing/ledger")
    );
    // `services/bill` does not cover `services/billing`, and covers its own directory; the
    // owner names the `default` namespace, though the component is in `legacy`.
    assert_eq!(
        who(&cat, "platform", url, "services/bill/old.php"),
        t("bill-legacy", "group:legacy-team", "services/bill")
    );
    // A `.yml` file tied by managed-by-location.
    assert_eq!(
        who(&cat, "platform", url, "apps/web/src/App.tsx"),
        t("storefront", "group:web", "apps/web")
    );
    // The root component covers the rest.
    assert_eq!(
        who(&cat, "platform", url, "scripts/release.sh"),
        t("platform-monorepo", "group:platform-eng", "")
    );
    assert_eq!(
        who(&cat, "platform", url, "services/billingx/a.go"),
        t("platform-monorepo", "group:platform-eng", "")
    );
    // The deploy component belongs to acme/deployer: its directory falls to the root component.
    assert_eq!(
        who(&cat, "platform", url, "tools/deploy/run.sh"),
        t("platform-monorepo", "group:platform-eng", "")
    );
    // Slug comparison tolerates case, `.git`, an `org/` prefix, and a URL alone.
    for (name, url) in [
        ("Platform", None),
        ("acme/platform", None),
        ("local-name", Some("https://github.com/ACME/platform.git/")),
    ] {
        assert_eq!(
            who(&cat, name, url, "services/billing/x")
                .map(|w| w.0)
                .as_deref(),
            Some("billing-api"),
            "{name}"
        );
    }
}

#[test]
fn explanations_name_file_line_owner_system_and_link() {
    let cat = load("platform");
    let m = cat
        .owner_of("platform", None, "services/billing/api.go")
        .unwrap();
    assert_eq!(m.origin, "services/billing/catalog-info.yaml");
    assert_eq!(m.line(), 13);
    assert_eq!(
        m.explain(),
        "catalog `services/billing/catalog-info.yaml` line 13: component billing-api owned by \
         group:payments, system platform; covers `services/billing/` \
         (backstage.io/source-location line 7)"
    );
    let m = cat.owner_of("platform", None, "services/bill/x").unwrap();
    assert_eq!(
        m.explain(),
        "catalog `services/bill/catalog-info.yaml` line 11: component bill-legacy in namespace \
         legacy owned by group:legacy-team, system platform; covers `services/bill/` \
         (backstage.io/source-location line 7)"
    );
    let m = cat.owner_of("platform", None, "README.md").unwrap();
    assert!(
        m.explain()
            .ends_with("covers the whole repository (github.com/project-slug line 18)"),
        "{}",
        m.explain()
    );
}

#[test]
fn other_repositories_get_nothing() {
    let cat = load("platform");
    assert_eq!(
        who(
            &cat,
            "shop",
            Some("https://gitlab.com/retail/web/shop.git"),
            "services/billing/x"
        ),
        None
    );
    // ...except the component that says it is theirs, scoped to where its file sits.
    assert_eq!(
        who(&cat, "deployer", None, "tools/deploy/run.sh"),
        Some(("deployer".into(), "group:sre".into(), "tools/deploy".into()))
    );
    // Entities without repository annotations are this clone's, whatever it is called: the
    // broken file's first component.
    assert_eq!(
        who(&cat, "anything", None, "broken/x").map(|w| w.0),
        Some("escape-\u{1b}[31mred\u{1b}[0m".into())
    );
}

#[test]
fn gitlab_project_with_nested_groups() {
    let cat = load("shop");
    let url = Some("https://gitlab.com/retail/web/shop.git");
    let t = |c: &str, o: &str, s: &str| Some((c.to_string(), o.to_string(), s.to_string()));
    assert_eq!(
        who(&cat, "shop", url, "services/checkout/pay.rb"),
        t("checkout", "user:amy", "services/checkout")
    );
    assert_eq!(
        who(&cat, "shop", url, "app/models/cart.rb"),
        t("shop", "group:shop-team", "")
    );
    assert_eq!(
        who(&cat, "web/shop", None, "services/checkout/pay.rb")
            .map(|w| w.0)
            .as_deref(),
        Some("checkout")
    );
    assert_eq!(who(&cat, "retail/other/shop", None, "x"), None);
}

#[test]
fn every_kind_is_kept_with_its_refs() {
    let cat = load("platform");
    let kinds: Vec<(String, String)> = cat
        .files()
        .iter()
        .find(|f| f.origin() == "catalog-info.yaml")
        .unwrap()
        .entities()
        .iter()
        .map(|e| (e.kind.clone(), e.name.clone()))
        .collect();
    let want = [
        ("System", "platform"),
        ("Component", "platform-monorepo"),
        ("Group", "payments"),
        ("User", "jdoe"),
        ("Location", "platform-components"),
    ];
    assert_eq!(kinds, want.map(|(k, n)| (k.to_string(), n.to_string())));
    let system = cat.entities().find(|e| e.is_kind("system")).unwrap();
    assert_eq!(
        system.owner.as_ref().unwrap().to_string(),
        "group:platform-eng"
    );
    let storefront = cat.entities().find(|e| e.name == "storefront").unwrap();
    assert_eq!(
        storefront.system.as_ref().unwrap().to_string(),
        "system:platform"
    );
    let api = cat.entities().find(|e| e.is_kind("API")).unwrap();
    assert_eq!((api.name.as_str(), api.line), ("billing-api", 18));
}

#[test]
fn broken_documents_are_reported_and_the_rest_kept() {
    let cat = load("platform");
    let broken = cat
        .files()
        .iter()
        .find(|f| f.origin() == "broken/catalog-info.yaml")
        .unwrap();
    let names: Vec<&str> = broken.entities().iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["escape-\u{1b}[31mred\u{1b}[0m", "survivor"]);
    // Terminal escapes are kept as written: the display layer sanitizes.
    let first = &broken.entities()[0];
    assert_eq!(first.owner.as_ref().unwrap().name, "\u{1b}[2Jwiped");
    assert!(
        first
            .title
            .as_deref()
            .unwrap()
            .contains("\u{1b}]8;;https://evil.example")
    );
    assert!(broken.entities()[1].owner.is_none());

    let diags: Vec<String> = broken.diagnostics().iter().map(|d| d.to_string()).collect();
    assert_eq!(diags.len(), 4, "{diags:#?}");
    assert!(
        diags[0].starts_with("broken/catalog-info.yaml:15: error: invalid YAML"),
        "{}",
        diags[0]
    );
    assert_eq!(
        diags[1],
        "broken/catalog-info.yaml:18: error: the document is a sequence, not a mapping; skipped"
    );
    assert_eq!(
        diags[2],
        "broken/catalog-info.yaml:21: error: `metadata.name` is missing; the entity is skipped"
    );
    assert_eq!(
        diags[3],
        "broken/catalog-info.yaml:35: error: `spec.owner` must be a string, not a number"
    );

    let skeleton = cat
        .files()
        .iter()
        .find(|f| f.origin().starts_with("templates/"))
        .unwrap();
    assert!(skeleton.entities().is_empty());
    assert_eq!(skeleton.diagnostics()[0].problem, Problem::Template);
    assert_eq!(skeleton.diagnostics()[0].severity, Severity::Warning);

    // The good files are clean.
    let noisy: Vec<&str> = cat
        .files()
        .iter()
        .filter(|f| !f.diagnostics().is_empty())
        .map(|f| f.origin())
        .collect();
    assert_eq!(
        noisy,
        [
            "broken/catalog-info.yaml",
            "templates/service/skeleton/catalog-info.yaml"
        ]
    );
}

#[test]
fn hostile_input_never_panics() {
    let samples: Vec<String> = vec![
        String::new(),
        "\u{feff}".into(),
        "---\n---\n...\n".into(),
        "kind: Component\r\nmetadata:\r\n  name: crlf\r\nspec:\r\n  owner: a\r\n".into(),
        "{".repeat(300),
        "key: \"unterminated".into(),
        "!!binary x: y".into(),
        "&a [*a]".into(),
        "*nope".into(),
        "kind: !custom Component\nmetadata: !!map {name: tagged}\nspec: {owner: a}\n".into(),
        "kind: Component\nmetadata:\n  name: x\n  name: y\n".into(),
        "\0\u{7}\u{1b}".into(),
        format!(
            "kind: Component\nmetadata:\n  name: {}\n",
            "n".repeat(100_000)
        ),
        "---\nkind: Component\n".repeat(2000),
    ];
    for s in &samples {
        let f = CatalogFile::parse("x/catalog-info.yaml", s);
        for d in f.diagnostics() {
            assert_ne!(d.problem, Problem::Internal, "{s:?}");
            assert!(d.line >= 1, "{d}");
            assert!(d.to_string().len() < 400, "{d}");
        }
    }
    let f = CatalogFile::parse("x", &samples[3]);
    assert_eq!(f.entities()[0].name, "crlf");
    let f = CatalogFile::parse("x", &samples[9]);
    assert_eq!(f.entities()[0].name, "tagged");
    let f = CatalogFile::parse("x", &samples[13]);
    assert!(
        f.diagnostics()
            .iter()
            .any(|d| d.problem == Problem::TooManyDocuments)
    );
}

#[test]
fn discovery_skips_dependencies_symlinks_and_huge_files() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("clone");
    let outside = tmp.path().join("outside");
    let text = std::fs::read_to_string(fixture("shop").join("catalog-info.yaml")).unwrap();
    for dir in [
        "",
        "a/b",
        "node_modules/pkg",
        "vendor/x",
        "target/debug",
        ".git/x",
        "deep/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/17",
    ] {
        std::fs::create_dir_all(root.join(dir)).unwrap();
        std::fs::write(root.join(dir).join("catalog-info.yaml"), &text).unwrap();
    }
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("catalog-info.yaml"), &text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::symlink;
        symlink(&outside, root.join("linked-dir")).unwrap();
        std::fs::create_dir_all(root.join("c")).unwrap();
        symlink(
            outside.join("catalog-info.yaml"),
            root.join("c/catalog-info.yaml"),
        )
        .unwrap();
        std::fs::create_dir_all(root.join("d")).unwrap();
        symlink(
            root.join("a/b/catalog-info.yaml"),
            root.join("d/catalog-info.yml"),
        )
        .unwrap();
        symlink(&root, root.join("a/loop")).unwrap();
    }
    let found = rel(&root, &discover(&root));
    let mut want = vec!["a/b/catalog-info.yaml", "catalog-info.yaml"];
    if cfg!(unix) {
        want.push("d/catalog-info.yml");
    }
    assert_eq!(found, want);

    std::fs::write(
        root.join("a/b/catalog-info.yaml"),
        " ".repeat(MAX_FILE_BYTES as usize),
    )
    .unwrap();
    let (cat, errors) = Catalog::load(&root);
    assert_eq!(errors.len(), if cfg!(unix) { 2 } else { 1 }, "{errors:?}");
    assert!(errors[0].to_string().contains("bytes"));
    assert_eq!(cat.files().len(), 1);
    assert!(discover(&tmp.path().join("missing")).is_empty());
}
