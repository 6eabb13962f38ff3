//! A list's URL: any `field[op]=value` of the API's filter language, a few quick
//! filters (`owner=me`, `due=overdue`), search (`q`), sort, chosen columns and the
//! cursor. Read into a `ListQuery`, and written back into the page's links so
//! that every state of a list is a plain URL (and a saved view is its query string).

use chrono::{DateTime, Datelike, Duration, Utc};
use rapport_domain::custom::CustomField;
use rapport_domain::filter::{self, Filter};
use rapport_domain::{FieldError, Kind, access};
use rapport_store::ListQuery;
use uuid::Uuid;

use crate::web::format::Format;

pub type Params = Vec<(String, String)>;

/// Parameters that are not filters of the API's language.
/// `done` is the outcome of a change made elsewhere (e.g. `deleted`), shown once.
pub const RESERVED: [&str; 11] = ["q", "sort", "cols", "cursor", "view", "limit", "owner", "due", "csrf", "format", "done"];

pub const DEFAULT_LIMIT: u64 = 50;

/// Percent-encodes a query component (`/` too, unlike paths).
pub fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Reads a query string (`a=b&c=d`, `+` for spaces) into its pairs, in order.
pub fn parse_qs(s: &str) -> Params {
    fn dec(s: &str) -> String {
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < bytes.len() => {
                    let hex = |c: u8| (c as char).to_digit(16);
                    match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                        (Some(h), Some(l)) => {
                            out.push((h * 16 + l) as u8);
                            i += 2;
                        }
                        _ => out.push(b'%'),
                    }
                }
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    s.trim_start_matches('?')
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (dec(k), dec(v)),
            None => (dec(p), String::new()),
        })
        .collect()
}

/// The query string of these parameters, without a leading `?`.
pub fn qs(params: &[(String, String)]) -> String {
    params.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

/// `/people?...`, or `/people` when there is nothing to add.
pub fn href(collection: &str, params: &[(String, String)]) -> String {
    if params.is_empty() { format!("/{collection}") } else { format!("/{collection}?{}", qs(params)) }
}

/// The first non-empty value of a parameter.
pub fn get<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().find(|(k, v)| k == name && !v.is_empty()).map(|(_, v)| v.as_str())
}

/// The parameters with `name` replaced by `value` (or removed).
pub fn set(params: &[(String, String)], name: &str, value: Option<&str>) -> Params {
    let mut out: Params = params.iter().filter(|(k, _)| k != name).cloned().collect();
    if let Some(v) = value {
        out.push((name.to_string(), v.to_string()));
    }
    out
}

/// A saved view's parameters, overridden name by name by those of the URL.
pub fn merge(view_query: &str, url: &[(String, String)]) -> Params {
    let mut out: Params = parse_qs(view_query).into_iter().filter(|(k, _)| !url.iter().any(|(u, _)| u == k)).collect();
    out.extend(url.iter().cloned());
    out
}

/// What the page keeps of its URL for links: everything but the cursor, the view and the token.
pub fn canonical(params: &[(String, String)]) -> Params {
    params
        .iter()
        // An empty quick filter is "any"; `field[is_null]=` keeps its meaning.
        .filter(|(k, v)| !matches!(k.as_str(), "cursor" | "view" | "csrf") && (!v.is_empty() || k.contains('[')))
        .cloned()
        .collect()
}

/// `field[op]` → (`field`, `op`); a bare name is `eq`.
pub fn split_key(k: &str) -> (&str, &str) {
    match k.split_once('[') {
        Some((f, rest)) => (f, rest.strip_suffix(']').unwrap_or(rest)),
        None => (k, "eq"),
    }
}

/// The list's query and what was wrong with its URL.
pub struct Parsed {
    pub query: ListQuery,
    /// Each value that could not be used, named by its parameter.
    pub errors: Vec<FieldError>,
    /// The sort in effect, as written in URLs (`-updated_at`).
    pub sort: String,
}

/// The column holding whose record it is, for `owner=`.
pub fn owner_field(kind: Kind) -> &'static str {
    access::owner_column(kind).unwrap_or("owner_id")
}

/// Midnight of the reader's day `days` after today, in UTC.
fn local_midnight(fmt: &Format, now: DateTime<Utc>, days: i64) -> DateTime<Utc> {
    fmt.start_of_day(fmt.local_date(&now) + Duration::days(days))
}

