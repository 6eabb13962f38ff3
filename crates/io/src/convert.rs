//! Turning a source row into a record, through a mapping: values read as
//! their field wants them (dates in the common notations, yes/no, amounts with
//! either decimal mark, lists split), every source column remembered so that
//! an error names the column it came from.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use rapport_domain::custom::{CustomField, CustomType};
use rapport_domain::schema::{self, FieldType, ORG_SIZES};
use rapport_domain::{Kind, money};
use serde_json::{Map, Value as Json, json};

use crate::mapping::{Mapping, Target};
use crate::problem::Problem;
use crate::source::Row;

/// A source column, as errors name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellRef {
    pub column: Arc<str>,
    /// 1-based.
    pub number: usize,
}

/// What converting needs to know about the workspace.
#[derive(Debug, Clone)]
pub struct Context {
    pub kind: Kind,
    pub custom: Vec<CustomField>,
    /// The workspace currency, for amounts without one.
    pub currency: String,
    /// Read `03/04/2025` as March 4th (the United States' order) rather than April 3rd.
    pub month_first: bool,
    /// The workspace time zone, for date-times written without one.
    pub time_zone: chrono_tz::Tz,
}

impl Context {
    pub fn new(kind: Kind, custom: Vec<CustomField>, currency: &str, region: &str, time_zone: &str) -> Context {
        let month_first = matches!(region.to_ascii_uppercase().as_str(), "US" | "PH" | "FM" | "PW" | "MH" | "BZ");
        Context {
            kind,
            custom,
            currency: currency.to_string(),
            month_first,
            time_zone: time_zone.parse().unwrap_or(chrono_tz::UTC),
        }
    }
}

/// A row ready to be written: the record, and the names to look up first.
#[derive(Debug, Clone, Default)]
pub struct Prepared {
    pub record: Map<String, Json>,
    /// Organization names to find or create, then link.
    pub organizations: Vec<(String, CellRef)>,
    /// People (email or external id) to link.
    pub people: Vec<(String, CellRef)>,
    /// Deals (external id or name) to link.
    pub deals: Vec<(String, CellRef)>,
    pub owner: Option<(String, CellRef)>,
    pub pipeline: Option<(String, CellRef)>,
    pub stage: Option<(String, CellRef)>,
    /// For each record field (`emails`, `address.city`, `custom.size`), the columns
    /// that filled it, one per list item for lists.
    pub sources: HashMap<String, Vec<CellRef>>,
}

impl Prepared {
    pub fn is_empty(&self) -> bool {
        self.record.is_empty()
            && self.organizations.is_empty()
            && self.people.is_empty()
            && self.deals.is_empty()
            && self.owner.is_none()
            && self.pipeline.is_none()
            && self.stage.is_none()
    }

    /// The column behind a field named in a validation error (`emails[1].address`, `custom.size`).
    pub fn column_of(&self, field: &str) -> Option<CellRef> {
        if let Some(c) = self.sources.get(field).and_then(|v| v.first()) {
            return Some(c.clone());
        }
        let (base, rest) = match field.find(['[', '.']) {
            Some(i) => (&field[..i], &field[i..]),
            None => (field, ""),
        };
        if let Some(idx) = rest.strip_prefix('[').and_then(|r| r.split(']').next()).and_then(|n| n.parse::<usize>().ok())
            && let Some(c) = self.sources.get(base).and_then(|v| v.get(idx))
        {
            return Some(c.clone());
        }
        if let Some(sub) = rest.strip_prefix('.').map(|s| s.split(['.', '[']).next().unwrap_or(s))
            && let Some(c) = self.sources.get(&format!("{base}.{sub}")).and_then(|v| v.first())
        {
            return Some(c.clone());
        }
        self.sources.get(base).and_then(|v| v.first()).cloned()
    }

    fn source(&mut self, field: impl Into<String>, cell: &CellRef) {
        self.sources.entry(field.into()).or_default().push(cell.clone());
    }
}

/// A value that could not be read.
#[derive(Debug, Clone)]
pub struct CellError {
    pub cell: CellRef,
    pub problem: Problem,
}

/// A value that does not read as its field wants it: `'x' is not {expected}`.
fn unreadable(code: &'static str, text: &str, expected: &str) -> Problem {
    Problem::new(code, format!("'{text}' is not {expected}")).with("value", text)
}

