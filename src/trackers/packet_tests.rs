use super::*;

fn input() -> PacketInput {
    PacketInput {
        finding_id: 42,
        repo: "acme/payments-api".into(),
        tool: Some("semgrep".into()),
        rule: Some("python.lang.security.sqli".into()),
        title: "SQL built from request data".into(),
        message: "User input flows into `cursor.execute`.\nSee the handler.".into(),
        severity: Severity::High,
        lane: Some("expedite".into()),
        risk: Some(72.46),
        due: Some("2026-12-01".into()),
        path: Some("src/db/query.py".into()),
        start_line: Some(12),
        end_line: Some(14),
        snippet: Some("q = f\"SELECT * FROM t WHERE id={id}\"\ncursor.execute(q)\n".into()),
        cwe: Some("cwe-089".into()),
        cve: None,
        help_uri: Some("https://semgrep.dev/r/python.lang.security.sqli".into()),
        fix: Some(
            "-cursor.execute(q)\n+cursor.execute(\"SELECT * FROM t WHERE id=%s\", (id,))\n".into(),
        ),
        owner: Some("alice".into()),
        team: Some("payments".into()),
        marker: "lastmile:9f86d081884c7d65".into(),
        link: Some("https://lastmile.example/findings/42".into()),
    }
}

fn count(hay: &str, needle: &str) -> usize {
    hay.matches(needle).count()
}

#[test]
fn packet_has_every_section_and_the_marker_last() {
    let p = build(&input()).expect("packet");
    assert_eq!(p.title, "[high] SQL built from request data in query.py");
    for section in [
        "### What",
        "### Where",
        "### Why it matters",
        "### Due",
        "### Suggested fix",
    ] {
        assert!(p.body.contains(section), "{section}\n{}", p.body);
    }
    assert!(p.body.contains("**SQL built from request data**"));
    assert!(
        p.body.contains(
            "Found by `semgrep`, rule `python.lang.security.sqli`, in `acme/payments-api`."
        )
    );
    assert!(
        p.body
            .contains("> User input flows into `cursor.execute`.\n> See the handler.")
    );
    assert!(p.body.contains("`src/db/query.py`, lines 12–14"));
    assert!(
        p.body
            .contains("```python\nq = f\"SELECT * FROM t WHERE id={id}\"\ncursor.execute(q)\n```")
    );
    assert!(
        p.body
            .contains("- Severity: **high**\n- Risk: 72.5\n- Lane: `expedite`")
    );
    assert!(
        p.body
            .contains("[CWE-89](https://cwe.mitre.org/data/definitions/89.html)")
    );
    assert!(
        p.body
            .contains("- Reference: <https://semgrep.dev/r/python.lang.security.sqli>")
    );
    assert!(
        p.body
            .contains("2026-12-01\n\nOwner: `@alice` (team `payments`)")
    );
    assert!(
        p.body
            .contains("```diff\n-cursor.execute(q)\n+cursor.execute(")
    );
    assert!(
        p.body
            .contains("Tracked by lastmile, finding 42 · <https://lastmile.example/findings/42>")
    );
    assert!(
        p.body
            .trim_end()
            .ends_with("<!-- lastmile:9f86d081884c7d65 -->")
    );
    assert_eq!(
        find_marker(&p.body).as_deref(),
        Some("lastmile:9f86d081884c7d65")
    );
    assert_eq!(count(&p.body, "<!--"), 1);
}

#[test]
fn sparse_input_still_builds() {
    let p = build(&PacketInput {
        finding_id: 1,
        marker: "ABC".into(),
        ..PacketInput::default()
    })
    .expect("packet");
    assert_eq!(p.title, "[medium] Security finding");
    assert!(p.body.contains("No location given."));
    assert!(p.body.contains("No due date set."));
    assert!(!p.body.contains("### Suggested fix"));
    assert_eq!(find_marker(&p.body).as_deref(), Some("lastmile:abc"));
    assert!(
        build(&PacketInput {
            marker: "lastmile:xyz".into(),
            ..PacketInput::default()
        })
        .is_err()
    );
    assert!(
        build(&PacketInput {
            marker: String::new(),
            ..PacketInput::default()
        })
        .is_err()
    );
}

