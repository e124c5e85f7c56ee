use super::QueryError;
use super::fields::Field;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `field:value`: equality, or a pattern match for text fields.
    Match,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// Lowercased field name; `None` for a bare word (text search).
    pub field: Option<String>,
    pub op: Op,
    pub value: String,
    /// 1-based column of the field (or the bare word) and of the value, for error messages.
    pub column: usize,
    pub value_column: usize,
}

impl Term {
    /// A bare or quoted word: text search.
    fn word(value: String, column: usize) -> Term {
        Term {
            field: None,
            op: Op::Match,
            value,
            column,
            value_column: column,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// Matches everything (the empty query).
    All,
    Term(Term),
    Not(Box<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
}

impl Expr {
    /// The canonical names of the fields the query uses, each once, in order of appearance;
    /// a bare word counts as `text`, an unknown field as written.
    pub fn fields(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut stack = vec![self];
        while let Some(e) = stack.pop() {
            match e {
                Expr::All => {}
                Expr::Term(t) => {
                    let name = match t.field.as_deref() {
                        None => "text",
                        Some(f) => Field::from_name(f).map(Field::name).unwrap_or(f),
                    };
                    if !out.iter().any(|n| n == name) {
                        out.push(name.to_string());
                    }
                }
                Expr::Not(inner) => stack.push(inner),
                Expr::And(parts) | Expr::Or(parts) => stack.extend(parts.iter().rev()),
            }
        }
        out
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    LParen,
    RParen,
    Not,
    Or,
    /// A field term or a bare word, already split.
    Term(Term),
}

pub fn parse(input: &str) -> Result<Expr, QueryError> {
    let toks = tokenize(input)?;
    let mut p = Parser {
        toks,
        pos: 0,
        end_col: input.chars().count() + 1,
        depth: 0,
    };
    if p.toks.is_empty() {
        return Ok(Expr::All);
    }
    let e = p.or()?;
    if let Some((tok, col)) = p.toks.get(p.pos) {
        let what = if *tok == Tok::RParen {
            "unmatched ')'"
        } else {
            "unexpected input"
        };
        return Err(QueryError {
            column: *col,
            message: what.into(),
        });
    }
    Ok(e)
}

/// Parentheses and NOTs inside each other. Bounds the recursion here and in every evaluator
/// (a hostile query must not overflow the stack), and keeps the SQL far below SQLite's
/// expression depth limit of 1000.
const MAX_DEPTH: usize = 32;

struct Parser {
    toks: Vec<(Tok, usize)>,
    pos: usize,
    end_col: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|(t, _)| t)
    }

    fn col(&self) -> usize {
        self.toks
            .get(self.pos)
            .map(|(_, c)| *c)
            .unwrap_or(self.end_col)
    }

    fn or(&mut self) -> Result<Expr, QueryError> {
        let mut parts = vec![self.and()?];
        while self.peek() == Some(&Tok::Or) {
            self.pos += 1;
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::Or(parts)
        })
    }

    fn and(&mut self) -> Result<Expr, QueryError> {
        let mut parts = Vec::new();
        while let Some(t) = self.peek() {
            if matches!(t, Tok::Or | Tok::RParen) {
                break;
            }
            parts.push(self.unary()?);
        }
        match parts.len() {
            0 => Err(QueryError {
                column: self.col(),
                message: "expected a term here".into(),
            }),
            1 => Ok(parts.remove(0)),
            _ => Ok(Expr::And(parts)),
        }
    }

    fn deeper(&mut self) -> Result<(), QueryError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(QueryError {
                column: self.col(),
                message: format!("nested too deeply (at most {MAX_DEPTH} parentheses and NOTs)"),
            });
        }
        Ok(())
    }

    fn unary(&mut self) -> Result<Expr, QueryError> {
        match self.peek() {
            Some(Tok::Not) => {
                self.deeper()?;
                self.pos += 1;
                let e = Expr::Not(Box::new(self.unary()?));
                self.depth -= 1;
                Ok(e)
            }
            Some(Tok::LParen) => {
                self.deeper()?;
                let open = self.col();
                self.pos += 1;
                let e = self.or()?;
                if self.peek() != Some(&Tok::RParen) {
                    return Err(QueryError {
                        column: open,
                        message: "'(' is never closed".into(),
                    });
                }
                self.pos += 1;
                self.depth -= 1;
                Ok(e)
            }
            Some(Tok::Term(t)) => {
                let t = t.clone();
                self.pos += 1;
                Ok(Expr::Term(t))
            }
            _ => Err(QueryError {
                column: self.col(),
                message: "expected a term here".into(),
            }),
        }
    }
}

fn tokenize(input: &str) -> Result<Vec<(Tok, usize)>, QueryError> {
    let chars: Vec<char> = input.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let col = i + 1;
        if c.is_whitespace() {
            i += 1;
        } else if c == '(' {
            out.push((Tok::LParen, col));
            i += 1;
        } else if c == ')' {
            out.push((Tok::RParen, col));
            i += 1;
        } else if c == '-' && chars.get(i + 1).is_some_and(|n| !n.is_whitespace()) {
            out.push((Tok::Not, col));
            i += 1;
        } else {
            let (term, next) = read_term(&chars, i)?;
            i = next;
            match (&term.field, term.value.as_str()) {
                (None, "OR") if !term_was_quoted(&chars, col) => out.push((Tok::Or, col)),
                (None, "NOT") if !term_was_quoted(&chars, col) => out.push((Tok::Not, col)),
                _ => out.push((Tok::Term(term), col)),
            }
        }
    }
    Ok(out)
}

