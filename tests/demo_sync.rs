//! The demo's tracker story: what its build leaves in the database (read through the store's
//! own API), and syncs against its GitHub stand-in afterwards, as the console's `U` and
//! `lastmile sync` run them.

use chrono::{DateTime, Utc};
use lastmile::clock::FixedClock;
use lastmile::store::outbox::{Intent, RowState};
use lastmile::store::{OutboxFilter, Store};
use lastmile::trackers::RemoteKind;
use lastmile::trackers::engine::Plan;

const FULL: Plan = Plan {
    pull: true,
    push: true,
    dry_run: false,
};

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-01T12:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

#[test]
fn the_demo_records_links_outbox_rows_and_a_conflict_and_syncs_again_without_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let started = std::time::Instant::now();
    let (summary, replay) = lastmile::demo::build_live(&db, now(), 42).unwrap();
    eprintln!("demo build: {:?}", started.elapsed());
    let replay = replay.expect("loopback is available in tests");
    assert!(summary.github.contains("1 conflict"), "{}", summary.github);

    let store = Store::open(&db).unwrap();
    let rows = store.outbox(OutboxFilter::All).unwrap();
    let of = |state: RowState| rows.iter().filter(|r| r.state == state).count();
    assert_eq!(of(RowState::Failed), 1, "{rows:#?}");
    assert_eq!(of(RowState::Pending), 3, "{rows:#?}");
    assert_eq!(of(RowState::Done), 2, "{rows:#?}");
    let failed = rows.iter().find(|r| r.state == RowState::Failed).unwrap();
    assert_eq!(failed.kind, Some(RemoteKind::Dependabot));
    assert!(
        failed.last_error.as_deref().unwrap_or("").contains("422"),
        "{failed:?}"
    );
    let ticket = rows
        .iter()
        .find(|r| matches!(r.intent, Intent::Ticket { .. }))
        .expect("a ticket was requested");
    assert_eq!(ticket.state, RowState::Done);
    let ticketed = ticket.finding_id.unwrap();
    let links = store.links(ticketed).unwrap();
    assert!(
        links.iter().any(|l| l.at.kind == RemoteKind::Issue)
            && links.iter().any(|l| l.at.kind == RemoteKind::CodeScanning),
        "{links:?}"
    );
    // Every row names a finding with a link to the object it acts on.
    for row in &rows {
        let links = store.links(row.finding_id.unwrap()).unwrap();
        assert!(
            links
                .iter()
                .any(|l| Some(l.at.number) == row.number && Some(l.at.kind) == row.kind),
            "{row:?} {links:?}"
        );
    }
    let conflicts = store.recent_conflicts(10).unwrap();
    assert_eq!(conflicts.len(), 1, "{conflicts:?}");
    assert_eq!(conflicts[0].winner, "lastmile");
    assert!(
        rows.iter()
            .any(|r| r.state == RowState::Pending && r.finding_id == conflicts[0].finding_id),
        "the decision behind the conflict still waits to be pushed"
    );
    let marks = store.sync_marks().unwrap();
    assert_eq!(marks.len(), 3, "{marks:?}");
    let ctx = lastmile::query::Context::new(now(), None);
    // GitHub's own examples (and its re-dated issue) became findings of their own.
    assert_eq!(
        store
            .count("repo:payments-api tool:\"github code scanning\"", &ctx)
            .unwrap(),
        2
    );
    drop(store);

    // The console's sync (and `lastmile sync`) as the CLI runs it, from the config the demo
    // writes: it pulls the alerts raised since, pushes what waits, and opens nothing twice.
    let config = lastmile::demo::config_with(dir.path(), Some(&replay.api())).unwrap();
    let path = dir.path().join("config.toml");
    let clock = FixedClock::new(now());
    let sync = || {
        lastmile::trackers::setup::run_blocking(
            &db,
            &config,
            &path,
            None,
            FULL,
            &clock,
            &mut |_| {},
        )
        .unwrap()
        .remove(0)
    };
    let first = sync();
    assert_eq!(first.pulled.linked, 6, "{first:?}");
    assert_eq!(first.pulled.created, 0, "{first:?}");
    assert_eq!(first.pulled.conflicts, 0, "{first:?}");
    assert_eq!((first.pushed, first.failed), (3, 0), "{first:?}");
    let second = sync();
    assert_eq!(
        (second.pulled.linked, second.pulled.created, second.pushed),
        (0, 0, 0),
        "{second:?}"
    );

    let store = Store::open(&db).unwrap();
    let issues = store
        .links(ticketed)
        .unwrap()
        .into_iter()
        .filter(|l| l.at.kind == RemoteKind::Issue)
        .count();
    assert_eq!(issues, 1);
    let (waiting, failed) = store.outbox_counts().unwrap();
    assert_eq!((waiting, failed), (0, 1));
    let on_github = replay.world(|w, _| {
        let r = w.repo(lastmile::demo::sync::REPO).unwrap();
        (r.issues.len(), r.comments.len())
    });
    assert_eq!(
        on_github,
        (2, 1),
        "the filed issue and one ticket; one comment"
    );
    // A second request for the same finding's ticket is refused, not queued.
    let mut store = store;
    let again = store
        .request_tickets(
            &[ticketed],
            "github",
            lastmile::demo::sync::REPO,
            &[],
            "alice",
            &clock,
        )
        .unwrap();
    assert!(
        matches!(
            again[0].1,
            lastmile::store::TicketOutcome::AlreadyLinked { .. }
        ),
        "{again:?}"
    );
}
