//! Where the two SQL dialects differ, and the filter language compiled to SQL.
//! Everything else is built once with sea-query.

use rapport_domain::filter::{ColType, Column, Condition, Filter, Op};
use rapport_domain::value::format_datetime;
use rapport_domain::{FieldValue, Kind};
use sea_query::{Alias, Cond, Expr, ExprTrait, Query, SelectStatement, SimpleExpr, Value};
use serde_json::Value as Json;

use crate::Backend;
use crate::db::Col;
use crate::values::{to_sql, uuid};
use uuid::Uuid;

pub fn t(name: &str) -> Alias {
    Alias::new(name)
}

/// `table.column`
pub fn tc(table: &str, col: &str) -> Expr {
    Expr::col((t(table), t(col)))
}

fn col_type(c: ColType) -> Col {
    match c {
        ColType::Text | ColType::StringList => Col::Text,
        ColType::Int => Col::Int,
        ColType::Float => Col::Json,
        ColType::Bool => Col::Bool,
        ColType::Date => Col::Date,
        ColType::DateTime => Col::DateTime,
        ColType::Uuid | ColType::Link(_) => Col::Uuid,
    }
}

/// The SQL text of a custom field's value at `path` in the `custom` object,
/// qualified by `table` or not (inside `CREATE INDEX`). Filters, sorts and the
/// custom field indexes use this one expression, so the databases can match
/// them: `json_extract(custom, '$.key')` on SQLite, `(custom->'key')` (jsonb,
/// which orders numbers, text and booleans by their own type) on PostgreSQL.
/// Custom keys are checked against `[a-z][a-z0-9_]*` when defined, so they are
/// safe to inline.
pub fn custom_sql(backend: Backend, table: Option<&str>, path: &[&str]) -> String {
    let col = match table {
        Some(t) => format!("\"{t}\".\"custom\""),
        None => "custom".to_string(),
    };
    match backend {
        Backend::Sqlite => format!("json_extract({col}, '$.{}')", path.join(".")),
        Backend::Postgres => {
            let steps: String = path.iter().map(|p| format!("->'{p}'")).collect();
            format!("({col}{steps})")
        }
    }
}

/// The SQL expression for a filterable column, custom fields included.
pub fn column_expr(backend: Backend, table: &str, c: &Column) -> Expr {
    if !c.custom {
        return tc(table, &c.name);
    }
    Expr::cust(custom_sql(backend, Some(table), &c.custom_path()))
}

/// A custom text value as text, for `contains` (jsonb's `->>` on PostgreSQL).
fn custom_text_expr(backend: Backend, table: &str, c: &Column) -> Expr {
    match backend {
        Backend::Sqlite => column_expr(backend, table, c),
        Backend::Postgres => Expr::cust(format!("(\"{table}\".\"custom\"->>'{}')", c.name)),
    }
}

/// A filter value as bound for this column: custom values compare as JSON
/// values on PostgreSQL, and as the SQL values `json_extract` gives on SQLite.
pub fn bind(backend: Backend, c: &Column, v: &FieldValue) -> Value {
    if c.custom && c.ty != ColType::StringList {
        let j = match v {
            FieldValue::Text(s) => Json::String(s.clone()),
            FieldValue::Int(i) => Json::from(*i),
            FieldValue::Bool(b) => Json::Bool(*b),
            FieldValue::Date(d) => Json::String(d.to_string()),
            FieldValue::DateTime(t) => Json::String(format_datetime(t)),
            FieldValue::Json(j) => j.clone(),
            other => return to_sql(other, col_type(c.ty)),
        };
        return match (backend, j) {
            (Backend::Postgres, j) => Value::from(j),
            (Backend::Sqlite, Json::Number(n)) => match n.as_i64() {
                Some(i) => Value::BigInt(Some(i)),
                None => Value::Double(n.as_f64()),
            },
            (Backend::Sqlite, Json::Bool(b)) => Value::BigInt(Some(i64::from(b))),
            (Backend::Sqlite, Json::String(s)) => Value::String(Some(s)),
            (Backend::Sqlite, other) => Value::String(Some(other.to_string())),
        };
    }
    match v {
        FieldValue::Json(j) => match j.as_f64() {
            Some(f) => Value::Double(Some(f)),
            None => Value::String(Some(j.to_string())),
        },
        _ => to_sql(v, col_type(c.ty)),
    }
}

