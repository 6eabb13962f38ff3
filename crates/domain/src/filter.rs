//! One filter language for lists, saved views, exports and workflow conditions:
//! a small AST, typed against the record kind's fields, compiled to SQL by the store.

use crate::custom::{CustomField, CustomType};
use crate::schema::{self, Access, FieldType};
use crate::validate::parse_datetime;
use crate::{FieldValue, Kind, ValidationErrors};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Lte,
    Gt,
    Gte,
    Contains,
    In,
    IsNull,
}

impl Op {
    pub const ALL: [(&'static str, Op); 9] = [
        ("eq", Op::Eq),
        ("ne", Op::Ne),
        ("lt", Op::Lt),
        ("lte", Op::Lte),
        ("gt", Op::Gt),
        ("gte", Op::Gte),
        ("contains", Op::Contains),
        ("in", Op::In),
        ("is_null", Op::IsNull),
    ];
    pub fn parse(s: &str) -> Option<Op> {
        Op::ALL.iter().find(|(n, _)| *n == s).map(|(_, o)| *o)
    }
}

/// How a filterable value is stored, which decides the SQL a condition becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColType {
    Text,
    Int,
    Float,
    Bool,
    Date,
    DateTime,
    Uuid,
    /// A JSON array of strings (tags, domains, multi-select values).
    StringList,
    /// Links kept in `record_links` to records of this kind.
    Link(Kind),
}

/// A filterable, sortable place: a column of the record's table or a key of its custom object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// Column name, or the custom field's key when `custom` is set.
    pub name: String,
    pub ty: ColType,
    pub custom: bool,
}

impl Column {
    /// Resolves a field name as clients write it (`name`, `custom.region`).
    pub fn resolve(kind: Kind, name: &str, custom: &[CustomField]) -> Option<Column> {
        if let Some(key) = name.strip_prefix("custom.") {
            let def = custom.iter().find(|d| d.key == key && !d.is_deleted())?;
            return Some(Column::custom(def));
        }
        let ty = match name {
            "id" | "created_by" | "updated_by" => ColType::Uuid,
            "created_at" | "updated_at" => ColType::DateTime,
            "version" => ColType::Int,
            _ => {
                let f = schema::field(kind, name)?;
                if f.access == Access::Virtual {
                    return None;
                }
                match f.ty {
                    FieldType::Text { .. } | FieldType::LongText | FieldType::Enum(_) | FieldType::Currency => ColType::Text,
                    FieldType::Int { .. } => ColType::Int,
                    FieldType::Bool => ColType::Bool,
                    FieldType::Date => ColType::Date,
                    FieldType::DateTime => ColType::DateTime,
                    FieldType::Ref(_) | FieldType::Pipeline | FieldType::Stage => ColType::Uuid,
                    FieldType::Strings { .. } => ColType::StringList,
                    FieldType::Links { target, .. } => ColType::Link(target),
                    FieldType::Emails | FieldType::Phones | FieldType::Address | FieldType::Addresses | FieldType::Recurrence => {
                        return None;
                    }
                }
            }
        };
        Some(Column { name: name.to_string(), ty, custom: false })
    }

    /// The column of a custom field. A money field filters and sorts on its
    /// amount in minor units: its name is then the path `key.amount_minor`.
    pub fn custom(def: &CustomField) -> Column {
        let (name, ty) = match def.ty {
            CustomType::Number | CustomType::Percent | CustomType::Rating => (def.key.clone(), ColType::Float),
            CustomType::Money => (format!("{}.amount_minor", def.key), ColType::Int),
            CustomType::Boolean => (def.key.clone(), ColType::Bool),
            CustomType::Date => (def.key.clone(), ColType::Date),
            CustomType::DateTime => (def.key.clone(), ColType::DateTime),
            CustomType::MultiSelect => (def.key.clone(), ColType::StringList),
            CustomType::Relation => (def.key.clone(), def.relation_kind().map_or(ColType::Text, ColType::Link)),
            _ => (def.key.clone(), ColType::Text),
        };
        Column { name, ty, custom: true }
    }

    /// The path of a custom column inside the `custom` object (`["price", "amount_minor"]`).
    pub fn custom_path(&self) -> Vec<&str> {
        self.name.split('.').collect()
    }

    /// This custom column's value in a record as the API shows it.
    pub fn custom_value(&self, record: &serde_json::Map<String, serde_json::Value>) -> serde_json::Value {
        let mut v = record.get("custom");
        for part in self.custom_path() {
            v = v.and_then(|o| o.get(part));
        }
        v.cloned().unwrap_or(serde_json::Value::Null)
    }

    pub fn sortable(&self) -> bool {
        !matches!(self.ty, ColType::StringList | ColType::Link(_))
    }

