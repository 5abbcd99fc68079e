//! A tiny evaluator of the GitHub Actions expressions the workflow tests need:
//! literals (`'str'`, `true`, `false`, `null`, numbers), context paths
//! (`needs.build.result`), `!`, `==`, `!=`, `&&`, `||`, parentheses, and the
//! functions `startsWith`, `endsWith`, `contains` and the status functions. Anything
//! else panics, so a condition using more must teach this evaluator first.

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
}

impl Value {
    pub fn truthy(&self) -> bool {
        match self {
            Value::Null => false,
            Value::Bool(b) => *b,
            Value::Num(n) => *n != 0.0 && !n.is_nan(),
            Value::Str(s) => !s.is_empty(),
        }
    }

    fn number(&self) -> f64 {
        match self {
            Value::Null => 0.0,
            Value::Bool(b) => f64::from(u8::from(*b)),
            Value::Num(n) => *n,
            Value::Str(s) if s.trim().is_empty() => 0.0,
            Value::Str(s) => s.trim().parse().unwrap_or(f64::NAN),
        }
    }

    fn text(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Bool(b) => b.to_string(),
            Value::Num(n) => n.to_string(),
            Value::Str(s) => s.clone(),
        }
    }
}

/// GitHub's loose equality: strings compare ignoring case; mixed types as numbers.
fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Str(x), Value::Str(y)) => x.eq_ignore_ascii_case(y),
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        _ => a.number() == b.number(),
    }
}

pub trait Context {
    fn get(&self, path: &str) -> Value;
    fn status(&self, function: &str) -> bool;
}

pub fn has_status_function(src: &str) -> bool {
    ["success(", "always(", "failure(", "cancelled("]
        .iter()
        .any(|f| src.contains(f))
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    LParen,
    RParen,
    Comma,
    Not,
    Eq,
    Ne,
    And,
    Or,
    Str(String),
    Word(String),
}

fn tokenize(src: &str) -> Vec<Tok> {
    let mut toks = Vec::new();
    let mut chars = src.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' | ')' | ',' => {
                chars.next();
                toks.push(match c {
                    '(' => Tok::LParen,
                    ')' => Tok::RParen,
                    _ => Tok::Comma,
                });
            }
            '!' | '=' | '&' | '|' => {
                chars.next();
                let second = chars.peek().copied();
                let tok = match (c, second) {
                    ('!', Some('=')) => Tok::Ne,
                    ('=', Some('=')) => Tok::Eq,
                    ('&', Some('&')) => Tok::And,
                    ('|', Some('|')) => Tok::Or,
                    ('!', _) => Tok::Not,
                    _ => panic!("unsupported operator near {c:?} in {src:?}"),
                };
                if tok != Tok::Not {
                    chars.next();
                }
                toks.push(tok);
            }
            '\'' => {
                chars.next();
                let mut s = String::new();
                loop {
                    match chars.next() {
                        Some('\'') if chars.peek() == Some(&'\'') => {
                            chars.next();
                            s.push('\'');
                        }
                        Some('\'') => break,
                        Some(ch) => s.push(ch),
                        None => panic!("unterminated string in {src:?}"),
                    }
                }
                toks.push(Tok::Str(s));
            }
            c if c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.' => {
                let mut w = String::new();
                while let Some(&ch) = chars.peek() {
                    if ch.is_ascii_alphanumeric() || matches!(ch, '_' | '-' | '.') {
                        w.push(ch);
                        chars.next();
                    } else {
                        break;
                    }
                }
                toks.push(Tok::Word(w));
            }
            other => panic!("unsupported character {other:?} in {src:?}"),
        }
    }
    toks
}