/// Parameter marks inside a custom SQL fragment: `?` for SQLite, `$1..$n` for PostgreSQL
/// (numbered within the fragment, as sea-query expects).
fn placeholders(backend: Backend, n: usize) -> String {
    match backend {
        Backend::Sqlite => vec!["?"; n].join(", "),
        Backend::Postgres => (1..=n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", "),
    }
}

/// The same value, that no index can serve (on PostgreSQL a time): ordering by it
/// makes the database find the rows by their other conditions first and sort
/// them, instead of walking a time index and filtering (SQLite's unary `+`,
/// PostgreSQL adding a zero interval).
pub fn unindexed(backend: Backend, e: Expr) -> Expr {
    match backend {
        // Each builder has its own placeholder: `?` for SQLite, `$1` for PostgreSQL.
        Backend::Sqlite => Expr::cust_with_exprs("+?", [e]),
        Backend::Postgres => Expr::cust_with_exprs("($1 + INTERVAL '0 seconds')", [e]),
    }
}

/// Makes an `EXISTS` subquery be probed row by row as the outer query walks
/// its index and stops at its limit. PostgreSQL would otherwise turn it
/// into a hashed set of every match first (every record a user owns, a
/// tenth of a large workspace, to keep a page of ten); `OFFSET 0` is its
/// planner's fence. SQLite probes a correlated `EXISTS` row by row already,
/// and takes no OFFSET without a LIMIT.
pub fn probed_per_row(backend: Backend, mut q: SelectStatement) -> SelectStatement {
    if backend == Backend::Postgres {
        q.offset(0);
    }
    q
}

/// The statements as one `UNION ALL`, each read from a subquery (SQLite
/// takes no ORDER BY or LIMIT on a member of a compound select; both
/// databases accept them inside one); `None` for no statement.
pub fn union_all(parts: impl IntoIterator<Item = SelectStatement>) -> Option<SelectStatement> {
    let mut union: Option<SelectStatement> = None;
    for (i, q) in parts.into_iter().enumerate() {
        let mut part = Query::select();
        part.column(sea_query::Asterisk).from_subquery(q, Alias::new(format!("part{i}")));
        match &mut union {
            None => union = Some(part),
            Some(u) => {
                u.union(sea_query::UnionType::All, part);
            }
        }
    }
    union
}

/// `SELECT COUNT(*)` of the rows `q` selects, reading at most `cap + 1` of
/// them: a count above `cap` says "more than `cap`" without reading the rest.
pub fn count_up_to(mut q: SelectStatement, cap: u64) -> SelectStatement {
    q.limit(cap + 1);
    Query::select().expr(Expr::cust("COUNT(*)")).from_subquery(q, Alias::new("counted")).to_owned()
}

/// A GLOB pattern matching `s` anywhere, ignoring case for every alphabet:
/// SQLite's LIKE folds ASCII letters only, GLOB with `[éÉ]` classes folds them all.
fn glob_contains(s: &str) -> String {
    let mut out = String::from("*");
    for ch in s.chars() {
        let (lo, up): (Vec<char>, Vec<char>) = (ch.to_lowercase().collect(), ch.to_uppercase().collect());
        match (lo.as_slice(), up.as_slice()) {
            ([l], [u]) if l != u => {
                out.push('[');
                out.push(*l);
                out.push(*u);
                out.push(']');
            }
            _ if matches!(ch, '*' | '?' | '[') => {
                out.push('[');
                out.push(ch);
                out.push(']');
            }
            _ => out.push(ch),
        }
    }
    out.push('*');
    out
}

fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('%');
    for ch in s.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out.push('%');
    out
}