fn term_was_quoted(chars: &[char], col: usize) -> bool {
    chars.get(col - 1) == Some(&'"')
}

/// Reads `word`, `"quoted words"`, or `field<op>value` starting at `start`.
fn read_term(chars: &[char], start: usize) -> Result<(Term, usize), QueryError> {
    let col = start + 1;
    if chars[start] == '"' {
        let (value, next) = read_quoted(chars, start)?;
        return Ok((Term::word(value, col), next));
    }
    // A field name is letters, digits, '-' and '_' followed by an operator.
    let mut j = start;
    while j < chars.len() && (chars[j].is_alphanumeric() || chars[j] == '_' || chars[j] == '-') {
        j += 1;
    }
    let op = if j > start {
        match (chars.get(j), chars.get(j + 1)) {
            (Some(':'), _) => Some((Op::Match, 1)),
            (Some('>'), Some('=')) => Some((Op::Ge, 2)),
            (Some('<'), Some('=')) => Some((Op::Le, 2)),
            (Some('!'), Some('=')) => Some((Op::Ne, 2)),
            (Some('>'), _) => Some((Op::Gt, 1)),
            (Some('<'), _) => Some((Op::Lt, 1)),
            (Some('='), _) => Some((Op::Eq, 1)),
            _ => None,
        }
    } else {
        None
    };
    if let Some((op, len)) = op {
        let field: String = chars[start..j].iter().collect::<String>().to_lowercase();
        let vstart = j + len;
        let value_column = vstart + 1;
        let (value, next) = if chars.get(vstart) == Some(&'"') {
            read_quoted(chars, vstart)?
        } else {
            read_bare(chars, vstart)
        };
        if value.is_empty() {
            return Err(QueryError {
                column: value_column,
                message: format!("'{field}' needs a value"),
            });
        }
        return Ok((
            Term {
                field: Some(field),
                op,
                value,
                column: col,
                value_column,
            },
            next,
        ));
    }
    let (value, next) = read_bare(chars, start);
    Ok((Term::word(value, col), next))
}

fn read_bare(chars: &[char], start: usize) -> (String, usize) {
    let mut j = start;
    while j < chars.len() && !chars[j].is_whitespace() && chars[j] != '(' && chars[j] != ')' {
        j += 1;
    }
    (chars[start..j].iter().collect(), j)
}

/// `value` as a quoted filter value, so a query built from data means what the data says.
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

fn read_quoted(chars: &[char], start: usize) -> Result<(String, usize), QueryError> {
    let mut value = String::new();
    let mut j = start + 1;
    while j < chars.len() {
        match chars[j] {
            '"' => return Ok((value, j + 1)),
            '\\' if j + 1 < chars.len() => {
                value.push(chars[j + 1]);
                j += 2;
            }
            c => {
                value.push(c);
                j += 1;
            }
        }
    }
    Err(QueryError {
        column: start + 1,
        message: "quote is never closed".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(e: &Expr) -> &Term {
        match e {
            Expr::Term(t) => t,
            other => panic!("not a term: {other:?}"),
        }
    }

    #[test]
    fn juxtaposition_is_and_and_or_binds_looser() {
        let e = parse("sev:high tool:semgrep OR repo:web").unwrap();
        let Expr::Or(parts) = e else { panic!("{e:?}") };
        assert!(matches!(&parts[0], Expr::And(a) if a.len() == 2));
        assert_eq!(term(&parts[1]).field.as_deref(), Some("repo"));
    }

    #[test]
    fn negation_parens_quotes_and_comparisons() {
        let e = parse(r#"-path:tests/* (a OR "b c") line>=10"#).unwrap();
        let Expr::And(parts) = e else { panic!() };
        assert!(matches!(&parts[0], Expr::Not(_)));
        assert!(matches!(&parts[1], Expr::Or(_)));
        let t = term(&parts[2]);
        assert_eq!((t.op, t.value.as_str()), (Op::Ge, "10"));
        let Expr::Not(inner) = parse("NOT x").unwrap() else {
            panic!()
        };
        assert_eq!(term(&inner).value, "x");
        assert_eq!(parse("   ").unwrap(), Expr::All);
    }

    #[test]
    fn fields_are_canonical_and_listed_once() {
        let e =
            parse("sev:high (is:open OR lane:x) -Decided_By:me word severity>low frob:1").unwrap();
        assert_eq!(
            e.fields(),
            ["severity", "status", "lane", "decided-by", "text", "frob"]
        );
        assert!(parse("").unwrap().fields().is_empty());
    }

    #[test]
    fn errors_point_at_the_column() {
        assert_eq!(parse("sev:high (tool:x").unwrap_err().column, 10);
        assert_eq!(parse("a )").unwrap_err().column, 3);
        assert_eq!(parse("title:\"open").unwrap_err().column, 7);
        assert_eq!(parse("sev: x").unwrap_err().column, 5);
        assert_eq!(parse("a OR").unwrap_err().column, 5);
        let deep = format!("{}x{}", "(".repeat(100_000), ")".repeat(100_000));
        assert_eq!(parse(&deep).unwrap_err().column, 33);
        assert_eq!(parse(&"-".repeat(100_000)).unwrap_err().column, 33);
        assert!(parse(&format!("{}x{}", "(-".repeat(16), ")".repeat(16))).is_ok());
    }
}
