//! Values that are not text: whole numbers, numbers, yes/no, probabilities, ages and due dates.
//! Times become bounds computed from `Context::now` here, so SQLite compares a column with a
//! constant (and can use an index) instead of computing an age per row.

use super::QueryError;
use super::lower::{Node, TextCol, err, negated_if, only_match};
use super::parse::{Op, Term};
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cmp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

/// The comparison of a numeric or date term; `:` is equality and `!=` is `NOT =`.
pub(crate) fn cmp_of(op: Op) -> Cmp {
    match op {
        Op::Match | Op::Eq | Op::Ne => Cmp::Eq,
        Op::Lt => Cmp::Lt,
        Op::Le => Cmp::Le,
        Op::Gt => Cmp::Gt,
        Op::Ge => Cmp::Ge,
    }
}

pub(crate) fn whole(t: &Term, name: &str) -> Result<i64, QueryError> {
    t.value.parse().map_err(|_| {
        err(
            t.value_column,
            format!("'{name}' needs a whole number, not '{}'", t.value),
        )
    })
}

pub(crate) fn yes_no(t: &Term, name: &str) -> Result<bool, QueryError> {
    match t.value.to_ascii_lowercase().as_str() {
        "yes" | "true" | "1" => Ok(true),
        "no" | "false" | "0" => Ok(false),
        _ => Err(err(
            t.value_column,
            format!(
                "'{name}' takes yes or no (or true/false, 1/0), not '{}'",
                t.value
            ),
        )),
    }
}

/// Digits with at most one `.`: no sign, exponent, `inf` or `nan`, which Rust would accept.
fn decimal(s: &str) -> Option<f64> {
    let ok = !s.is_empty()
        && s.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && s.bytes().filter(|&b| b == b'.').count() <= 1
        && s.bytes().any(|b| b.is_ascii_digit());
    ok.then(|| s.parse().ok()).flatten()
}

pub(crate) fn number(t: &Term, name: &str) -> Result<f64, QueryError> {
    let v = t.value.strip_prefix('-');
    let n = decimal(v.unwrap_or(&t.value)).map(|n| if v.is_some() { -n } else { n });
    n.ok_or_else(|| {
        err(
            t.value_column,
            format!("'{name}' needs a number, not '{}'", t.value),
        )
    })
}

