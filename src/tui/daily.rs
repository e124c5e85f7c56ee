//! Keeping triage current while the console is open (`Store::tick`: expired acceptances and
//! deferrals reopen, a new day recomputes risk and lanes). The event loop reports the time at
//! start and now and then; at start and whenever the date changes the writer runs the tick,
//! off the UI thread, and the rows are read again. At start it must not run before the first
//! frame: a new day's recompute takes seconds on a million findings.

use super::app::{Effect, State};
use super::decisions;
use super::msg::TriageEffect;
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

/// The dates the console last saw: both count, since deadlines are local days and stored
/// expiry dates are compared with the UTC day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Day {
    pub local: NaiveDate,
    pub utc: NaiveDate,
}

/// Who the tick is recorded as when the console has no `me`: it is the tool's own doing.
const SYSTEM_ACTOR: &str = "lastmile";

/// Notes the time `now` (in the local `offset`); at the first call and on a new date asks the
/// writer for the tick.
pub fn check(state: &mut State, now: DateTime<Utc>, offset: FixedOffset) -> Vec<Effect> {
    let day = Day {
        local: now.with_timezone(&offset).date_naive(),
        utc: now.date_naive(),
    };
    state.today = Some(day.local);
    state.triage.now = Some(now);
    match state.triage.day.replace(day) {
        Some(before) if before == day => Vec::new(),
        _ => {
            let actor = state
                .triage
                .me
                .as_deref()
                .unwrap_or(SYSTEM_ACTOR)
                .to_string();
            vec![Effect::Triage(TriageEffect::Tick { actor })]
        }
    }
}

/// "2 expired decisions reopened".
pub fn expired_summary(expired: usize) -> String {
    let noun = if expired == 1 {
        "decision"
    } else {
        "decisions"
    };
    format!("{expired} expired {noun} reopened")
}

/// The tick's answer: say what expired, and read again what it changed.
pub fn on_ticked(state: &mut State, expired: usize, recomputed: bool) -> Vec<Effect> {
    if expired > 0 {
        state.triage.notice = Some(expired_summary(expired));
    }
    if expired == 0 && !recomputed {
        return Vec::new();
    }
    decisions::after_write(state)
}

pub fn on_failed(state: &mut State, message: String) -> Vec<Effect> {
    state.error = Some(format!("the daily update failed: {message}"));
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::{ColorDepth, Keymap, Theme};

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn a_tick_is_asked_for_at_start_and_once_per_new_date_local_or_utc() {
        let theme = Theme::new("default", ColorDepth::None);
        let mut state = State::new(Keymap::default(), theme, 80, 24);
        let utc = FixedOffset::east_opt(0).unwrap();
        let tokyo = FixedOffset::east_opt(9 * 3600).unwrap();
        assert_eq!(check(&mut state, at("2026-05-01T12:00:00Z"), utc).len(), 1);
        assert!(check(&mut state, at("2026-05-01T23:59:00Z"), utc).is_empty());
        let e = check(&mut state, at("2026-05-02T00:01:00Z"), utc);
        assert_eq!(
            e,
            [Effect::Triage(TriageEffect::Tick {
                actor: "lastmile".into()
            })]
        );
        assert!(check(&mut state, at("2026-05-02T08:00:00Z"), utc).is_empty());
        // Local midnight in Tokyo comes first; UTC midnight is a second new date.
        state.triage.me = Some("ann".into());
        let e = check(&mut state, at("2026-05-02T15:30:00Z"), tokyo);
        assert_eq!(e.len(), 1);
        assert_eq!(state.today, Some("2026-05-03".parse().unwrap()));
        assert!(check(&mut state, at("2026-05-02T16:00:00Z"), tokyo).is_empty());
        assert_eq!(
            check(&mut state, at("2026-05-03T00:00:00Z"), tokyo).len(),
            1
        );
        assert_eq!(expired_summary(1), "1 expired decision reopened");
    }
}
