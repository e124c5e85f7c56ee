//! The SARIF importer against the real corpus in ../shared/corpus (see its SOURCES.md).
//! Expected result counts come from the SOURCES.md tables, not from this file.

use lastmile::ingest::sarif::{Limits, parse, parse_with, parse_with_limits};
use lastmile::ingest::{ImportEvent, ImportedFinding, IngestError, RunEnd, RunInfo};
use lastmile::model::Severity;
use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};

mod support;

use support::corpus;

/// One run as the parser reported it.
#[derive(Debug, Clone, PartialEq)]
struct Run {
    info: RunInfo,
    findings: Vec<ImportedFinding>,
    end: RunEnd,
}

/// Collects events, checking they come as BeginRun, Finding*, EndRun per run.
fn collect(events: Vec<ImportEvent>) -> Vec<Run> {
    let mut runs = Vec::new();
    let mut current: Option<Run> = None;
    for e in events {
        match e {
            ImportEvent::BeginRun(info) => {
                assert!(current.is_none(), "BeginRun inside a run");
                current = Some(Run {
                    info,
                    findings: Vec::new(),
                    end: RunEnd::default(),
                });
            }
            ImportEvent::Finding(f) => current
                .as_mut()
                .expect("Finding outside a run")
                .findings
                .push(*f),
            ImportEvent::EndRun(end) => {
                let mut run = current.take().expect("EndRun without BeginRun");
                run.end = end;
                runs.push(run);
            }
        }
    }
    assert!(current.is_none(), "a run was not ended");
    runs
}

fn events_of(
    reader: impl Read,
    name: &str,
    limits: Limits,
) -> Result<Vec<ImportEvent>, IngestError> {
    let mut events = Vec::new();
    parse_with_limits(reader, name, limits, &mut |e| {
        events.push(e);
        Ok(())
    })?;
    Ok(events)
}

fn parse_file(path: &Path) -> Result<Vec<Run>, IngestError> {
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    let file = std::fs::File::open(path).unwrap();
    events_of(file, &name, Limits::default()).map(collect)
}

fn parse_bytes(bytes: &[u8]) -> Result<Vec<Run>, IngestError> {
    events_of(bytes, "inline.sarif", Limits::default()).map(collect)
}

fn rel(path: &str) -> PathBuf {
    corpus().join(path)
}

fn expected_counts() -> std::collections::BTreeMap<String, Option<u64>> {
    support::expected_results()
}

fn files_in(dir: &str) -> Vec<String> {
    support::files_in(dir)
        .into_iter()
        .map(|(rel, _)| rel)
        .collect()
}

fn all_sarif_files() -> Vec<String> {
    let mut v = files_in("sarif/real");
    v.extend(files_in("sarif/samples"));
    v.extend(files_in("sarif/edge-cases"));
    v
}

fn findings(runs: &[Run]) -> impl Iterator<Item = &ImportedFinding> {
    runs.iter().flat_map(|r| &r.findings)
}

