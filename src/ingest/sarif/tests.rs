//! Parser behaviour on small inline logs: key order, buffering, precedence rules.

use super::{Limits, parse, parse_with_limits};
use crate::ingest::{ImportEvent, ImportedFinding, IngestError, RunEnd, RunInfo};
use crate::model::Severity;

fn events(doc: &str, limits: Limits) -> Result<Vec<ImportEvent>, IngestError> {
    let mut out = Vec::new();
    parse_with_limits(doc.as_bytes(), "t.sarif", limits, &mut |e| {
        out.push(e);
        Ok(())
    })?;
    Ok(out)
}

fn findings(doc: &str) -> Vec<ImportedFinding> {
    events(doc, Limits::default())
        .unwrap()
        .into_iter()
        .filter_map(|e| match e {
            ImportEvent::Finding(f) => Some(*f),
            _ => None,
        })
        .collect()
}

fn log(run: &str) -> String {
    format!(r#"{{"version": "2.1.0", "runs": [{run}]}}"#)
}

const TOOL: &str = r#""tool": {"driver": {"name": "T", "version": "1.2", "rules": [
    {"id": "R1", "shortDescription": {"text": "Rule one"}, "defaultConfiguration": {"level": "error"},
     "messageStrings": {"m": {"text": "{0} flows to {1} ({{literal}})"}},
     "properties": {"tags": ["external/cwe/cwe-089", "security"]}},
    {"id": "R2", "name": "rule-two", "properties": {"security-severity": "9.1"}},
    {"id": "R3"}
  ], "globalMessageStrings": {"g": {"text": "global {0}"}}},
  "extensions": [{"name": "ext", "rules": [{"id": "X1", "shortDescription": {"text": "Ext rule"},
     "defaultConfiguration": {"level": "note"}}]}]}"#;

#[test]
fn level_and_security_severity_precedence() {
    let results = r#""results": [
        {"ruleId": "R1", "message": {"text": "default level error"}},
        {"ruleId": "R1", "level": "note", "message": {"text": "result level wins over default"}},
        {"ruleId": "R2", "level": "note", "message": {"text": "rule security-severity wins over level"}},
        {"ruleId": "R2", "properties": {"security-severity": 3.0}, "message": {"text": "result score wins"}},
        {"ruleId": "R3", "message": {"text": "nothing: warning"}},
        {"ruleId": "R3", "kind": "pass", "message": {"text": "not a failure: none"}},
        {"ruleId": "R3", "level": "bogus", "message": {"text": "unknown level: warning"}}
    ]"#;
    let f = findings(&log(&format!("{{{TOOL}, {results}}}")));
    let sev: Vec<Severity> = f.iter().map(|f| f.severity).collect();
    use Severity::*;
    assert_eq!(sev, [High, Low, Critical, Low, Medium, Info, Medium]);
}

#[test]
fn rules_by_index_id_hierarchy_and_extension() {
    let results = r#""results": [
        {"ruleIndex": 1, "message": {"text": "by index"}},
        {"ruleId": "R1/sub/leaf", "message": {"text": "hierarchical"}},
        {"rule": {"id": "X1", "index": 0, "toolComponent": {"index": 0}}, "message": {"text": "extension"}},
        {"ruleId": "R9", "message": {"text": "unknown rule\nsecond line"}},
        {"ruleId": "R2", "ruleIndex": 0, "message": {"text": "index disagrees: the id wins"}},
        {"ruleId": "R7", "ruleIndex": 0, "message": {"text": "unknown id: the index wins"}}
    ]"#;
    let f = findings(&log(&format!("{{{TOOL}, {results}}}")));
    assert_eq!(
        (f[0].rule.as_str(), f[0].title.as_str()),
        ("R2", "rule-two")
    );
    assert_eq!(
        (f[1].rule.as_str(), f[1].title.as_str()),
        ("R1/sub/leaf", "Rule one")
    );
    assert_eq!(f[1].cwe.as_deref(), Some("CWE-89"));
    assert_eq!(
        (f[2].title.as_str(), f[2].severity),
        ("Ext rule", Severity::Low)
    );
    assert_eq!(
        (f[3].title.as_str(), f[3].severity),
        ("unknown rule", Severity::Medium)
    );
    assert_eq!(
        (f[4].title.as_str(), f[4].severity),
        ("rule-two", Severity::Critical)
    );
    assert_eq!(
        (f[5].rule.as_str(), f[5].title.as_str()),
        ("R7", "Rule one")
    );
}

