//! Routing from the command line, end to end on the real binary: suggestions with reasons,
//! applying them, a manual assignment standing, and rerouting when someone leaves.

mod support;

use serde_json::Value;
use std::path::Path;
use support::cli_env::Env;
use support::git::git;

const ROSTER: &str = r#"
[[repos]]
name = "shop"
path = "CLONE"

[[teams]]
name = "payments"
champion = "cam"
lead = "lee"
tickets = { tracker = "jira", project = "PAY" }
[[teams]]
name = "web"
champion = "wen"
[[teams]]
name = "appsec"
champion = "sec"

[[people]]
handle = "cam"
team = "payments"
CAM_LEFT
[[people]]
handle = "lee"
team = "payments"
[[people]]
handle = "wen"
team = "web"
[[people]]
handle = "sec"
team = "appsec"

[routing]
catch_all = "appsec"
"#;

/// A SARIF report with one result per (rule, path, line).
fn sarif(results: &[(&str, &str, u32)]) -> String {
    let results: Vec<Value> = results
        .iter()
        .map(|(rule, path, line)| {
            serde_json::json!({
                "ruleId": rule,
                "level": "error",
                "message": { "text": format!("{rule} in {path}") },
                "locations": [{ "physicalLocation": {
                    "artifactLocation": { "uri": path },
                    "region": { "startLine": line, "endLine": line + 2 }
                }}]
            })
        })
        .collect();
    serde_json::json!({
        "version": "2.1.0",
        "runs": [{ "tool": { "driver": { "name": "semgrep" } }, "results": results }]
    })
    .to_string()
}

/// Imports a report of these (rule, path, line) results into repo "shop".
fn import(env: &Env, results: &[(&str, &str, u32)]) {
    let report = env.dir.path().join("r.sarif");
    std::fs::write(&report, sarif(results)).unwrap();
    env.import_json(&report, "shop");
}

fn write_config(env: &Env, clone: &Path, cam_left: Option<&str>) {
    let dir = env.dir.path().join("config/lastmile");
    std::fs::create_dir_all(&dir).unwrap();
    let text = ROSTER.replace("CLONE", clone.to_str().unwrap()).replace(
        "CAM_LEFT",
        &cam_left
            .map(|d| format!("left = \"{d}\""))
            .unwrap_or_default(),
    );
    std::fs::write(dir.join("config.toml"), text).unwrap();
}

fn route_json(env: &Env, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["route", "--format", "json"];
    all.extend_from_slice(args);
    serde_json::from_str::<Value>(&env.ok(&all))
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn by_path<'a>(rows: &'a [Value], path: &str) -> &'a Value {
    rows.iter()
        .find(|r| r["path"] == path)
        .unwrap_or_else(|| panic!("no row for {path} in {rows:?}"))
}

fn ids(env: &Env, query: &str) -> Vec<i64> {
    env.findings(query)
        .iter()
        .map(|f| f["id"].as_i64().unwrap())
        .collect()
}

fn events(env: &Env) -> usize {
    env.ok(&["audit", "verify"])
        .split_whitespace()
        .find_map(|w| w.parse::<usize>().ok())
        .unwrap()
}

