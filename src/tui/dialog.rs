//! The decision dialog: one decision for the selected findings (or the row under the cursor),
//! with its justification and whatever the kind needs. It checks what it can before sending,
//! so a mistake is named next to the field it is in; the store checks again and its refusal
//! is shown here too, with the text kept.

use super::action::{Action, Context};
use super::app::{Effect, State};
use super::decisions::{self, NO_ACTOR};
use super::editor::Editor;
use super::keymap::Key;
use super::msg::TriageEffect;
use crate::model::DecisionKind;
use crate::store::DecisionRequest;
use chrono::{NaiveDate, TimeDelta};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Kind,
    Reason,
    Until,
    Control,
    Target,
}

#[derive(Debug, Clone)]
pub struct Dialog {
    /// The findings decided on, fixed when the dialog opened.
    pub ids: Vec<i64>,
    pub kind: DecisionKind,
    pub field: Field,
    pub reason: Editor,
    pub until: Editor,
    pub control: Editor,
    pub target: Editor,
    pub error: Option<String>,
    /// Sent, waiting for the writer's answer.
    pub sending: bool,
    /// The findings' lanes as far as the list shows them (lane -> how many), for saying where
    /// a decision will wait for approval.
    pub lanes: BTreeMap<String, usize>,
}

/// The fields a kind asks for, in tab order.
pub fn fields(kind: DecisionKind) -> Vec<Field> {
    let mut out = vec![Field::Kind, Field::Reason];
    if kind.needs_until() {
        out.push(Field::Until);
    }
    if kind == DecisionKind::AcceptRisk {
        out.push(Field::Control);
    }
    if kind.needs_target() {
        out.push(Field::Target);
    }
    out
}

/// `+30d`, `+30` or `+4w` from `today`, or a YYYY-MM-DD date.
pub fn parse_until(text: &str, today: Option<NaiveDate>) -> Result<NaiveDate, String> {
    let text = text.trim();
    if let Some(rel) = text.strip_prefix('+') {
        let (n, unit) = match rel.strip_suffix(['d', 'D']) {
            Some(n) => (n, 1),
            None => match rel.strip_suffix(['w', 'W']) {
                Some(n) => (n, 7),
                None => (rel, 1),
            },
        };
        let n: i64 = n
            .parse()
            .ok()
            .filter(|n| (1..=3650).contains(n))
            .ok_or_else(|| format!("'{text}': write +30d, +90d, +4w or a date"))?;
        let today = today.ok_or("today's date is unknown: write the date (YYYY-MM-DD)")?;
        return Ok(today + TimeDelta::days(n * unit));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| format!("'{text}' is not a date: YYYY-MM-DD, or +30d / +90d"))
}

impl Dialog {
    pub fn new(ids: Vec<i64>, lanes: BTreeMap<String, usize>) -> Dialog {
        Dialog {
            ids,
            kind: DecisionKind::Confirm,
            field: Field::Kind,
            reason: Editor::multi_line(""),
            until: Editor::single_line(""),
            control: Editor::single_line(""),
            target: Editor::single_line(""),
            error: None,
            sending: false,
            lanes,
        }
    }

    pub fn editor_mut(&mut self, field: Field) -> Option<&mut Editor> {
        match field {
            Field::Kind => None,
            Field::Reason => Some(&mut self.reason),
            Field::Until => Some(&mut self.until),
            Field::Control => Some(&mut self.control),
            Field::Target => Some(&mut self.target),
        }
    }

    fn step_kind(&mut self, delta: i64) {
        let all = DecisionKind::ALL;
        let i = all.iter().position(|k| *k == self.kind).unwrap_or(0) as i64;
        self.kind = all[(i + delta).clamp(0, all.len() as i64 - 1) as usize];
    }

    /// The next kind starting with `c` after the current one (d: defer, then duplicate).
    fn pick_by_letter(&mut self, c: char) {
        let all = DecisionKind::ALL;
        let at = all.iter().position(|k| *k == self.kind).unwrap_or(0);
        let c = c.to_ascii_lowercase();
        if let Some(k) = (1..=all.len())
            .map(|n| all[(at + n) % all.len()])
            .find(|k| k.as_str().starts_with(c))
        {
            self.kind = k;
        }
    }