#[test]
fn message_strings_and_arguments() {
    let results = r#""results": [
        {"ruleId": "R1", "message": {"id": "m", "arguments": ["input", "sink"]}},
        {"ruleId": "R1", "message": {"id": "g", "arguments": ["x"]}},
        {"ruleId": "R1", "message": {"text": "text {0} with args", "arguments": ["A"]}},
        {"ruleId": "R1", "message": {"text": "f'{x}' left alone without arguments"}},
        {"ruleId": "R1", "message": {"id": "missing"}}
    ]"#;
    let f = findings(&log(&format!("{{{TOOL}, {results}}}")));
    let msgs: Vec<&str> = f.iter().map(|f| f.message.as_str()).collect();
    assert_eq!(
        msgs,
        [
            "input flows to sink ({literal})",
            "global x",
            "text A with args",
            "f'{x}' left alone without arguments",
            ""
        ]
    );
}

const LATE_CONTEXT_RESULTS: &str = r#""results": [
    {"ruleId": "R1", "message": {"text": "a"}, "locations": [{"physicalLocation":
        {"artifactLocation": {"index": 0}, "region": {"startLine": 3, "snippet": {"text": "x = 1"}}}}]},
    {"ruleId": "R3", "message": {"text": "b"}, "locations": [{"physicalLocation":
        {"artifactLocation": {"uri": "lib/b.py", "uriBaseId": "SRC"}}}]},
    {"ruleId": "R3", "message": {"text": "c"}, "locations": [{"physicalLocation":
        {"artifactLocation": {"uri": "c.py"}}}]}
]"#;
const LATE_CONTEXT_TAIL: &str = r#""artifacts": [{"location": {"uri": "a.py", "uriBaseId": "SRC"}}],
  "originalUriBaseIds": {"ROOT": {"uri": "file:///home/me/repo/"}, "SRC": {"uri": "src/", "uriBaseId": "ROOT"}},
  "invocations": [{"executionSuccessful": true, "startTimeUtc": "2024-01-02T03:04:05Z"}],
  "versionControlProvenance": [{"repositoryUri": "https://github.com/acme/app.git", "revisionId": "abc123"}]"#;