#[test]
fn every_real_and_sample_file_parses_with_the_documented_result_count() {
    let expected = expected_counts();
    let mut checked = 0;
    for file in files_in("sarif/real")
        .into_iter()
        .chain(files_in("sarif/samples"))
    {
        let want = expected
            .get(&file)
            .unwrap_or_else(|| panic!("{file} is not listed in SOURCES.md"))
            .unwrap_or_else(|| panic!("{file}: SOURCES.md gives no result count"));
        let runs = parse_file(&rel(&file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        let ended: u64 = runs.iter().map(|r| r.end.result_count).sum();
        let emitted = findings(&runs).count() as u64;
        assert_eq!(ended, want, "{file}: sum of RunEnd.result_count");
        assert_eq!(emitted, want, "{file}: Finding events");
        for run in &runs {
            assert!(!run.info.tool.is_empty(), "{file}: run without a tool name");
            assert_eq!(run.findings.len() as u64, run.end.result_count, "{file}");
        }
        checked += 1;
    }
    assert!(checked >= 60, "only {checked} files checked");
}

#[test]
fn edge_cases_parse_or_fail_with_a_message_naming_the_file() {
    for file in files_in("sarif/edge-cases") {
        let name = Path::new(&file)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .to_string();
        if let Err(e) = parse_file(&rel(&file)) {
            assert_eq!(e.file, name);
            assert!(!e.message.is_empty(), "{file}: empty message");
            assert!(e.to_string().contains(&name), "{e}");
        }
    }
}

#[test]
fn syntax_error_names_line_and_column() {
    let e = parse_file(&rel(
        "sarif/edge-cases/sarif-sdk__JSON1001.SyntaxError.sarif",
    ))
    .unwrap_err();
    let shown = e.to_string();
    assert!(
        shown.contains("line 3") && shown.contains("column"),
        "{shown}"
    );
}

#[test]
fn sarif_1_0_0_is_refused_as_unsupported() {
    let e = parse_file(&rel(
        "sarif/edge-cases/sarif-sdk__SARIF-1.0.0__BasicResult.sarif",
    ))
    .unwrap_err();
    assert!(
        e.message.contains("SARIF version 1.0.0 is not supported") && e.message.contains("2.1.0"),
        "{e}"
    );
    let e = parse_bytes(br#"{"runs": []}"#).unwrap_err();
    assert!(e.message.contains("missing \"version\""), "{e}");
    let e = parse_bytes(b"[1, 2]").unwrap_err();
    assert!(e.message.contains("JSON object"), "{e}");
    let e = parse_bytes(b"").unwrap_err();
    assert!(e.message.contains("empty"), "{e}");
}

#[test]
fn byte_order_mark_is_accepted() {
    let runs = parse_file(&rel(
        "sarif/edge-cases/sarif-sdk__elfie-arriba-utf8-bom.sarif",
    ))
    .unwrap();
    assert_eq!(findings(&runs).count(), 5);
}

#[test]
fn run_completeness_edge_cases() {
    let runs = parse_file(&rel(
        "sarif/edge-cases/njsscan-NodeGoat-c5cb68a7-failed-run.sarif",
    ))
    .unwrap();
    assert_eq!(runs.len(), 1);
    assert!(runs[0].end.results_present);
    assert!(!runs[0].end.execution_successful);
    assert!(!runs[0].end.complete());

    let runs = parse_file(&rel(
        "sarif/edge-cases/sarif-tutorials__One-run-no-results.sarif",
    ))
    .unwrap();
    assert_eq!(runs.len(), 1);
    assert!(!runs[0].end.results_present);
    assert!(!runs[0].end.complete());

    let runs = parse_file(&rel(
        "sarif/edge-cases/sarif-tutorials__One-run-empty-results.sarif",
    ))
    .unwrap();
    assert!(runs[0].end.results_present && runs[0].end.complete());
    assert_eq!(runs[0].end.result_count, 0);

    let runs = parse_file(&rel(
        "sarif/edge-cases/sarif-tutorials__Catastrophic-execution-error.sarif",
    ))
    .unwrap();
    assert!(!runs[0].end.results_present && !runs[0].end.execution_successful);

    for empty in [
        "sarif-tutorials__Empty-runs.sarif",
        "sarif-tutorials__No-runs.sarif",
    ] {
        let runs = parse_file(&rel(&format!("sarif/edge-cases/{empty}"))).unwrap();
        assert!(runs.is_empty(), "{empty}");
    }
}

#[test]
fn fingerprints_are_unique_within_each_run() {
    for file in all_sarif_files() {
        let Ok(runs) = parse_file(&rel(&file)) else {
            continue;
        };
        for (i, run) in runs.iter().enumerate() {
            let mut seen = HashSet::new();
            for f in &run.findings {
                assert_eq!(f.fingerprint.len(), 64, "{file}");
                assert!(
                    seen.insert(&f.fingerprint),
                    "{file} run {i}: fingerprint {} repeats",
                    f.fingerprint
                );
            }
        }
    }
    // Semgrep OSS writes the same placeholder fingerprint on every result: it must not collapse.
    for file in files_in("sarif/real")
        .into_iter()
        .filter(|f| f.contains("semgrep-"))
    {
        let runs = parse_file(&rel(&file)).unwrap();
        let distinct: HashSet<_> = findings(&runs).map(|f| &f.fingerprint).collect();
        assert_eq!(distinct.len(), findings(&runs).count(), "{file}");
        assert!(distinct.len() > 1, "{file}");
    }
}

fn fingerprint_map(file: &str) -> HashMap<String, ImportedFinding> {
    let runs = parse_file(&rel(file)).unwrap();
    findings(&runs)
        .map(|f| (f.fingerprint.clone(), f.clone()))
        .collect()
}

/// Pair A (pygoat 7afef1ab -> 19d17cc8). SOURCES.md counts 47 Bandit results that persist when
/// matched on rule + path + snippet, 27 of them at another line. The occurrence index may differ
/// from that plain matching when an identical finding is added or removed above another in the
/// same file, so a small tolerance is allowed; today both agree exactly.
#[test]
fn pair_a_fingerprints_survive_a_rescan() {
    let old = fingerprint_map("sarif/real/bandit-pygoat-7afef1ab.sarif");
    let new = fingerprint_map("sarif/real/bandit-pygoat-19d17cc8.sarif");
    assert_eq!((old.len(), new.len()), (48, 65));
    let kept: Vec<&String> = old.keys().filter(|k| new.contains_key(*k)).collect();
    assert!(
        (45..=48).contains(&kept.len()),
        "bandit overlap {}",
        kept.len()
    );
    let moved = kept
        .iter()
        .filter(|k| old[**k].start_line != new[**k].start_line)
        .count();
    assert!(moved >= 20, "only {moved} persisting findings moved line");
    for k in &kept {
        let (a, b) = (&old[*k], &new[*k]);
        assert_eq!((&a.rule, &a.path), (&b.rule, &b.path));
    }

    let old = fingerprint_map("sarif/real/semgrep-pygoat-7afef1ab.sarif");
    let new = fingerprint_map("sarif/real/semgrep-pygoat-19d17cc8.sarif");
    let kept = old.keys().filter(|k| new.contains_key(*k)).count();
    assert!(
        (188..=200).contains(&kept),
        "semgrep overlap {kept} (SOURCES.md: 195)"
    );
}

#[test]
fn truncated_reports_are_errors_never_panics() {
    for file in all_sarif_files() {
        let bytes = std::fs::read(rel(&file)).unwrap();
        let Some(last) = bytes.iter().rposition(|b| !b.is_ascii_whitespace()) else {
            continue;
        };
        let mut cuts: Vec<usize> = [
            0,
            1,
            2,
            3,
            last / 7,
            last / 3,
            last / 2,
            last * 2 / 3,
            last - 1,
            last,
        ]
        .into_iter()
        .filter(|&c| c <= last)
        .collect();
        cuts.dedup();
        for cut in cuts {
            let outcome = std::panic::catch_unwind(|| parse_bytes(&bytes[..cut]));
            match outcome {
                Ok(Err(e)) => assert!(!e.message.is_empty()),
                Ok(Ok(_)) => panic!("{file} cut at {cut} of {} parsed", bytes.len()),
                Err(_) => panic!("{file} cut at {cut} panicked"),
            }
        }
    }
}

/// A reader that hands out odd-sized chunks, so values are cut by the window end everywhere.
struct Chunky<'a>(&'a [u8], usize);

impl Read for Chunky<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.0.len().min(out.len()).min(self.1);
        out[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

/// Events with `BeginRun` reduced to the tool: with a tiny in-memory cap the parser stops
/// waiting for run metadata written after the results, which is the only thing allowed to change.
fn without_late_run_info(events: Vec<ImportEvent>) -> Vec<ImportEvent> {
    events
        .into_iter()
        .map(|e| match e {
            ImportEvent::BeginRun(info) => ImportEvent::BeginRun(RunInfo {
                tool: info.tool,
                ..RunInfo::default()
            }),
            other => other,
        })
        .collect()
}

/// A file's events when the parser may read it a second time (as `lastmile import FILE` does).
fn events_rereading(path: &Path, limits: Limits) -> Result<Vec<ImportEvent>, IngestError> {
    let reopen = || -> std::io::Result<Box<dyn Read>> { Ok(Box::new(std::fs::File::open(path)?)) };
    let mut events = Vec::new();
    parse_with(
        std::fs::File::open(path).unwrap(),
        "f",
        limits,
        Some(&reopen),
        &mut |e| {
            events.push(e);
            Ok(())
        },
    )?;
    Ok(events)
}

#[test]
fn reading_a_file_ahead_changes_no_event_and_no_error_on_any_corpus_file() {
    // Holding gives up after two results; the bytes bound (which also bounds what is read
    // ahead) stays at its default.
    let tiny = Limits {
        buffered_results: 2,
        ..Limits::default()
    };
    let mut looked_ahead = 0;
    for file in all_sarif_files() {
        let path = rel(&file);
        let bytes = std::fs::read(&path).unwrap();
        let piped = events_of(&bytes[..], "f", Limits::default());
        assert_eq!(
            events_rereading(&path, Limits::default()),
            piped,
            "{file}: reading ahead changed what the parser reports"
        );
        // With a tiny in-memory cap the single pass gives up waiting for late run metadata;
        // reading ahead does not need to wait, so it reports what holding everything would.
        if let Ok(whole) = &piped {
            let ahead = events_rereading(&path, tiny).unwrap();
            assert!(
                ahead == *whole,
                "{file}: reading ahead under tight limits changed the events"
            );
            let single = events_of(&bytes[..], "f", tiny).unwrap();
            looked_ahead += usize::from(single != *whole);
        }
    }
    // Real results-first and late-metadata reports are in the corpus, so the path is exercised.
    assert!(looked_ahead > 0, "no corpus file needed the lookahead");
}

#[test]
fn chunked_reads_and_tiny_buffers_change_nothing() {
    let tiny = Limits {
        buffered_results: 2,
        buffered_bytes: 4096,
        ..Limits::default()
    };
    for file in files_in("sarif/real")
        .into_iter()
        .chain(files_in("sarif/samples"))
    {
        let bytes = std::fs::read(rel(&file)).unwrap();
        let whole = events_of(&bytes[..], "f", Limits::default()).unwrap();
        let chunked = events_of(Chunky(&bytes, 4093), "f", Limits::default()).unwrap();
        assert!(whole == chunked, "{file}: chunked reads changed the events");
        let spilled = events_of(Chunky(&bytes, 4093), "f", tiny).unwrap();
        assert!(
            without_late_run_info(whole) == without_late_run_info(spilled),
            "{file}: spilling changed the findings"
        );
    }
}

#[test]
fn absolute_ci_paths_become_repo_relative() {
    for file in [
        "sarif/real/eslint-NodeGoat-c5cb68a7.sarif",
        "sarif/real/ruff-S-pygoat-19d17cc8.sarif",
        "sarif/real/ruff-ALL-pygoat-19d17cc8.sarif",
        "sarif/real/semgrep-pygoat-19d17cc8.sarif",
        "sarif/real/checkov-pygoat-19d17cc8.sarif",
    ] {
        let runs = parse_file(&rel(file)).unwrap();
        for f in findings(&runs) {
            let p = f
                .path
                .as_deref()
                .unwrap_or_else(|| panic!("{file}: no path"));
            assert!(
                !p.starts_with('/')
                    && !p.contains("file:")
                    && !p.contains('%')
                    && !p.contains('\\'),
                "{file}: {p}"
            );
        }
    }
    let runs = parse_file(&rel("sarif/real/eslint-NodeGoat-c5cb68a7.sarif")).unwrap();
    assert!(findings(&runs).any(|f| f.path.as_deref() == Some("Gruntfile.js")));
    let runs = parse_file(&rel("sarif/samples/defectdojo__bash-report.sarif")).unwrap();
    assert!(
        findings(&runs).all(|f| !f.path.as_deref().unwrap().starts_with('/')),
        "workingDirectory root"
    );
}

#[test]
fn rule_metadata_resolves_messages_levels_and_titles() {
    let runs = parse_file(&rel("sarif/samples/sarif-tutorials__RuleMetadata.sarif")).unwrap();
    let f = &runs[0].findings[0];
    assert_eq!(f.message, "The URI '//C:/code/dev' is invalid.");
    assert_eq!(
        f.title,
        "Properties defined with the 'uri' or 'uri-reference' format must contain valid URIs."
    );
    assert_eq!(
        (f.path.as_deref(), f.start_line),
        (Some("test.json"), Some(15))
    );

    let runs = parse_file(&rel(
        "sarif/samples/sarif-tutorials__message-from-metadata.sarif",
    ))
    .unwrap();
    assert_eq!(
        runs[0].findings[0].message,
        "This is the message text. It might be very long."
    );

    let runs = parse_file(&rel(
        "sarif/samples/sarif-tutorials__DefaultRuleConfiguration.sarif",
    ))
    .unwrap();
    let sev: Vec<Severity> = runs[0].findings.iter().map(|f| f.severity).collect();
    assert!(sev.contains(&Severity::High), "{sev:?}");

    // Semgrep results carry no level: the rule's defaultConfiguration.level decides.
    let runs = parse_file(&rel("sarif/real/semgrep-pygoat-7afef1ab.sarif")).unwrap();
    let pinned = "dockerfile.audit.dockerfile-source-not-pinned";
    let f = findings(&runs).find(|f| f.rule == pinned).unwrap();
    assert_eq!(f.severity, Severity::Low);
    assert_eq!(f.path.as_deref(), Some("Dockerfile"));
    assert!(findings(&runs).any(|f| f.cwe.is_some()));
}

#[test]
fn security_severity_cwe_cve_and_taxa() {
    let runs = parse_file(&rel(
        "sarif/samples/sarif-sdk__QueryCommand__WithProperties.sarif",
    ))
    .unwrap();
    assert!(findings(&runs).any(|f| matches!(f.severity, Severity::Critical | Severity::High)));

    let runs = parse_file(&rel(
        "sarif/samples/defectdojo__blackduck_nested_fingerprints.sarif",
    ))
    .unwrap();
    let f = findings(&runs)
        .find(|f| f.rule.contains("CVE-2020-11022"))
        .unwrap();
    assert_eq!(f.cve.as_deref(), Some("CVE-2020-11022"));
    assert_eq!(f.cwe.as_deref(), Some("CWE-79"));
    assert!(f.fixes.as_deref().is_some_and(|x| x.starts_with("[{")));

    let runs = parse_file(&rel(
        "sarif/samples/defectdojo__mayhem_code_many_vulns.sarif",
    ))
    .unwrap();
    assert!(
        findings(&runs).any(|f| f.cwe.as_deref() == Some("CWE-190")),
        "CWE from result.taxa"
    );

    let runs = parse_file(&rel("sarif/samples/defectdojo__codeQL-output.sarif")).unwrap();
    assert!(findings(&runs).any(|f| f.cwe.as_deref().is_some_and(|c| c.starts_with("CWE-"))));
}

#[test]
fn suppressions_baselines_and_base_ids() {
    let runs = parse_file(&rel("sarif/samples/sarif-tutorials__Suppressions.sarif")).unwrap();
    let suppressed = findings(&runs).filter(|f| f.suppressed).count();
    assert!(suppressed > 0 && suppressed < 9, "{suppressed}");

    let runs = parse_file(&rel("sarif/samples/sarif-tutorials__Baseline.sarif")).unwrap();
    let states: HashSet<_> = findings(&runs)
        .filter_map(|f| f.baseline_state.clone())
        .collect();
    assert!(
        states.contains("new") && states.contains("unchanged"),
        "{states:?}"
    );

    let runs = parse_file(&rel(
        "sarif/samples/sarif-tutorials__OriginalUriBaseIds.sarif",
    ))
    .unwrap();
    let paths: Vec<Option<&str>> = findings(&runs).map(|f| f.path.as_deref()).collect();
    assert_eq!(paths, [Some("README.md"), Some("src/io/kb.c"), None]);

    // Results before tool, artifacts by index, a base id defined last in the run.
    let runs = parse_file(&rel(
        "sarif/samples/sarif-sdk__MergeCommand__DuplicatedResults.sarif",
    ))
    .unwrap();
    assert!(findings(&runs).all(|f| {
        f.path
            .as_deref()
            .is_some_and(|p| !p.contains("basedir") && !p.starts_with('/'))
    }));
}

#[test]
fn tool_fingerprints_are_used_when_trustworthy() {
    // DefectDojo's subset file repeats one partialFingerprints value on all four results: the
    // first keeps the tool fingerprint, the repeats fall back to derived ones.
    let runs = parse_file(&rel(
        "sarif/samples/defectdojo__bash-report-subset-same-hash-code-same-unique-id.sarif",
    ))
    .unwrap();
    let fps: HashSet<_> = findings(&runs).map(|f| f.fingerprint.clone()).collect();
    assert_eq!(fps.len(), 4);
    // The same results in the full report keep their fingerprints where the tool's are unique.
    let full = fingerprint_map("sarif/samples/defectdojo__bash-report.sarif");
    assert!(fps.iter().any(|f| full.contains_key(f)));
}

#[test]
fn emit_errors_stop_the_parse() {
    let bytes = std::fs::read(rel("sarif/real/bandit-pygoat-7afef1ab.sarif")).unwrap();
    let mut seen = 0;
    let err = parse(&bytes[..], "b.sarif", &mut |e| {
        if matches!(e, ImportEvent::Finding(_)) {
            seen += 1;
            if seen == 3 {
                return Err(IngestError {
                    file: "store".into(),
                    location: String::new(),
                    message: "disk full".into(),
                });
            }
        }
        Ok(())
    })
    .unwrap_err();
    assert_eq!(
        (err.file.as_str(), err.message.as_str(), seen),
        ("store", "disk full", 3)
    );
}
