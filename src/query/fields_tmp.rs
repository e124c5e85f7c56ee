// TEMPORARY until the filter-language branch lands (it brings the real `Expr::fields`).
use super::Expr;

impl Expr {
    pub fn fields(&self) -> Vec<String> {
        match self {
            Expr::All => Vec::new(),
            Expr::Term(t) => t.field.clone().into_iter().collect(),
            Expr::Not(e) => e.fields(),
            Expr::And(p) | Expr::Or(p) => p.iter().flat_map(|e| e.fields()).collect(),
        }
    }
}

/// TEMPORARY: replaced by the real matcher when the filter-language branch lands.
#[derive(Debug, Clone)]
pub struct Matcher(Expr);

impl Matcher {
    pub fn new(expr: &Expr, _ctx: &super::Context) -> Result<Matcher, super::QueryError> {
        Ok(Matcher(expr.clone()))
    }
    pub fn matches(&self, _rec: &super::Record<'_>) -> bool {
        matches!(self.0, Expr::All)
    }
}