fn paths_and_messages(events: &[ImportEvent]) -> Vec<(Option<String>, String)> {
    events
        .iter()
        .filter_map(|e| match e {
            ImportEvent::Finding(f) => Some((f.path.clone(), f.message.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn results_before_tool_are_buffered_and_resolved_at_run_end() {
    let doc = log(&format!(
        "{{{LATE_CONTEXT_RESULTS}, {TOOL}, {LATE_CONTEXT_TAIL}}}"
    ));
    let ev = events(&doc, Limits::default()).unwrap();
    assert_eq!(
        ev.first(),
        Some(&ImportEvent::BeginRun(RunInfo {
            tool: "T".into(),
            tool_version: Some("1.2".into()),
            repo_hint: Some("acme/app".into()),
            commit_hint: Some("abc123".into()),
            started_at: Some("2024-01-02T03:04:05Z".into()),
        }))
    );
    assert_eq!(
        paths_and_messages(&ev),
        [
            (Some("src/a.py".to_string()), "a".to_string()),
            (Some("src/lib/b.py".to_string()), "b".to_string()),
            (Some("c.py".to_string()), "c".to_string()),
        ]
    );
    assert_eq!(
        ev.last(),
        Some(&ImportEvent::EndRun(RunEnd {
            results_present: true,
            execution_successful: true,
            result_count: 3
        }))
    );
}

#[test]
fn tool_first_results_wait_only_for_missing_context() {
    // The tool comes first, but the first result needs an artifact index and a base id that
    // arrive later: it and everything after it wait, and order is kept.
    let doc = log(&format!(
        "{{{TOOL}, {LATE_CONTEXT_RESULTS}, {LATE_CONTEXT_TAIL}}}"
    ));
    let ev = events(&doc, Limits::default()).unwrap();
    let p = paths_and_messages(&ev);
    assert_eq!(p[0].0.as_deref(), Some("src/a.py"));
    assert_eq!(p[1].0.as_deref(), Some("src/lib/b.py"));
    assert_eq!(p.iter().map(|x| x.1.as_str()).collect::<String>(), "abc");
    // When the context came first, the results stream straight through with the same output.
    let doc2 = log(&format!(
        "{{{TOOL}, {LATE_CONTEXT_TAIL}, {LATE_CONTEXT_RESULTS}}}"
    ));
    let ev2 = events(&doc2, Limits::default()).unwrap();
    assert_eq!(paths_and_messages(&ev2), p);
}

#[test]
fn run_metadata_after_results_still_reaches_begin_run() {
    let results = r#""results": [{"ruleId": "R1", "message": {"text": "a"}},
                                 {"ruleId": "R2", "message": {"text": "b"}},
                                 {"ruleId": "R3", "message": {"text": "c"}}]"#;
    let doc = log(&format!("{{{TOOL}, {results}, {LATE_CONTEXT_TAIL}}}"));
    let held = events(&doc, Limits::default()).unwrap();
    let ImportEvent::BeginRun(info) = &held[0] else {
        panic!("{:?}", held[0])
    };
    assert_eq!(info.repo_hint.as_deref(), Some("acme/app"));
    assert_eq!(info.started_at.as_deref(), Some("2024-01-02T03:04:05Z"));
    // Past the in-memory cap the parser stops waiting and streams: same findings, in order,
    // but BeginRun only knows what came before the results.
    let tiny = Limits {
        buffered_results: 2,
        ..Limits::default()
    };
    let streamed = events(&doc, tiny).unwrap();
    let ImportEvent::BeginRun(info) = &streamed[0] else {
        panic!()
    };
    assert_eq!((info.tool.as_str(), info.repo_hint.as_deref()), ("T", None));
    assert!(held[1..] == streamed[1..]);
}

#[test]
fn spilled_results_keep_their_order() {
    let mut results = String::from(r#""results": ["#);
    for i in 0..200 {
        if i > 0 {
            results.push(',');
        }
        results.push_str(&format!(
            r#"{{"ruleId": "R1", "message": {{"text": "m{i}"}}, "locations": [{{"physicalLocation":
            {{"artifactLocation": {{"uri": "f{}.py"}}, "region": {{"snippet": {{"text": "same line"}}}}}}}}],
            "fixes": [ {{ "description": {{ "text": "fix\n{i}" }} }} ]}}"#,
            i % 3
        ));
    }
    results.push(']');
    let doc = log(&format!("{{{results}, {TOOL}}}"));
    let tiny = Limits {
        buffered_results: 5,
        buffered_bytes: usize::MAX,
        ..Limits::default()
    };
    let spilled = events(&doc, tiny).unwrap();
    let in_memory = events(&doc, Limits::default()).unwrap();
    assert!(spilled == in_memory);
    let msgs: Vec<String> = paths_and_messages(&spilled)
        .into_iter()
        .map(|p| p.1)
        .collect();
    let want: Vec<String> = (0..200).map(|i| format!("m{i}")).collect();
    assert_eq!(msgs, want);
}

#[test]
fn suppressions_and_fixes() {
    let results = r#""results": [
        {"ruleId": "R1", "message": {"text": "a"}, "suppressions": [{"kind": "inSource"}]},
        {"ruleId": "R1", "message": {"text": "b"}, "suppressions": [{"status": "underReview"}, {"status": "rejected"}]},
        {"ruleId": "R1", "message": {"text": "c"}, "suppressions": [{"status": "rejected"}, {"status": "accepted"}]},
        {"ruleId": "R1", "message": {"text": "d"}, "suppressions": [], "fixes": []},
        {"ruleId": "R1", "message": {"text": "e"}, "baselineState": "new",
         "fixes": [ { "artifactChanges" : [ { "replacements" : [ ] } ] } ]}
    ]"#;
    let f = findings(&log(&format!("{{{TOOL}, {results}}}")));
    let sup: Vec<bool> = f.iter().map(|f| f.suppressed).collect();
    assert_eq!(sup, [true, false, true, false, false]);
    assert_eq!(f[3].fixes, None);
    assert_eq!(
        f[4].fixes.as_deref(),
        Some(r#"[{"artifactChanges":[{"replacements":[]}]}]"#)
    );
    assert_eq!(f[4].baseline_state.as_deref(), Some("new"));
}