struct Parser<'a> {
    toks: Vec<Tok>,
    pos: usize,
    ctx: &'a dyn Context,
    src: &'a str,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn eat(&mut self, tok: &Tok) -> bool {
        if self.peek() == Some(tok) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> Value {
        let mut left = self.and();
        while self.eat(&Tok::Or) {
            let right = self.and();
            left = if left.truthy() { left } else { right };
        }
        left
    }

    fn and(&mut self) -> Value {
        let mut left = self.equality();
        while self.eat(&Tok::And) {
            let right = self.equality();
            left = if left.truthy() { right } else { left };
        }
        left
    }

    fn equality(&mut self) -> Value {
        let mut left = self.unary();
        loop {
            if self.eat(&Tok::Eq) {
                let right = self.unary();
                left = Value::Bool(equal(&left, &right));
            } else if self.eat(&Tok::Ne) {
                let right = self.unary();
                left = Value::Bool(!equal(&left, &right));
            } else {
                return left;
            }
        }
    }

    fn unary(&mut self) -> Value {
        if self.eat(&Tok::Not) {
            return Value::Bool(!self.unary().truthy());
        }
        self.primary()
    }

    fn primary(&mut self) -> Value {
        let tok = self.peek().cloned();
        self.pos += 1;
        match tok {
            Some(Tok::LParen) => {
                let v = self.or();
                assert!(self.eat(&Tok::RParen), "missing ) in {:?}", self.src);
                v
            }
            Some(Tok::Str(s)) => Value::Str(s),
            Some(Tok::Word(w)) => match w.as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                "null" => Value::Null,
                _ if w.starts_with(|c: char| c.is_ascii_digit()) => {
                    Value::Num(w.parse().unwrap_or_else(|_| panic!("bad number {w}")))
                }
                _ if self.eat(&Tok::LParen) => self.call(&w),
                _ => self.ctx.get(&w),
            },
            other => panic!("unexpected {other:?} in {:?}", self.src),
        }
    }

    fn call(&mut self, name: &str) -> Value {
        let mut args = Vec::new();
        if !self.eat(&Tok::RParen) {
            loop {
                args.push(self.or());
                if self.eat(&Tok::RParen) {
                    break;
                }
                assert!(self.eat(&Tok::Comma), "expected , in {:?}", self.src);
            }
        }
        let text = |i: usize| args[i].text().to_lowercase();
        match (name, args.len()) {
            ("startsWith", 2) => Value::Bool(text(0).starts_with(&text(1))),
            ("endsWith", 2) => Value::Bool(text(0).ends_with(&text(1))),
            ("contains", 2) => Value::Bool(text(0).contains(&text(1))),
            ("success" | "always" | "failure" | "cancelled", 0) => {
                Value::Bool(self.ctx.status(name))
            }
            _ => panic!(
                "unsupported function {name}/{} in {:?}",
                args.len(),
                self.src
            ),
        }
    }
}

/// Evaluate an `if:` condition, with or without its `${{ }}`.
pub fn eval(src: &str, ctx: &dyn Context) -> Value {
    let trimmed = src.trim();
    let inner = trimmed
        .strip_prefix("${{")
        .and_then(|s| s.strip_suffix("}}"))
        .unwrap_or(trimmed);
    let mut parser = Parser {
        toks: tokenize(inner),
        pos: 0,
        ctx,
        src,
    };
    let value = parser.or();
    assert!(
        parser.pos == parser.toks.len(),
        "trailing tokens in {src:?}"
    );
    value
}

#[cfg(test)]
mod tests {
    use super::{Context, Value, eval};

    struct Fixed;

    impl Context for Fixed {
        fn get(&self, path: &str) -> Value {
            match path {
                "inputs.absent" => Value::Null,
                "inputs.yes" => Value::Bool(true),
                "inputs.no" => Value::Bool(false),
                "github.ref" => Value::Str("refs/tags/v1.0".into()),
                "needs.build.result" => Value::Str("success".into()),
                other => panic!("unknown {other}"),
            }
        }

        fn status(&self, function: &str) -> bool {
            function == "always"
        }
    }

    fn truthy(src: &str) -> bool {
        eval(src, &Fixed).truthy()
    }

    #[test]
    fn negation_of_a_missing_input_is_true() {
        assert!(truthy("${{ !inputs.absent }}"));
        assert!(!truthy("${{ !inputs.yes }}"));
        assert!(truthy("!inputs.no"));
    }

    #[test]
    fn comparisons_follow_github_rules() {
        assert!(truthy("needs.build.result == 'SUCCESS'"));
        assert!(truthy("needs.build.result != 'skipped'"));
        assert!(
            truthy("inputs.absent == false"),
            "null and false are both 0"
        );
        assert!(!truthy("inputs.absent == 'x'"));
        assert!(truthy("'it''s' == 'IT''S'"));
    }

    #[test]
    fn precedence_and_grouping() {
        assert!(truthy("inputs.yes || inputs.no && inputs.no"));
        assert!(!truthy("(inputs.yes || inputs.no) && inputs.no"));
        assert!(truthy("!inputs.no && inputs.yes"));
        assert_eq!(
            eval("inputs.no || 'fallback'", &Fixed),
            Value::Str("fallback".into())
        );
    }

    #[test]
    fn functions() {
        assert!(truthy("startsWith(github.ref, 'refs/tags/v')"));
        assert!(!truthy("startsWith(github.ref, 'refs/heads/')"));
        assert!(truthy("always() && !success()"));
        assert!(super::has_status_function("always() && x"));
        assert!(!super::has_status_function("needs.a.result == 'success'"));
    }
}