/// Splits a cell holding several values (`a@x.org; b@y.org`, `tag1, tag2`, Google's ` ::: `).
pub fn split_list(s: &str, commas: bool) -> Vec<String> {
    let mut parts = vec![s.to_string()];
    let mut seps = vec![":::", ";", "\n", "|"];
    if commas {
        seps.push(",");
    }
    for sep in seps {
        parts = parts.iter().flat_map(|p| p.split(sep).map(str::to_string).collect::<Vec<_>>()).collect();
    }
    parts.into_iter().map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect()
}

/// A label for an email or phone from its column's name (`Mobile Phone` -> `mobile`).
pub fn label_from_column(column: &str) -> Option<&'static str> {
    let c = column.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| c.contains(w));
    if has(&["mobile", "cell", "handy", "portable"]) {
        Some("mobile")
    } else if has(&["fax"]) {
        Some("fax")
    } else if has(&["home", "personal", "private", "perso"]) {
        Some("home")
    } else if has(&["work", "business", "office", "company", "pro"]) {
        Some("work")
    } else if has(&["other"]) {
        Some("other")
    } else {
        None
    }
}

fn squash(s: &str) -> String {
    s.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// Reads an enum value written the way other systems write it.
pub fn enum_value(field: &str, values: &'static [&'static str], raw: &str) -> Option<&'static str> {
    let n = squash(raw);
    if let Some(v) = values.iter().find(|v| squash(v) == n) {
        return Some(v);
    }
    let synonym = match (field, n.as_str()) {
        ("lifecycle_stage", "marketingqualifiedlead" | "mql" | "salesqualifiedlead" | "sql" | "qualified") => "qualified_lead",
        ("lifecycle_stage", "formercustomer" | "churned" | "excustomer") => "former_customer",
        ("lifecycle_stage", "prospect" | "new") => "lead",
        ("status", "closedwon" | "won" | "gagne" | "gewonnen") => "won",
        ("status", "closedlost" | "lost" | "perdu" | "verloren") => "lost",
        ("status", "inprogress" | "active" | "pending") => "open",
        ("type", "phonecall" | "calls" | "phone" | "telephone" | "loggedcall") => "call",
        ("type", "emails" | "mail" | "email" | "loggedemail") => "email",
        ("type", "meetings" | "appointment" | "event") => "meeting",
        ("type", "notes" | "comment") => "note",
        ("type", "text" | "textmessage" | "whatsapp") => "sms",
        ("direction", "incoming" | "in" | "received" | "inbound") => "inbound",
        ("direction", "outgoing" | "out" | "sent" | "outbound") => "outbound",
        ("preferred_channel", "mobile" | "call" | "telephone") => "phone",
        ("preferred_channel", "text") => "sms",
        ("preferred_channel", "post" | "letter") => "mail",
        ("preferred_channel", "meeting" | "visit") => "in_person",
        ("relationship", "client") => "customer",
        ("relationship", "lead") => "prospect",
        ("relationship", "reseller" | "integrator") => "partner",
        _ => return None,
    };
    values.iter().find(|v| **v == synonym).copied()
}

/// A head count read into its band (`250` -> `201-500`).
fn size_band(raw: &str) -> Option<&'static str> {
    let n: u64 = raw.trim().replace([',', ' ', '.'], "").parse().ok()?;
    let bounds = [10, 50, 200, 500, 1000, 5000];
    let i = bounds.iter().position(|b| n <= *b).unwrap_or(bounds.len());
    ORG_SIZES.get(i).copied()
}

pub fn parse_bool(raw: &str) -> Option<bool> {
    match squash(raw).as_str() {
        "true" | "yes" | "y" | "1" | "x" | "oui" | "ja" | "si" | "checked" | "on" | "optedout" => Some(true),
        "false" | "no" | "n" | "0" | "non" | "nein" | "unchecked" | "off" => Some(false),
        _ => None,
    }
}

pub fn parse_int(raw: &str) -> Option<i64> {
    let t: String = raw.trim().chars().filter(|c| !matches!(c, ' ' | '_' | '\u{a0}' | '\'')).collect();
    if let Ok(n) = t.parse::<i64>() {
        return Some(n);
    }
    if let Ok(n) = t.replace(',', "").parse::<i64>() {
        return Some(n);
    }
    let f: f64 = t.replace(',', ".").parse().ok()?;
    (f.fract() == 0.0 && f.abs() < 9e15).then_some(f as i64)
}

