//! Why a row could not be imported, as data: a code that names a message of
//! the web interface's catalogs, the values that message needs, and the
//! English sentence the command line, the API and the reject files show.
//!
//! A code is of one of three families, told apart by a prefix:
//! - `validation.<code>`: a value the store refused, with the code and the
//!   values of its [`FieldError`] (`validation.too_long`, `max`);
//! - `conflict.<code>`: a write the state of other records refused, with the
//!   code and the values of its [`Conflict`] (`conflict.changed-during-import`);
//! - no prefix: the import's own, made in this crate with [`Problem::new`]
//!   (`not_a_date`, `value`), one `import-error-<code>` message each.

use std::fmt;

use rapport_domain::FieldError;
use rapport_store::Conflict;

const VALIDATION: &str = "validation.";
const CONFLICT: &str = "conflict.";

/// What is wrong with a row or one of its values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub code: String,
    /// The values the message names, in the order given: a catalog may pick
    /// its wording by their names.
    pub args: Vec<(String, String)>,
    /// In English.
    pub message: String,
}

impl Problem {
    /// One of the import's own problems; its code is made of `a-z` and `_`.
    pub fn new(code: &'static str, message: impl Into<String>) -> Problem {
        Problem { code: code.to_string(), args: vec![], message: message.into() }
    }

    /// The problem with one more value for its message.
    pub fn with(mut self, name: &'static str, value: impl ToString) -> Problem {
        self.args.push((name.to_string(), value.to_string()));
        self
    }

    /// A value the store refused, said in English as `message`.
    pub fn invalid(e: &FieldError, message: impl Into<String>) -> Problem {
        Problem { code: format!("{VALIDATION}{}", e.code), args: owned(&e.args), message: message.into() }
    }

    /// A write the state of other records refused.
    pub fn conflict(c: Conflict) -> Problem {
        Problem { code: format!("{CONFLICT}{}", c.code), args: owned(&c.args), message: c.message }
    }
}

fn owned(args: &[(&'static str, String)]) -> Vec<(String, String)> {
    args.iter().map(|(n, v)| (n.to_string(), v.clone())).collect()
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// A code read back: its family, and the code within it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code<'a> {
    /// A [`FieldError`]'s code.
    Validation(&'a str),
    /// A [`Conflict`]'s code.
    Conflict(&'a str),
    /// One of the import's own.
    Import(&'a str),
    /// None: an error kept before errors had codes, with only its message.
    None,
}

impl<'a> Code<'a> {
    pub fn of(code: &'a str) -> Code<'a> {
        if let Some(c) = code.strip_prefix(VALIDATION) {
            Code::Validation(c)
        } else if let Some(c) = code.strip_prefix(CONFLICT) {
            Code::Conflict(c)
        } else if code.is_empty() {
            Code::None
        } else {
            Code::Import(code)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_refusals_keep_their_code_and_values_under_their_family() {
        let e = FieldError::new("name", "too_long", "is longer than 200 characters").with("max", 200);
        let p = Problem::invalid(&e, "name: is longer than 200 characters");
        assert_eq!(p.code, "validation.too_long");
        assert_eq!(p.args, vec![("max".to_string(), "200".to_string())]);
        assert_eq!(p.message, "name: is longer than 200 characters");
        assert_eq!(Code::of(&p.code), Code::Validation("too_long"));

        let c = Conflict::new("stage-in-use", "stage 'Won' still holds 3 record(s)").with("stage", "Won").with("count", 3);
        let p = Problem::conflict(c);
        assert_eq!(Code::of(&p.code), Code::Conflict("stage-in-use"));
        assert_eq!(p.args[1], ("count".to_string(), "3".to_string()));
        assert_eq!(p.to_string(), "stage 'Won' still holds 3 record(s)");

        let p = Problem::new("not_a_date", "'soon' is not a date").with("value", "soon");
        assert_eq!(Code::of(&p.code), Code::Import("not_a_date"));
        assert_eq!(Code::of(""), Code::None);
    }
}