/// `due=` of tasks: overdue, today, or this week (to next Monday), in the reader's zone.
fn due_conditions(fmt: &Format, due: &str) -> Option<Vec<(&'static str, &'static str, String)>> {
    let now = Utc::now();
    let today = local_midnight(fmt, now, 0);
    let open = ("status", "in", "open,in_progress".to_string());
    Some(match due {
        "overdue" => vec![("due_at", "lt", now.to_rfc3339()), open],
        "today" => vec![("due_at", "gte", today.to_rfc3339()), ("due_at", "lt", local_midnight(fmt, now, 1).to_rfc3339())],
        "week" => {
            let to_monday = 7 - fmt.local_date(&now).weekday().num_days_from_monday() as i64;
            vec![("due_at", "gte", today.to_rfc3339()), ("due_at", "lt", local_midnight(fmt, now, to_monday).to_rfc3339())]
        }
        _ => return None,
    })
}

/// Reads the list's parameters. Bad ones are reported, never fatal.
pub fn parse(
    kind: Kind,
    params: &[(String, String)],
    custom: &[CustomField],
    me: Uuid,
    fmt: &Format,
    default_sort: &str,
) -> Parsed {
    let mut errors = vec![];
    let mut conds = vec![];
    let mut add =
        |field: &str, op: &str, v: &str, errors: &mut Vec<FieldError>| match filter::condition(kind, field, op, v, custom) {
            Ok(c) => conds.push(Filter::Cond(c)),
            Err(e) => errors.extend(e.0),
        };
    for (k, v) in params {
        if RESERVED.contains(&k.as_str()) {
            continue;
        }
        let (field, op) = split_key(k);
        // An empty choice of a quick filter means "any".
        if v.is_empty() && op == "eq" {
            continue;
        }
        add(field, op, v, &mut errors);
    }
    match get(params, "owner") {
        None | Some("anyone") => {}
        Some("me") => add(owner_field(kind), "eq", &me.to_string(), &mut errors),
        Some(other) => add(owner_field(kind), "eq", other, &mut errors),
    }
    if let Some(due) = get(params, "due") {
        match due_conditions(fmt, due).filter(|_| kind == Kind::Task) {
            Some(list) => {
                for (f, op, v) in list {
                    add(f, op, &v, &mut errors);
                }
            }
            None => errors.push(
                FieldError::new("due", "invalid", format!("'{due}' is not one of overdue, today, week"))
                    .with("values", "overdue, today, week"),
            ),
        }
    }
    let mut sort_spec = get(params, "sort").unwrap_or(default_sort).to_string();
    let sort = match filter::sort(kind, &sort_spec, custom) {
        Ok(s) => Some(s),
        Err(e) => {
            errors.extend(e.0);
            sort_spec = default_sort.to_string();
            filter::sort(kind, default_sort, custom).ok()
        }
    };
    let limit = match get(params, "limit") {
        None => DEFAULT_LIMIT,
        Some(l) => match l.parse::<u64>() {
            Ok(n) if (1..=200).contains(&n) => n,
            _ => {
                errors.push(FieldError::new("limit", "out_of_range", "must be a whole number from 1 to 200"));
                DEFAULT_LIMIT
            }
        },
    };
    let query = ListQuery {
        filter: Filter::All(conds),
        search: get(params, "q").map(|q| q.trim().to_string()).filter(|q| !q.is_empty()),
        sort,
        limit,
        cursor: get(params, "cursor").map(str::to_string),
    };
    Parsed { query, errors, sort: sort_spec }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_round_trip() {
        let p: Params = vec![("amount_minor[gte]".into(), "10 00".into()), ("q".into(), "é&x".into())];
        assert_eq!(parse_qs(&qs(&p)), p);
        assert_eq!(
            parse_qs("a=b+c&d=%2Fx&e"),
            vec![("a".into(), "b c".into()), ("d".into(), "/x".into()), ("e".into(), "".into())]
        );
        assert_eq!(parse_qs("a=%4"), vec![("a".into(), "%4".into())]);
    }

    #[test]
    fn views_are_overridden_by_the_url() {
        let url: Params = vec![("sort".into(), "name".into())];
        let m = merge("status=open&sort=-name", &url);
        assert_eq!(m, vec![("status".into(), "open".into()), ("sort".into(), "name".into())]);
    }

    #[test]
    fn bad_filters_are_reported() {
        let fmt = Format::new("en", "UTC");
        let p: Params =
            vec![("amount_minor[gte]".into(), "lots".into()), ("nope".into(), "1".into()), ("status".into(), "".into())];
        let parsed = parse(Kind::Deal, &p, &[], Uuid::nil(), &fmt, "-updated_at");
        assert_eq!(parsed.errors.len(), 2, "{:?}", parsed.errors);
        assert_eq!(parsed.errors[0].field, "amount_minor[gte]");
        let ok = parse(Kind::Task, &[("due".into(), "week".into())], &[], Uuid::nil(), &fmt, "due_at");
        assert!(ok.errors.is_empty());
    }
}
