//! Table, JSON and CSV output. Tables are for people, so every cell is sanitized; JSON and CSV
//! are for programs and carry the data as stored (JSON escapes control characters itself).

use crate::sanitize;
use std::io::Write;
use unicode_width::UnicodeWidthStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

/// Standard output, block-buffered: Rust's stdout flushes at every newline, which made a large
/// JSON export spend most of its time in write(2). Callers flush before returning.
pub fn stdout() -> std::io::BufWriter<std::io::StdoutLock<'static>> {
    std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock())
}

/// Widest a table cell gets before it is cut with an ellipsis.
const MAX_CELL: usize = 60;

fn clip(s: &str, max: usize) -> String {
    if s.width() <= max {
        return s.to_string();
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if w + cw + 1 > max {
            break;
        }
        out.push(c);
        w += cw;
    }
    out.push('…');
    out
}

pub fn table(out: &mut dyn Write, headers: &[&str], rows: &[Vec<String>]) -> std::io::Result<()> {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|c| clip(&sanitize::line(c), MAX_CELL))
                .collect()
        })
        .collect();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.width()).collect();
    for r in &cells {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.width());
        }
    }
    let line = |out: &mut dyn Write, vals: &[String]| -> std::io::Result<()> {
        let mut s = String::new();
        for (i, v) in vals.iter().enumerate() {
            if i + 1 == vals.len() {
                s.push_str(v);
            } else {
                s.push_str(v);
                s.push_str(&" ".repeat(widths[i] - v.width() + 2));
            }
        }
        writeln!(out, "{}", s.trim_end())
    };
    line(
        out,
        &headers.iter().map(|h| h.to_uppercase()).collect::<Vec<_>>(),
    )?;
    for r in &cells {
        line(out, r)?;
    }
    Ok(())
}

pub fn csv(out: &mut dyn Write, headers: &[&str], rows: &[Vec<String>]) -> color_eyre::Result<()> {
    let mut w = ::csv::Writer::from_writer(out);
    w.write_record(headers)?;
    for r in rows {
        w.write_record(r)?;
    }
    w.flush()?;
    Ok(())
}
