use super::*;
use crate::config::Config;

const ROSTER: &str = r#"
[[teams]]
name = "payments"
champion = "cam"
lead = "lee"
aliases = ["@acme/billing-old"]
tickets = { tracker = "jira", project = "PAY" }
[[teams]]
name = "web"
champion = "wen"
[[teams]]
name = "appsec"
champion = "sec"

[[people]]
handle = "dev1"
emails = ["dev1@acme.io"]
team = "web"
left = "2026-05-01"
[[people]]
handle = "dev3"
emails = ["dev3@acme.io"]
team = "web"
[[people]]
handle = "cam"
team = "payments"
[[people]]
handle = "lee"
team = "payments"
[[people]]
handle = "wen"
team = "web"
[[people]]
handle = "sec"
team = "appsec"
"#;

fn config(extra: &str) -> Config {
    Config::parse(&format!("{ROSTER}\n{extra}"), "t").unwrap()
}

fn today() -> NaiveDate {
    crate::clock::parse_day("2026-11-22").unwrap()
}

fn unix(day: &str) -> i64 {
    crate::clock::parse_day(day)
        .unwrap()
        .and_hms_opt(12, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp()
}

fn author(email: &str, day: &str, lines: usize) -> Author {
    Author {
        name: email.split('@').next().unwrap().into(),
        email: email.into(),
        time: unix(day),
        lines,
    }
}

fn codeowners_team(team: &str) -> Claim {
    Claim {
        source: Source::Codeowners,
        owners: vec![Claimant::Team(team.into())],
        why: "CODEOWNERS `/billing/` line 12".into(),
    }
}

fn route(config: &Config, evidence: &Evidence) -> Suggestion {
    let roster = Roster::from_config(config);
    Router {
        roster: &roster,
        routing: &config.routing,
        today: today(),
    }
    .route(evidence)
}

fn who(s: &Suggestion) -> (Option<&str>, Option<&str>, Option<Confidence>) {
    (s.person.as_deref(), s.team.as_deref(), s.confidence)
}

#[test]
fn the_recent_author_owns_it_and_the_code_owners_team_gets_the_ticket() {
    let s = route(
        &config(""),
        &Evidence {
            blame: Some(Ok(vec![author("dev3@acme.io", "2026-10-02", 4)])),
            claims: vec![codeowners_team("@acme/payments")],
        },
    );
    assert_eq!(
        who(&s),
        (Some("dev3"), Some("payments"), Some(Confidence::High))
    );
    assert_eq!(
        s.chain(),
        "blame @dev3 (4 lines, 2026-10-02) -> team payments (CODEOWNERS `/billing/` line 12)"
    );
    assert_eq!(
        s.tickets,
        Some(Tickets {
            tracker: "jira".into(),
            project: "PAY".into()
        })
    );
}

#[test]
fn an_author_who_left_falls_back_to_the_owning_teams_champion() {
    let s = route(
        &config(""),
        &Evidence {
            blame: Some(Ok(vec![author("dev1@acme.io", "2026-04-02", 2)])),
            claims: vec![codeowners_team("@acme/payments")],
        },
    );
    assert_eq!(
        who(&s),
        (Some("cam"), Some("payments"), Some(Confidence::Medium))
    );
    assert_eq!(
        s.chain(),
        "blame @dev1 (left 2026-05-01) -> team payments (CODEOWNERS `/billing/` line 12) \
         -> champion @cam"
    );
}

#[test]
fn a_champion_who_left_falls_back_to_the_lead_then_to_the_team_alone() {
    let ev = Evidence {
        blame: None,
        claims: vec![codeowners_team("payments")],
    };
    let s = route(&config("").tap_left("cam", "2026-06-01"), &ev);
    assert_eq!(
        who(&s),
        (Some("lee"), Some("payments"), Some(Confidence::Medium))
    );
    assert!(
        s.chain()
            .contains("champion @cam (left 2026-06-01) -> lead @lee"),
        "{}",
        s.chain()
    );

    let s = route(
        &config("")
            .tap_left("cam", "2026-06-01")
            .tap_left("lee", "2026-07-01"),
        &ev,
    );
    assert_eq!(who(&s), (None, Some("payments"), Some(Confidence::Low)));
    assert!(
        s.chain()
            .ends_with("no active champion or lead: team payments only")
    );
}

#[test]
fn with_no_team_claim_the_former_authors_team_then_the_catch_all_decide() {
    let ev = Evidence {
        blame: Some(Ok(vec![author("dev1@acme.io", "2026-04-02", 2)])),
        claims: vec![],
    };
    let s = route(&config(""), &ev);
    assert_eq!(who(&s), (Some("wen"), Some("web"), Some(Confidence::Low)));
    assert_eq!(
        s.chain(),
        "blame @dev1 (left 2026-05-01) -> team web (their team) -> champion @wen"
    );

    let ev = Evidence {
        blame: Some(Ok(vec![author("stranger@else.where", "2026-11-01", 1)])),
        claims: vec![],
    };
    let s = route(&config("[routing]\ncatch_all = \"appsec\""), &ev);
    assert_eq!(
        who(&s),
        (Some("sec"), Some("appsec"), Some(Confidence::Low))
    );
    assert_eq!(
        s.chain(),
        "blame stranger <stranger@else.where> (not in the roster) -> catch-all team appsec \
         -> champion @sec"
    );

    let s = route(&config("[routing]\ncatch_all = \"lee\""), &ev);
    assert_eq!(
        who(&s),
        (Some("lee"), Some("payments"), Some(Confidence::Low))
    );

    let s = route(&config(""), &ev);
    assert_eq!(who(&s), (None, None, None));
    assert!(
        s.chain()
            .ends_with("nothing claims this finding (set [routing].catch_all)")
    );
}

#[test]
fn stale_and_unknown_authors_are_passed_over_for_the_next_one() {
    let s = route(
        &config(""),
        &Evidence {
            blame: Some(Ok(vec![
                author("who@else.where", "2026-11-01", 1),
                author("dev3@acme.io", "2023-01-05", 3),
                author("cam@acme.io", "2026-01-05", 1),
            ])),
            claims: vec![],
        },
    );
    // cam has no e-mail in the roster, but the name part of the address is their handle.
    assert_eq!(
        who(&s),
        (Some("cam"), Some("payments"), Some(Confidence::High))
    );
    assert!(
        s.chain()
            .contains("blame @dev3 (last touched 2023-01-05, over 730 days ago)"),
        "{}",
        s.chain()
    );
}

#[test]
fn the_order_of_sources_is_the_configs() {
    let ev = Evidence {
        blame: Some(Ok(vec![author("dev3@acme.io", "2026-10-02", 4)])),
        claims: vec![Claim {
            source: Source::Codeowners,
            owners: vec![
                Claimant::Person("@lee".into()),
                Claimant::Team("@acme/web".into()),
            ],
            why: "CODEOWNERS `*.rs` line 3".into(),
        }],
    };
    let s = route(&config(""), &ev);
    assert_eq!(who(&s), (Some("dev3"), Some("web"), Some(Confidence::High)));
    let s = route(
        &config("[routing]\norder = [\"codeowners\", \"blame\"]"),
        &ev,
    );
    assert_eq!(who(&s), (Some("lee"), Some("web"), Some(Confidence::High)));
    assert_eq!(
        s.chain(),
        "@lee (CODEOWNERS `*.rs` line 3) -> team web (CODEOWNERS `*.rs` line 3)"
    );
    // A source left out of the order is not asked.
    let s = route(&config("[routing]\norder = [\"repo\"]"), &ev);
    assert_eq!(who(&s), (None, None, None));
}

#[test]
fn merged_teams_route_through_aliases_and_unknown_ones_say_so() {
    let ev = Evidence {
        blame: None,
        claims: vec![
            Claim {
                source: Source::Catalog,
                owners: vec![Claimant::Team("group:default/ghosts".into())],
                why: "catalog `catalog-info.yaml` line 4".into(),
            },
            codeowners_team("@acme/billing-old"),
        ],
    };
    let s = route(
        &config("[routing]\norder = [\"catalog\", \"codeowners\"]"),
        &ev,
    );
    assert_eq!(
        who(&s),
        (Some("cam"), Some("payments"), Some(Confidence::Medium))
    );
    assert!(
        s.chain().starts_with(
            "catalog `catalog-info.yaml` line 4: group:default/ghosts (not in the roster)"
        ),
        "{}",
        s.chain()
    );
    // Once a team is chosen, what later sources cannot resolve is not worth saying.
    let s = route(&config(""), &ev);
    assert_eq!(
        s.chain(),
        "team payments (CODEOWNERS `/billing/` line 12) -> champion @cam"
    );
}

#[test]
fn blame_that_failed_is_a_reason_not_an_error() {
    let s = route(
        &config(""),
        &Evidence {
            blame: Some(Err("src/a.rs is not in commit 0123abc".into())),
            claims: vec![Claim {
                source: Source::Repo,
                owners: vec![Claimant::Team("web".into())],
                why: "repo shop in config".into(),
            }],
        },
    );
    assert_eq!(
        who(&s),
        (Some("wen"), Some("web"), Some(Confidence::Medium))
    );
    assert!(
        s.chain()
            .starts_with("blame unavailable: src/a.rs is not in commit 0123abc")
    );
}

trait TapLeft {
    fn tap_left(self, handle: &str, day: &str) -> Self;
}

impl TapLeft for Config {
    fn tap_left(mut self, handle: &str, day: &str) -> Self {
        for p in &mut self.people {
            if p.get_ref().handle == handle {
                p.get_mut().left = Some(day.into());
            }
        }
        self
    }
}
