//! Triage from the command line, end to end on the real binary and corpus.

mod support;

use serde_json::Value;
use support::cli_env::Env;

#[test]
fn triage_from_the_cli_with_an_approval_gate_and_enrichment() {
    let env = Env::new();
    let config = env.dir.path().join("team.toml");
    std::fs::write(
        &config,
        "[[people]]\nhandle = \"ann\"\n[[people]]\nhandle = \"lee\"\n",
    )
    .unwrap();
    let cfg = config.to_str().unwrap();
    let report = support::corpus().join("sarif/samples/defectdojo__dependency_check.sarif");
    env.import_json(&report, "webgoat");
    // The built-in lanes: nothing is in KEV yet, so nothing is exploitable.
    assert!(env.findings("lane:exploitable").is_empty());
    let kev = support::corpus().join("../enrichment/kev/known_exploited_vulnerabilities.json");
    let out = env.ok(&["--config", cfg, "enrich", "--kev", kev.to_str().unwrap()]);
    assert!(out.contains("KEV 1404 entries"), "{out}");
    let exploitable = env.findings("kev:yes");
    assert!(!exploitable.is_empty(), "CVE-2020-11023 is in KEV");
    for f in &exploitable {
        assert_eq!(f["lane"], "exploitable", "{f}");
    }
    let id = exploitable[0]["id"].as_i64().unwrap().to_string();

    // Accepting risk in the exploitable lane waits for a second person.
    let accept = [
        "--config",
        cfg,
        "--as",
        "ann",
        "triage",
        &id,
        "--decide",
        "accept-risk",
        "--until",
        "2099-01-01",
        "--control",
        "not deployed anywhere",
        "--reason",
        "sample project",
    ];
    let out = env.ok(&accept);
    assert!(out.contains("waits for approval"), "{out}");
    let waiting = env.ok(&["--config", cfg, "--as", "lee", "approvals"]);
    assert!(
        waiting.contains("accept-risk") && waiting.contains("ann"),
        "{waiting}"
    );
    let own = env.run(&["--config", cfg, "--as", "ann", "approve", &id]);
    assert_eq!(own.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&own.stdout).contains("your own"));
    let out = env.ok(&["--config", cfg, "--as", "lee", "approve", &id]);
    assert!(out.contains("open -> accepted_risk"), "{out}");

    // A decision without what it needs is refused, naming what is missing.
    let out = env.run(&[
        "--as", "ann", "triage", &id, "--decide", "defer", "--reason", "x",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--until"));

    // A bad EPSS file is refused with its line, and nothing changes.
    let before = env.ok(&["findings", "--format", "json", "--limit", "1000"]);
    let bad = env.dir.path().join("epss.csv");
    std::fs::write(&bad, "cve,epss,percentile\nCVE-2020-11023,1.7,0.9\n").unwrap();
    let out = env.run(&["enrich", "--epss", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("epss.csv") && err.contains("line 2"), "{err}");
    assert_eq!(
        env.ok(&["findings", "--format", "json", "--limit", "1000"]),
        before
    );

    let out = env.ok(&["tick"]);
    assert!(out.contains("0 expired"), "{out}");

    // The lanes overview counts the open work per lane; the pending acceptance was approved,
    // so nothing waits.
    let lanes: Value =
        serde_json::from_str(&env.ok(&["--config", cfg, "lanes", "--format", "json"])).unwrap();
    let lanes = lanes.as_array().unwrap();
    let names: Vec<&str> = lanes.iter().map(|l| l["lane"].as_str().unwrap()).collect();
    assert_eq!(
        &names[..4],
        ["exploitable", "high", "medium", "low"],
        "{lanes:?}"
    );
    let active: u64 = lanes.iter().map(|l| l["active"].as_u64().unwrap()).sum();
    assert_eq!(active as usize, env.findings("is:active").len());
    assert!(lanes.iter().all(|l| l["pending"] == 0), "{lanes:?}");
}

#[test]
fn saved_views_apply_their_query_and_sort_and_unknown_ones_are_named() {
    let env = Env::new();
    let config = env.dir.path().join("views.toml");
    std::fs::write(
        &config,
        "[[views]]\nname = \"risky\"\nquery = \"is:active\"\nsort = \"-risk\"\n",
    )
    .unwrap();
    let cfg = config.to_str().unwrap();
    env.import_json(
        &support::corpus().join("sarif/real/bandit-pygoat-7afef1ab.sarif"),
        "pygoat",
    );
    let out = env.ok(&[
        "--config", cfg, "findings", "--view", "risky", "--format", "json", "--limit", "1000",
    ]);
    let rows: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(rows.len(), env.findings("is:active").len());
    let risks: Vec<f64> = rows.iter().map(|r| r["risk"].as_f64().unwrap()).collect();
    assert!(
        risks.windows(2).all(|w| w[0] >= w[1]),
        "sorted by risk: {risks:?}"
    );
    // The view's query and --query both apply.
    let out = env.ok(&[
        "--config", cfg, "findings", "--view", "risky", "-q", "sev:high", "--format", "json",
    ]);
    let rows: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert!(rows.iter().all(|r| r["severity"] == "high"), "{rows:?}");
    let out = env.run(&["--config", cfg, "findings", "--view", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("views: risky"));
}
