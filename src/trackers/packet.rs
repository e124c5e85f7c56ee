//! The issue lastmile opens for a finding: a patch-ready defect packet (what, where with the
//! code, why it matters, when it is due, a suggested fix) and the marker that lets a retried
//! create find the issue an interrupted attempt opened. Pure, tracker-neutral Markdown.
//!
//! Everything in the input that came from a scanner or a repository is hostile:
//! - control characters (but newline and tab) and bidi overrides are dropped;
//! - `<!--` and `-->` in prose get a WORD JOINER (U+2060) inside, so untrusted text can neither
//!   hide the rest of the issue in a comment nor forge lastmile's marker; in code blocks only a
//!   would-be marker (`<!-- lastmile:`) is broken that way, so snippets and diffs stay
//!   patch-ready;
//! - `@handle` in prose gets the same joiner after the `@`: it renders as written but GitHub's
//!   mention syntax needs a letter right after `@`, so nobody is pinged. A joiner rather than
//!   backticks because backticks added inside text that is already in a code span would close
//!   that span and expose the handle. Owner and team, which lastmile writes itself, are shown
//!   in code spans;
//! - the scanner's message is quoted (`> `): an unclosed fence or HTML block in it ends with the
//!   quote instead of swallowing the sections after it.
//!
//! The marker is read back from the last `<!-- lastmile:<hex> -->` in a body, which is always
//! the footer lastmile wrote.

use crate::model::Severity;
use reqwest::Url;

/// GitHub's title limit.
pub const TITLE_LIMIT: usize = 256;
/// Under GitHub's 65,536-character body limit, with room for a person's later edits.
pub const BODY_LIMIT: usize = 60_000;
/// GitHub's dismissal comment limit; decision comments fit it everywhere.
pub const COMMENT_LIMIT: usize = 280;

/// The footer is never cut, so what goes in it is bounded.
const LINK_LIMIT: usize = 2_000;
const MARKER_PREFIX: &str = "lastmile:";
const MARKER_MAX_HEX: usize = 128;
/// Invisible, not a word character, and not stripped by GitHub: breaks mention and comment
/// syntax without changing what readers see.
const JOINER: char = '\u{2060}';

/// What a packet is built from. Every text field may be hostile except `marker`, which must be
/// a finding marker (`lastmile:<hex>` or the bare hex).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PacketInput {
    pub finding_id: i64,
    pub repo: String,
    pub tool: Option<String>,
    pub rule: Option<String>,
    pub title: String,
    pub message: String,
    pub severity: Severity,
    pub lane: Option<String>,
    pub risk: Option<f64>,
    pub due: Option<String>,
    pub path: Option<String>,
    pub start_line: Option<i64>,
    pub end_line: Option<i64>,
    pub snippet: Option<String>,
    pub cwe: Option<String>,
    pub cve: Option<String>,
    pub help_uri: Option<String>,
    /// A suggested diff (or text), shown in a `diff` fence.
    pub fix: Option<String>,
    pub owner: Option<String>,
    pub team: Option<String>,
    pub marker: String,
    /// Where the finding is seen in lastmile, when there is a URL for it.
    pub link: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    pub title: String,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a finding marker (expected lastmile:<hex>): {0:?}")]
pub struct BadMarker(pub String);

/// `lastmile:<lowercase hex>` from either that or the bare hex.
pub fn normalize_marker(marker: &str) -> Option<String> {
    let m = marker.trim();
    let hex = m.strip_prefix(MARKER_PREFIX).unwrap_or(m);
    let ok =
        (1..=MARKER_MAX_HEX).contains(&hex.len()) && hex.bytes().all(|b| b.is_ascii_hexdigit());
    ok.then(|| format!("{MARKER_PREFIX}{}", hex.to_ascii_lowercase()))
}

/// The HTML comment that carries a marker in an issue body.
pub fn marker_comment(marker: &str) -> Result<String, BadMarker> {
    let m = normalize_marker(marker)
        .ok_or_else(|| BadMarker(crate::sanitize::line(marker).into_owned()))?;
    Ok(format!("<!-- {m} -->"))
}

/// The marker of the last `<!-- lastmile:<hex> -->` in `body` (whitespace inside the comment
/// is optional), as `lastmile:<lowercase hex>`.
pub fn find_marker(body: &str) -> Option<String> {
    body.rmatch_indices("<!--")
        .find_map(|(i, open)| marker_at(&body[i + open.len()..]))
}