/// A JSON string array (tags, multi-select) holds one of the values.
fn list_has_any(backend: Backend, table: &str, c: &Column, values: Vec<Value>) -> SimpleExpr {
    let marks = placeholders(backend, values.len());
    let sql = match (backend, c.custom) {
        (Backend::Sqlite, false) => {
            format!("EXISTS (SELECT 1 FROM json_each(\"{table}\".\"{}\") WHERE json_each.value IN ({marks}))", c.name)
        }
        (Backend::Sqlite, true) => {
            format!("EXISTS (SELECT 1 FROM json_each(\"{table}\".\"custom\", '$.{}') WHERE json_each.value IN ({marks}))", c.name)
        }
        (Backend::Postgres, false) => {
            format!(
                "EXISTS (SELECT 1 FROM jsonb_array_elements_text(\"{table}\".\"{}\") AS e(value) WHERE e.value IN ({marks}))",
                c.name
            )
        }
        (Backend::Postgres, true) => format!(
            "EXISTS (SELECT 1 FROM jsonb_array_elements_text(COALESCE(\"{table}\".\"custom\"->'{}', '[]'::jsonb)) AS e(value) WHERE e.value IN ({marks}))",
            c.name
        ),
    };
    Expr::cust_with_values(sql, values)
}

fn list_is_empty(backend: Backend, table: &str, c: &Column) -> SimpleExpr {
    let path = if c.custom { format!("\"{table}\".\"custom\", '$.{}'", c.name) } else { format!("\"{table}\".\"{}\"", c.name) };
    match backend {
        Backend::Sqlite => Expr::cust(format!("COALESCE(json_array_length({path}), 0) = 0")),
        Backend::Postgres => {
            let e =
                if c.custom { format!("\"{table}\".\"custom\"->'{}'", c.name) } else { format!("\"{table}\".\"{}\"", c.name) };
            Expr::cust(format!("COALESCE(jsonb_array_length({e}), 0) = 0"))
        }
    }
}

/// This record links to a record of `target`; with `ids`, to one of them.
///
/// With ids the test is uncorrelated, `id IN (SELECT from_id FROM record_links
/// WHERE workspace_id = ? AND to_kind = ? AND to_id IN (..))`, which both
/// databases drive from the links' target index (a person's open tasks read the
/// person's links, not every task of the workspace). Without ids it is a
/// correlated `EXISTS`, probed per row through the links' primary key.
/// `origin` is the kind, or for a relation custom field its `relation_origin`.
pub fn link_exists(ws: Uuid, table: &str, origin: &str, target: Kind, ids: Option<Vec<Value>>) -> SimpleExpr {
    let mut q = Query::select();
    match ids {
        Some(ids) => {
            q.column(t("from_id"))
                .from(t("record_links"))
                .and_where(Expr::col(t("workspace_id")).eq(uuid(ws)))
                .and_where(Expr::col(t("to_kind")).eq(target.as_str()))
                .and_where(Expr::col(t("to_id")).is_in(ids))
                .and_where(Expr::col(t("from_kind")).eq(origin));
            tc(table, "id").in_subquery(q.to_owned())
        }
        None => {
            q.expr(Expr::val(1))
                .from(t("record_links"))
                .and_where(tc("record_links", "workspace_id").equals((t(table), t("workspace_id"))))
                .and_where(tc("record_links", "from_kind").eq(origin))
                .and_where(tc("record_links", "from_id").equals((t(table), t("id"))))
                .and_where(tc("record_links", "to_kind").eq(target.as_str()));
            Expr::exists(q.to_owned())
        }
    }
}

/// A filter as SQL for `table` in workspace `ws`.
pub fn compile(backend: Backend, ws: Uuid, table: &str, kind: Kind, f: &Filter) -> Cond {
    match f {
        Filter::All(items) => items.iter().fold(Cond::all(), |c, i| c.add(compile(backend, ws, table, kind, i))),
        Filter::Any(items) => items.iter().fold(Cond::any(), |c, i| c.add(compile(backend, ws, table, kind, i))),
        Filter::Cond(c) => Cond::all().add(condition(backend, ws, table, kind, c)),
    }
}