    fn step_field(&mut self, forward: bool) {
        let order = fields(self.kind);
        let i = order.iter().position(|f| *f == self.field).unwrap_or(0);
        let n = order.len();
        self.field = order[if forward {
            (i + 1) % n
        } else {
            (i + n - 1) % n
        }];
    }

    /// The request the fields describe, or the field at fault and what is wrong with it.
    pub fn request(&self, today: Option<NaiveDate>) -> Result<DecisionRequest, (Field, String)> {
        let kind = self.kind;
        let reason = self.reason.text().trim().to_string();
        if reason.is_empty() {
            return Err((
                Field::Reason,
                format!("{kind} needs a justification: say why"),
            ));
        }
        let until = if kind.needs_until() {
            let text = self.until.text();
            if text.trim().is_empty() {
                return Err((
                    Field::Until,
                    format!("{kind} needs an end date: YYYY-MM-DD, or +30d / +90d"),
                ));
            }
            let day = parse_until(&text, today).map_err(|e| (Field::Until, e))?;
            if today.is_some_and(|t| day <= t) {
                return Err((Field::Until, format!("{day} is not in the future")));
            }
            Some(day)
        } else {
            None
        };
        let text_of = |e: &Editor| Some(e.text().trim().to_string()).filter(|t| !t.is_empty());
        let control = (kind == DecisionKind::AcceptRisk)
            .then(|| text_of(&self.control))
            .flatten();
        if kind == DecisionKind::AcceptRisk && control.is_none() {
            return Err((
                Field::Control,
                "accept-risk needs the compensating control: what keeps it safe meanwhile".into(),
            ));
        }
        let mut target = kind.needs_target().then(|| text_of(&self.target)).flatten();
        match (kind, &target) {
            (DecisionKind::Escalate, None) => {
                return Err((Field::Target, "escalate needs a person or team".into()));
            }
            (DecisionKind::Duplicate, t) => {
                let id = t
                    .as_deref()
                    .map(|t| t.trim_start_matches('#'))
                    .and_then(|t| t.parse::<i64>().ok())
                    .ok_or((
                        Field::Target,
                        "duplicate needs the id of the original finding, e.g. 42".to_string(),
                    ))?;
                target = Some(id.to_string());
            }
            _ => {}
        }
        Ok(DecisionRequest {
            kind,
            reason,
            until,
            control,
            target,
        })
    }
}

/// Opens the dialog on the selection, or the row under the cursor.
pub fn open(state: &mut State) -> Vec<Effect> {
    let Some(ids) = state.acting_on("decide on") else {
        return Vec::new();
    };
    let mut lanes = BTreeMap::new();
    for r in state.backlog.rows.iter().filter(|r| ids.contains(&r.id)) {
        if let Some(l) = &r.lane {
            *lanes.entry(l.clone()).or_default() += 1;
        }
    }
    state.triage.dialog = Some(Dialog::new(ids, lanes));
    Vec::new()
}

/// A key in the dialog: an action, or a character for the field being edited.
pub fn key_action(state: &mut State, key: Key) -> Option<Action> {
    let keymap = &state.keymap;
    let d = state.triage.dialog.as_mut()?;
    match d.editor_mut(d.field) {
        // Up and down move within the justification; on one line they do nothing.
        Some(editor) => decisions::text_key(
            keymap,
            Context::Dialog,
            key,
            editor,
            &[Action::MoveDown, Action::MoveUp],
        ),
        None => match keymap.action_for(Context::Dialog, key) {
            // A letter never quits from inside a dialog; it picks a kind.
            Some(Action::Quit) if key.text().is_some() => None,
            Some(action) => Some(action),
            None => {
                match key.text() {
                    Some(c) if c.is_alphabetic() => d.pick_by_letter(c),
                    _ if key.code == crossterm::event::KeyCode::Esc => return Some(Action::Back),
                    _ => {}
                }
                None
            }
        },
    }
}