#[test]
fn route_suggests_with_reasons_applies_and_respects_people() {
    let env = Env::new();
    let clone = env.dir.path().join("shop");
    std::fs::create_dir_all(clone.join(".github")).unwrap();
    std::fs::write(
        clone.join(".github/CODEOWNERS"),
        "# shop\n*  @acme/web\n/billing/  @acme/payments\n/vendor/\n",
    )
    .unwrap();
    write_config(&env, &clone, None);
    import(
        &env,
        &[
            ("sqli", "billing/pay.py", 10),
            ("xss", "web/app.js", 3),
            ("proto", "vendor/lib.js", 7),
        ],
    );
    let before = events(&env);

    // Suggestions only: nothing written.
    let rows = route_json(&env, &[]);
    assert_eq!(rows.len(), 3);
    // A query that names a status (here by its alias) is taken as it is.
    assert_eq!(route_json(&env, &["--query", "is:open"]).len(), 3);
    let pay = by_path(&rows, "billing/pay.py");
    assert_eq!(pay["person"], "cam", "{pay}");
    assert_eq!(pay["team"], "payments");
    assert_eq!(pay["confidence"], "medium");
    assert_eq!(pay["tickets"]["project"], "PAY");
    assert_eq!(pay["action"]["action"], "assign");
    assert_eq!(
        pay["reasons"],
        serde_json::json!([
            "team payments (.github/CODEOWNERS `/billing/` line 3)",
            "champion @cam"
        ])
    );
    let web = by_path(&rows, "web/app.js");
    assert_eq!(
        (web["person"].as_str(), web["team"].as_str()),
        (Some("wen"), Some("web"))
    );
    // `/vendor/` un-owns the folder: the catch-all takes it.
    let vendor = by_path(&rows, "vendor/lib.js");
    assert_eq!(vendor["person"], "sec", "{vendor}");
    assert_eq!(vendor["confidence"], "low");
    assert_eq!(events(&env), before, "route without --apply writes nothing");

    // Applying assigns each with an event; a second run finds nothing to do.
    let out = env.ok(&["route", "--apply"]);
    assert!(out.contains("3 findings: 3 assigned"), "{out}");
    assert!(
        out.contains("champion @cam"),
        "the reasons are printed: {out}"
    );
    assert_eq!(events(&env), before + 3);
    let pay_id = ids(&env, "owner:cam")[0];
    assert_eq!(ids(&env, "team:payments"), vec![pay_id]);
    let out = env.ok(&["route", "--apply"]);
    assert!(out.contains("0 assigned, 3 unchanged"), "{out}");
    assert_eq!(events(&env), before + 3);

    // A person's assignment stands against routing, until forced.
    let id = pay_id.to_string();
    let out = env.ok(&[
        "assign",
        &id,
        "--to",
        "lee",
        "--reason",
        "wrote the retry logic",
    ]);
    assert!(
        out.contains("1 of 1 findings assigned to @lee (payments)"),
        "{out}"
    );
    let rows = route_json(&env, &["--apply", &id]);
    assert_eq!(rows[0]["action"]["action"], "keep-manual", "{:?}", rows[0]);
    assert_eq!(ids(&env, "owner:lee"), vec![pay_id]);
    let shown = env.ok(&["show", &id]);
    assert!(shown.contains("wrote the retry logic"), "{shown}");

    // cam leaves: what they own is listed for rerouting, and --apply moves it (the manual
    // assignment to lee is not cam's, so it stays).
    env.ok(&["assign", &id, "--to", "cam"]);
    write_config(&env, &clone, Some("2026-01-31"));
    let rows = route_json(&env, &["--left"]);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(
        rows[0]["reasons"][0], "owner @cam left 2026-01-31",
        "{:?}",
        rows[0]
    );
    assert_eq!(
        rows[0]["person"], "lee",
        "the lead stands in for a departed champion"
    );
    let out = env.ok(&["route", "--left", "--apply"]);
    assert!(out.contains("1 findings: 1 assigned"), "{out}");
    assert_eq!(ids(&env, "owner:lee"), vec![pay_id]);
    assert!(ids(&env, "owner:cam").is_empty());

    // --force overrides a person's choice.
    env.ok(&["assign", &id, "--to", "wen", "--team", "web"]);
    let out = env.ok(&["route", "--apply", &id]);
    assert!(out.contains("1 kept"), "{out}");
    let out = env.ok(&["route", "--apply", "--force", &id]);
    assert!(out.contains("1 assigned"), "{out}");
    assert_eq!(ids(&env, "owner:lee"), vec![pay_id]);
    env.ok(&["audit", "verify"]);
}