fn condition(backend: Backend, ws: Uuid, table: &str, kind: Kind, c: &Condition) -> SimpleExpr {
    let col = &c.column;
    let vals: Vec<Value> = c.values.iter().map(|v| bind(backend, col, v)).collect();
    let first = vals[0].clone();
    let is_null = matches!(c.values[0], FieldValue::Bool(true));
    if let ColType::Link(target) = col.ty {
        let origin =
            if col.custom { rapport_domain::custom::relation_origin(kind, &col.name) } else { kind.as_str().to_string() };
        return match c.op {
            Op::IsNull if is_null => link_exists(ws, table, &origin, target, None).not(),
            Op::IsNull => link_exists(ws, table, &origin, target, None),
            Op::Ne => link_exists(ws, table, &origin, target, Some(vals)).not(),
            _ => link_exists(ws, table, &origin, target, Some(vals)),
        };
    }
    if col.ty == ColType::StringList {
        return match c.op {
            Op::IsNull if is_null => list_is_empty(backend, table, col),
            Op::IsNull => list_is_empty(backend, table, col).not(),
            Op::Ne => list_has_any(backend, table, col, vals).not(),
            _ => list_has_any(backend, table, col, vals),
        };
    }
    let e = column_expr(backend, table, col);
    let text_e = custom_text_expr(backend, table, col);
    // A custom field's index leads with `value IS NULL`: saying what a
    // comparison implies lets the database seek it.
    let present = |cmp: SimpleExpr| -> SimpleExpr {
        if !col.custom {
            return cmp;
        }
        let f = match backend {
            Backend::Sqlite => "0",
            Backend::Postgres => "false",
        };
        Expr::cust(format!("({} IS NULL) = {f}", custom_sql(backend, Some(table), &col.custom_path()))).and(cmp)
    };
    match c.op {
        Op::Eq => present(e.eq(first)),
        Op::Ne => e.clone().ne(first).or(e.is_null()),
        Op::Lt => present(e.lt(first)),
        Op::Lte => present(e.lte(first)),
        Op::Gt => present(e.gt(first)),
        Op::Gte => present(e.gte(first)),
        Op::In => present(e.is_in(vals)),
        Op::IsNull if is_null => e.is_null(),
        Op::IsNull => e.is_not_null(),
        Op::Contains => {
            let FieldValue::Text(s) = &c.values[0] else { unreachable!("contains takes text") };
            let e = if col.custom { text_e } else { e };
            match backend {
                Backend::Sqlite => Expr::cust_with_exprs("? GLOB ?", [e, Expr::val(glob_contains(s))]),
                Backend::Postgres => Expr::cust_with_exprs("$1 ILIKE $2 ESCAPE '\\'", [e, Expr::val(escape_like(s))]),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rapport_domain::filter::condition;
    use sea_query::{PostgresQueryBuilder, SqliteQueryBuilder};

    #[test]
    fn glob_patterns_fold_case_and_escape() {
        assert_eq!(glob_contains("Sé*"), "*[sS][éÉ][*]*");
        assert_eq!(glob_contains("a1 ?"), "*[aA]1 [?]*");
    }

    /// Custom fragments must bind every value on both dialects.
    #[test]
    fn list_filters_bind_their_values() {
        let f = Filter::All(vec![
            Filter::Cond(condition(Kind::Organization, "tags", "in", "vip,key", &[]).unwrap()),
            Filter::Cond(condition(Kind::Organization, "name", "contains", "acm", &[]).unwrap()),
        ]);
        for backend in [Backend::Sqlite, Backend::Postgres] {
            let q = Query::select()
                .column(t("id"))
                .from(t("organizations"))
                .cond_where(compile(backend, Uuid::nil(), "organizations", Kind::Organization, &f))
                .to_owned();
            let (sql, values) = match backend {
                Backend::Sqlite => q.build(SqliteQueryBuilder),
                Backend::Postgres => q.build(PostgresQueryBuilder),
            };
            assert_eq!(values.0.len(), 3, "{sql}");
            if backend == Backend::Postgres {
                assert!(sql.contains("$3"), "{sql}");
            }
        }
    }
}