#[test]
fn untrusted_text_cannot_forge_or_hide_the_marker() {
    let forged = "<!-- lastmile:deadbeef -->";
    let mut i = input();
    i.title = format!("t {forged}");
    i.message = format!("before <!-- hide everything\n{forged}\n-->after");
    i.snippet = Some(format!(
        "<!-- an ordinary html comment -->\n{forged}\n<!--LASTMILE:00-->"
    ));
    i.fix = Some(format!("+{forged}"));
    i.rule = Some(forged.into());
    i.path = Some(format!("a/{forged}.html"));
    i.due = Some(forged.into());
    i.lane = Some(forged.into());
    i.team = Some(forged.into());
    let p = build(&i).expect("packet");
    // Only our footer opens a comment lastmile would read, and it is the marker found.
    assert_eq!(
        find_marker(&p.body).as_deref(),
        Some("lastmile:9f86d081884c7d65")
    );
    // Every field still shows its text.
    assert_eq!(count(&p.body, "lastmile:deadbeef"), 9, "{}", p.body);
    assert_eq!(count(&p.body, "<!-- lastmile:"), 1, "{}", p.body);
    assert_eq!(
        count(&p.body, "<!--lastmile:") + count(&p.body, "<!--LASTMILE:"),
        0
    );
    // Prose cannot open or close a comment at all; code keeps ordinary comments verbatim.
    let before_code = p.body.split("```").next().expect("prose");
    assert_eq!(count(before_code, "<!--"), 0, "{before_code}");
    let quoted: String = p.body.lines().filter(|l| l.starts_with('>')).collect();
    assert!(quoted.contains("hide everything") && quoted.contains("after"));
    assert_eq!(count(&quoted, "-->"), 0, "{quoted}");
    assert!(p.body.contains("<!-- an ordinary html comment -->"));
}

#[test]
fn control_characters_and_bidi_are_stripped() {
    let mut i = input();
    i.title = "a\u{1b}[31mb\u{202e}c\u{0}d\re".into();
    i.message = "x\u{7}y\tz\r\nw\u{2066}v".into();
    i.snippet = Some("s\u{0}t\u{202d}\tu".into());
    let p = build(&i).expect("packet");
    assert!(p.title.contains("a[31mbcde"), "{}", p.title);
    for c in [
        '\u{1b}', '\u{202e}', '\u{0}', '\r', '\u{7}', '\u{2066}', '\u{202d}',
    ] {
        assert!(!p.body.contains(c) && !p.title.contains(c), "{c:?}");
    }
    assert!(p.body.contains("> xy\tz\n> wv"));
    assert!(p.body.contains("st\tu"));
}

#[test]
fn mentions_do_not_ping_but_read_the_same() {
    let mut i = input();
    i.message = "@alice and (@bob/team) cc me@example.com, `@carol` @".into();
    i.title = "@dave".into();
    let p = build(&i).expect("packet");
    let quoted: &str = p.body.lines().find(|l| l.starts_with("> ")).expect("quote");
    assert_eq!(
        quoted,
        "> @\u{2060}alice and (@\u{2060}bob/team) cc me@example.com, `@\u{2060}carol` @"
    );
    assert_eq!(quoted.replace('\u{2060}', ""), format!("> {}", i.message));
    assert!(p.body.contains("**@\u{2060}dave**"));
    // What lastmile writes itself is shown in a code span, where GitHub never links.
    assert!(p.body.contains("Owner: `@alice`"));
}

#[test]
fn the_message_is_quoted_so_an_open_fence_cannot_swallow_the_rest() {
    let mut i = input();
    i.message = "text\n```\nnever closed\n\n<details>".into();
    let p = build(&i).expect("packet");
    assert!(
        p.body
            .contains("> text\n> ```\n> never closed\n>\n> <details>\n\n### Where")
    );
}

#[test]
fn fences_outgrow_backtick_runs_inside() {
    let mut i = input();
    i.snippet = Some("a ```` b\n`````".into());
    i.fix = Some("```\n".into());
    i.rule = Some("x`y``z".into());
    i.path = Some("`p`".into());
    let p = build(&i).expect("packet");
    assert!(
        p.body.contains("``````\na ```` b\n`````\n``````"),
        "{}",
        p.body
    );
    assert!(p.body.contains("````diff\n```\n````"));
    assert!(p.body.contains("rule ```x`y``z```"));
    assert!(p.body.contains("`` `p` ``"));
}

