//! Custom fields in the web UI: a value as the reader sees it, the form input
//! of each type, and reading what was typed back into values.

use rapport_domain::custom::{self, CustomField, CustomType, ValueContext};
use serde_json::{Map, Value as Json};

use super::Fields;

/// Form errors by field name (`custom.KEY` for custom fields).
type Errs = std::collections::BTreeMap<String, String>;
use super::frame::Ui;
use super::i18n::{Arg, Refusal};

/// A stored value as the reader sees it; empty when there is none.
pub fn display(ui: &Ui, def: &CustomField, raw: &Json) -> String {
    match (def.ty, raw) {
        (_, Json::Null) => String::new(),
        (CustomType::Boolean, Json::Bool(b)) => ui.t(if *b { "yes" } else { "no" }),
        (CustomType::Date | CustomType::DateTime, _) => ui.when(raw),
        (CustomType::Money, Json::Object(o)) => {
            let minor = o.get("amount_minor").and_then(Json::as_i64).unwrap_or_default();
            ui.fmt.money(minor, o.get("currency").and_then(Json::as_str).unwrap_or_default())
        }
        (CustomType::Phone, Json::String(s)) => rapport_domain::contact::display_phone(s),
        (CustomType::Number, Json::Number(n)) => n.as_f64().map(|f| ui.fmt.decimal(f)).unwrap_or_else(|| n.to_string()),
        (CustomType::Percent, Json::Number(n)) => {
            let value = n.as_f64().map(|f| ui.fmt.decimal(f)).unwrap_or_else(|| n.to_string());
            ui.t1("fields-percent-value", "value", &value)
        }
        (CustomType::Rating, Json::Number(n)) => {
            ui.t2("fields-rating-value", "value", &n.to_string(), "max", &def.rating_max().to_string())
        }
        (ty, v) => custom::to_text(ty, v).replace("; ", ", "),
    }
}

/// Where a value of an email, phone or web address field leads: `mailto:`,
/// `tel:`, or the address itself when it is http or https (never `javascript:`).
pub fn href(def: &CustomField, raw: &Json) -> Option<String> {
    let s = raw.as_str().map(str::trim).filter(|s| !s.is_empty())?;
    match def.ty {
        CustomType::Email => Some(format!("mailto:{s}")),
        CustomType::Phone => Some(super::lists::columns::tel(s)),
        CustomType::Url => {
            let lower = s.to_ascii_lowercase();
            (lower.starts_with("https://") || lower.starts_with("http://")).then(|| s.to_string())
        }
        _ => None,
    }
}

/// One custom field of a form.
pub struct CustomInput {
    pub key: String,
    /// The form field's name: `custom.KEY`.
    pub name: String,
    pub label: String,
    pub help: String,
    pub ty: &'static str,
    /// `text`, `area`, `select`, `checkbox`, `checkboxes` or an `<input type>`.
    pub widget: &'static str,
    pub value: String,
    /// Values of a multi-select that are chosen.
    pub chosen: Vec<String>,
    pub options: Vec<(String, String)>,
    pub min: String,
    pub max: String,
    pub maxlength: String,
    pub required: bool,
    pub error: Option<String>,
}

impl CustomInput {
    pub fn is(&self, widget: &str) -> bool {
        self.widget == widget
    }
    pub fn is_chosen(&self, v: &str) -> bool {
        self.chosen.iter().any(|c| c == v)
    }
}