/// `1:30` or `01:02:03` as seconds, else a plain number of seconds.
fn parse_duration(raw: &str) -> Option<i64> {
    let parts: Vec<&str> = raw.trim().split(':').collect();
    if parts.len() > 1 {
        let mut secs = 0i64;
        for p in parts {
            secs = secs * 60 + p.trim().parse::<i64>().ok()?;
        }
        return Some(secs);
    }
    parse_int(raw)
}

/// Reads a date in ISO form, `DD/MM/YYYY` (or `MM/DD/YYYY` where that is the custom),
/// `DD.MM.YYYY`, `YYYYMMDD`, or with the month's English name.
pub fn parse_date(raw: &str, month_first: bool) -> Option<NaiveDate> {
    let s = raw.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.date_naive());
    }
    let head = s.split(['T', ' ']).next().unwrap_or(s);
    for f in ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d"] {
        if let Ok(d) = NaiveDate::parse_from_str(head, f) {
            return Some(d);
        }
    }
    if head.len() == 8 && head.chars().all(|c| c.is_ascii_digit()) {
        return NaiveDate::parse_from_str(head, "%Y%m%d").ok();
    }
    for f in ["%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y", "%b %d %Y", "%d-%b-%Y"] {
        if let Ok(d) = NaiveDate::parse_from_str(s, f) {
            return Some(d);
        }
    }
    let nums: Vec<&str> = head.split(['/', '.', '-']).collect();
    if nums.len() != 3 || !nums.iter().all(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit())) {
        return None;
    }
    let (a, b, c): (u32, u32, i32) = (nums[0].parse().ok()?, nums[1].parse().ok()?, nums[2].parse().ok()?);
    let year = if nums[2].len() == 2 { if c < 70 { 2000 + c } else { 1900 + c } } else { c };
    // Day first, unless the second number cannot be a month or the region writes the month first.
    let month_first = b > 12 || (a <= 12 && month_first);
    let (month, day) = if month_first { (a, b) } else { (b, a) };
    NaiveDate::from_ymd_opt(year, month, day)
}

/// Reads a date-time: RFC 3339, or a date and a time in the workspace's time zone,
/// or a Unix timestamp (seconds or milliseconds).
pub fn parse_datetime(raw: &str, month_first: bool, tz: chrono_tz::Tz) -> Option<DateTime<Utc>> {
    let s = raw.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.to_utc());
    }
    if let Ok(t) = DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f %z") {
        return Some(t.to_utc());
    }
    if s.len() >= 9 && s.chars().all(|c| c.is_ascii_digit()) {
        let n: i64 = s.parse().ok()?;
        return if n > 100_000_000_000 { Utc.timestamp_millis_opt(n).single() } else { Utc.timestamp_opt(n, 0).single() };
    }
    let naive = ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .or_else(|| {
            let (d, t) = s.split_once([' ', 'T']).map(|(d, t)| (d, Some(t))).unwrap_or((s, None));
            let date = parse_date(d, month_first)?;
            let time = match t.map(str::trim) {
                None | Some("") => NaiveTime::MIN,
                Some(t) => {
                    ["%H:%M:%S", "%H:%M", "%I:%M %p", "%I:%M:%S %p"].iter().find_map(|f| NaiveTime::parse_from_str(t, f).ok())?
                }
            };
            Some(date.and_time(time))
        })?;
    tz.from_local_datetime(&naive).earliest().map(|t| t.to_utc())
}

/// Reads an amount in major units with either decimal mark and any grouping
/// (`1,234.50`, `1.234,50`, `€ 1 234,50`) into minor units of the currency.
pub fn parse_amount(raw: &str, currency: &str) -> Result<i64, Problem> {
    let kept: String = raw.chars().filter(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | '-')).collect();
    if !kept.chars().any(|c| c.is_ascii_digit()) {
        return Err(unreadable("not_an_amount", raw, "an amount"));
    }
    let last_dot = kept.rfind('.');
    let last_comma = kept.rfind(',');
    let exp = money::exponent(currency) as usize;
    let normalized = match (last_dot, last_comma) {
        (Some(d), Some(c)) if d > c => kept.replace(',', ""),
        (Some(_), Some(_)) => kept.replace('.', "").replace(',', "."),
        (None, Some(c)) => {
            let decimals = kept.len() - c - 1;
            if kept.matches(',').count() == 1 && decimals >= 1 && decimals <= exp.max(2) && decimals != 3 {
                kept.replace(',', ".")
            } else {
                kept.replace(',', "")
            }
        }
        (Some(_), None) if kept.matches('.').count() > 1 => kept.replace('.', ""),
        _ => kept,
    };
    money::parse_major(&normalized, currency).map_err(|m| amount_problem(raw, &normalized, currency, m))
}