    /// Parses one filter operand as this column's type.
    pub fn parse_value(&self, raw: &str) -> Result<FieldValue, String> {
        let bad = |what: &str| Err(format!("'{raw}' is not {what}"));
        match self.ty {
            ColType::Text | ColType::StringList => Ok(FieldValue::Text(raw.to_string())),
            ColType::Int => raw.parse().map(FieldValue::Int).or_else(|_| bad("an integer")),
            ColType::Float => match raw.parse::<f64>() {
                Ok(f) if f.is_finite() => Ok(FieldValue::Json(serde_json::json!(f))),
                _ => bad("a number"),
            },
            ColType::Bool => match raw {
                "true" => Ok(FieldValue::Bool(true)),
                "false" => Ok(FieldValue::Bool(false)),
                _ => bad("true or false"),
            },
            ColType::Date => {
                chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d").map(FieldValue::Date).or_else(|_| bad("a date (YYYY-MM-DD)"))
            }
            ColType::DateTime => {
                parse_datetime(raw).map(FieldValue::DateTime).ok_or(()).or_else(|_| bad("an RFC 3339 date-time"))
            }
            ColType::Uuid | ColType::Link(_) => Uuid::parse_str(raw).map(FieldValue::Uuid).or_else(|_| bad("a record id (UUID)")),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub column: Column,
    pub op: Op,
    /// One value; several for `in`; a boolean for `is_null`.
    pub values: Vec<FieldValue>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    All(Vec<Filter>),
    Any(Vec<Filter>),
    Cond(Condition),
}

impl Filter {
    pub fn is_empty(&self) -> bool {
        matches!(self, Filter::All(v) | Filter::Any(v) if v.is_empty())
    }

    /// Whether no record the filter keeps has NULL in `column`: a comparison
    /// on it (`custom.score[gte]=50`) or `is_null=false`. A sort on such a
    /// column needs no NULLs-last term, which would keep the database from
    /// reading the page in index order.
    pub fn excludes_null(&self, column: &Column) -> bool {
        match self {
            Filter::All(v) => v.iter().any(|f| f.excludes_null(column)),
            Filter::Any(v) => !v.is_empty() && v.iter().all(|f| f.excludes_null(column)),
            Filter::Cond(c) => {
                c.column.name == column.name
                    && c.column.custom == column.custom
                    && match c.op {
                        Op::Eq | Op::In | Op::Lt | Op::Lte | Op::Gt | Op::Gte | Op::Contains => true,
                        Op::IsNull => c.values.first() == Some(&FieldValue::Bool(false)),
                        Op::Ne => false,
                    }
            }
        }
    }

    /// Whether every matching record is linked to one of a few given records
    /// (`people=<id>`, `organizations[in]=a,b`): such a filter keeps a handful
    /// of rows, which are cheaper to sort than to find by walking a sort index.
    pub fn pins_links(&self) -> bool {
        match self {
            Filter::All(v) => v.iter().any(Filter::pins_links),
            Filter::Any(v) => !v.is_empty() && v.iter().all(Filter::pins_links),
            Filter::Cond(c) => matches!(c.column.ty, ColType::Link(_)) && matches!(c.op, Op::Eq | Op::In),
        }
    }
}

/// Builds one condition from the API's `field[op]=value` form; the error names the parameter.
pub fn condition(kind: Kind, field: &str, op: &str, raw: &str, custom: &[CustomField]) -> Result<Condition, ValidationErrors> {
    let param = if op == "eq" { field.to_string() } else { format!("{field}[{op}]") };
    let column = Column::resolve(kind, field, custom).ok_or_else(|| {
        ValidationErrors::single(param.clone(), "unknown_field", format!("{kind} has no filterable field '{field}'"))
    })?;
    condition_on(column, field, op, raw)
}

/// A condition on a column already resolved (or one outside the field tables, such as a part of an address).
pub fn condition_on(column: Column, field: &str, op: &str, raw: &str) -> Result<Condition, ValidationErrors> {
    let param = if op == "eq" { field.to_string() } else { format!("{field}[{op}]") };
    let fail = |code: &'static str, m: String| ValidationErrors::single(param.clone(), code, m);
    let op = Op::parse(op)
        .ok_or_else(|| fail("unknown_operator", "operators are eq, ne, lt, lte, gt, gte, contains, in, is_null".into()))?;
    let ordered =
        matches!(column.ty, ColType::Int | ColType::Float | ColType::Date | ColType::DateTime | ColType::Text | ColType::Uuid);
    let allowed = match op {
        Op::Lt | Op::Lte | Op::Gt | Op::Gte => ordered,
        Op::Contains => matches!(column.ty, ColType::Text | ColType::StringList),
        Op::Eq | Op::Ne | Op::In | Op::IsNull => true,
    };
    if !allowed {
        return Err(fail("unsupported_operator", format!("'{field}' cannot be filtered with this operator")));
    }
    let values = match op {
        Op::IsNull => match raw {
            "true" | "" => vec![FieldValue::Bool(true)],
            "false" => vec![FieldValue::Bool(false)],
            _ => return Err(fail("invalid", "is_null takes true or false".into())),
        },
        Op::In => {
            raw.split(',').map(|v| column.parse_value(v.trim())).collect::<Result<_, _>>().map_err(|m| fail("invalid", m))?
        }
        Op::Contains => vec![FieldValue::Text(raw.to_string())],
        _ => vec![column.parse_value(raw).map_err(|m| fail("invalid", m))?],
    };
    if values.is_empty() || values.len() > 500 {
        return Err(fail("invalid", "give between 1 and 500 values".into()));
    }
    Ok(Condition { column, op, values })
}

/// A sort order: one key, then the id to break ties (keyset paging needs a total order).
#[derive(Debug, Clone, PartialEq)]
pub struct Sort {
    pub column: Column,
    pub desc: bool,
}

pub fn sort(kind: Kind, spec: &str, custom: &[CustomField]) -> Result<Sort, ValidationErrors> {
    let (desc, name) = spec.strip_prefix('-').map(|n| (true, n)).unwrap_or((false, spec));
    let column = Column::resolve(kind, name, custom)
        .filter(Column::sortable)
        .ok_or_else(|| ValidationErrors::single("sort", "invalid", format!("cannot sort {kind} records by '{name}'")))?;
    Ok(Sort { column, desc })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparisons_and_is_not_null_exclude_nulls_from_a_sort() {
        let custom =
            vec![CustomField { key: "score".into(), label: "Score".into(), ty: CustomType::Number, ..Default::default() }];
        let cond = |f: &str, op: &str, v: &str| Filter::Cond(condition(Kind::Person, f, op, v, &custom).unwrap());
        let score = Column::resolve(Kind::Person, "custom.score", &custom).unwrap();
        assert!(cond("custom.score", "gte", "50").excludes_null(&score));
        assert!(Filter::All(vec![cond("lifecycle_stage", "eq", "lead"), cond("custom.score", "lt", "9")]).excludes_null(&score));
        assert!(cond("custom.score", "is_null", "false").excludes_null(&score));
        assert!(!cond("custom.score", "is_null", "true").excludes_null(&score));
        assert!(!cond("custom.score", "ne", "3").excludes_null(&score));
        assert!(!cond("lifecycle_stage", "eq", "lead").excludes_null(&score));
        assert!(
            !Filter::Any(vec![cond("custom.score", "gte", "1"), cond("lifecycle_stage", "eq", "lead")]).excludes_null(&score)
        );
    }

    #[test]
    fn a_filter_pins_links_only_when_every_match_is_linked_to_given_records() {
        let id = "0192f1c0-0000-7000-8000-000000000001";
        let cond = |f: &str, op: &str, v: &str| Filter::Cond(condition(Kind::Deal, f, op, v, &[]).unwrap());
        let by_person = cond("people", "eq", id);
        assert!(by_person.pins_links());
        assert!(Filter::All(vec![cond("status", "eq", "open"), by_person.clone()]).pins_links());
        assert!(!Filter::Any(vec![cond("status", "eq", "open"), by_person.clone()]).pins_links());
        assert!(!cond("people", "ne", id).pins_links());
        assert!(!cond("status", "eq", "open").pins_links());
        assert!(!Filter::All(vec![]).pins_links());
    }

    #[test]
    fn conditions_are_typed() {
        let c = condition(Kind::Deal, "amount_minor", "gte", "1000", &[]).unwrap();
        assert_eq!(c.values, vec![FieldValue::Int(1000)]);
        let e = condition(Kind::Deal, "amount_minor", "gte", "lots", &[]).unwrap_err();
        assert_eq!(e.0[0].field, "amount_minor[gte]");
        assert!(condition(Kind::Person, "emails", "eq", "x", &[]).is_err());
        assert!(condition(Kind::Person, "tags", "gt", "x", &[]).is_err());
        let c = condition(Kind::Person, "lifecycle_stage", "in", "lead,customer", &[]).unwrap();
        assert_eq!(c.values.len(), 2);
        let custom =
            vec![CustomField { key: "score".into(), label: "Score".into(), ty: CustomType::Number, ..Default::default() }];
        assert_eq!(condition(Kind::Person, "custom.score", "lt", "3.5", &custom).unwrap().column.ty, ColType::Float);
        assert!(sort(Kind::Person, "-name", &[]).unwrap().desc);
        assert!(sort(Kind::Person, "tags", &[]).is_err());
    }
}
