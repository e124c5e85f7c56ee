//! `Link` headers (RFC 8288): pagination follows the URL the server gives, never one we build.

/// One link-value: the target as written (maybe relative) and its `rel` types, lower-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub target: String,
    pub rels: Vec<String>,
}

/// Every link in one header value. A malformed entry ends the parse (what came before is kept):
/// a half-understood header must not make us follow a wrong URL.
pub fn parse(header: &str) -> Vec<Link> {
    let mut links = Vec::new();
    let mut rest = header;
    loop {
        rest = rest.trim_start_matches(|c: char| c == ',' || c.is_whitespace());
        if rest.is_empty() {
            return links;
        }
        // The target sits between < and >; commas and semicolons inside it are part of the URL.
        let Some(after_lt) = rest.strip_prefix('<') else {
            return links;
        };
        let Some(end) = after_lt.find('>') else {
            return links;
        };
        let target = after_lt[..end].trim().to_string();
        rest = &after_lt[end + 1..];
        let mut rels = Vec::new();
        // Parameters: `; name=value` or `; name="quoted, value"` until the next comma.
        loop {
            rest = rest.trim_start();
            let Some(after_semi) = rest.strip_prefix(';') else {
                break;
            };
            let (name, value, tail) = param(after_semi);
            rest = tail;
            if name.eq_ignore_ascii_case("rel") && rels.is_empty() {
                // RFC 8288 3.3: only the first rel counts; it may list several types.
                rels = value
                    .split_ascii_whitespace()
                    .map(|r| r.to_ascii_lowercase())
                    .collect();
            }
        }
        links.push(Link { target, rels });
        rest = rest.trim_start();
        if !(rest.is_empty() || rest.starts_with(',')) {
            return links;
        }
    }
}

/// One `name[=value]` parameter; returns the text after it.
fn param(s: &str) -> (String, String, &str) {
    let s = s.trim_start();
    let name_end = s.find(['=', ';', ',']).unwrap_or(s.len());
    let name = s[..name_end].trim().to_string();
    let s = &s[name_end..];
    let Some(v) = s.strip_prefix('=') else {
        return (name, String::new(), s);
    };
    let v = v.trim_start();
    if let Some(q) = v.strip_prefix('"') {
        let mut value = String::new();
        let mut chars = q.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => {
                    if let Some((_, e)) = chars.next() {
                        value.push(e);
                    }
                }
                '"' => return (name, value, &q[i + 1..]),
                c => value.push(c),
            }
        }
        // Unterminated quote: take what there is.
        return (name, value, "");
    }
    let end = v.find([';', ',']).unwrap_or(v.len());
    (name, v[..end].trim().to_string(), &v[end..])
}

/// The target of the first link with `rel="next"`.
pub fn next(header: &str) -> Option<String> {
    parse(header)
        .into_iter()
        .find(|l| l.rels.iter().any(|r| r == "next"))
        .map(|l| l.target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_style_header() {
        let h = r#"<https://api.github.com/repositories/1/issues?page=2>; rel="next", <https://api.github.com/repositories/1/issues?page=5>; rel="last""#;
        assert_eq!(
            next(h).as_deref(),
            Some("https://api.github.com/repositories/1/issues?page=2")
        );
        assert_eq!(parse(h).len(), 2);
    }

    #[test]
    fn several_rels_quoted_params_and_commas_in_urls() {
        let h = r#"<https://x.test/a?q=a,b;c>; title="one, two; three"; rel="prev next", <https://x.test/z>; rel=last"#;
        let links = parse(h);
        assert_eq!(links.len(), 2);
        assert_eq!(links[0].target, "https://x.test/a?q=a,b;c");
        assert_eq!(links[0].rels, vec!["prev", "next"]);
        assert_eq!(links[1].rels, vec!["last"]);
        assert_eq!(next(h).as_deref(), Some("https://x.test/a?q=a,b;c"));
    }

    #[test]
    fn rel_is_case_insensitive_and_first_rel_wins() {
        let h = r#"<https://x.test/2>; REL="Next"; rel="last""#;
        assert_eq!(parse(h)[0].rels, vec!["next"]);
        assert_eq!(next(h).as_deref(), Some("https://x.test/2"));
    }

    #[test]
    fn no_next_and_garbage() {
        assert_eq!(next(r#"<https://x.test/1>; rel="last""#), None);
        assert_eq!(next(""), None);
        assert_eq!(next("garbage; rel=next"), None);
        assert_eq!(next("<https://x.test/unclosed; rel=next"), None);
        // A bad entry after a good one keeps the good one.
        let h = r#"<https://x.test/2>; rel="next", junk"#;
        assert_eq!(next(h).as_deref(), Some("https://x.test/2"));
    }

    #[test]
    fn escaped_quotes_in_params() {
        let h = r#"<https://x.test/2>; title="a \"b\", c"; rel=next"#;
        assert_eq!(next(h).as_deref(), Some("https://x.test/2"));
    }
}