/// Why an amount read as `normalized` (digits, a decimal point, a sign) is
/// refused: `parse_major` says it in English only.
fn amount_problem(raw: &str, normalized: &str, currency: &str, message: String) -> Problem {
    let exp = money::exponent(currency);
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    let unsigned = normalized.strip_prefix('-').unwrap_or(normalized);
    let (whole, decimals) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    if !digits(whole) || !(decimals.is_empty() || digits(decimals)) {
        Problem::new("not_an_amount", message).with("value", raw)
    } else if decimals.len() > exp as usize {
        Problem::new("too_many_decimals", message).with("value", raw).with("currency", currency).with("places", exp)
    } else {
        Problem::new("amount_too_large", message).with("value", raw)
    }
}

fn text_of(v: &Json) -> Option<String> {
    match v {
        Json::Null => None,
        Json::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Json::Number(n) => Some(n.to_string()),
        Json::Bool(b) => Some(b.to_string()),
        other => Some(other.to_string()),
    }
}

/// One line of text: line breaks become spaces.
fn one_line(s: &str) -> String {
    s.split(['\r', '\n']).map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ")
}

/// Converts a row through a mapping. Every value that cannot be read is
/// reported, and left out of the record, so that the rest can still be checked.
pub fn convert(ctx: &Context, mapping: &Mapping, row: &Row) -> (Prepared, Vec<CellError>) {
    let kind = ctx.kind;
    let mut p = Prepared::default();
    let mut errors = Vec::new();
    let mut amount: Option<(String, CellRef)> = None;
    let mut full_name: Option<(String, CellRef)> = None;
    for cell in &row.cells {
        let Some(target) = mapping.target(&cell.column) else { continue };
        let at = CellRef { column: cell.column.clone(), number: cell.number };
        let value = &cell.value;
        if value.is_null() || value.as_str().is_some_and(|s| s.trim().is_empty()) {
            continue;
        }
        let mut fail = |problem: Problem| errors.push(CellError { cell: at.clone(), problem });
        match target {
            Target::Field(name) => {
                let Some(f) = schema::field(kind, name) else { continue };
                let list = matches!(
                    f.ty,
                    FieldType::Emails
                        | FieldType::Phones
                        | FieldType::Strings { .. }
                        | FieldType::Links { .. }
                        | FieldType::Addresses
                );
                if !list && p.record.contains_key(*name) {
                    continue;
                }
                match field_value(ctx, name, f.ty, value, &at) {
                    Ok(FieldOut::One(v)) => {
                        p.record.insert(name.to_string(), v);
                        p.source(*name, &at);
                    }
                    Ok(FieldOut::Merge(v)) => {
                        let entry = p.record.entry(name.to_string()).or_insert_with(|| json!({}));
                        if let (Some(o), Some(n)) = (entry.as_object_mut(), v.as_object()) {
                            for (k, x) in n {
                                o.entry(k.clone()).or_insert(x.clone());
                                p.sources.entry(format!("{name}.{k}")).or_default().push(at.clone());
                            }
                        }
                        p.source(*name, &at);
                    }
                    Ok(FieldOut::Items(items)) => {
                        let entry = p.record.entry(name.to_string()).or_insert_with(|| json!([]));
                        if let Some(arr) = entry.as_array_mut() {
                            for item in items {
                                arr.push(item);
                                p.sources.entry(name.to_string()).or_default().push(at.clone());
                            }
                        }
                    }
                    Err(m) => fail(m),
                }
            }
            Target::Address(field, part) => {
                let Some(s) = text_of(value) else { continue };
                let many = schema::field(kind, field).is_some_and(|f| f.ty == FieldType::Addresses);
                let entry = p.record.entry(field.to_string()).or_insert_with(|| if many { json!([{}]) } else { json!({}) });
                let obj = if many { entry.get_mut(0) } else { Some(entry) };
                if let Some(o) = obj.and_then(Json::as_object_mut)
                    && !o.contains_key(*part)
                {
                    o.insert(part.to_string(), Json::String(s));
                    p.sources.entry(format!("{field}.{part}")).or_default().push(at.clone());
                    let key = if many { format!("{field}[0].{part}") } else { format!("{field}.{part}") };
                    p.sources.entry(key).or_default().push(at.clone());
                    p.source(*field, &at);
                }
            }
            Target::Custom(key) => {
                let Some(def) = ctx.custom.iter().find(|d| &d.key == key) else { continue };
                match custom_value(ctx, def, value) {
                    Ok(v) => {
                        let custom = p.record.entry("custom".to_string()).or_insert_with(|| json!({}));
                        if let Some(o) = custom.as_object_mut() {
                            o.entry(key.clone()).or_insert(v);
                        }
                        p.source(format!("custom.{key}"), &at);
                    }
                    Err(m) => fail(m),
                }
            }
            Target::Organization => {
                let names: Vec<String> = match value {
                    Json::Array(items) => items.iter().filter_map(text_of).collect(),
                    other => text_of(other).into_iter().collect(),
                };
                for n in names {
                    if !p.organizations.iter().any(|(x, _)| x.eq_ignore_ascii_case(&n)) {
                        p.organizations.push((one_line(&n), at.clone()));
                    }
                }
            }
            Target::Person => {
                for key in split_list(&text_of(value).unwrap_or_default(), true) {
                    p.people.push((key, at.clone()));
                }
            }
            Target::Deal => {
                if let Some(key) = text_of(value) {
                    p.deals.push((key, at.clone()));
                }
            }
            Target::FullName => {
                if full_name.is_none() {
                    full_name = text_of(value).map(|s| (s, at.clone()));
                }
            }
            Target::Amount => {
                if amount.is_none() {
                    amount = text_of(value).map(|s| (s, at.clone()));
                }
            }
            Target::Owner => {
                if p.owner.is_none() {
                    p.owner = text_of(value).map(|s| (s, at.clone()));
                }
            }
            Target::Pipeline => {
                if p.pipeline.is_none() {
                    p.pipeline = text_of(value).map(|s| (s, at.clone()));
                }
            }
            Target::Stage => {
                if p.stage.is_none() {
                    p.stage = text_of(value).map(|s| (s, at.clone()));
                }
            }
        }
    }
    if let Some((name, at)) = full_name
        && !p.record.contains_key("first_name")
        && !p.record.contains_key("last_name")
    {
        let name = one_line(&name);
        let (first, last) = match name.split_once(',') {
            // "Lovelace, Ada"
            Some((last, first)) => (first.trim().to_string(), last.trim().to_string()),
            None => match name.split_once(' ') {
                Some((first, last)) => (first.trim().to_string(), last.trim().to_string()),
                None => (name.clone(), String::new()),
            },
        };
        for (k, v) in [("first_name", first), ("last_name", last)] {
            if !v.is_empty() {
                p.record.insert(k.into(), Json::String(v));
                p.source(k, &at);
            }
        }
    }
    if let Some((raw, at)) = amount
        && !p.record.contains_key("amount_minor")
    {
        let currency = p
            .record
            .get("currency")
            .and_then(Json::as_str)
            .and_then(money::parse_currency)
            .map(str::to_string)
            .unwrap_or_else(|| ctx.currency.clone());
        match parse_amount(&raw, &currency) {
            Ok(minor) => {
                p.record.insert("amount_minor".into(), Json::from(minor));
                p.source("amount_minor", &at);
            }
            Err(problem) => errors.push(CellError { cell: at, problem }),
        }
    }
    (p, errors)
}