#[test]
fn limits_hold_for_huge_input_and_the_footer_survives() {
    let mut i = input();
    let huge = "é`".repeat(80_000);
    i.title = huge.clone();
    i.message = huge.clone();
    i.snippet = Some("`".repeat(100_000));
    i.fix = Some(huge.clone());
    i.path = Some(huge.clone());
    i.rule = Some(huge.clone());
    i.help_uri = Some(format!("https://x.test/{huge}"));
    i.link = Some(format!("https://x.test/{huge}"));
    let p = build(&i).expect("packet");
    assert!(p.title.chars().count() <= TITLE_LIMIT);
    assert!(
        p.body.chars().count() <= BODY_LIMIT,
        "{}",
        p.body.chars().count()
    );
    assert!(p.body.contains("Tracked by lastmile, finding 42"));
    assert_eq!(
        find_marker(&p.body).as_deref(),
        Some("lastmile:9f86d081884c7d65")
    );
    // Sections were cut, not dropped.
    assert!(p.body.contains("### Suggested fix") && p.body.contains("### Where"));
}

#[test]
fn line_and_references_render_only_when_valid() {
    let mut i = input();
    i.start_line = Some(7);
    i.end_line = Some(7);
    i.cwe = Some("not-a-cwe".into());
    i.cve = Some("cve-2024-22195".into());
    i.help_uri = Some("javascript:alert(1)".into());
    i.risk = Some(f64::NAN);
    i.link = Some("ftp://x".into());
    let p = build(&i).expect("packet");
    assert!(p.body.contains("`src/db/query.py`, line 7\n"));
    assert!(p.body.contains("- Weakness: `not-a-cwe`"));
    assert!(
        p.body
            .contains("[CVE-2024-22195](https://nvd.nist.gov/vuln/detail/CVE-2024-22195)")
    );
    assert!(p.body.contains("- Reference: `javascript:alert(1)`"));
    assert!(!p.body.contains("Risk:") && !p.body.contains("ftp://"));
}

#[test]
fn markers() {
    assert_eq!(
        normalize_marker("lastmile:ABCdef01").as_deref(),
        Some("lastmile:abcdef01")
    );
    assert_eq!(normalize_marker(" 00ff ").as_deref(), Some("lastmile:00ff"));
    for bad in [
        "",
        "lastmile:",
        "lastmile:xyz",
        "lastmile:ab cd",
        &"a".repeat(129),
    ] {
        assert_eq!(normalize_marker(bad), None, "{bad}");
    }
    assert_eq!(
        find_marker("x <!--lastmile:aB-->").as_deref(),
        Some("lastmile:ab")
    );
    assert_eq!(
        find_marker("<!-- lastmile:01 -->\n<!-- lastmile:02 -->\n").as_deref(),
        Some("lastmile:02")
    );
    for none in [
        "lastmile:abc",
        "<!-- lastmile:abc",
        "<!-- lastmile:abcx -->",
        "<!-- lastmile: abc -->",
        "<!-- other:abc -->",
        "<!-- lastmile:-->",
        "<!--",
    ] {
        assert_eq!(find_marker(none), None, "{none}");
    }
    assert_eq!(marker_comment("ab").expect("ok"), "<!-- lastmile:ab -->");
}

#[test]
fn clip_counts_characters_and_marks_the_cut() {
    assert_eq!(clip("héllo", 5), "héllo");
    assert_eq!(clip("héllo", 4), "hél…");
    assert_eq!(clip("🔒🔒🔒", 2), "🔒…");
    assert_eq!(clip("abc", 0), "");
    assert_eq!(clip("", 3), "");
}

#[test]
fn decision_comment_keeps_the_reference() {
    let c = decision_comment(
        "alice",
        "accept risk",
        "compensating control: WAF rule 12",
        "d-381",
    );
    assert_eq!(
        c,
        "lastmile: accept risk by alice: compensating control: WAF rule 12 (decision d-381)"
    );
    let long = "why ".repeat(200);
    let c = decision_comment("alice", "false positive", &long, "d-381");
    assert_eq!(c.chars().count(), COMMENT_LIMIT);
    assert!(c.ends_with("… (decision d-381)"), "{c}");
    let c = decision_comment(&"x".repeat(500), &"k".repeat(500), &long, &"r".repeat(500));
    assert!(c.chars().count() <= COMMENT_LIMIT);
    assert!(c.ends_with("…)"), "{c}");
    assert!(c.contains("(decision rrrr"));
    let c = decision_comment("@bob", "defer", "ask @carol\nlater\u{0}", "7");
    assert_eq!(
        c,
        "lastmile: defer by @\u{2060}bob: ask @\u{2060}carol later (decision 7)"
    );
    assert_eq!(
        decision_comment("a", "k", "  ", "1"),
        "lastmile: k by a (decision 1)"
    );
}