#[test]
fn errors_are_clear_and_located() {
    let cases: &[(&str, &str)] = &[
        (
            r#"{"version": "1.0.0", "runs": []}"#,
            "SARIF version 1.0.0 is not supported (lastmile reads SARIF 2.1.0)",
        ),
        (r#"{"version": 2, "runs": []}"#, "invalid type"),
        (
            r#"{"version": "2.1.0", "runs": {}}"#,
            "expected a JSON array",
        ),
        (
            r#"{"version": "2.1.0", "runs": [{"results": []}]}"#,
            "no \"tool\"",
        ),
        (
            r#"{"version": "2.1.0", "runs": [{"tool": {"driver": {}}}]}"#,
            "no \"name\"",
        ),
        (
            r#"{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "T"}}, "results": [{"level": 3}]}]}"#,
            "invalid type",
        ),
        (
            r#"{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "T"}}, "results": [{}, ]}]}"#,
            "trailing comma",
        ),
        (
            "{\"version\": \"2.1.0\", \"runs\": [{\"tool\": {\"driver\": {\"name\": \"T\"}},\n\"results\": [{}, {\"message\": {\"text\": 5}}]}]}",
            "invalid type",
        ),
    ];
    for (doc, want) in cases {
        let e = events(doc, Limits::default()).unwrap_err();
        assert!(e.message.contains(want), "{doc}: {e}");
        assert!(e.location.starts_with("line "), "{doc}: {e}");
        assert_eq!(e.file, "t.sarif");
    }
    let e = events(cases[7].0, Limits::default()).unwrap_err();
    assert!(
        e.location.starts_with("line 2") && e.location.contains("$.runs[0].results[1]"),
        "{e}"
    );
}

#[test]
fn null_and_absent_runs_and_results() {
    for doc in [
        r#"{"version": "2.1.0", "runs": null}"#,
        r#"{"runs": [], "version": "2.1.0"}"#,
    ] {
        assert!(events(doc, Limits::default()).unwrap().is_empty());
    }
    let ev = events(
        &log(&format!("{{{TOOL}, \"results\": null}}")),
        Limits::default(),
    )
    .unwrap();
    assert_eq!(ev.len(), 2);
    assert!(
        matches!(&ev[1], ImportEvent::EndRun(e) if !e.results_present && e.execution_successful)
    );
    let ev = events(
        &log(&format!(
            "{{\"invocations\": [{{\"executionSuccessful\": false}}], {TOOL}, \"results\": []}}"
        )),
        Limits::default(),
    )
    .unwrap();
    assert!(matches!(&ev[1], ImportEvent::EndRun(e) if e.results_present && !e.complete()));
}

#[test]
fn public_parse_uses_default_limits() {
    let mut n = 0;
    parse(
        log(&format!(
            "{{{TOOL}, \"results\": [{{\"ruleId\": \"R1\"}}]}}"
        ))
        .as_bytes(),
        "x",
        &mut |_| {
            n += 1;
            Ok(())
        },
    )
    .unwrap();
    assert_eq!(n, 3);
}

#[test]
fn mutated_logs_never_panic() {
    let base = log(&format!(
        "{{{LATE_CONTEXT_RESULTS}, {TOOL}, {LATE_CONTEXT_TAIL}, \"taxonomies\": [{{\"name\": \"CWE\", \"taxa\": [{{\"id\": \"79\"}}]}}]}}"
    ));
    let tokens: [&[u8]; 12] = [
        b"{", b"}", b"[", b"]", b",", b"\"", b"\\u0000", b"-1", b"1e", b"null", b"\xff", b"%2e%2e/",
    ];
    let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed as usize
    };
    let tiny = Limits {
        buffered_results: 1,
        ..Limits::default()
    };
    for _ in 0..3000 {
        let mut doc = base.clone().into_bytes();
        for _ in 0..1 + next() % 3 {
            let at = next() % doc.len();
            match next() % 3 {
                0 => doc[at] = next() as u8,
                1 => {
                    let t = tokens[next() % tokens.len()];
                    doc.splice(at..at, t.iter().copied());
                }
                _ => {
                    let end = (at + 1 + next() % 12).min(doc.len());
                    doc.drain(at..end);
                }
            }
        }
        let _ = parse_with_limits(&doc[..], "m", tiny, &mut |_| Ok(()));
    }
}

/// Reading a file's runs ahead (lookahead.rs).
#[path = "tests_lookahead.rs"]
mod lookahead;