fn bound(v: &Option<Json>) -> String {
    match v {
        Some(Json::String(s)) => s.clone(),
        Some(Json::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// The form value of a stored value (what an input shows).
fn form_value(ui: &Ui, def: &CustomField, raw: &Json) -> String {
    match (def.ty, raw) {
        (_, Json::Null) => String::new(),
        (CustomType::DateTime, Json::String(s)) => {
            rapport_domain::validate::parse_datetime(s).map(|t| ui.fmt.input_datetime(&t)).unwrap_or_default()
        }
        (CustomType::Boolean, Json::Bool(b)) => b.to_string(),
        (ty, v) => custom::to_text(ty, v),
    }
}

/// The inputs of the fields shown on pages (not hidden, not deleted), holding
/// the record's values or what was typed (`typed`, after a refused post).
pub fn inputs(
    ui: &Ui,
    defs: &[CustomField],
    record: Option<&Map<String, Json>>,
    typed: Option<&Fields>,
    errs: &Errs,
) -> Vec<CustomInput> {
    let values = record.and_then(|r| r.get("custom")).and_then(Json::as_object);
    defs.iter()
        .filter(|d| !d.hidden && !d.is_deleted())
        .map(|d| {
            let name = format!("custom.{}", d.key);
            let stored =
                values.and_then(|v| v.get(&d.key)).cloned().or_else(|| if record.is_none() { d.default.clone() } else { None });
            let (value, chosen) = match typed {
                Some(f) => (f.text(&name), f.all(&name)),
                None => {
                    let raw = stored.unwrap_or(Json::Null);
                    let chosen = raw
                        .as_array()
                        .map(|a| a.iter().filter_map(Json::as_str).map(str::to_string).collect())
                        .unwrap_or_default();
                    (form_value(ui, d, &raw), chosen)
                }
            };
            let none = (String::new(), ui.t("records-choose-none"));
            let (widget, options) = match d.ty {
                CustomType::LongText => ("area", vec![]),
                CustomType::Number | CustomType::Percent => ("number", vec![]),
                CustomType::Date => ("date", vec![]),
                CustomType::DateTime => ("datetime-local", vec![]),
                CustomType::Boolean => ("checkbox", vec![]),
                CustomType::Email => ("email", vec![]),
                CustomType::Phone => ("tel", vec![]),
                CustomType::Url => ("url", vec![]),
                CustomType::Select => {
                    ("select", std::iter::once(none).chain(d.options.iter().map(|o| (o.clone(), o.clone()))).collect())
                }
                CustomType::MultiSelect => ("checkboxes", d.options.iter().map(|o| (o.clone(), o.clone())).collect()),
                CustomType::Rating => (
                    "select",
                    std::iter::once(none).chain((1..=d.rating_max()).map(|n| (n.to_string(), n.to_string()))).collect(),
                ),
                // Record ids (several separated by commas); the record page lists what they point at.
                CustomType::Money | CustomType::Text | CustomType::Relation => ("text", vec![]),
            };
            let help = match (&d.help, d.ty) {
                (Some(h), _) => h.clone(),
                (None, CustomType::Money) => ui.t1("fields-money-hint", "currency", &ui.currency),
                (None, _) => String::new(),
            };
            CustomInput {
                key: d.key.clone(),
                label: d.label.clone(),
                help,
                ty: d.ty.as_str(),
                widget,
                value,
                chosen,
                options,
                min: if d.ty == CustomType::Money { String::new() } else { bound(&d.min) },
                max: if matches!(d.ty, CustomType::Money | CustomType::Rating) { String::new() } else { bound(&d.max) },
                maxlength: d.max_length.map(|m| m.to_string()).unwrap_or_default(),
                required: d.required,
                error: errs.get(&name).cloned(),
                name,
            }
        })
        .collect()
}

/// A refused value of a custom field, worded from the catalog: what the field
/// expects when the refusal is only `invalid` (its definition says what fits),
/// else the code's message.
pub fn refused(ui: &Ui, defs: &[CustomField], e: &Refusal<'_>) -> String {
    let key = e.field.strip_prefix("custom.").map(|k| k.split(['.', '[']).next().unwrap_or(k));
    match key.and_then(|k| defs.iter().find(|d| d.key == k)) {
        Some(d) if matches!(e.code, "invalid" | "invalid_type" | "out_of_range" | "too_long") => expected(ui, d),
        _ => ui.catalog.refused(e),
    }
}

/// What a custom field takes, as a sentence asking for it.
pub fn expected(ui: &Ui, d: &CustomField) -> String {
    let bound = |v: &Option<Json>| match v {
        Some(Json::String(s)) => Some(s.clone()),
        Some(Json::Number(n)) => Some(n.as_f64().map(|f| ui.fmt.decimal(f)).unwrap_or_else(|| n.to_string())),
        _ => None,
    };
    let bounded = || match (bound(&d.min), bound(&d.max)) {
        (Some(lo), Some(hi)) => Some(ui.t2("validation-custom-between", "min", &lo, "max", &hi)),
        (Some(lo), None) => Some(ui.t1("validation-custom-at-least", "min", &lo)),
        (None, Some(hi)) => Some(ui.t1("validation-custom-at-most", "max", &hi)),
        (None, None) => None,
    };
    match d.ty {
        CustomType::Text | CustomType::LongText => match (&d.pattern, d.max_length) {
            (Some(_), _) => ui.t("validation-custom-pattern"),
            (None, Some(max)) => ui.catalog.text("validation-custom-text-max", &[("max", Arg::Num(max.into()))]),
            (None, None) => ui.t("validation-invalid"),
        },
        CustomType::Number | CustomType::Date | CustomType::DateTime | CustomType::Percent => {
            bounded().unwrap_or_else(|| match d.ty {
                CustomType::Number => ui.t("validation-custom-number"),
                CustomType::Date => ui.t("validation-custom-date"),
                CustomType::DateTime => ui.t("validation-custom-datetime"),
                _ => ui.t("validation-custom-percent"),
            })
        }
        CustomType::Money => ui.t("validation-custom-money"),
        CustomType::Rating => ui.catalog.text("validation-custom-rating", &[("max", Arg::Num(d.rating_max()))]),
        CustomType::Boolean => ui.t("validation-custom-boolean"),
        CustomType::Select | CustomType::MultiSelect => ui.t1("validation-custom-select", "values", &d.options.join(", ")),
        CustomType::Email => ui.t("validation-invalid-email"),
        CustomType::Phone => ui.t("validation-invalid-number"),
        CustomType::Url => ui.t("validation-invalid-url"),
        CustomType::Relation => ui.t("validation-custom-relation"),
    }
}

/// Reads the posted custom fields into the `custom` object of a new record or
/// a patch: each field shown on the form, typed as its type (empty is no value).
/// Mistakes go to `errs` under `custom.KEY`.
pub fn read(ui: &Ui, defs: &[CustomField], fields: &Fields, editing: bool, errs: &mut Errs) -> Option<Json> {
    // Phones are read by the store with the workspace's region; what is read here needs none.
    let region = rapport_domain::contact::parse_region("US")?;
    let ctx = ValueContext { region, currency: &ui.currency };
    let mut out = Map::new();
    // Only the fields the form showed: a hidden field keeps its value.
    let shown: Vec<String> = fields.all("custom_keys");
    for d in defs.iter().filter(|d| !d.hidden && !d.is_deleted() && shown.contains(&d.key)) {
        let name = format!("custom.{}", d.key);
        let text = fields.text(&name);
        let parsed = match d.ty {
            CustomType::Boolean => Ok(Json::Bool(text == "true")),
            CustomType::MultiSelect => {
                let chosen: Vec<Json> = fields.all(&name).into_iter().filter(|v| !v.is_empty()).map(Json::String).collect();
                if chosen.is_empty() { Ok(Json::Null) } else { Ok(Json::Array(chosen)) }
            }
            CustomType::DateTime if !text.trim().is_empty() => match ui.fmt.parse_input_datetime(text.trim()) {
                Some(t) => Ok(Json::String(rapport_domain::value::format_datetime(&t))),
                None => Err(ui.t("records-error-datetime")),
            },
            // Phones, emails and the rest are checked by the store with the workspace's rules.
            CustomType::Phone | CustomType::Email | CustomType::Url | CustomType::Text | CustomType::LongText => {
                Ok(if text.trim().is_empty() { Json::Null } else { Json::String(text.trim().to_string()) })
            }
            _ => custom::parse_text(&CustomField { required: false, ..d.clone() }, &text, &ctx).map_err(|_| expected(ui, d)),
        };
        match parsed {
            Ok(Json::Null) if !editing => {}
            Ok(v) => {
                out.insert(d.key.clone(), v);
            }
            Err(m) => {
                errs.insert(name, m);
            }
        }
    }
    (!out.is_empty()).then_some(Json::Object(out))
}