fn marker_at(rest: &str) -> Option<String> {
    let rest = rest.trim_start_matches(|c: char| c.is_ascii_whitespace());
    let rest = rest.strip_prefix(MARKER_PREFIX)?;
    let hex_len = rest.bytes().take_while(u8::is_ascii_hexdigit).count();
    if hex_len == 0 || hex_len > MARKER_MAX_HEX {
        return None;
    }
    let after = rest[hex_len..].trim_start_matches(|c: char| c.is_ascii_whitespace());
    after
        .starts_with("-->")
        .then(|| format!("{MARKER_PREFIX}{}", rest[..hex_len].to_ascii_lowercase()))
}

/// `text` cut to `limit` characters, the cut marked with "…" (within the limit).
pub fn clip(text: &str, limit: usize) -> String {
    match text.char_indices().nth(limit) {
        None => text.to_string(),
        Some(_) if limit == 0 => String::new(),
        Some(_) => {
            let end = text
                .char_indices()
                .nth(limit - 1)
                .map_or(text.len(), |(i, _)| i);
            format!("{}…", &text[..end])
        }
    }
}

/// Bidi overrides and isolates, marks: they reorder what a reviewer sees (Trojan Source).
fn is_bidi(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{061C}')
}

/// Drops control characters but newline and tab, and bidi controls.
pub fn clean(s: &str) -> String {
    s.chars()
        .filter(|&c| c == '\n' || c == '\t' || !(c.is_control() || is_bidi(c)))
        .collect()
}

/// `clean` on one line: line breaks and tabs become spaces.
pub fn one_line(s: &str) -> String {
    let c: String = clean(s)
        .chars()
        .map(|c| if c == '\n' || c == '\t' { ' ' } else { c })
        .collect();
    c.trim().to_string()
}

/// Prose that renders as written but can neither open or close an HTML comment nor mention
/// anyone (see the module comment).
pub fn defuse(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut prev: Option<char> = None;
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if rest.starts_with("<!--") {
            out.push_str("<!");
            out.push(JOINER);
            out.push_str("--");
            rest = &rest[4..];
            prev = Some('-');
            continue;
        }
        if rest.starts_with("-->") {
            out.push_str("--");
            out.push(JOINER);
            out.push('>');
            rest = &rest[3..];
            prev = Some('>');
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
        // GitHub links `@name` when `@` follows a non-word character (or starts the text) and a
        // letter or digit follows it; `a@b.c` (an e-mail) is left alone, and so here.
        let starts_mention = c == '@'
            && !prev.is_some_and(|p| p.is_ascii_alphanumeric() || p == '_')
            && rest.starts_with(|n: char| n.is_ascii_alphanumeric());
        if starts_mention {
            out.push(JOINER);
        }
        prev = Some(c);
    }
    out
}

/// Code shown verbatim, except a would-be lastmile marker comment.
fn defuse_code(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    for (i, open) in s.match_indices("<!--") {
        let after = s[i + open.len()..].trim_start_matches(|c: char| c.is_ascii_whitespace());
        let forged = after
            .get(..MARKER_PREFIX.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(MARKER_PREFIX));
        if forged {
            out.push_str(&s[last..i]);
            out.push_str("<!");
            out.push(JOINER);
            out.push_str("--");
            last = i + open.len();
        }
    }
    out.push_str(&s[last..]);
    out
}