enum FieldOut {
    One(Json),
    /// An object whose keys fill what is not filled yet.
    Merge(Json),
    /// Items appended to a list.
    Items(Vec<Json>),
}

fn field_value(ctx: &Context, name: &str, ty: FieldType, v: &Json, at: &CellRef) -> Result<FieldOut, Problem> {
    let text = text_of(v).unwrap_or_default();
    Ok(match ty {
        FieldType::Text { .. } => FieldOut::One(Json::String(one_line(&text))),
        FieldType::LongText => FieldOut::One(Json::String(text)),
        FieldType::Int { .. } => {
            if let Some(n) = v.as_i64() {
                return Ok(FieldOut::One(Json::from(n)));
            }
            let n = if name == "duration_seconds" {
                parse_duration(&text).ok_or_else(|| unreadable("not_a_duration", &text, "a whole number"))?
            } else {
                parse_int(&text).ok_or_else(|| unreadable("not_a_whole_number", &text, "a whole number"))?
            };
            FieldOut::One(Json::from(n))
        }
        FieldType::Bool => match v {
            Json::Bool(b) => FieldOut::One(Json::Bool(*b)),
            _ => FieldOut::One(Json::Bool(parse_bool(&text).ok_or_else(|| unreadable("not_yes_or_no", &text, "yes or no"))?)),
        },
        FieldType::Date => {
            let d = parse_date(&text, ctx.month_first).ok_or_else(|| not_a_date(&text))?;
            FieldOut::One(Json::String(d.to_string()))
        }
        FieldType::DateTime => {
            let t = parse_datetime(&text, ctx.month_first, ctx.time_zone).ok_or_else(|| not_a_date_time(&text))?;
            FieldOut::One(Json::String(rapport_domain::value::format_datetime(&t)))
        }
        FieldType::Enum(values) => {
            let found = enum_value(name, values, &text).or_else(|| if name == "size" { size_band(&text) } else { None });
            let found = found.ok_or_else(|| {
                let options = values.join(", ");
                unreadable("not_an_option", &text, &format!("one of: {options}")).with("options", options)
            })?;
            FieldOut::One(Json::String(found.to_string()))
        }
        FieldType::Ref(_) | FieldType::Pipeline | FieldType::Stage | FieldType::Currency => FieldOut::One(Json::String(text)),
        FieldType::Emails | FieldType::Phones => {
            let key = if ty == FieldType::Emails { "address" } else { "number" };
            let label = label_from_column(&at.column);
            let items = match v {
                Json::Array(items) => items.clone(),
                Json::Object(_) => vec![v.clone()],
                _ => split_list(&text, ty == FieldType::Emails)
                    .into_iter()
                    .map(|s| {
                        let s = s.trim_start_matches("mailto:").trim_start_matches("tel:").to_string();
                        match label {
                            Some(l) => json!({key: s, "label": l}),
                            None => Json::String(s),
                        }
                    })
                    .collect(),
            };
            FieldOut::Items(items)
        }
        FieldType::Address => match v {
            Json::Object(_) => FieldOut::Merge(v.clone()),
            _ => FieldOut::Merge(json!({"street": text})),
        },
        // A JSON import carries the object; a spreadsheet cell may name just the frequency ("weekly").
        FieldType::Recurrence => match v {
            Json::Object(_) => FieldOut::One(v.clone()),
            _ => FieldOut::One(json!({"frequency": text.trim().to_lowercase()})),
        },
        FieldType::Addresses => match v {
            Json::Array(items) => FieldOut::Items(items.clone()),
            Json::Object(_) => FieldOut::Items(vec![v.clone()]),
            _ => FieldOut::Items(vec![json!({"street": text})]),
        },
        FieldType::Strings { .. } => match v {
            Json::Array(items) => FieldOut::Items(items.iter().filter_map(text_of).map(Json::String).collect()),
            _ => FieldOut::Items(
                split_list(&text, true)
                    .into_iter()
                    .map(|s| s.trim_start_matches("* ").to_string())
                    .filter(|s| s != "myContacts" && s != "starred")
                    .map(Json::String)
                    .collect(),
            ),
        },
        FieldType::Links { .. } => match v {
            Json::Array(items) => FieldOut::Items(items.clone()),
            _ => FieldOut::Items(split_list(&text, true).into_iter().map(Json::String).collect()),
        },
    })
}