/// Applies an action while the dialog is open.
pub fn action(state: &mut State, action: Action) -> Vec<Effect> {
    let today = state.today;
    let me = state.triage.me.clone();
    let Some(d) = state.triage.dialog.as_mut() else {
        return Vec::new();
    };
    match action {
        Action::MoveDown if d.field == Field::Kind => d.step_kind(1),
        Action::MoveUp if d.field == Field::Kind => d.step_kind(-1),
        Action::NextField => d.step_field(true),
        Action::PrevField => d.step_field(false),
        Action::Back => state.triage.dialog = None,
        Action::Help => state.help = Some(0),
        Action::Quit => state.quit = true,
        Action::Submit if d.sending => {}
        Action::Submit => match d.request(today) {
            Err((field, message)) => {
                d.field = field;
                d.error = Some(message);
            }
            Ok(request) => {
                let Some(actor) = me else {
                    d.error = Some(NO_ACTOR.into());
                    return Vec::new();
                };
                d.error = None;
                d.sending = true;
                return vec![Effect::Triage(TriageEffect::Decide {
                    ids: d.ids.clone(),
                    request,
                    actor,
                })];
            }
        },
        _ => {}
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn until_takes_dates_and_offsets_from_today() {
        let today = Some(day("2026-05-01"));
        assert_eq!(parse_until("+30d", today), Ok(day("2026-05-31")));
        assert_eq!(parse_until(" +90 ", today), Ok(day("2026-07-30")));
        assert_eq!(parse_until("+2w", today), Ok(day("2026-05-15")));
        assert_eq!(parse_until("2026-06-01", today), Ok(day("2026-06-01")));
        assert!(parse_until("+0d", today).is_err());
        assert!(
            parse_until("tomorrow", today)
                .unwrap_err()
                .contains("YYYY-MM-DD")
        );
        assert!(parse_until("+3d", None).is_err());
    }

    #[test]
    fn each_kind_asks_for_what_it_needs_and_names_the_field_at_fault() {
        let today = Some(day("2026-05-01"));
        let mut d = Dialog::new(vec![1, 2], BTreeMap::new());
        assert_eq!(d.request(today).unwrap_err().0, Field::Reason);
        d.reason.insert_text("checked by hand\n");
        let r = d.request(today).unwrap();
        assert_eq!(
            (r.kind, r.reason.as_str()),
            (DecisionKind::Confirm, "checked by hand")
        );

        d.kind = DecisionKind::Defer;
        let (field, msg) = d.request(today).unwrap_err();
        assert_eq!(field, Field::Until);
        assert!(msg.contains("defer needs an end date"), "{msg}");
        d.until.insert_text("2026-05-01");
        assert!(
            d.request(today)
                .unwrap_err()
                .1
                .contains("not in the future")
        );

        d.kind = DecisionKind::AcceptRisk;
        d.until = Editor::single_line("+30d");
        assert_eq!(d.request(today).unwrap_err().0, Field::Control);
        d.control.insert_text("WAF rule 12");
        let r = d.request(today).unwrap();
        assert_eq!(r.until, Some(day("2026-05-31")));
        assert_eq!(r.control.as_deref(), Some("WAF rule 12"));

        d.kind = DecisionKind::Duplicate;
        d.target.insert_text("#abc");
        assert_eq!(d.request(today).unwrap_err().0, Field::Target);
        d.target = Editor::single_line("#42");
        let r = d.request(today).unwrap();
        assert_eq!((r.target.as_deref(), r.until), (Some("42"), None));

        assert_eq!(
            fields(DecisionKind::AcceptRisk),
            [Field::Kind, Field::Reason, Field::Until, Field::Control]
        );
        d.field = Field::Target;
        d.step_field(true);
        assert_eq!(d.field, Field::Kind, "tab comes round");
        d.pick_by_letter('d');
        assert_eq!(d.kind, DecisionKind::Defer);
        d.pick_by_letter('d');
        assert_eq!(
            d.kind,
            DecisionKind::Duplicate,
            "the same letter again: the next"
        );
    }
}
