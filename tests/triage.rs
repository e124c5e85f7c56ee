//! Triage through the store: lanes and due dates with an injected clock, the approval gate,
//! expiry, and scans that never undo a person's decision.

use chrono::NaiveDate;
use lastmile::config::Config;
use lastmile::model::{DecisionKind, DecisionState, Status};
use lastmile::store::{DecisionFilter, DecisionRequest, Outcome};
use lastmile::triage::policy::Policy;

mod support;
use support::script::{Fixture, at, fixture};

const POLICY: &str = r#"
[[teams]]
name = "sec"
members = ["lee"]
[[people]]
handle = "ann"
[[people]]
handle = "lee"
[[people]]
handle = "max"
[[repos]]
name = "repo"
internet_facing = true
tier = 1
[[lanes]]
name = "exploitable"
query = "kev:yes"
sla_days = 7
accept_by = ["sec"]
approval = ["accept-risk", "false-positive", "defer"]
[[lanes]]
name = "high"
query = "sev>=high"
sla_days = 30
approval = ["accept-risk"]
[[lanes]]
name = "rest"
query = ""
sla_days = 90
"#;

fn policy(text: &str) -> Policy {
    Policy::from_config(&Config::parse(text, "policy.toml").unwrap()).unwrap()
}

fn flags(validated: Option<bool>, reachable: Option<bool>) -> lastmile::store::Flags {
    lastmile::store::Flags {
        validated,
        reachable,
    }
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn triaged() -> Fixture {
    let mut f = fixture();
    f.policy = policy(POLICY);
    f.clock.set(at("2026-03-01T12:00:00Z"));
    f
}

fn req(kind: DecisionKind, reason: &str) -> DecisionRequest {
    DecisionRequest {
        kind,
        reason: reason.into(),
        until: None,
        control: None,
        target: None,
    }
}

fn lane_due(f: &Fixture, fp: &str) -> (Option<String>, Option<String>, f64) {
    f.store
        .raw_connection()
        .query_row(
            "SELECT lane, due, risk FROM findings WHERE fingerprint = ?1",
            [fp],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap()
}

fn add_kev(f: &Fixture, cve: &str, due: &str) {
    f.store
        .raw_connection()
        .execute(
            "INSERT INTO kev(cve, date_added, due_date) VALUES (?1, '2026-01-01', ?2)",
            [cve, due],
        )
        .unwrap();
}

#[test]
fn imports_assign_lanes_and_due_dates_from_first_seen() {
    let mut f = triaged();
    add_kev(&f, "CVE-2021-44228", "2026-03-05");
    f.scan("k1 1 medium CVE-2021-44228\nh1 2 high\nm1 3 medium\n");
    let (lane, due, risk) = lane_due(&f, "k1");
    assert_eq!(lane.as_deref(), Some("exploitable"));
    // 7 days from 2026-03-01 would be 03-08; the KEV date caps it.
    assert_eq!(due.as_deref(), Some("2026-03-05"));
    assert!(risk > 60.0, "KEV + exposed + tier 1: {risk}");
    assert_eq!(
        lane_due(&f, "h1").0.as_deref(),
        Some("high"),
        "severity rule"
    );
    assert_eq!(lane_due(&f, "h1").1.as_deref(), Some("2026-03-31"));
    let (lane, due, _) = lane_due(&f, "m1");
    assert_eq!(
        (lane.as_deref(), due.as_deref()),
        (Some("rest"), Some("2026-05-30"))
    );
}

#[test]
fn a_fixed_finding_loses_its_deadline_and_a_reopen_keeps_the_first_clock() {
    let mut f = triaged();
    f.scan("h1 1 high\nh2 2 high\n");
    f.clock.set(at("2026-03-10T00:00:00Z"));
    f.scan("h2 2 high\n");
    assert_eq!(f.status_of("h1"), Status::Fixed);
    assert_eq!(lane_due(&f, "h1").1, None);
    f.clock.set(at("2026-04-20T00:00:00Z"));
    f.scan("h1 1 high\nh2 2 high\n");
    assert_eq!(f.status_of("h1"), Status::Open);
    assert_eq!(lane_due(&f, "h1").1.as_deref(), Some("2026-03-31"));
    // With the clock restarting on reopen, the deadline counts from the reopen.
    f.policy = policy(&format!("{POLICY}\n[sla]\nreopen_restarts_clock = true\n"));
    f.store
        .apply_policy(&f.policy, "ann", &f.clock, false)
        .unwrap()
        .expect("a changed policy recomputes");
    assert_eq!(lane_due(&f, "h1").1.as_deref(), Some("2026-05-20"));
}

#[test]
fn changing_the_policy_recomputes_every_finding_as_one_event() {
    let mut f = triaged();
    f.scan("h1 1 high\nh2 2 high\nm1 3 medium\n");
    f.store
        .apply_policy(&f.policy, "ann", &f.clock, false)
        .unwrap();
    let events = |f: &Fixture| -> i64 {
        f.store
            .raw_connection()
            .query_row(
                "SELECT count(*) FROM events WHERE kind = 'lanes-recomputed'",
                [],
                |r| r.get(0),
            )
            .unwrap()
    };
    let before = events(&f);
    // Same policy, same day: nothing to do.
    assert!(
        f.store
            .apply_policy(&f.policy, "ann", &f.clock, false)
            .unwrap()
            .is_none()
    );
    let stricter = policy(&POLICY.replace("sla_days = 30", "sla_days = 14"));
    let r = f
        .store
        .apply_policy(&stricter, "ann", &f.clock, false)
        .unwrap()
        .unwrap();
    assert_eq!((r.findings, r.changed), (3, 2));
    assert_eq!(events(&f), before + 1);
    assert_eq!(lane_due(&f, "h1").1.as_deref(), Some("2026-03-15"));
    assert!(matches!(
        f.store.verify_chain().unwrap(),
        lastmile::store::ChainReport::Intact { .. }
    ));
}

#[test]
fn a_gated_decision_waits_for_a_different_person() {
    let mut f = triaged();
    f.scan("h1 1 high\n");
    let id = f.id_of("h1");
    let mut accept = req(DecisionKind::AcceptRisk, "behind the VPN only");
    accept.until = Some(day("2026-06-01"));
    accept.control = Some("WAF rule 42".into());
    let r = f
        .store
        .decide(&[id], &accept, "ann", &f.policy, &f.clock)
        .unwrap();
    assert_eq!(r[0].outcome, Outcome::Pending);
    assert_eq!(
        f.status_of("h1"),
        Status::Open,
        "pending changes nothing yet"
    );
    let waiting = f
        .store
        .decisions(DecisionFilter::AwaitingReviewBy("lee"))
        .unwrap();
    assert_eq!(waiting.len(), 1);
    assert!(
        f.store
            .decisions(DecisionFilter::AwaitingReviewBy("ann"))
            .unwrap()
            .is_empty(),
        "not shown to its author as work"
    );
    assert_eq!(
        f.store
            .decisions(DecisionFilter::RequestedBy("ann"))
            .unwrap()
            .len(),
        1
    );
    // The author cannot approve their own decision.
    let own = f
        .store
        .review(&[id], None, None, "ann", &f.policy, &f.clock)
        .unwrap();
    assert!(
        matches!(&own[0].outcome, Outcome::Skipped { why } if why.contains("own")),
        "{own:?}"
    );
    assert_eq!(f.status_of("h1"), Status::Open);
    let ok = f
        .store
        .review(&[id], None, Some("agreed"), "lee", &f.policy, &f.clock)
        .unwrap();
    assert_eq!(
        ok[0].outcome,
        Outcome::Applied {
            from: Status::Open,
            to: Status::AcceptedRisk
        }
    );
    assert_eq!(f.status_of("h1"), Status::AcceptedRisk);
    let history = f.store.decisions(DecisionFilter::Finding(id)).unwrap();
    assert_eq!(history[0].state, DecisionState::Applied);
    assert_eq!(history[0].reviewer.as_deref(), Some("lee"));
    let kinds: Vec<String> = f
        .store
        .history(id)
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert!(
        kinds.ends_with(&["decision".into(), "approved".into()]),
        "{kinds:?}"
    );
    // An accepted finding has no deadline.
    assert_eq!(lane_due(&f, "h1").1, None);
}

#[test]
fn rejection_needs_a_reason_and_leaves_the_finding_as_it_was() {
    let mut f = triaged();
    f.scan("h1 1 high\n");
    let id = f.id_of("h1");
    let mut accept = req(DecisionKind::AcceptRisk, "low traffic");
    accept.until = Some(day("2026-06-01"));
    accept.control = Some("none really".into());
    f.store
        .decide(&[id], &accept, "ann", &f.policy, &f.clock)
        .unwrap();
    assert!(
        f.store
            .review(&[id], Some(" "), None, "lee", &f.policy, &f.clock)
            .is_err()
    );
    f.store
        .review(
            &[id],
            Some("no real control"),
            None,
            "lee",
            &f.policy,
            &f.clock,
        )
        .unwrap();
    assert_eq!(f.status_of("h1"), Status::Open);
    let d = &f.store.decisions(DecisionFilter::Finding(id)).unwrap()[0];
    assert_eq!(d.state, DecisionState::Rejected);
    assert_eq!(d.review_reason.as_deref(), Some("no real control"));
    assert!(
        f.store
            .decisions(DecisionFilter::AwaitingReviewBy("lee"))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn only_the_people_a_lane_names_may_accept_its_risk() {
    let mut f = triaged();
    add_kev(&f, "CVE-2024-3400", "2026-12-01");
    f.scan("k1 1 high CVE-2024-3400\n");
    let id = f.id_of("k1");
    let mut accept = req(DecisionKind::AcceptRisk, "isolated network");
    accept.until = Some(day("2026-04-01"));
    accept.control = Some("no ingress".into());
    f.store
        .decide(&[id], &accept, "ann", &f.policy, &f.clock)
        .unwrap();
    // max is not in team sec, which the exploitable lane names.
    let r = f
        .store
        .review(&[id], None, None, "max", &f.policy, &f.clock)
        .unwrap();
    assert!(matches!(&r[0].outcome, Outcome::Skipped { why } if why.contains("may not accept")));
    let r = f
        .store
        .review(&[id], None, None, "lee", &f.policy, &f.clock)
        .unwrap();
    assert!(matches!(r[0].outcome, Outcome::Applied { .. }), "{r:?}");
}

#[test]
fn expired_acceptances_and_deferrals_reopen_with_an_event() {
    let mut f = triaged();
    f.scan("m1 1 medium\nm2 2 medium\nm3 3 medium\n");
    let (a, b, c) = (f.id_of("m1"), f.id_of("m2"), f.id_of("m3"));
    let mut accept = req(DecisionKind::AcceptRisk, "compensated");
    accept.until = Some(day("2026-03-10"));
    accept.control = Some("rate limit".into());
    f.store
        .decide(&[a], &accept, "ann", &f.policy, &f.clock)
        .unwrap();
    let mut defer = req(DecisionKind::Defer, "next quarter");
    defer.until = Some(day("2026-03-20"));
    f.store
        .decide(&[b], &defer, "ann", &f.policy, &f.clock)
        .unwrap();
    f.store
        .decide(
            &[c],
            &req(DecisionKind::FalsePositive, "test code"),
            "ann",
            &f.policy,
            &f.clock,
        )
        .unwrap();
    f.clock.set(at("2026-03-09T23:00:00Z"));
    assert!(
        f.store
            .tick(&f.policy, "ann", &f.clock)
            .unwrap()
            .expired
            .is_empty()
    );
    f.clock.set(at("2026-03-10T00:30:00Z"));
    let t = f.store.tick(&f.policy, "ann", &f.clock).unwrap();
    assert_eq!(t.expired, vec![(a, Status::AcceptedRisk)]);
    assert_eq!(f.status_of("m1"), Status::Open);
    assert_eq!(f.status_of("m2"), Status::Deferred);
    let last = f.store.history(a).unwrap().pop().unwrap();
    assert_eq!(last.kind, "expired");
    assert!(last.reason.unwrap().contains("2026-03-10"));
    // The reopened finding has a deadline again (from first seen: already overdue).
    assert_eq!(lane_due(&f, "m1").1.as_deref(), Some("2026-05-30"));
    f.clock.set(at("2026-03-25T00:00:00Z"));
    let t = f.store.tick(&f.policy, "ann", &f.clock).unwrap();
    assert_eq!(t.expired, vec![(b, Status::Deferred)]);
    assert_eq!(
        f.status_of("m3"),
        Status::FalsePositive,
        "no end date, stays"
    );
    assert!(matches!(
        f.store.verify_chain().unwrap(),
        lastmile::store::ChainReport::Intact { .. }
    ));
}

#[test]
fn decisions_are_validated_before_anything_is_written() {
    let mut f = triaged();
    f.scan("h1 1 high\n");
    let id = f.id_of("h1");
    let before = f.dump();
    let cases = [
        (req(DecisionKind::FalsePositive, "  "), "justification"),
        (req(DecisionKind::Defer, "later"), "end date"),
        (
            DecisionRequest {
                until: Some(day("2026-02-01")),
                ..req(DecisionKind::Defer, "later")
            },
            "not in the future",
        ),
        (
            DecisionRequest {
                until: Some(day("2026-09-01")),
                ..req(DecisionKind::AcceptRisk, "fine")
            },
            "compensating control",
        ),
        (req(DecisionKind::Escalate, "needs a lead"), "target"),
        (
            DecisionRequest {
                target: Some("99999".into()),
                ..req(DecisionKind::Duplicate, "same bug")
            },
            "no finding",
        ),
    ];
    for (r, expect) in cases {
        let err = f
            .store
            .decide(&[id], &r, "ann", &f.policy, &f.clock)
            .unwrap_err()
            .to_string();
        assert!(err.contains(expect), "{err} should mention {expect}");
    }
    assert_eq!(f.dump(), before);
}

#[test]
fn a_new_decision_supersedes_a_pending_one() {
    let mut f = triaged();
    f.scan("h1 1 high\n");
    let id = f.id_of("h1");
    let mut accept = req(DecisionKind::AcceptRisk, "ok for now");
    accept.until = Some(day("2026-06-01"));
    accept.control = Some("monitoring".into());
    f.store
        .decide(&[id], &accept, "ann", &f.policy, &f.clock)
        .unwrap();
    let r = f
        .store
        .decide(
            &[id],
            &req(DecisionKind::FalsePositive, "the input is a constant"),
            "ann",
            &f.policy,
            &f.clock,
        )
        .unwrap();
    assert!(matches!(r[0].outcome, Outcome::Applied { .. }));
    let states: Vec<_> = f
        .store
        .decisions(DecisionFilter::Finding(id))
        .unwrap()
        .into_iter()
        .map(|d| d.state)
        .collect();
    assert_eq!(states, [DecisionState::Superseded, DecisionState::Applied]);
    assert!(
        f.store
            .decisions(DecisionFilter::AwaitingReviewBy("lee"))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_rescan_never_undoes_a_decision_and_reopen_is_a_decision_too() {
    let mut f = triaged();
    f.scan("m1 1 medium\nm2 2 medium\n");
    let (a, b) = (f.id_of("m1"), f.id_of("m2"));
    f.store
        .decide(
            &[a, b],
            &req(DecisionKind::FalsePositive, "generated code"),
            "ann",
            &f.policy,
            &f.clock,
        )
        .unwrap();
    f.clock.set(at("2026-03-02T00:00:00Z"));
    f.scan("m1 1 medium\n"); // m2 absent: not closed as fixed
    f.clock.set(at("2026-03-03T00:00:00Z"));
    f.scan("m1 1 medium\nm2 2 medium\n");
    assert_eq!(f.status_of("m1"), Status::FalsePositive);
    assert_eq!(f.status_of("m2"), Status::FalsePositive);
    let r = f
        .store
        .decide(
            &[a],
            &req(DecisionKind::Reopen, "it is reachable after all"),
            "lee",
            &f.policy,
            &f.clock,
        )
        .unwrap();
    assert_eq!(
        r[0].outcome,
        Outcome::Applied {
            from: Status::FalsePositive,
            to: Status::Open
        }
    );
    assert!(lane_due(&f, "m1").1.is_some());
}

#[test]
fn escalation_and_duplicates_record_their_target() {
    let mut f = triaged();
    f.scan("m1 1 medium\nm2 2 medium\n");
    let (a, b) = (f.id_of("m1"), f.id_of("m2"));
    let mut esc = req(DecisionKind::Escalate, "needs the platform team");
    esc.target = Some("platform".into());
    let r = f
        .store
        .decide(&[a], &esc, "ann", &f.policy, &f.clock)
        .unwrap();
    assert_eq!(
        r[0].outcome,
        Outcome::Applied {
            from: Status::Open,
            to: Status::Open
        }
    );
    let mut dup = req(DecisionKind::Duplicate, "same sink");
    dup.target = Some(a.to_string());
    f.store
        .decide(&[a, b], &dup, "ann", &f.policy, &f.clock)
        .unwrap();
    let (escalated, dup_of): (Option<String>, Option<i64>) = f
        .store
        .raw_connection()
        .query_row(
            "SELECT (SELECT escalated_to FROM findings WHERE id = ?1),
                    (SELECT duplicate_of FROM findings WHERE id = ?2)",
            [a, b],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(escalated.as_deref(), Some("platform"));
    assert_eq!(dup_of, Some(a));
    assert_eq!(f.status_of("m1"), Status::Open, "cannot duplicate itself");
    assert_eq!(f.status_of("m2"), Status::Duplicate);
}

#[test]
fn flags_raise_risk_and_can_move_the_lane() {
    let mut f = triaged();
    f.policy = policy(&POLICY.replace(
        "query = \"kev:yes\"",
        "query = \"kev:yes OR validated:yes\"",
    ));
    f.scan("m1 1 medium\n");
    let id = f.id_of("m1");
    let (lane, _, risk) = lane_due(&f, "m1");
    assert_eq!(lane.as_deref(), Some("rest"));
    assert!(
        f.store
            .set_flags(
                &[id],
                flags(Some(true), None),
                "ann",
                " ",
                &f.policy,
                &f.clock
            )
            .is_err()
    );
    f.store
        .set_flags(
            &[id],
            flags(Some(true), Some(true)),
            "ann",
            "PoC in ticket 7",
            &f.policy,
            &f.clock,
        )
        .unwrap();
    let (lane, due, after) = lane_due(&f, "m1");
    assert_eq!(lane.as_deref(), Some("exploitable"));
    assert_eq!(due.as_deref(), Some("2026-03-08"));
    assert!(after >= risk + 15.0, "{risk} -> {after}");
}