fn not_a_date(text: &str) -> Problem {
    unreadable("not_a_date", text, "a date (e.g. 2025-01-31)")
}

fn not_a_date_time(text: &str) -> Problem {
    unreadable("not_a_date_time", text, "a date and time (e.g. 2025-01-31 14:30)")
}

fn custom_value(ctx: &Context, def: &CustomField, v: &Json) -> Result<Json, Problem> {
    if !v.is_string() {
        return Ok(v.clone());
    }
    let text = text_of(v).unwrap_or_default();
    Ok(match def.ty {
        CustomType::Number | CustomType::Percent => {
            let t: String = text.chars().filter(|c| !matches!(c, ' ' | '\u{a0}' | '\'' | '%')).collect();
            let t = if t.contains('.') { t.replace(',', "") } else { t.replace(',', ".") };
            let n: f64 = t.parse().map_err(|_| unreadable("not_a_number", &text, "a number"))?;
            if n.fract() == 0.0 && n.abs() < 9e15 { Json::from(n as i64) } else { Json::from(n) }
        }
        CustomType::Boolean => Json::Bool(parse_bool(&text).ok_or_else(|| unreadable("not_yes_or_no", &text, "yes or no"))?),
        CustomType::Date => Json::String(parse_date(&text, ctx.month_first).ok_or_else(|| not_a_date(&text))?.to_string()),
        CustomType::DateTime => {
            let t = parse_datetime(&text, ctx.month_first, ctx.time_zone).ok_or_else(|| not_a_date_time(&text))?;
            Json::String(rapport_domain::value::format_datetime(&t))
        }
        CustomType::MultiSelect => Json::Array(split_list(&text, true).into_iter().map(Json::String).collect()),
        CustomType::Rating => {
            Json::from(text.trim().parse::<i64>().map_err(|_| unreadable("not_a_whole_number", &text, "a whole number"))?)
        }
        CustomType::Money => {
            let ctx = rapport_domain::custom::ValueContext { region: phonenumber::country::Id::US, currency: &ctx.currency };
            // Only whether the text reads as an amount: the store checks the
            // bounds, as for every other type, and says which the value misses.
            let def = CustomField { required: false, min: None, max: None, ..def.clone() };
            rapport_domain::custom::parse_text(&def, &text, &ctx)
                .map_err(|m| Problem::new("not_an_amount", m).with("value", &text))?
        }
        // Emails, phones and URLs are normalized by the record engine with the workspace's region.
        _ => Json::String(text),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{Cell, Original};

    fn cell(column: &str, number: usize, text: &str) -> Cell {
        Cell { column: Arc::from(column), number, value: Json::String(text.into()) }
    }

    fn row(number: u64, cells: Vec<Cell>) -> Row {
        Row { number, cells, original: Original::Fields(vec![]) }
    }

    #[test]
    fn values_are_read_as_people_write_them() {
        assert_eq!(parse_date("31/01/2025", false), NaiveDate::from_ymd_opt(2025, 1, 31));
        assert_eq!(parse_date("01/02/2025", false), NaiveDate::from_ymd_opt(2025, 2, 1));
        assert_eq!(parse_date("01/02/2025", true), NaiveDate::from_ymd_opt(2025, 1, 2));
        assert_eq!(parse_date("25.12.1970", false), NaiveDate::from_ymd_opt(1970, 12, 25));
        assert_eq!(parse_date("19801231", false), NaiveDate::from_ymd_opt(1980, 12, 31));
        assert_eq!(parse_date("Mar 5, 2020", false), NaiveDate::from_ymd_opt(2020, 3, 5));
        assert_eq!(parse_date("2020-13-01", false), None);
        let paris: chrono_tz::Tz = "Europe/Paris".parse().unwrap();
        assert_eq!(parse_datetime("2025-01-31 10:00", false, paris).unwrap().to_rfc3339(), "2025-01-31T09:00:00+00:00");
        assert_eq!(parse_datetime("2025-01-31T10:00:00Z", false, paris).unwrap().to_rfc3339(), "2025-01-31T10:00:00+00:00");
        assert_eq!(parse_amount("1,234.50", "EUR"), Ok(123450));
        assert_eq!(parse_amount("1.234,50 €", "EUR"), Ok(123450));
        assert_eq!(parse_amount("$ 1 234", "USD"), Ok(123400));
        assert_eq!(parse_amount("12,5", "EUR"), Ok(1250));
        assert_eq!(parse_amount("1,000", "EUR"), Ok(100000));
        assert_eq!(parse_amount("abc", "EUR").unwrap_err().code, "not_an_amount");
        assert_eq!(enum_value("lifecycle_stage", schema::LIFECYCLE_STAGES, "Marketing Qualified Lead"), Some("qualified_lead"));
        assert_eq!(enum_value("status", schema::DEAL_STATUSES, "Closed Won"), Some("won"));
        assert_eq!(size_band("250"), Some("201-500"));
        assert_eq!(split_list("a@x.org ::: b@y.org; c@z.org", true), vec!["a@x.org", "b@y.org", "c@z.org"]);
    }

    #[test]
    fn rows_become_records_and_errors_name_their_column() {
        let ctx = Context::new(Kind::Person, vec![], "EUR", "FR", "Europe/Paris");
        let mapping = Mapping::from_json(
            Kind::Person,
            &json!({"Name": "full_name", "Work Email": "emails", "Email 2": "emails", "Mobile": "phones", "Company": "organization", "Birthday": "birthday", "City": "address.city"}),
            &[],
        )
        .unwrap();
        let ada = row(
            2,
            vec![
                cell("Name", 1, "Ada Lovelace"),
                cell("Work Email", 2, "ada@example.org"),
                cell("Email 2", 3, "ada@home.example"),
                cell("Mobile", 4, "06 12 34 56 78"),
                cell("Company", 5, "Analytical Engines"),
                cell("Birthday", 6, "10/12/1815"),
                cell("City", 7, "London"),
            ],
        );
        let (p, errs) = convert(&ctx, &mapping, &ada);
        assert!(errs.is_empty());
        assert_eq!(p.record["first_name"], "Ada");
        assert_eq!(p.record["last_name"], "Lovelace");
        assert_eq!(p.record["emails"], json!([{"address": "ada@example.org", "label": "work"}, "ada@home.example"]));
        assert_eq!(p.record["phones"], json!([{"number": "06 12 34 56 78", "label": "mobile"}]));
        assert_eq!(p.record["birthday"], "1815-12-10");
        assert_eq!(p.record["address"], json!({"city": "London"}));
        assert_eq!(p.organizations[0].0, "Analytical Engines");
        assert_eq!(p.column_of("emails[1].address").unwrap().number, 3);
        assert_eq!(p.column_of("address.city").unwrap().number, 7);
        let bad = row(3, vec![cell("Birthday", 6, "someday")]);
        let (_, e) = convert(&ctx, &mapping, &bad);
        assert_eq!(e[0].cell.number, 6);
    }

    #[test]
    fn unreadable_values_have_a_code_and_name_the_value() {
        let custom = vec![
            CustomField { key: "score".into(), label: "Score".into(), ty: CustomType::Rating, ..Default::default() },
            CustomField {
                key: "budget".into(),
                label: "Budget".into(),
                ty: CustomType::Money,
                min: Some(json!(50_000)),
                ..Default::default()
            },
        ];
        let ctx = Context::new(Kind::Deal, custom.clone(), "EUR", "FR", "Europe/Paris");
        let mapping = Mapping::from_json(
            Kind::Deal,
            &json!({"Close": "expected_close_date", "Status": "status", "Amount": "amount", "Score": "custom.score", "Budget": "custom.budget"}),
            &custom,
        )
        .unwrap();
        let cells = vec![
            cell("Close", 1, "someday"),
            cell("Status", 2, "maybe"),
            cell("Amount", 3, "lots"),
            cell("Score", 4, "high"),
            cell("Budget", 5, "3"),
        ];
        let (p, errs) = convert(&ctx, &mapping, &row(2, cells));
        let found: Vec<(usize, &str, &str)> =
            errs.iter().map(|e| (e.cell.number, e.problem.code.as_str(), e.problem.message.as_str())).collect();
        assert_eq!(
            found,
            vec![
                (1, "not_a_date", "'someday' is not a date (e.g. 2025-01-31)"),
                (2, "not_an_option", "'maybe' is not one of: open, won, lost"),
                (4, "not_a_whole_number", "'high' is not a whole number"),
                (3, "not_an_amount", "'lots' is not an amount"),
            ]
        );
        let value = |name: &str, value: &str| (name.to_string(), value.to_string());
        assert_eq!(errs[0].problem.args, vec![value("value", "someday")]);
        assert_eq!(errs[1].problem.args, vec![value("value", "maybe"), value("options", "open, won, lost")]);
        // A budget below its least is the store's to refuse: here it reads.
        assert_eq!(p.record["custom"]["budget"], json!({"amount_minor": 300, "currency": "EUR"}));

        let too_fine = parse_amount("12.345", "EUR").unwrap_err();
        assert_eq!((too_fine.code.as_str(), too_fine.message.as_str()), ("too_many_decimals", "EUR has 2 decimal places"));
        assert_eq!(too_fine.args, vec![value("value", "12.345"), value("currency", "EUR"), value("places", "2")]);
        assert_eq!(parse_amount("99999999999999999999", "EUR").unwrap_err().code, "amount_too_large");
        assert_eq!(parse_amount("1-2", "EUR").unwrap_err().code, "not_an_amount");

        let calls = Context::new(Kind::Activity, vec![], "EUR", "FR", "Europe/Paris");
        let m = Mapping::from_json(Kind::Activity, &json!({"Length": "duration_seconds"}), &[]);
        let (_, errs) = convert(&calls, &m.unwrap(), &row(3, vec![cell("Length", 1, "an hour")]));
        assert_eq!(
            (errs[0].problem.code.as_str(), errs[0].problem.message.as_str()),
            ("not_a_duration", "'an hour' is not a whole number")
        );
    }
}
