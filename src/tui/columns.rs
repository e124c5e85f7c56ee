//! The backlog's columns: what each shows for a row, and which of them fit a width. Every
//! string from the database goes through `sanitize` here, before it can reach a `Span`.

use crate::model::{FindingRow, Severity, Status};
use crate::sanitize;
use crate::store::SortField;
use crate::triage::sla::SlaState;
use chrono::NaiveDate;

use super::text;

/// The marks before every row: selected, and a decision waiting for approval.
pub const MARKS_WIDTH: usize = 2;
pub const SELECTED_MARK: char = '*';
pub const PENDING_MARK: char = '?';

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Severity,
    Status,
    Risk,
    Lane,
    Due,
    Id,
    Owner,
    Team,
    Repo,
    Tool,
    Rule,
    Path,
    Title,
}

/// Severity as a word, so it reads without colour.
pub fn severity_label(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "CRIT",
        Severity::High => "HIGH",
        Severity::Medium => "MED",
        Severity::Low => "LOW",
        Severity::Info => "INFO",
    }
}

/// Statuses cut to fit a 9-column cell and still tell apart.
pub fn status_label(s: Status) -> &'static str {
    match s {
        Status::Open => "open",
        Status::Triaged => "triaged",
        Status::InProgress => "in_prog",
        Status::FixProposed => "fix_prop",
        Status::Fixed => "fixed",
        Status::Verified => "verified",
        Status::FalsePositive => "false_pos",
        Status::AcceptedRisk => "accepted",
        Status::Duplicate => "duplicate",
        Status::Deferred => "deferred",
    }
}

/// Where a row stands against its deadline; closed findings have none.
pub fn sla(r: &FindingRow, today: Option<NaiveDate>) -> SlaState {
    match today {
        Some(today) if r.status.is_active() => SlaState::of(r.due.as_deref(), today),
        _ => SlaState::None,
    }
}

/// How a column takes room: exactly its width, or between a minimum and a maximum.
enum Size {
    Fixed(usize),
    Flex(usize, usize),
}