fn longest_run(s: &str, ch: char) -> usize {
    let (mut best, mut run) = (0, 0);
    for c in s.chars() {
        run = if c == ch { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}

/// An inline code span holding `s` (one line) whatever backticks it contains.
fn code_span(s: &str) -> String {
    let s = defuse_code(&one_line(s));
    let ticks = "`".repeat(longest_run(&s, '`') + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{ticks}{pad}{s}{pad}{ticks}")
}

/// A fenced block holding `content` verbatim (but control characters and forged markers); the
/// fence is longer than any backtick run inside, so nothing in it can close it early.
fn fence(content: &str, info: &str) -> String {
    let content = defuse_code(&clean(content));
    let ticks = "`".repeat((longest_run(&content, '`') + 1).max(3));
    let content = content.trim_end_matches('\n');
    format!("{ticks}{info}\n{content}\n{ticks}")
}

/// Quoted prose: each line behind `> `.
fn quote(s: &str) -> String {
    defuse(&clean(s))
        .trim_end()
        .lines()
        .map(|l| {
            if l.trim().is_empty() {
                ">".to_string()
            } else {
                format!("> {l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A fence info string for the snippet, from a fixed table (the path is untrusted).
fn language(path: Option<&str>) -> &'static str {
    let ext = path
        .and_then(|p| p.rsplit('/').next())
        .and_then(|f| f.rsplit_once('.'))
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "rs" => "rust",
        "py" => "python",
        "js" | "mjs" | "cjs" | "jsx" => "javascript",
        "ts" | "tsx" => "typescript",
        "go" => "go",
        "java" => "java",
        "kt" | "kts" => "kotlin",
        "rb" => "ruby",
        "php" => "php",
        "cs" => "csharp",
        "c" | "h" => "c",
        "cc" | "cpp" | "cxx" | "hpp" => "cpp",
        "swift" => "swift",
        "scala" => "scala",
        "sh" | "bash" => "bash",
        "yml" | "yaml" => "yaml",
        "json" => "json",
        "tf" | "hcl" => "hcl",
        "sql" => "sql",
        "html" | "htm" => "html",
        "xml" => "xml",
        "toml" => "toml",
        "dockerfile" => "dockerfile",
        _ => "",
    }
}

/// An http(s) URL, serialized (spaces and angle brackets percent-encoded), for an autolink.
fn web_url(raw: &str) -> Option<String> {
    let url = Url::parse(raw.trim()).ok()?;
    matches!(url.scheme(), "https" | "http").then(|| url.to_string())
}

fn opt(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// How much of each long field goes in; halved until the body fits.
#[derive(Clone, Copy)]
struct Caps {
    message: usize,
    snippet: usize,
    fix: usize,
    short: usize,
}

/// The issue for a finding.
pub fn build(input: &PacketInput) -> Result<Packet, BadMarker> {
    let comment = marker_comment(&input.marker)?;
    let footer = footer(input, &comment);
    let mut caps = Caps {
        message: 20_000,
        snippet: 12_000,
        fix: 20_000,
        short: 1_000,
    };
    let body = loop {
        let main = sections(input, caps);
        let body = format!("{main}\n\n{footer}");
        if body.chars().count() <= BODY_LIMIT {
            break body;
        }
        if caps.message + caps.snippet + caps.fix + caps.short == 0 {
            // Only the fixed parts are left and still too long: keep the footer whole.
            let room = BODY_LIMIT.saturating_sub(footer.chars().count() + 2);
            break format!("{}\n\n{footer}", clip(&main, room));
        }
        caps = Caps {
            message: caps.message / 2,
            snippet: caps.snippet / 2,
            fix: caps.fix / 2,
            short: caps.short / 2,
        };
    };
    Ok(Packet {
        title: title(input),
        body,
    })
}

fn title(input: &PacketInput) -> String {
    let mut what = one_line(&input.title);
    if what.is_empty() {
        what = opt(&input.rule)
            .map(one_line)
            .unwrap_or_else(|| "Security finding".into());
    }
    let file = opt(&input.path)
        .map(one_line)
        .and_then(|p| p.rsplit('/').next().map(str::to_string))
        .filter(|f| !f.is_empty() && !what.contains(f.as_str()));
    let title = match file {
        Some(f) => format!("[{}] {what} in {f}", input.severity),
        None => format!("[{}] {what}", input.severity),
    };
    clip(&title, TITLE_LIMIT)
}

fn footer(input: &PacketInput, comment: &str) -> String {
    let link = opt(&input.link)
        .filter(|l| l.chars().count() <= LINK_LIMIT)
        .and_then(web_url)
        .map(|u| format!(" · <{u}>"))
        .unwrap_or_default();
    format!(
        "---\n<sub>Tracked by lastmile, finding {}{link}. Keep the line below: it links this issue to the finding.</sub>\n\n{comment}\n",
        input.finding_id
    )
}

fn sections(input: &PacketInput, caps: Caps) -> String {
    let short = |s: &str| clip(&one_line(s), caps.short);
    let mut out = String::new();

    out.push_str("### What\n\n");
    let what = short(&input.title);
    if !what.is_empty() {
        out.push_str(&format!("**{}**\n\n", defuse(&what)));
    }
    let mut found = Vec::new();
    if let Some(t) = opt(&input.tool) {
        found.push(format!("by {}", code_span(&short(t))));
    }
    if let Some(r) = opt(&input.rule) {
        found.push(format!("rule {}", code_span(&short(r))));
    }
    if !input.repo.trim().is_empty() {
        found.push(format!("in {}", code_span(&short(&input.repo))));
    }
    if !found.is_empty() {
        out.push_str(&format!("Found {}.\n\n", found.join(", ")));
    }
    let message = clean(&input.message);
    if !message.trim().is_empty() {
        out.push_str(&quote(&clip(message.trim(), caps.message)));
        out.push_str("\n\n");
    }
    if what.is_empty() && found.is_empty() && message.trim().is_empty() {
        out.push_str("No description given.\n\n");
    }

    out.push_str("### Where\n\n");
    match opt(&input.path) {
        Some(p) => {
            out.push_str(&code_span(&short(p)));
            match (input.start_line, input.end_line) {
                (Some(s), Some(e)) if e > s => out.push_str(&format!(", lines {s}–{e}")),
                (Some(s), _) => out.push_str(&format!(", line {s}")),
                _ => {}
            }
            out.push_str("\n\n");
        }
        None => out.push_str("No location given.\n\n"),
    }
    if let Some(snippet) = opt(&input.snippet) {
        let cut = clip(snippet, caps.snippet);
        out.push_str(&fence(&cut, language(opt(&input.path))));
        out.push_str("\n\n");
    }

    out.push_str("### Why it matters\n\n");
    out.push_str(&format!("- Severity: **{}**\n", input.severity));
    if let Some(r) = input.risk.filter(|r| r.is_finite()) {
        out.push_str(&format!("- Risk: {r:.1}\n"));
    }
    if let Some(l) = opt(&input.lane) {
        out.push_str(&format!("- Lane: {}\n", code_span(&short(l))));
    }
    if let Some(c) = opt(&input.cwe) {
        let mut nums = Vec::new();
        crate::ingest::sarif::collect_cwes(c, &mut nums);
        if nums.is_empty() {
            out.push_str(&format!("- Weakness: {}\n", code_span(&short(c))));
        }
        for n in nums {
            out.push_str(&format!(
                "- Weakness: [CWE-{n}](https://cwe.mitre.org/data/definitions/{n}.html)\n"
            ));
        }
    }
    if let Some(c) = opt(&input.cve) {
        let mut ids = Vec::new();
        crate::ingest::sarif::collect_cves(c, &mut ids);
        if ids.is_empty() {
            out.push_str(&format!("- Vulnerability: {}\n", code_span(&short(c))));
        }
        for id in ids {
            out.push_str(&format!(
                "- Vulnerability: [{id}](https://nvd.nist.gov/vuln/detail/{id})\n"
            ));
        }
    }
    if let Some(h) = opt(&input.help_uri) {
        // A URL cut to fit would lead somewhere else: too long a one is shown, not linked.
        let url = (h.chars().count() <= caps.short)
            .then(|| web_url(h))
            .flatten();
        match url {
            Some(u) => out.push_str(&format!("- Reference: <{u}>\n")),
            None => out.push_str(&format!("- Reference: {}\n", code_span(&short(h)))),
        }
    }
    out.push('\n');

    out.push_str("### Due\n\n");
    match opt(&input.due) {
        Some(d) => out.push_str(&format!("{}\n", defuse(&short(d)))),
        None => out.push_str("No due date set.\n"),
    }
    let owner = opt(&input.owner).map(|o| {
        let o = short(o);
        let handle = if o.starts_with('@') {
            o
        } else {
            format!("@{o}")
        };
        code_span(&handle)
    });
    let team = opt(&input.team).map(|t| code_span(&short(t)));
    match (owner, team) {
        (Some(o), Some(t)) => out.push_str(&format!("\nOwner: {o} (team {t})\n")),
        (Some(o), None) => out.push_str(&format!("\nOwner: {o}\n")),
        (None, Some(t)) => out.push_str(&format!("\nTeam: {t}\n")),
        (None, None) => {}
    }
    out.push('\n');

    if let Some(fix) = opt(&input.fix) {
        out.push_str("### Suggested fix\n\n");
        out.push_str(&fence(&clip(fix, caps.fix), "diff"));
        out.push_str("\n\n");
    }
    out.trim_end().to_string()
}

/// The note lastmile leaves on a remote object when a decision reaches it:
/// "lastmile: <kind> by <actor>: <reason> (decision <ref>)", at most `COMMENT_LIMIT`
/// characters. The reason is cut first so the reference, which leads to the full
/// justification, survives; kind, actor and reference are bounded so there is always room.
pub fn decision_comment(actor: &str, kind_label: &str, reason: &str, decision_ref: &str) -> String {
    let kind = clip(&defuse(&one_line(kind_label)), 40);
    let actor = clip(&defuse(&one_line(actor)), 64);
    let reference = clip(&defuse(&one_line(decision_ref)), 80);
    let head = format!("lastmile: {kind} by {actor}");
    let tail = format!(" (decision {reference})");
    let reason = defuse(&one_line(reason));
    let out = if reason.is_empty() {
        format!("{head}{tail}")
    } else {
        let room = COMMENT_LIMIT.saturating_sub(head.chars().count() + 2 + tail.chars().count());
        format!("{head}: {}{tail}", clip(&reason, room))
    };
    // Unreachable with the bounds above; kept so the limit holds if they change.
    clip(&out, COMMENT_LIMIT)
}

#[cfg(test)]
#[path = "packet_tests.rs"]
mod tests;
