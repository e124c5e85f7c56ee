//! The lookahead: a file's runs read ahead give the events of holding every result, and a
//! report that changed in between is refused.

use super::*;

/// Events of `doc` parsed as a file that `reopen` reads again (`None`: as a pipe).
fn events_from(
    doc: &str,
    limits: Limits,
    reopen: Option<crate::ingest::sarif::Reopen<'_>>,
) -> Result<Vec<ImportEvent>, IngestError> {
    let mut out = Vec::new();
    crate::ingest::sarif::parse_with(doc.as_bytes(), "t.sarif", limits, reopen, &mut |e| {
        out.push(e);
        Ok(())
    })?;
    Ok(out)
}

fn reread(doc: &str) -> impl Fn() -> std::io::Result<Box<dyn std::io::Read>> + '_ {
    move || Ok(Box::new(std::io::Cursor::new(doc.as_bytes().to_vec())))
}

const TINY: Limits = Limits {
    buffered_results: 2,
    buffered_bytes: 64 << 20,
    max_value_bytes: 256 << 20,
};

#[test]
fn reading_ahead_gives_the_events_of_holding_every_result_until_the_run_ends() {
    let shapes = [
        format!("{{{LATE_CONTEXT_RESULTS}, {TOOL}, {LATE_CONTEXT_TAIL}}}"),
        format!("{{{TOOL}, {LATE_CONTEXT_RESULTS}, {LATE_CONTEXT_TAIL}}}"),
        format!("{{{TOOL}, {LATE_CONTEXT_TAIL}, {LATE_CONTEXT_RESULTS}}}"),
        // Part of the context before the results, the rest after.
        format!(
            r#"{{"originalUriBaseIds": {{"SRC": {{"uri": "src/"}}}}, {LATE_CONTEXT_RESULTS}, {TOOL},
               "artifacts": [{{"location": {{"uri": "a.py", "uriBaseId": "SRC"}}}}]}}"#
        ),
    ];
    for run in shapes {
        let doc = log(&run);
        let held = events(&doc, Limits::default()).unwrap();
        let again = reread(&doc);
        // Whatever the limits: the run's metadata is read ahead, not waited for.
        for limits in [Limits::default(), TINY] {
            let ahead = events_from(&doc, limits, Some(&again)).unwrap();
            assert_eq!(ahead, held, "{run}");
        }
    }
}

#[test]
fn results_before_the_tool_stream_instead_of_waiting_for_the_run_to_end() {
    let mut results = String::from(r#""results": ["#);
    for i in 0..40_000 {
        if i > 0 {
            results.push(',');
        }
        results.push_str(&format!(
            r#"{{"ruleId": "R1", "message": {{"text": "m{i}"}}, "locations": [{{"physicalLocation":
               {{"artifactLocation": {{"uri": "f{i}.py"}}}}}}]}}"#
        ));
    }
    results.push(']');
    let doc = log(&format!("{{{results}, {TOOL}, {LATE_CONTEXT_TAIL}}}"));
    assert!(
        doc.len() > 4 << 20,
        "the report must outgrow the parser's window"
    );
    let tool_at = doc.find(r#""tool""#).unwrap();
    // How far the main pass had read when the first finding came out.
    let read = std::cell::Cell::new(0usize);
    struct Counting<'a>(&'a [u8], &'a std::cell::Cell<usize>);
    impl std::io::Read for Counting<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = self.0.read(out)?;
            self.1.set(self.1.get() + n);
            Ok(n)
        }
    }
    let first_at = std::cell::Cell::new(None);
    let again = reread(&doc);
    let mut out = Vec::new();
    crate::ingest::sarif::parse_with(
        Counting(doc.as_bytes(), &read),
        "t.sarif",
        TINY,
        Some(&again),
        &mut |e| {
            if matches!(e, ImportEvent::Finding(_)) && first_at.get().is_none() {
                first_at.set(Some(read.get()));
            }
            out.push(e);
            Ok(())
        },
    )
    .unwrap();
    let first_at = first_at.get().unwrap();
    assert!(
        first_at < tool_at / 2,
        "first finding after {first_at} of {tool_at} bytes"
    );
    assert_eq!(out, events(&doc, Limits::default()).unwrap());
    // Without a second read (a pipe), the same events once the run has closed.
    let streamed = events_from(&doc, TINY, None).unwrap();
    assert_eq!(streamed, out);
}