impl Column {
    /// What the list shows when a view names no columns, in order.
    pub const DEFAULT: [Column; 13] = [
        Column::Severity,
        Column::Status,
        Column::Risk,
        Column::Lane,
        Column::Due,
        Column::Id,
        Column::Owner,
        Column::Team,
        Column::Repo,
        Column::Tool,
        Column::Rule,
        Column::Path,
        Column::Title,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Column::Severity => "severity",
            Column::Status => "status",
            Column::Risk => "risk",
            Column::Lane => "lane",
            Column::Due => "due",
            Column::Id => "id",
            Column::Owner => "owner",
            Column::Team => "team",
            Column::Repo => "repo",
            Column::Tool => "tool",
            Column::Rule => "rule",
            Column::Path => "path",
            Column::Title => "title",
        }
    }

    /// A view's column name (`sev` too); None for names the list does not know.
    pub fn from_name(name: &str) -> Option<Column> {
        let name = name.trim();
        if name.eq_ignore_ascii_case("sev") {
            return Some(Column::Severity);
        }
        Column::DEFAULT
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(name))
    }

    pub fn header(self) -> &'static str {
        match self {
            Column::Severity => "SEV",
            Column::Status => "STATUS",
            Column::Risk => "RISK",
            Column::Lane => "LANE",
            Column::Due => "DUE",
            Column::Id => "ID",
            Column::Owner => "OWNER",
            Column::Team => "TEAM",
            Column::Repo => "REPO",
            Column::Tool => "TOOL",
            Column::Rule => "RULE",
            Column::Path => "PATH:LINE",
            Column::Title => "TITLE",
        }
    }

    pub fn sort_field(self) -> SortField {
        match self {
            Column::Severity => SortField::Severity,
            Column::Status => SortField::Status,
            Column::Risk => SortField::Risk,
            Column::Lane => SortField::Lane,
            Column::Due => SortField::Due,
            Column::Id => SortField::Id,
            Column::Owner => SortField::Owner,
            Column::Team => SortField::Team,
            Column::Repo => SortField::Repo,
            Column::Tool => SortField::Tool,
            Column::Rule => SortField::Rule,
            Column::Path => SortField::Path,
            Column::Title => SortField::Title,
        }
    }

    /// Narrow screens drop the lowest first. The title is what people read; severity, id and
    /// the deadline are what they triage by; where the code is comes next; who owns it and
    /// what found it can wait for the detail pane.
    fn keep(self) -> u8 {
        match self {
            Column::Title => 100,
            Column::Severity => 90,
            Column::Id => 85,
            Column::Due => 80,
            Column::Risk => 70,
            Column::Status => 60,
            Column::Lane => 50,
            Column::Path => 40,
            Column::Owner => 30,
            Column::Team => 25,
            Column::Repo => 20,
            Column::Rule => 15,
            Column::Tool => 10,
        }
    }

    fn size(self, id_width: usize) -> Size {
        match self {
            Column::Severity => Size::Fixed(4),
            Column::Status => Size::Fixed(9),
            Column::Risk => Size::Fixed(4),
            // `!` and "12d late", `~` and "in 5d".
            Column::Due => Size::Fixed(9),
            Column::Id => Size::Fixed(id_width),
            // The built-in lane names ("exploitable") fit whole at 80 columns.
            Column::Lane => Size::Flex(11, 16),
            Column::Owner => Size::Flex(5, 16),
            Column::Team => Size::Flex(4, 16),
            Column::Repo => Size::Flex(10, 20),
            Column::Tool => Size::Flex(8, 16),
            Column::Rule => Size::Flex(12, 32),
            Column::Path => Size::Flex(14, 36),
            Column::Title => Size::Flex(28, usize::MAX),
        }
    }

    /// The cell's text, sanitized and not yet fitted.
    pub fn cell(self, r: &FindingRow, today: Option<NaiveDate>) -> String {
        let opt = |v: &Option<String>| match v {
            Some(s) => sanitize::line(s).into_owned(),
            None => "-".into(),
        };
        match self {
            Column::Severity => severity_label(r.severity).into(),
            Column::Status => status_label(r.status).into(),
            Column::Risk => r.risk.map_or("-".into(), |v| format!("{v:.0}")),
            Column::Lane => opt(&r.lane),
            Column::Due => due_cell(r, today),
            Column::Id => r.id.to_string(),
            Column::Owner => opt(&r.owner),
            Column::Team => opt(&r.team),
            Column::Repo => sanitize::line(&r.repo).into_owned(),
            Column::Tool => sanitize::line(&r.tool).into_owned(),
            Column::Rule => sanitize::line(&r.rule).into_owned(),
            Column::Path => match (&r.path, r.line) {
                (Some(p), Some(l)) => format!("{}:{l}", sanitize::line(p)),
                (Some(p), None) => sanitize::line(p).into_owned(),
                (None, _) => "-".into(),
            },
            Column::Title => sanitize::line(&r.title).into_owned(),
        }
    }

    /// Whether the row has something to show here (the columns of optional values show `-`).
    fn has_value(self, r: &FindingRow) -> bool {
        match self {
            Column::Risk => r.risk.is_some(),
            Column::Lane => r.lane.is_some(),
            Column::Due => r.due.is_some(),
            Column::Owner => r.owner.is_some(),
            Column::Team => r.team.is_some(),
            Column::Path => r.path.is_some(),
            _ => true,
        }
    }

    /// The cell fitted to `w` columns.
    pub fn fit(self, s: &str, w: usize) -> String {
        match self {
            Column::Id | Column::Risk => text::fit_right(s, w),
            Column::Path => text::fit(&text::clip_left(s, w), w),
            _ => text::fit(s, w),
        }
    }
}

