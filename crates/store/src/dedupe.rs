//! Keeping data clean: finding the record an import row already is, likely
//! duplicates (on create and in a workspace scan), and merging them.

use std::collections::{BTreeMap, BTreeSet};

use rapport_domain::Kind;
use rapport_domain::custom::CustomField;
use rapport_domain::dedupe::likeness;
use rapport_domain::filter::Column;
use rapport_domain::schema::{self, FieldType};
use rapport_domain::value::now;
use rapport_domain::{FieldValue, ValidationErrors, contact};
use sea_query::{Cond, Expr, ExprTrait, Func, Order, Query};
use serde_json::{Map, Value as Json, json};
use uuid::Uuid;

use crate::db::{Backend, Col, Tx, str_at, uuid_at};
use crate::records::{Applied, Record, diff, fetch, update_in, writable};
use crate::sql::{self, t, tc};
use crate::values::{opt_uuid, time, uuid};
use crate::{Conflict, Scope, Store, StoreError, audit, changes, search, workspaces};

/// Kinds with duplicate rules (custom records too, among their own kind's: see `owner_of`).
pub const KINDS: [Kind; 2] = [Kind::Person, Kind::Organization];

/// Whose identifying fields apply to a record: its kind's, or its custom kind's
/// (by key, which also narrows the candidates to that kind's records).
fn owner_of(kind: Kind, of_type: Option<&str>) -> Result<(String, Option<Cond>), StoreError> {
    match (kind, of_type) {
        (Kind::Object, Some(key)) if !key.is_empty() => {
            Ok((key.to_string(), Some(Cond::all().add(tc(kind.table(), "type").eq(key)))))
        }
        (Kind::Object, _) => Err(StoreError::Invalid(ValidationErrors::single("type", "required", "name the record's kind"))),
        (k, _) if KINDS.contains(&k) => Ok((k.as_str().to_string(), None)),
        (k, _) => Err(unsupported(k)),
    }
}

fn unsupported(kind: Kind) -> StoreError {
    StoreError::Invalid(ValidationErrors::single("kind", "invalid", format!("{kind} records have no duplicate rules")))
}

/// An unsaved record's emails, phones and name normalized as they would be stored.
fn normalized(kind: Kind, input: &Record, region: phonenumber::country::Id) -> Record {
    let mut r = input.clone();
    let list = |v: Option<&Json>, key: &str| -> Vec<String> {
        v.and_then(Json::as_array)
            .into_iter()
            .flatten()
            .filter_map(|x| x.as_str().or_else(|| x.get(key).and_then(Json::as_str)).map(str::to_string))
            .collect()
    };
    let emails: Vec<Json> = list(input.get("emails"), "address")
        .iter()
        .filter_map(|e| contact::normalize_email(e))
        .map(|a| json!({"address": a}))
        .collect();
    let phones: Vec<Json> = list(input.get("phones"), "number")
        .iter()
        .chain(list(input.get("phones"), "e164").iter())
        .filter_map(|p| contact::normalize_phone(p, region))
        .map(|e| json!({"e164": e}))
        .collect();
    r.insert("emails".into(), Json::Array(emails));
    r.insert("phones".into(), Json::Array(phones));
    if kind == Kind::Person && !r.contains_key("name") {
        let parts: Vec<&str> = ["first_name", "last_name"].iter().filter_map(|k| input.get(*k).and_then(Json::as_str)).collect();
        r.insert("name".into(), Json::String(parts.join(" ")));
    }
    r
}

/// The kind's custom fields marked as naming one record.
pub(crate) async fn identifying(tx: &mut Tx, scope: &Scope, kind: Kind) -> Result<Vec<CustomField>, StoreError> {
    identifying_for(tx, scope, kind.as_str()).await
}

/// As `identifying`, for a built-in kind (its name) or a custom kind (its key).
pub(crate) async fn identifying_for(tx: &mut Tx, scope: &Scope, owner: &str) -> Result<Vec<CustomField>, StoreError> {
    Ok(crate::custom_fields::load_for(tx, scope, owner).await?.into_iter().filter(|d| d.identifies).collect())
}