#[test]
fn assign_refuses_strangers_and_people_who_left() {
    let env = Env::new();
    let clone = env.dir.path().join("shop");
    std::fs::create_dir_all(&clone).unwrap();
    write_config(&env, &clone, Some("2026-01-31"));
    import(&env, &[("sqli", "a.py", 1)]);
    let before = events(&env);
    for (args, says) in [
        (
            vec!["assign", "1", "--to", "nobody"],
            "'nobody' is not in the roster",
        ),
        (
            vec!["assign", "1", "--to", "cam"],
            "@cam left on 2026-01-31",
        ),
        (
            vec!["assign", "1", "--team", "ghosts"],
            "'ghosts' is not a team",
        ),
        (vec!["assign", "1"], "nothing to do"),
    ] {
        let out = env.run(&args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
    }
    assert_eq!(events(&env), before);
}

#[test]
fn a_backstage_catalog_claims_its_component_in_the_configured_order() {
    let env = Env::new();
    let clone = env.dir.path().join("shop");
    std::fs::create_dir_all(clone.join("services/orders")).unwrap();
    std::fs::write(clone.join("CODEOWNERS"), "*  @acme/web\n").unwrap();
    std::fs::write(
        clone.join("services/orders/catalog-info.yaml"),
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: orders\n\
         spec:\n  type: service\n  lifecycle: production\n  owner: group:default/payments\n",
    )
    .unwrap();
    write_config(&env, &clone, None);
    import(
        &env,
        &[
            ("sqli", "services/orders/db.py", 4),
            ("xss", "web/app.js", 3),
        ],
    );
    // By default CODEOWNERS comes first: its `*` rule claims everything.
    let rows = route_json(&env, &[]);
    assert_eq!(by_path(&rows, "services/orders/db.py")["team"], "web");

    // Catalogs first: the component's owner takes its folder.
    let cfg = env.dir.path().join("config/lastmile/config.toml");
    let text = std::fs::read_to_string(&cfg).unwrap().replace(
        "[routing]\n",
        "[routing]\norder = [\"catalog\", \"codeowners\"]\n",
    );
    std::fs::write(&cfg, text).unwrap();
    let rows = route_json(&env, &[]);
    let orders = by_path(&rows, "services/orders/db.py");
    assert_eq!(orders["team"], "payments", "{orders}");
    assert_eq!(
        orders["reasons"][0],
        "team payments (catalog `services/orders/catalog-info.yaml` line 8: component orders)"
    );
    assert_eq!(by_path(&rows, "web/app.js")["team"], "web");
}

#[test]
fn blame_routes_to_the_recent_author_and_past_one_who_left() {
    let env = Env::new();
    let clone = env.dir.path().join("shop");
    std::fs::create_dir_all(clone.join("billing")).unwrap();
    let dev1 = ("Dev One", "dev1@acme.io");
    let wen = ("Wen Web", "wen@acme.io");
    // Recent dates, so neither author is past blame_max_age_days.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    git(
        &clone,
        dev1,
        now - 86_400 * 40,
        &["init", "-q", "-b", "main"],
    );
    let body: String = (1..=20)
        .map(|i| format!("charge_{i} = compute_amount_{i}(order, currency)\n"))
        .collect();
    std::fs::write(clone.join("billing/pay.py"), &body).unwrap();
    std::fs::write(clone.join("CODEOWNERS"), "/billing/  @acme/payments\n").unwrap();
    git(&clone, dev1, now - 86_400 * 40, &["add", "-A"]);
    git(
        &clone,
        dev1,
        now - 86_400 * 40,
        &["commit", "-q", "-m", "billing"],
    );
    let edited = body.replace(
        "charge_15 = compute_amount_15",
        "charge_15 = safe_amount_15",
    );
    std::fs::write(clone.join("billing/pay.py"), edited).unwrap();
    git(
        &clone,
        wen,
        now - 86_400 * 3,
        &["commit", "-q", "-am", "fix 15"],
    );

    write_config(&env, &clone, None);
    let cfg = env.dir.path().join("config/lastmile/config.toml");
    let text = std::fs::read_to_string(&cfg).unwrap()
        + "\n[[people]]\nhandle = \"dev1\"\nname = \"Dev One\"\nemails = [\"dev1@acme.io\"]\n\
           team = \"web\"\nleft = \"2026-05-01\"\n";
    let text = text.replace(
        "handle = \"wen\"\n",
        "handle = \"wen\"\nemails = [\"wen@acme.io\"]\n",
    );
    std::fs::write(&cfg, text).unwrap();
    import(
        &env,
        &[
            ("sqli", "billing/pay.py", 3),
            ("sqli2", "billing/pay.py", 14),
        ],
    );
    let rows = route_json(&env, &[]);
    let at = |line: i64| rows.iter().find(|r| r["line"] == line).unwrap().clone();
    // Lines 3-5: Dev One's, who left: the owning team's champion.
    let old = at(3);
    assert_eq!(old["person"], "cam", "{old}");
    assert_eq!(old["reasons"][0], "blame @dev1 (left 2026-05-01)", "{old}");
    // Lines 14-16 include Wen's edit of line 15: the most recent author takes it.
    let new = at(14);
    assert_eq!(new["person"], "wen", "{new}");
    assert_eq!(new["team"], "payments", "the code's owners keep the ticket");
    assert_eq!(new["confidence"], "high");
    assert!(
        new["reasons"][0]
            .as_str()
            .unwrap()
            .starts_with("blame @wen (1 line, "),
        "{new}"
    );
    // The second run reads blame from the cache, with the same answer.
    assert_eq!(route_json(&env, &[]), rows);
}

#[test]
fn an_oversized_codeowners_is_a_warning_and_routing_goes_on() {
    let env = Env::new();
    let clone = env.dir.path().join("shop");
    std::fs::create_dir_all(&clone).unwrap();
    std::fs::write(clone.join("CODEOWNERS"), "* @acme/web\n".repeat(300_000)).unwrap();
    write_config(&env, &clone, None);
    import(&env, &[("sqli", "a.py", 1)]);
    let out = env.run(&["route", "--format", "json"]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("CODEOWNERS files must be under"),
        "the warning names the limit: {err}"
    );
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows[0]["team"], "appsec", "the catch-all takes it");
}