/// "!3d late", "~in 5d", " in 30d": the SLA symbol first, so it lines up down the column.
fn due_cell(r: &FindingRow, today: Option<NaiveDate>) -> String {
    let Some(due) = &r.due else {
        return "-".into();
    };
    match sla(r, today) {
        SlaState::None if today.is_none() || r.status.is_active() => {
            // No clock to compare with, or a date it cannot read: the date as stored.
            sanitize::line(due).into_owned()
        }
        SlaState::None => "-".into(),
        state => format!("{}{}", state.symbol(), state.relative()),
    }
}

/// Columns and widths for a table `width` wide (marks excluded): `wanted` in its order, the
/// least valuable dropped until the rest fit at their minimum, then sized to their content.
/// A column with nothing to show on screen goes first (a backlog triage has not reached yet
/// keeps the room for paths), and the column the list is sorted by goes last but the title.
pub fn layout(
    wanted: &[Column],
    width: usize,
    rows: &[FindingRow],
    today: Option<NaiveDate>,
    sorted: SortField,
) -> Vec<(Column, usize)> {
    let id_w = rows
        .iter()
        .map(|r| r.id.to_string().len())
        .max()
        .unwrap_or(2)
        .max(2);
    let min = |c: Column| match c.size(id_w) {
        Size::Fixed(w) | Size::Flex(w, _) => w,
    };
    let mut kept: Vec<Column> = Vec::new();
    for &c in wanted {
        if !kept.contains(&c) {
            kept.push(c);
        }
    }
    let need = |cols: &[Column]| {
        cols.iter().map(|c| min(*c)).sum::<usize>() + cols.len().saturating_sub(1)
    };
    let shows_something = |c: Column| rows.is_empty() || rows.iter().any(|r| c.has_value(r));
    while kept.len() > 1 && need(&kept) > width {
        let (i, _) = kept
            .iter()
            .enumerate()
            .min_by_key(|(_, c)| {
                let sorted = c.sort_field() == sorted && **c != Column::Title;
                (shows_something(**c) || sorted, sorted, c.keep())
            })
            .expect("more than one column");
        kept.remove(i);
    }
    if need(&kept) > width {
        // Even one column is too wide: it gets what there is.
        return kept.into_iter().map(|c| (c, width)).collect();
    }
    let natural = |col: Column| {
        rows.iter()
            .map(|r| text::width(&col.cell(r, today)))
            .max()
            .unwrap_or(0)
    };
    // A column whose content is shorter than its minimum gives the rest back; the title takes
    // whatever is left at the end.
    let mut widths: Vec<(Column, usize)> = kept
        .iter()
        .map(|&c| match c.size(id_w) {
            _ if c == Column::Title => (c, 0),
            Size::Fixed(w) => (c, w),
            Size::Flex(w, _) => (c, w.min(natural(c)).max(text::width(c.header()))),
        })
        .collect();
    let used: usize = widths.iter().map(|(_, w)| w).sum::<usize>() + kept.len() - 1;
    let mut free = width - used;
    // The title is what people read: the others grow only while it keeps half the room (or
    // all it needs, when less).
    let has_title = kept.contains(&Column::Title);
    let title_floor = if has_title {
        (width / 2).min(natural(Column::Title)).max(8).min(free)
    } else {
        0
    };
    let mut for_others = free - title_floor;
    let mut by_value: Vec<usize> = (0..widths.len()).collect();
    by_value.sort_by_key(|&i| std::cmp::Reverse(widths[i].0.keep()));
    for i in by_value {
        let (col, w) = widths[i];
        let Size::Flex(_, max) = col.size(id_w) else {
            continue;
        };
        if col == Column::Title {
            continue;
        }
        let grow = natural(col).min(max).saturating_sub(w).min(for_others);
        for_others -= grow;
        free -= grow;
        widths[i].1 += grow;
    }
    if let Some(t) = widths.iter_mut().find(|(c, _)| *c == Column::Title) {
        t.1 = free;
    }
    widths
}
