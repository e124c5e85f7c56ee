//! Where a finding stands against its deadline, shown as a word and a symbol (never colour alone).

use chrono::NaiveDate;

/// Days before the due date from which a finding counts as due soon.
pub const DUE_SOON_DAYS: i64 = 7;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlaState {
    /// Past its due date by this many days (at least 1).
    Overdue(i64),
    /// Due today (0) or within `DUE_SOON_DAYS` days.
    DueSoon(i64),
    /// Due in more than `DUE_SOON_DAYS` days.
    OnTrack(i64),
    /// No deadline: no lane took it, or it is closed.
    None,
}

impl SlaState {
    /// `due` as stored (YYYY-MM-DD); an unreadable date counts as no deadline.
    pub fn of(due: Option<&str>, today: NaiveDate) -> SlaState {
        let Some(due) = due.and_then(crate::clock::parse_day) else {
            return SlaState::None;
        };
        let left = (due - today).num_days();
        if left < 0 {
            SlaState::Overdue(-left)
        } else if left <= DUE_SOON_DAYS {
            SlaState::DueSoon(left)
        } else {
            SlaState::OnTrack(left)
        }
    }

    /// A word for lists and screen readers.
    pub fn word(self) -> &'static str {
        match self {
            SlaState::Overdue(_) => "overdue",
            SlaState::DueSoon(_) => "due soon",
            SlaState::OnTrack(_) => "on track",
            SlaState::None => "no SLA",
        }
    }

    /// One cell, readable without colour: `!` overdue, `~` due soon, a space otherwise.
    pub fn symbol(self) -> char {
        match self {
            SlaState::Overdue(_) => '!',
            SlaState::DueSoon(_) => '~',
            SlaState::OnTrack(_) | SlaState::None => ' ',
        }
    }

    /// Compact relative form that fits nine cells: `3d late`, `today`, `in 5d`, `14w late`,
    /// `in 2y`, `-`.
    pub fn relative(self) -> String {
        match self {
            SlaState::Overdue(d) => format!("{} late", span(d)),
            SlaState::DueSoon(0) => "today".into(),
            SlaState::DueSoon(d) | SlaState::OnTrack(d) => format!("in {}", span(d)),
            SlaState::None => "-".into(),
        }
    }
}

/// Days up to 99, then weeks up to 99, then years.
fn span(days: i64) -> String {
    if days < 100 {
        format!("{days}d")
    } else if days < 700 {
        format!("{}w", days / 7)
    } else {
        format!("{}y", days / 365)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn states_around_the_deadline() {
        let today = d("2026-11-22");
        assert_eq!(
            SlaState::of(Some("2026-11-21"), today),
            SlaState::Overdue(1)
        );
        assert_eq!(
            SlaState::of(Some("2026-11-22"), today),
            SlaState::DueSoon(0)
        );
        assert_eq!(
            SlaState::of(Some("2026-11-29"), today),
            SlaState::DueSoon(7)
        );
        assert_eq!(
            SlaState::of(Some("2026-11-30"), today),
            SlaState::OnTrack(8)
        );
        assert_eq!(SlaState::of(None, today), SlaState::None);
        assert_eq!(SlaState::of(Some("soon"), today), SlaState::None);
        assert_eq!(SlaState::Overdue(3).relative(), "3d late");
        assert_eq!(SlaState::DueSoon(0).relative(), "today");
        assert_eq!(SlaState::Overdue(150).relative(), "21w late");
        assert_eq!(SlaState::Overdue(1794).relative(), "4y late");
        assert_eq!(SlaState::OnTrack(99).relative(), "in 99d");
    }
}