#[test]
fn a_report_rewritten_between_the_two_reads_is_refused() {
    let doc = log(&format!(
        "{{{LATE_CONTEXT_RESULTS}, {TOOL}, {LATE_CONTEXT_TAIL}}}"
    ));
    let other = doc.replace(r#""name": "T""#, r#""name": "Other""#);
    assert_ne!(other, doc);
    let again = reread(&other);
    let err = events_from(&doc, Limits::default(), Some(&again)).unwrap_err();
    assert!(
        err.message.contains("changed while it was being read"),
        "{err}"
    );
    assert_eq!(err.file, "t.sarif");
    // A run that lost a member in between is refused too.
    let fewer = doc.replace(
        r#""invocations": [{"executionSuccessful": true, "startTimeUtc": "2024-01-02T03:04:05Z"}],"#,
        "",
    );
    assert_ne!(fewer, doc);
    let again = reread(&doc);
    let err = events_from(&fewer, Limits::default(), Some(&again)).unwrap_err();
    assert!(
        err.message.contains("changed while it was being read"),
        "{err}"
    );
}

#[test]
fn when_the_second_read_fails_the_single_pass_result_stands() {
    let good = log(&format!(
        "{{{LATE_CONTEXT_RESULTS}, {TOOL}, {LATE_CONTEXT_TAIL}}}"
    ));
    let broken =
        || -> std::io::Result<Box<dyn std::io::Read>> { Err(std::io::Error::other("gone")) };
    let garbage = || -> std::io::Result<Box<dyn std::io::Read>> {
        Ok(Box::new(std::io::Cursor::new(
            b"{\"runs\": [{\"tool\": ".to_vec(),
        )))
    };
    let held = events(&good, Limits::default()).unwrap();
    assert_eq!(events_from(&good, TINY, Some(&broken)).unwrap(), held);
    assert_eq!(events_from(&good, TINY, Some(&garbage)).unwrap(), held);
    // A broken report gives the same error, at the same place, with or without reading ahead.
    for doc in [
        log(&format!(
            "{{{LATE_CONTEXT_RESULTS}, \"tool\": {{\"driver\": 7}}}}"
        )),
        log(&format!("{{{LATE_CONTEXT_RESULTS}}}")),
        good[..good.len() - 40].to_string(),
    ] {
        let again = reread(&doc);
        let alone = events(&doc, TINY).unwrap_err();
        let ahead = events_from(&doc, TINY, Some(&again)).unwrap_err();
        assert_eq!(ahead, alone, "{doc}");
    }
}

#[test]
fn several_runs_are_read_ahead_in_one_second_pass() {
    let late = format!("{{{LATE_CONTEXT_RESULTS}, {TOOL}, {LATE_CONTEXT_TAIL}}}");
    let first = format!("{{{TOOL}, {LATE_CONTEXT_TAIL}, {LATE_CONTEXT_RESULTS}}}");
    let other = late.replace(r#""name": "T""#, r#""name": "U""#);
    let doc = format!(r#"{{"version": "2.1.0", "runs": [{late}, {first}, {other}]}}"#);
    let opened = std::cell::Cell::new(0);
    let again = || -> std::io::Result<Box<dyn std::io::Read>> {
        opened.set(opened.get() + 1);
        Ok(Box::new(std::io::Cursor::new(doc.as_bytes().to_vec())))
    };
    let held = events(&doc, Limits::default()).unwrap();
    let tools: Vec<&str> = held
        .iter()
        .filter_map(|e| match e {
            ImportEvent::BeginRun(i) => Some(i.tool.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(tools, ["T", "T", "U"]);
    assert_eq!(events_from(&doc, TINY, Some(&again)).unwrap(), held);
    assert_eq!(opened.get(), 1, "one lookahead pass serves every run");
}

#[test]
fn run_metadata_past_the_memory_bound_is_not_read_ahead() {
    // The tool comes first; the repository is named after the results. Holding gives up after
    // two results, so only reading ahead brings the repository to BeginRun, and the lookahead
    // keeps at most `buffered_bytes` of metadata.
    let results = r#""results": [{"ruleId": "R1", "message": {"text": "a"}},
                                 {"ruleId": "R2", "message": {"text": "b"}},
                                 {"ruleId": "R3", "message": {"text": "c"}}]"#;
    let doc = log(&format!("{{{TOOL}, {results}, {LATE_CONTEXT_TAIL}}}"));
    let repo_of = |events: &[ImportEvent]| match &events[0] {
        ImportEvent::BeginRun(info) => info.repo_hint.clone(),
        other => panic!("{other:?}"),
    };
    let small = Limits {
        buffered_results: 2,
        buffered_bytes: 200,
        ..Limits::default()
    };
    let again = reread(&doc);
    let piped = events_from(&doc, small, None).unwrap();
    assert_eq!(repo_of(&piped), None);
    assert_eq!(events_from(&doc, small, Some(&again)).unwrap(), piped);
    let roomy = Limits {
        buffered_bytes: 64 << 10,
        ..small
    };
    let ahead = events_from(&doc, roomy, Some(&again)).unwrap();
    assert_eq!(repo_of(&ahead).as_deref(), Some("acme/app"));
    assert_eq!(ahead, events(&doc, Limits::default()).unwrap());
}
