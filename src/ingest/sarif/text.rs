//! Small text helpers: CWE/CVE extraction, message placeholders, titles, compact JSON.

/// Titles longer than this many characters are cut.
pub(super) const TITLE_MAX_CHARS: usize = 200;

/// Appends every CWE number in `text` not yet in `out`. Accepts "CWE-89", "cwe-079",
/// "external/cwe/cwe-79", "CWE-89: SQL Injection", "CWE_89", "CWE 89".
pub(crate) fn collect_cwes(text: &str, out: &mut Vec<u32>) {
    let b = text.as_bytes();
    let mut i = 0;
    while i + 3 <= b.len() {
        if b[i] | 0x20 != b'c' || !b[i..i + 3].eq_ignore_ascii_case(b"cwe") {
            i += 1;
            continue;
        }
        let mut j = i + 3;
        if j < b.len() && matches!(b[j], b'-' | b'_' | b':' | b' ') {
            j += 1;
        }
        let start = j;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        if j > start
            && j - start <= 7
            && let Ok(n) = text[start..j].parse::<u32>()
            && n > 0
            && !out.contains(&n)
        {
            out.push(n);
        }
        i = j.max(i + 3);
    }
}

/// Appends every CVE id ("CVE-YYYY-NNNN", four or more digits at the end) in `text`,
/// upper-cased, not yet in `out`.
pub(crate) fn collect_cves(text: &str, out: &mut Vec<String>) {
    let b = text.as_bytes();
    // This runs over every message: jump from '-' to '-' (memchr) rather than byte by byte.
    for (dash, _) in text.match_indices('-') {
        if dash < 3 || !b[dash - 3..dash].eq_ignore_ascii_case(b"cve") {
            continue;
        }
        let year_end = dash + 5;
        if year_end + 5 > b.len()
            || !b[dash + 1..year_end].iter().all(u8::is_ascii_digit)
            || b[year_end] != b'-'
        {
            continue;
        }
        let digits = b[year_end + 1..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if (4..=9).contains(&digits) {
            let id = text[dash - 3..year_end + 1 + digits].to_ascii_uppercase();
            if !out.contains(&id) {
                out.push(id);
            }
        }
    }
}

/// Fills `{0}`, `{1}`... from `args` and turns `{{` / `}}` into literal braces (SARIF §3.11.5).
/// A placeholder without an argument stays as written.
pub(super) fn format_message(template: &str, args: &[String]) -> String {
    let mut out =
        String::with_capacity(template.len() + args.iter().map(String::len).sum::<usize>());
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
            continue;
        }
        if tail.starts_with('{')
            && let Some(close) = tail.find('}')
            && let Ok(n) = tail[1..close].parse::<usize>()
            && let Some(arg) = args.get(n)
        {
            out.push_str(arg);
            rest = &tail[close + 1..];
            continue;
        }
        out.push_str(&tail[..1]);
        rest = &tail[1..];
    }
    out.push_str(rest);
    out
}

/// The first non-empty line of `text`, trimmed and cut to [`TITLE_MAX_CHARS`].
pub(super) fn title_from(text: &str) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    if line.char_indices().nth(TITLE_MAX_CHARS).is_none() {
        return line.to_string();
    }
    let cut = line
        .char_indices()
        .nth(TITLE_MAX_CHARS - 1)
        .map_or(line.len(), |(i, _)| i);
    format!("{}…", &line[..cut])
}

/// `json` without whitespace outside strings. The input is valid JSON (serde checked it).
pub(super) fn compact_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let mut in_string = false;
    let mut escaped = false;
    let mut start = 0;
    for (i, b) in json.bytes().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if b == b'"' {
            in_string = true;
        } else if matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
            out.push_str(&json[start..i]);
            start = i + 1;
        }
    }
    out.push_str(&json[start..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cwes(texts: &[&str]) -> Vec<u32> {
        let mut out = Vec::new();
        for t in texts {
            collect_cwes(t, &mut out);
        }
        out
    }

    #[test]
    fn cwe_forms_normalize() {
        assert_eq!(cwes(&["CWE-89"]), [89]);
        assert_eq!(cwes(&["cwe-079"]), [79]);
        assert_eq!(cwes(&["external/cwe/cwe-79"]), [79]);
        assert_eq!(cwes(&["CWE-89: SQL Injection", "CWE-89"]), [89]);
        assert_eq!(cwes(&["CWE-295 Improper Certificate Validation"]), [295]);
        assert_eq!(
            cwes(&["security", "cwe", "CWE-0", "owasp-a1"]),
            Vec::<u32>::new()
        );
        assert_eq!(cwes(&["CWE-22, CWE-23"]), [22, 23]);
    }

    #[test]
    fn cve_ids_are_found_anywhere() {
        let mut out = Vec::new();
        collect_cves("BDSA-2020-1001 (CVE-2020-11022)", &mut out);
        collect_cves("see cve-2021-44228 and CVE-2020-11022", &mut out);
        collect_cves("CVE-20-1 CVE-2020-12 CVE-", &mut out);
        assert_eq!(out, ["CVE-2020-11022", "CVE-2021-44228"]);
    }

    #[test]
    fn message_arguments() {
        let args = vec!["//C:/code/dev".to_string(), "b".to_string()];
        assert_eq!(
            format_message("The URI '{0}' is invalid.", &args),
            "The URI '//C:/code/dev' is invalid."
        );
        assert_eq!(format_message("{1}{0}{1}", &args), "b//C:/code/devb");
        assert_eq!(
            format_message("{{0}} is {0}", &args),
            "{0} is //C:/code/dev"
        );
        assert_eq!(format_message("{7} {x} { }}", &args), "{7} {x} { }");
        assert_eq!(format_message("é{0}é", &args), "é//C:/code/devé");
        assert_eq!(format_message("{", &args), "{");
    }

    #[test]
    fn titles() {
        assert_eq!(title_from("\n  first line  \nsecond"), "first line");
        let long = "x".repeat(300);
        assert_eq!(title_from(&long).chars().count(), TITLE_MAX_CHARS);
        assert_eq!(title_from(&"y".repeat(200)), "y".repeat(200));
        assert_eq!(title_from(""), "");
    }

    #[test]
    fn compaction_keeps_strings() {
        assert_eq!(
            compact_json("[ {\n \"a\" : \"x y\\\" z\" ,\t\"b\": [1, 2] } ]"),
            "[{\"a\":\"x y\\\" z\",\"b\":[1,2]}]"
        );
    }
}