/// `field = value` for each identifying field the input has a value for,
/// each a seek in the field's expression index.
fn identity_keys(backend: Backend, kind: Kind, input: &Record, identifying: &[CustomField]) -> Vec<(&'static str, Cond)> {
    let table = kind.table();
    identifying
        .iter()
        .filter_map(|def| {
            let v = match input.get("custom")?.get(&def.key)? {
                Json::String(s) if !s.trim().is_empty() => Json::String(s.trim().to_string()),
                n @ Json::Number(_) => n.clone(),
                _ => return None,
            };
            let col = Column::custom(def);
            let hit = sql::column_expr(backend, table, &col).eq(sql::bind(backend, &col, &FieldValue::Json(v)));
            Some(("custom_field", Cond::all().add(hit)))
        })
        .collect()
}

/// The rules that say an incoming record is one already stored, in order:
/// same external id, else the same value of an identifying custom field
/// (a customer or VAT number), else (people) same email, else same phone;
/// organizations: same name. Shared by the duplicate check before saving and
/// by imports, so both recognise the same records.
pub(crate) fn match_keys(
    kind: Kind,
    input: &Record,
    region: phonenumber::country::Id,
    backend: Backend,
    identifying: &[CustomField],
) -> Vec<(&'static str, Cond)> {
    let table = kind.table();
    let texts = |field: &str, key: &str| -> Vec<String> {
        input
            .get(field)
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .filter_map(|x| x.as_str().or_else(|| x.get(key).and_then(Json::as_str)).map(str::to_string))
            .collect()
    };
    let mut keys: Vec<(&'static str, Cond)> = Vec::new();
    if schema::field(kind, "external_id").is_some()
        && let Some(x) = input.get("external_id").and_then(Json::as_str).map(str::trim).filter(|s| !s.is_empty())
    {
        keys.push(("external_id", Cond::all().add(tc(table, "external_id").eq(x))));
    }
    keys.extend(identity_keys(backend, kind, input, identifying));
    match kind {
        Kind::Person => {
            // One equality per value, in the order given: with `ORDER BY id
            // LIMIT 1` each is a seek in the `(workspace_id, column, id)` index,
            // where an `IN` list lets SQLite's planner walk every person by id.
            let mut emails: Vec<String> = texts("emails", "address").iter().filter_map(|e| contact::normalize_email(e)).collect();
            dedup_keep_order(&mut emails);
            keys.extend(emails.into_iter().map(|e| ("email", Cond::all().add(tc(table, "primary_email").eq(e)))));
            let mut phones: Vec<String> =
                texts("phones", "number").iter().filter_map(|p| contact::normalize_phone(p, region)).collect();
            dedup_keep_order(&mut phones);
            keys.extend(phones.into_iter().map(|p| ("phone", Cond::all().add(tc(table, "primary_phone").eq(p)))));
        }
        Kind::Organization => {
            if let Some(name) = input.get("name").and_then(Json::as_str).map(str::trim).filter(|n| !n.is_empty()) {
                keys.push(("name", Cond::all().add(tc(table, "name").eq(name))));
            }
        }
        _ => {}
    }
    keys
}

/// Records sharing a value of an identifying custom field, one group per
/// value, read in the order of the field's expression index.
async fn identity_groups(
    tx: &mut Tx,
    scope: &Scope,
    kind: Kind,
    identifying: &[CustomField],
    narrow: &Option<Cond>,
) -> Result<Vec<Vec<Uuid>>, StoreError> {
    let table = kind.table();
    let backend = tx.backend();
    let mut groups = Vec::new();
    for def in identifying {
        let value = sql::column_expr(backend, table, &Column::custom(def));
        let in_ws = || {
            let c = Cond::all().add(tc(table, "workspace_id").eq(uuid(scope.workspace_id)));
            match narrow {
                Some(n) => c.add(n.clone()),
                None => c,
            }
        };
        let shared = Query::select()
            .expr(value.clone())
            .from(t(table))
            .cond_where(in_ws())
            .and_where(value.clone().is_not_null())
            .add_group_by([value.clone()])
            .and_having(Expr::cust("COUNT(*) > 1"))
            .to_owned();
        // Only where one value ends and the next begins matters here.
        let q = Query::select()
            .expr(Func::cast_as(value.clone(), "TEXT"))
            .column((t(table), t("id")))
            .from(t(table))
            .cond_where(in_ws())
            .and_where(value.clone().in_subquery(shared))
            .order_by_expr(value, Order::Asc)
            .limit(20_000)
            .to_owned();
        groups.extend(runs(tx.rows(&q, &[Col::Text, Col::Uuid]).await?));
    }
    Ok(groups)
}

/// Rows of (key, id) ordered by key, as one group of ids per key.
fn runs(rows: Vec<Vec<Json>>) -> Vec<Vec<Uuid>> {
    let mut groups: Vec<Vec<Uuid>> = Vec::new();
    let mut current: Option<Json> = None;
    for r in rows {
        let Some(id) = uuid_at(&r, 1) else { continue };
        if current.as_ref() != Some(&r[0]) {
            groups.push(Vec::new());
            current = Some(r[0].clone());
        }
        groups.last_mut().expect("group").push(id);
    }
    groups
}

fn dedup_keep_order(values: &mut Vec<String>) {
    let mut seen = BTreeSet::new();
    values.retain(|v| seen.insert(v.clone()));
}

impl Store {
    async fn region(&self, scope: &Scope) -> Result<phonenumber::country::Id, StoreError> {
        let mut tx = self.db.read().await?;
        let ws = workspaces::load(&mut tx, scope.workspace_id).await?;
        tx.commit().await?;
        Ok(contact::parse_region(&ws.phone_region).unwrap_or(phonenumber::country::Id::US))
    }

    /// The record an incoming one already is: same external id, else same
    /// email, else same phone (organizations: external id, domain, then name).
    /// Returns its id and what matched.
    pub async fn find_existing(
        &self,
        scope: &Scope,
        kind: Kind,
        input: &Record,
    ) -> Result<Option<(Uuid, &'static str)>, StoreError> {
        crate::access::require_read(scope, kind)?;
        let table = kind.table();
        let region = self.region(scope).await?;
        let mut tx = self.db.read().await?;
        let ids = identifying(&mut tx, scope, kind).await?;
        let keys = match_keys(kind, input, region, tx.backend(), &ids);
        for (what, cond) in keys {
            let found = fetch(
                &mut tx,
                scope,
                kind,
                cond,
                |q| {
                    q.order_by((t(table), t("id")), Order::Asc);
                },
                Some(1),
            )
            .await?;
            if let Some(id) = found.first().and_then(|r| r.get("id")).and_then(Json::as_str).and_then(|s| Uuid::parse_str(s).ok())
            {
                tx.commit().await?;
                return Ok(Some((id, what)));
            }
        }
        tx.commit().await?;
        Ok(None)
    }

    /// Likely duplicates of a record, saved or not, best first, each with a score and the reasons.
    pub async fn duplicates_of(
        &self,
        scope: &Scope,
        kind: Kind,
        input: &Record,
        exclude: Option<Uuid>,
    ) -> Result<Vec<Json>, StoreError> {
        let (owner, narrow) = owner_of(kind, input.get("type").and_then(Json::as_str))?;
        crate::access::require_read(scope, kind)?;
        let region = self.region(scope).await?;
        let r = normalized(kind, input, region);
        let mut probes: Vec<String> = Vec::new();
        for (field, key) in [("emails", "address"), ("phones", "e164")] {
            probes.extend(
                r.get(field)
                    .and_then(Json::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|v| v.get(key).and_then(Json::as_str))
                    .map(str::to_string),
            );
        }
        for d in r.get("domains").and_then(Json::as_array).into_iter().flatten().filter_map(Json::as_str) {
            probes.push(d.to_string());
        }
        if let Some(n) = r.get("name").and_then(Json::as_str).filter(|n| !n.trim().is_empty()) {
            probes.push(n.to_string());
        }
        let mut ids = BTreeSet::new();
        for p in probes {
            for hit in self.search(scope, &p, &[kind], 20).await? {
                if let Some(id) = hit["id"].as_str().and_then(|s| Uuid::parse_str(s).ok()) {
                    ids.insert(id);
                }
            }
        }
        let mut tx = self.db.read().await?;
        let identifying = identifying_for(&mut tx, scope, &owner).await?;
        for (_, cond) in identity_keys(tx.backend(), kind, input, &identifying) {
            let cond = match &narrow {
                Some(n) => cond.add(n.clone()),
                None => cond,
            };
            let same = fetch(&mut tx, scope, kind, cond, |_| {}, Some(20)).await?;
            ids.extend(same.iter().filter_map(|r| Uuid::parse_str(r.get("id")?.as_str()?).ok()));
        }
        tx.commit().await?;
        if let Some(x) = exclude {
            ids.remove(&x);
        }
        let candidates = self.get_many(scope, kind, &ids.into_iter().collect::<Vec<_>>()).await?;
        let mut out: Vec<(f64, Json)> = candidates
            .into_iter()
            .filter(|c| narrow.is_none() || c.get("type").and_then(Json::as_str) == Some(owner.as_str()))
            .filter_map(|c| {
                let l = likeness(kind, &r, &c, &identifying)?;
                (l.score >= 0.6)
                    .then(|| (l.score, json!({"id": c["id"], "label": c["name"], "score": l.score, "reasons": l.reasons})))
            })
            .collect();
        out.sort_by(|a, b| b.0.total_cmp(&a.0));
        Ok(out.into_iter().map(|x| x.1).collect())
    }

    /// Clusters of likely duplicates in the workspace: records sharing an
    /// email, a phone or a name, scored pair by pair, grouped transitively.
    pub async fn scan_duplicates(&self, scope: &Scope, kind: Kind) -> Result<Vec<Json>, StoreError> {
        self.scan(scope, kind, None).await
    }

    /// Clusters of likely duplicates among the records of one custom kind.
    pub async fn scan_object_duplicates(&self, scope: &Scope, key: &str) -> Result<Vec<Json>, StoreError> {
        self.scan(scope, Kind::Object, Some(key)).await
    }

    async fn scan(&self, scope: &Scope, kind: Kind, of_type: Option<&str>) -> Result<Vec<Json>, StoreError> {
        let (owner, narrow) = owner_of(kind, of_type)?;
        crate::access::require_read(scope, kind)?;
        let table = kind.table();
        let mut tx = self.db.read().await?;
        let identifying = identifying_for(&mut tx, scope, &owner).await?;
        // Records sharing a key with at least one other, per key.
        let mut groups: Vec<Vec<Uuid>> = identity_groups(&mut tx, scope, kind, &identifying, &narrow).await?;
        let keyed: Vec<(&str, &str)> = match kind {
            Kind::Person => vec![(table, "primary_email"), (table, "primary_phone"), ("search_entries", "label_folded")],
            _ => vec![("search_entries", "label_folded")],
        };
        for (src, col) in keyed {
            let (id_col, extra) = if src == "search_entries" { ("record_id", Some(kind.as_str())) } else { ("id", None) };
            let mut dup_keys = Query::select();
            dup_keys
                .column(t(col))
                .from(t(src))
                .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
                .and_where(Expr::col(t(col)).is_not_null())
                .group_by_col(t(col))
                .and_having(Expr::cust("COUNT(*) > 1"));
            let mut q = Query::select();
            q.columns([t(col), t(id_col)])
                .from(t(src))
                .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
                .order_by(t(col), Order::Asc)
                .limit(20_000);
            if let Some(k) = extra {
                dup_keys.and_where(Expr::col(t("kind")).eq(k));
                q.and_where(Expr::col(t("kind")).eq(k));
            }
            // A custom kind's names, among its own records only.
            if let Some(n) = &narrow {
                let of_kind = Query::select()
                    .column((t(table), t("id")))
                    .from(t(table))
                    .and_where(tc(table, "workspace_id").eq(uuid(scope.workspace_id)))
                    .cond_where(n.clone())
                    .to_owned();
                dup_keys.and_where(Expr::col(t(id_col)).in_subquery(of_kind.clone()));
                q.and_where(Expr::col(t(id_col)).in_subquery(of_kind));
            }
            q.and_where(Expr::col(t(col)).in_subquery(dup_keys.to_owned()));
            groups.extend(runs(tx.rows(&q, &[Col::Text, Col::Uuid]).await?));
        }
        let all: Vec<Uuid> = groups.iter().flatten().copied().collect::<BTreeSet<_>>().into_iter().collect();
        let cond = Cond::all().add(tc(table, "id").is_in(all.iter().map(|u| uuid(*u))));
        let records = if all.is_empty() { vec![] } else { fetch(&mut tx, scope, kind, cond, |_| {}, None).await? };
        tx.commit().await?;
        let by_id: BTreeMap<Uuid, &Record> =
            records.iter().filter_map(|r| Some((Uuid::parse_str(r.get("id")?.as_str()?).ok()?, r))).collect();
        // Union-find over pairs that score.
        let mut parent: BTreeMap<Uuid, Uuid> = BTreeMap::new();
        fn root(p: &mut BTreeMap<Uuid, Uuid>, x: Uuid) -> Uuid {
            let up = *p.get(&x).unwrap_or(&x);
            if up == x {
                x
            } else {
                let r = root(p, up);
                p.insert(x, r);
                r
            }
        }
        let mut pairs: Vec<(Uuid, Uuid, f64, Vec<String>)> = Vec::new();
        for g in &groups {
            for (i, a) in g.iter().enumerate() {
                for b in &g[i + 1..] {
                    let (Some(ra), Some(rb)) = (by_id.get(a), by_id.get(b)) else { continue };
                    if let Some(l) = likeness(kind, ra, rb, &identifying).filter(|l| l.score >= 0.6) {
                        pairs.push((*a, *b, l.score, l.reasons));
                        let (x, y) = (root(&mut parent, *a), root(&mut parent, *b));
                        if x != y {
                            parent.insert(x, y);
                        }
                    }
                }
            }
        }
        let mut clusters: BTreeMap<Uuid, (BTreeSet<Uuid>, f64, BTreeSet<String>)> = BTreeMap::new();
        for (a, b, score, reasons) in pairs {
            let r = root(&mut parent, a);
            let c = clusters.entry(r).or_insert_with(|| (BTreeSet::new(), 0.0, BTreeSet::new()));
            c.0.insert(a);
            c.0.insert(b);
            c.1 = c.1.max(score);
            c.2.extend(reasons);
        }
        let mut out: Vec<(f64, Json)> = clusters
            .into_values()
            .map(|(ids, score, reasons)| {
                let members: Vec<Json> = ids
                    .iter()
                    .map(
                        |id| json!({"id": id, "label": by_id.get(id).and_then(|r| r.get("name")).cloned().unwrap_or(Json::Null)}),
                    )
                    .collect();
                (score, json!({"score": score, "reasons": reasons, "records": members}))
            })
            .collect();
        out.sort_by(|a, b| b.0.total_cmp(&a.0));
        Ok(out.into_iter().map(|x| x.1).collect())
    }

    /// Where a merged-away record went.
    pub async fn merged_into(&self, scope: &Scope, kind: Kind, id: Uuid) -> Result<Option<Uuid>, StoreError> {
        let q = Query::select()
            .column(t("survivor_id"))
            .from(t("merged_records"))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
            .and_where(Expr::col(t("kind")).eq(kind.as_str()))
            .and_where(Expr::col(t("merged_id")).eq(uuid(id)))
            .to_owned();
        let mut tx = self.db.read().await?;
        let row = tx.row(&q, &[Col::Uuid]).await?;
        tx.commit().await?;
        // Lead only to a survivor the scope may see: a redirect must not reveal a hidden record.
        match row.and_then(|r| uuid_at(&r, 0)) {
            Some(survivor) => match self.get(scope, kind, survivor).await {
                Ok(_) => Ok(Some(survivor)),
                Err(StoreError::NotFound) => Ok(None),
                Err(e) => Err(e),
            },
            None => Ok(None),
        }
    }

    /// Merges records into a survivor, in one transaction. Every activity, task,
    /// deal, link, share and history row of the merged records moves to the
    /// survivor; list fields (emails, phones, tags, domains, addresses, links)
    /// are united; for other fields `choose` names whose value wins (the
    /// survivor's by default). The merged ids redirect to the survivor after.
    /// `versions` names the version each record had when the reviewer chose
    /// (any it leaves out is not checked): a record changed since is refused.
    pub async fn merge(
        &self,
        scope: &Scope,
        kind: Kind,
        survivor: Uuid,
        merged: &[Uuid],
        choose: &BTreeMap<String, Uuid>,
        versions: &BTreeMap<Uuid, i64>,
    ) -> Result<Record, StoreError> {
        if !KINDS.contains(&kind) {
            return Err(unsupported(kind));
        }
        let mut errs = ValidationErrors::default();
        if merged.is_empty() || merged.contains(&survivor) {
            errs.push("merge_ids", "invalid", "name one or more records other than the survivor");
        }
        for (field, from) in choose {
            if schema::field(kind, field).is_none() {
                errs.push(format!("choose.{field}"), "unknown_field", format!("{kind} has no field '{field}'"));
            } else if *from != survivor && !merged.contains(from) {
                errs.push(format!("choose.{field}"), "invalid", "must name the survivor or one of the merged records");
            }
        }
        errs.into_result()?;
        let mut tx = self.db.write().await?;
        let keep = writable(&mut tx, scope, kind, survivor).await?;
        let mut gone: Vec<Record> = Vec::new();
        for id in merged {
            gone.push(writable(&mut tx, scope, kind, *id).await?);
        }
        // Checked under the rows' locks, so no change can slip in after.
        for r in std::iter::once(&keep).chain(gone.iter()) {
            let id = r.get("id").and_then(Json::as_str).and_then(|s| Uuid::parse_str(s).ok());
            let current = r.get("version").and_then(Json::as_i64).unwrap_or_default();
            if let Some(&expected) = id.and_then(|id| versions.get(&id))
                && expected != current
            {
                return Err(StoreError::VersionMismatch { expected, current });
            }
        }
        let at = now();
        // Re-point whatever refers to the merged records before they go.
        for id in merged {
            repoint(&mut tx, scope, kind, *id, survivor, at).await?;
        }
        // The survivor's new values.
        let mut patch = Map::new();
        let all: Vec<&Record> = std::iter::once(&keep).chain(gone.iter()).collect();
        for f in schema::fields(kind).iter().filter(|f| f.access == schema::Access::Write) {
            let united = matches!(
                f.ty,
                FieldType::Emails
                    | FieldType::Phones
                    | FieldType::Strings { .. }
                    | FieldType::Addresses
                    | FieldType::Links { .. }
            );
            if let Some(from) = choose.get(f.name) {
                let src = all.iter().find(|r| r.get("id").and_then(Json::as_str) == Some(&from.to_string()));
                patch.insert(f.name.into(), src.and_then(|r| r.get(f.name)).cloned().unwrap_or(Json::Null));
            } else if united {
                let mut items: Vec<Json> = Vec::new();
                for r in &all {
                    for v in r.get(f.name).and_then(Json::as_array).into_iter().flatten() {
                        let same = |x: &Json| match f.ty {
                            FieldType::Emails => x.get("address") == v.get("address"),
                            FieldType::Phones => x.get("e164") == v.get("e164"),
                            FieldType::Links { .. } => x.get("id").or(Some(x)) == v.get("id").or(Some(v)),
                            _ => x == v,
                        };
                        if !items.iter().any(same) {
                            // Only the survivor's primary stays primary.
                            let mut v = v.clone();
                            if !std::ptr::eq(*r, &keep)
                                && let Some(o) = v.as_object_mut()
                            {
                                o.insert("primary".into(), Json::Bool(false));
                            }
                            if let Some(o) = v.as_object_mut() {
                                o.remove("e164");
                            }
                            items.push(v);
                        }
                    }
                }
                patch.insert(f.name.into(), Json::Array(items));
            } else if keep.get(f.name).is_none_or(Json::is_null) {
                // The survivor's blanks are filled from the merged records.
                if let Some(v) = gone.iter().filter_map(|r| r.get(f.name)).find(|v| !v.is_null()) {
                    patch.insert(f.name.into(), v.clone());
                }
            }
        }
        if kind.has_custom_fields() {
            let mut custom = Map::new();
            for r in gone.iter().rev().chain(std::iter::once(&keep)) {
                if let Some(o) = r.get("custom").and_then(Json::as_object) {
                    custom.extend(o.clone());
                }
            }
            patch.insert("custom".into(), Json::Object(custom));
        }
        // Links from the merged records themselves (a person's organizations) are now the survivor's.
        for id in merged {
            let del = Query::delete()
                .from_table(t("record_links"))
                .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
                .and_where(Expr::col(t("from_kind")).eq(kind.as_str()))
                .and_where(Expr::col(t("from_id")).eq(uuid(*id)))
                .to_owned();
            tx.exec(&del).await?;
        }
        // The merged records' activities are the survivor's now.
        crate::last_activity::refresh(&mut tx, scope, &[(kind, survivor)]).await?;
        let result = match update_in(&mut tx, scope, kind, survivor, &Json::Object(patch), None).await? {
            Applied::Changed(r) | Applied::Unchanged(r) => r,
            Applied::Raced { .. } => {
                return Err(Conflict::new("changed-during-merge", "the record changed during the merge; try again").into());
            }
        };
        for (id, old) in merged.iter().zip(&gone) {
            let del = Query::delete()
                .from_table(t(kind.table()))
                .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
                .and_where(Expr::col(t("id")).eq(uuid(*id)))
                .to_owned();
            tx.exec(&del).await?;
            search::remove(&mut tx, scope, kind, *id).await?;
            let ins = Query::insert()
                .into_table(t("merged_records"))
                .columns(["workspace_id", "kind", "merged_id", "survivor_id", "merged_at", "merged_by"].map(t))
                .values_panic([
                    uuid(scope.workspace_id).into(),
                    kind.as_str().into(),
                    uuid(*id).into(),
                    uuid(survivor).into(),
                    time(at).into(),
                    opt_uuid(scope.user_id).into(),
                ])
                .to_owned();
            tx.exec(&ins).await?;
            // Earlier merges into the merged record now lead to the survivor.
            let upd = Query::update()
                .table(t("merged_records"))
                .value(t("survivor_id"), uuid(survivor))
                .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
                .and_where(Expr::col(t("kind")).eq(kind.as_str()))
                .and_where(Expr::col(t("survivor_id")).eq(uuid(*id)))
                .to_owned();
            tx.exec(&upd).await?;
            // Its history becomes part of the survivor's, after a last row saying what it was.
            changes::append(&mut tx, scope, kind, *id, "merged", diff(old, &Record::new()), at).await?;
            let upd = Query::update()
                .table(t("changes"))
                .value(t("record_id"), uuid(survivor))
                .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
                .and_where(Expr::col(t("record_kind")).eq(kind.as_str()))
                .and_where(Expr::col(t("record_id")).eq(uuid(*id)))
                .to_owned();
            tx.exec(&upd).await?;
        }
        audit::append(&mut tx, scope, "records_merged", Some((kind, survivor)), json!({"merged": merged})).await?;
        tx.commit().await?;
        Ok(result)
    }
}

/// Moves every reference to `from` onto `to`: links pointing at it, reference
/// columns, shares, consents; each changed record's change is logged.
async fn repoint(
    tx: &mut Tx,
    scope: &Scope,
    kind: Kind,
    from: Uuid,
    to: Uuid,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(), StoreError> {
    let ws = uuid(scope.workspace_id);
    // Links to the merged record: drop those the survivor already has, move the rest.
    let existing = Query::select()
        .columns([t("from_kind"), t("from_id")])
        .from(t("record_links"))
        .and_where(Expr::col(t("workspace_id")).eq(ws.clone()))
        .and_where(Expr::col(t("to_kind")).eq(kind.as_str()))
        .and_where(Expr::col(t("to_id")).eq(uuid(to)))
        .to_owned();
    let have: BTreeSet<(String, Uuid)> = tx
        .rows(&existing, &[Col::Text, Col::Uuid])
        .await?
        .iter()
        .filter_map(|r| Some((str_at(r, 0)?.to_string(), uuid_at(r, 1)?)))
        .collect();
    let pointing = Query::select()
        .columns([t("from_kind"), t("from_id")])
        .from(t("record_links"))
        .and_where(Expr::col(t("workspace_id")).eq(ws.clone()))
        .and_where(Expr::col(t("to_kind")).eq(kind.as_str()))
        .and_where(Expr::col(t("to_id")).eq(uuid(from)))
        .to_owned();
    for r in tx.rows(&pointing, &[Col::Text, Col::Uuid]).await? {
        let (Some(fk), Some(fid)) = (str_at(&r, 0).map(str::to_string), uuid_at(&r, 1)) else { continue };
        let one = |q: &mut sea_query::DeleteStatement| {
            q.and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
                .and_where(Expr::col(t("from_kind")).eq(fk.clone()))
                .and_where(Expr::col(t("from_id")).eq(uuid(fid)))
                .and_where(Expr::col(t("to_kind")).eq(kind.as_str()))
                .and_where(Expr::col(t("to_id")).eq(uuid(from)));
        };
        if have.contains(&(fk.clone(), fid)) {
            let mut del = Query::delete();
            del.from_table(t("record_links"));
            one(&mut del);
            tx.exec(&del).await?;
        } else {
            let upd = Query::update()
                .table(t("record_links"))
                .value(t("to_id"), uuid(to))
                .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
                .and_where(Expr::col(t("from_kind")).eq(fk.clone()))
                .and_where(Expr::col(t("from_id")).eq(uuid(fid)))
                .and_where(Expr::col(t("to_kind")).eq(kind.as_str()))
                .and_where(Expr::col(t("to_id")).eq(uuid(from)))
                .to_owned();
            tx.exec(&upd).await?;
        }
        if let Some(k) = Kind::parse(&fk) {
            let mut d = Map::new();
            d.insert(kind.collection().into(), json!({"old": from, "new": to}));
            changes::append(tx, scope, k, fid, "updated", d, at).await?;
        }
    }
    // Reference columns (a deal's organization, a consent's person, a parent organization).
    for other in Kind::ALL {
        for f in schema::fields(other).iter().filter(|f| f.ty == FieldType::Ref(kind)) {
            let table = other.table();
            let q = Query::select()
                .column(t("id"))
                .from(t(table))
                .and_where(Expr::col(t("workspace_id")).eq(ws.clone()))
                .and_where(Expr::col(t(f.name)).eq(uuid(from)))
                .to_owned();
            let ids: Vec<Uuid> = tx.rows(&q, &[Col::Uuid]).await?.iter().filter_map(|r| uuid_at(r, 0)).collect();
            if ids.is_empty() {
                continue;
            }
            // A record pointing at the merged one may be the survivor itself (a parent organization).
            let target = if other == kind && ids.contains(&to) { None } else { Some(to) };
            let upd = Query::update()
                .table(t(table))
                .value(t(f.name), opt_uuid(target))
                .value(t("updated_at"), time(at))
                .value(t("version"), Expr::col(t("version")).add(1))
                .and_where(Expr::col(t("workspace_id")).eq(ws.clone()))
                .and_where(Expr::col(t(f.name)).eq(uuid(from)))
                .to_owned();
            tx.exec(&upd).await?;
            for id in ids {
                let mut d = Map::new();
                d.insert(f.name.into(), json!({"old": from, "new": target}));
                changes::append(tx, scope, other, id, "updated", d, at).await?;
            }
        }
    }
    let shares = Query::update()
        .table(t("record_shares"))
        .value(t("record_id"), uuid(to))
        .and_where(Expr::col(t("workspace_id")).eq(ws))
        .and_where(Expr::col(t("record_kind")).eq(kind.as_str()))
        .and_where(Expr::col(t("record_id")).eq(uuid(from)))
        .to_owned();
    tx.exec(&shares).await?;
    Ok(())
}
