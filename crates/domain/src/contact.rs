//! Emails and phone numbers: the identifiers people are found and matched by.

use phonenumber::country::Id as Region;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email {
    pub address: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default)]
    pub primary: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Phone {
    /// As typed by the user or the import file.
    pub number: String,
    /// E.164 form (`+33612345678`), absent when the number cannot be parsed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e164: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default)]
    pub primary: bool,
}

/// Lower-cases and checks an email address; `None` if it is not one.
pub fn normalize_email(raw: &str) -> Option<String> {
    let e = raw.trim().to_lowercase();
    let (local, domain) = e.rsplit_once('@')?;
    let domain_ok = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && domain.chars().all(|c| c.is_alphanumeric() || c == '.' || c == '-');
    let local_ok = !local.is_empty() && local.len() <= 64 && !local.chars().any(|c| c.is_whitespace() || c == '@');
    (domain_ok && local_ok && e.len() <= 320).then_some(e)
}

/// A phone number in E.164, read with the workspace's default region for numbers
/// typed without a country code. `None` when it is not a valid number.
pub fn normalize_phone(raw: &str, region: Region) -> Option<String> {
    // A number written with its country code must not be read through the
    // default region's rules, which can mangle it (a leading digit dropped).
    let hint = if raw.trim_start().starts_with('+') { None } else { Some(region) };
    let n = phonenumber::parse(hint, raw).ok()?;
    if !n.is_valid() {
        return None;
    }
    Some(n.format().mode(phonenumber::Mode::E164).to_string())
}

/// A number kept in E.164 (`+33140000000`) as people read it, in the
/// international format (`+33 1 40 00 00 00`); as given when it does not parse.
pub fn display_phone(e164: &str) -> String {
    match phonenumber::parse(None, e164) {
        Ok(n) if n.is_valid() => n.format().mode(phonenumber::Mode::International).to_string(),
        _ => e164.to_string(),
    }
}

/// Parses a region code such as `FR` or `US`.
pub fn parse_region(code: &str) -> Option<Region> {
    code.trim().to_uppercase().parse().ok()
}

/// Makes sure exactly one entry is primary: the first marked one, else the first.
pub fn settle_primary<T>(items: &mut [T], is_primary: impl Fn(&mut T) -> &mut bool) {
    let first_marked = items.iter_mut().position(|i| *is_primary(i));
    let chosen = first_marked.unwrap_or(0);
    for (n, item) in items.iter_mut().enumerate() {
        *is_primary(item) = n == chosen;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_shown_grouped() {
        assert_eq!(display_phone("+33140000000"), "+33 1 40 00 00 00");
        assert_eq!(display_phone("not a number"), "not a number");
    }

    #[test]
    fn emails_are_lower_cased_and_checked() {
        assert_eq!(normalize_email(" Ada@Example.COM ").as_deref(), Some("ada@example.com"));
        assert_eq!(normalize_email("no-at-sign"), None);
        assert_eq!(normalize_email("a@localhost"), None);
        assert_eq!(normalize_email("a b@x.org"), None);
    }

    #[test]
    fn phones_in_any_format_meet_in_e164() {
        let fr = parse_region("fr").unwrap();
        assert_eq!(normalize_phone("06 12 34 56 78", fr).as_deref(), Some("+33612345678"));
        assert_eq!(normalize_phone("+33 6 12 34 56 78", fr).as_deref(), Some("+33612345678"));
        assert_eq!(normalize_phone("0033612345678", fr).as_deref(), Some("+33612345678"));
        let us = parse_region("US").unwrap();
        assert_eq!(normalize_phone("(415) 555-2671", us).as_deref(), Some("+14155552671"));
        assert_eq!(normalize_phone("12", us), None);
        assert_eq!(normalize_phone("+49 152 28817386", us).as_deref(), Some("+4915228817386"));
        assert_eq!(normalize_phone("+44 161 496 0123", us).as_deref(), Some("+441614960123"));
        assert_eq!(normalize_phone("+33 1 42 68 53 00", us).as_deref(), Some("+33142685300"));
    }

    #[test]
    fn exactly_one_primary() {
        let mut v = vec![(false,), (true,), (true,)];
        settle_primary(&mut v, |x| &mut x.0);
        assert_eq!(v, vec![(false,), (true,), (false,)]);
        let mut v = vec![(false,), (false,)];
        settle_primary(&mut v, |x| &mut x.0);
        assert_eq!(v, vec![(true,), (false,)]);
    }
}