/// `0.9` or `90%`. The percentage moves the decimal point in the text (`90e-2`), so `90%` is
/// the very same f64 as `0.9`, which dividing by 100 does not guarantee (`33.3%`).
pub(crate) fn probability(t: &Term, name: &str) -> Result<f64, QueryError> {
    let p = match t.value.strip_suffix('%') {
        Some(pct) => decimal(pct).and_then(|_| format!("{pct}e-2").parse().ok()),
        None => decimal(&t.value),
    };
    match p {
        Some(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err(err(
            t.value_column,
            format!(
                "'{name}' takes a probability from 0 to 1 or a percentage like 90%, not '{}'",
                t.value
            ),
        )),
    }
}

/// Longer spans are certainly mistakes, and the bounds stay inside four-digit years.
const MAX_DAYS: i64 = 100_000;

/// `30`, `30d`, `2w` (and with `signed`, `-3d`) as days; `None` when the value is not shaped
/// like a duration at all.
fn days(v: &str, signed: bool) -> Option<Result<i64, String>> {
    let (sign, rest) = match v.as_bytes().first() {
        Some(b'-') if signed => (-1, &v[1..]),
        Some(b'+') if signed => (1, &v[1..]),
        _ => (1, v),
    };
    let (digits, unit) = match rest.as_bytes().last()?.to_ascii_lowercase() {
        b'd' => (&rest[..rest.len() - 1], 1),
        b'w' => (&rest[..rest.len() - 1], 7),
        _ => (rest, 1),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = digits
        .parse::<i64>()
        .ok()
        .and_then(|n| n.checked_mul(unit))
        .filter(|n| *n <= MAX_DAYS);
    Some(
        n.map(|n| sign * n)
            .ok_or_else(|| format!("'{v}' is too far: at most {MAX_DAYS} days")),
    )
}

/// 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z: the stored format has four-digit years,
/// and chrono writes others with a sign that would sort wrongly as text.
const FIRST_SECOND: i64 = -62_167_219_200;
const LAST_SECOND: i64 = 253_402_300_799;

/// `now` minus whole days, in the stored format. Stored times are whole seconds, so dropping
/// `now`'s fraction changes no comparison.
fn days_ago(now: DateTime<Utc>, days: i64) -> String {
    let secs = (now.timestamp() - days * 86_400).clamp(FIRST_SECOND, LAST_SECOND);
    let at = DateTime::from_timestamp(secs, 0).unwrap_or(DateTime::UNIX_EPOCH);
    crate::clock::stamp(at)
}

/// Age counts whole days since `first_seen` (36 hours old is 1 day), so `age=N`, `age<N`
/// and `age>N` split all findings in three. Each is a range of `first_seen`:
/// age >= N  <=>  first_seen <= now - N days;  age < N  <=>  first_seen > now - N days.
pub(crate) fn age(t: &Term, now: DateTime<Utc>) -> Result<Node, QueryError> {
    let n = match days(&t.value, false) {
        Some(Ok(n)) => n,
        Some(Err(m)) => return Err(err(t.value_column, m)),
        None => {
            return Err(err(
                t.value_column,
                format!(
                    "'age' takes a number of days or weeks like 30d or 2w, not '{}'",
                    t.value
                ),
            ));
        }
    };
    let at_least = |d: i64| Node::Text(TextCol::FirstSeen, Cmp::Le, days_ago(now, d).into());
    let under = |d: i64| Node::Text(TextCol::FirstSeen, Cmp::Gt, days_ago(now, d).into());
    Ok(match t.op {
        Op::Gt => at_least(n + 1),
        Op::Ge => at_least(n),
        Op::Lt => under(n),
        Op::Le => under(n + 1),
        Op::Match | Op::Eq | Op::Ne => {
            negated_if(t.op == Op::Ne, Node::And(vec![under(n + 1), at_least(n)]))
        }
    })
}

fn date_text(d: NaiveDate) -> String {
    crate::clock::day(d)
}

/// `YYYY-MM-DD` exactly (chrono alone would also take `2026-1-5` or a signed year).
fn absolute_date(v: &str) -> Option<Result<NaiveDate, String>> {
    let b = v.as_bytes();
    let shaped = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
    if !shaped {
        return None;
    }
    Some(NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| format!("'{v}' is not a date")))
}

/// The deadline: `none`, `overdue` (before today), a date, or days from today (`7d`, `-3d`).
/// Today is `now`'s UTC date; dates compare as the stored YYYY-MM-DD text.
pub(crate) fn due(t: &Term, now: DateTime<Utc>) -> Result<Node, QueryError> {
    let ne = t.op == Op::Ne;
    let today = now.date_naive();
    let v = t.value.as_str();
    if v.eq_ignore_ascii_case("none") {
        only_match(t, "due")?;
        return Ok(negated_if(ne, Node::IsNull(TextCol::Due)));
    }
    if v.eq_ignore_ascii_case("overdue") {
        only_match(t, "due")?;
        let today = date_text(today);
        return Ok(negated_if(
            ne,
            Node::Text(TextCol::Due, Cmp::Lt, today.into()),
        ));
    }
    let date = match (days(v, true), absolute_date(v)) {
        (Some(Ok(n)), _) => {
            let d = today
                .checked_add_signed(TimeDelta::days(n))
                .unwrap_or(today);
            date_text(d.clamp(
                NaiveDate::from_ymd_opt(0, 1, 1).unwrap_or(d),
                NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(d),
            ))
        }
        (_, Some(Ok(d))) => date_text(d),
        (Some(Err(m)), _) | (_, Some(Err(m))) => return Err(err(t.value_column, m)),
        (None, None) => {
            return Err(err(
                t.value_column,
                format!(
                    "'due' takes a date (YYYY-MM-DD), days or weeks from today (7d, 2w, -3d), overdue or none; not '{v}'"
                ),
            ));
        }
    };
    Ok(negated_if(
        ne,
        Node::Text(TextCol::Due, cmp_of(t.op), date.into()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamp_bounds_are_the_four_digit_years() {
        assert_eq!(
            crate::clock::stamp(DateTime::from_timestamp(FIRST_SECOND, 0).unwrap()),
            "0000-01-01T00:00:00Z"
        );
        assert_eq!(
            crate::clock::stamp(DateTime::from_timestamp(LAST_SECOND, 0).unwrap()),
            "9999-12-31T23:59:59Z"
        );
    }

    #[test]
    fn durations_and_percentages() {
        assert_eq!(days("30", false), Some(Ok(30)));
        assert_eq!(days("2W", false), Some(Ok(14)));
        assert_eq!(days("-3d", true), Some(Ok(-3)));
        assert_eq!(days("-3d", false), None);
        assert_eq!(days("d", false), None);
        assert!(matches!(
            days("999999999999999999999d", false),
            Some(Err(_))
        ));
        let t = |v: &str| Term {
            field: Some("epss".into()),
            op: Op::Match,
            value: v.into(),
            column: 1,
            value_column: 6,
        };
        assert_eq!(probability(&t("33.3%"), "epss"), Ok(0.333));
        assert_eq!(probability(&t("90%"), "epss"), Ok(0.9));
        assert!(probability(&t("90"), "epss").is_err());
        assert!(probability(&t("nan"), "epss").is_err());
        assert!(number(&t("inf"), "risk").is_err());
        assert_eq!(number(&t("-2.5"), "risk"), Ok(-2.5));
    }
}
