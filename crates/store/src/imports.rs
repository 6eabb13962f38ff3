//! Imports: rows written in batches, one transaction per batch and a
//! savepoint per row, so that a bad row leaves nothing behind and a crash
//! leaves no half-written one; the import jobs the API starts; and the column
//! mappings saved for repeat imports.
//!
//! The matching rules are those of [`Store::find_existing`] (external id, then
//! identifying custom fields, then email, then phone; organizations: external
//! id, identifying custom fields, then exact name), applied
//! inside the import's own transaction so that a row sees the rows written
//! before it in the same, not yet committed, batch.

use std::collections::HashMap;

use rapport_domain::access::Role;
use rapport_domain::custom::CustomField;
use rapport_domain::value::{new_id, now};
use rapport_domain::{Kind, ValidationErrors, contact};
use sea_query::{Cond, Expr, ExprTrait, Order, Query};
use serde::Serialize;
use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::db::{Col, Tx, str_at, uuid_at};
use crate::records::{self, Applied, Record};
use crate::sql::{t, tc};
use crate::values::{opt_uuid, time, uuid};
use crate::{Conflict, Scope, Store, StoreError, access, workspaces};

/// What writing one row did.
#[derive(Debug, Clone)]
pub enum Written {
    Created(Record),
    Updated(Record),
    /// The row matched a record that already holds every value: nothing written.
    Unchanged(Record),
}

/// An open import transaction. Nothing is visible to others until `commit`;
/// dropping it (or `rollback`) undoes every row written through it.
pub struct ImportTx {
    tx: Tx,
    region: phonenumber::country::Id,
    /// Each kind's identifying custom fields (a built-in kind's name or a
    /// custom kind's key), read once per batch.
    identifying: HashMap<String, Vec<CustomField>>,
}

impl Store {
    /// Refuses, before any row is read, an import the scope may not write.
    pub fn check_import(&self, scope: &Scope, kind: Kind) -> Result<(), StoreError> {
        access::require_write(scope, kind)
    }

    /// Opens a write transaction for a batch of import rows.
    pub async fn begin_import(&self, scope: &Scope) -> Result<ImportTx, StoreError> {
        let mut tx = self.db.write().await?;
        let ws = workspaces::load(&mut tx, scope.workspace_id).await?;
        let region = contact::parse_region(&ws.phone_region).unwrap_or(phonenumber::country::Id::US);
        Ok(ImportTx { tx, region, identifying: HashMap::new() })
    }
}

impl ImportTx {
    /// Phone region of the workspace, for reading numbers typed without a country code.
    pub fn region(&self) -> phonenumber::country::Id {
        self.region
    }

    /// Starts a row: everything until `release` or `rollback_row` is one unit.
    pub async fn savepoint(&mut self) -> Result<(), StoreError> {
        self.tx.script("SAVEPOINT rapport_row").await
    }

    /// Keeps what the row wrote (until the transaction commits or rolls back).
    pub async fn release(&mut self) -> Result<(), StoreError> {
        self.tx.script("RELEASE SAVEPOINT rapport_row").await
    }

    /// Undoes what the row wrote; the transaction goes on.
    pub async fn rollback_row(&mut self) -> Result<(), StoreError> {
        self.tx.script("ROLLBACK TO SAVEPOINT rapport_row").await?;
        self.tx.script("RELEASE SAVEPOINT rapport_row").await
    }

    pub async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await
    }

    pub async fn rollback(self) -> Result<(), StoreError> {
        match self.tx {
            Tx::Sqlite(tx) => tx.rollback().await?,
            Tx::Postgres(tx) => tx.rollback().await?,
        }
        Ok(())
    }

    async fn first(&mut self, scope: &Scope, kind: Kind, cond: Cond) -> Result<Option<Record>, StoreError> {
        let table = kind.table();
        let found = records::fetch(
            &mut self.tx,
            scope,
            kind,
            cond,
            |q| {
                q.order_by((t(table), t("id")), Order::Asc);
            },
            Some(1),
        )
        .await?;
        Ok(found.into_iter().next())
    }

    /// The record an incoming one already is, with what matched (the rules of
    /// `dedupe::match_keys`).
    pub async fn find_existing(
        &mut self,
        scope: &Scope,
        kind: Kind,
        input: &Record,
    ) -> Result<Option<(Record, &'static str)>, StoreError> {
        // A custom record is matched among the records of its own kind only.
        let of_type = (kind == Kind::Object).then(|| input.get("type").and_then(Json::as_str).unwrap_or_default().to_string());
        let owner = of_type.clone().unwrap_or_else(|| kind.as_str().to_string());
        if !self.identifying.contains_key(&owner) {
            let defs = crate::dedupe::identifying_for(&mut self.tx, scope, &owner).await?;
            self.identifying.insert(owner.clone(), defs);
        }
        let keys = crate::dedupe::match_keys(kind, input, self.region, self.tx.backend(), &self.identifying[&owner]);
        for (what, mut cond) in keys {
            if let Some(ty) = &of_type {
                cond = cond.add(tc(kind.table(), "type").eq(ty.as_str()));
            }
            if let Some(r) = self.first(scope, kind, cond).await? {
                return Ok(Some((r, what)));
            }
        }
        Ok(None)
    }

    /// A record of the kind with exactly this name (organizations, deals).
    pub async fn find_by_name(&mut self, scope: &Scope, kind: Kind, name: &str) -> Result<Option<Uuid>, StoreError> {
        let cond = Cond::all().add(tc(kind.table(), "name").eq(name.trim()));
        Ok(self.first(scope, kind, cond).await?.and_then(|r| id_of(&r)))
    }

    /// A person named by email address or external id.
    pub async fn find_person(&mut self, scope: &Scope, key: &str) -> Result<Option<Uuid>, StoreError> {
        let table = Kind::Person.table();
        let cond = match contact::normalize_email(key) {
            Some(email) => Cond::all().add(tc(table, "primary_email").eq(email)),
            None => Cond::all().add(tc(table, "external_id").eq(key.trim())),
        };
        Ok(self.first(scope, Kind::Person, cond).await?.and_then(|r| id_of(&r)))
    }

    /// The record a source record (of a full workspace export) became in an earlier import.
    pub async fn find_by_key(&mut self, scope: &Scope, kind: Kind, key: &str) -> Result<Option<Record>, StoreError> {
        let q = Query::select()
            .column(t("record_id"))
            .from(t("import_keys"))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
            .and_where(Expr::col(t("kind")).eq(kind.as_str()))
            .and_where(Expr::col(t("source_key")).eq(key))
            .to_owned();
        let Some(id) = self.tx.row(&q, &[Col::Uuid]).await?.and_then(|r| uuid_at(&r, 0)) else { return Ok(None) };
        self.first(scope, kind, Cond::all().add(tc(kind.table(), "id").eq(uuid(id)))).await
    }

    /// Remembers which record a source record became.
    pub async fn save_key(&mut self, scope: &Scope, kind: Kind, key: &str, id: Uuid) -> Result<(), StoreError> {
        let del = Query::delete()
            .from_table(t("import_keys"))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
            .and_where(Expr::col(t("kind")).eq(kind.as_str()))
            .and_where(Expr::col(t("source_key")).eq(key))
            .to_owned();
        self.tx.exec(&del).await?;
        let ins = Query::insert()
            .into_table(t("import_keys"))
            .columns(["workspace_id", "kind", "source_key", "record_id", "created_at"].map(t))
            .values_panic([
                uuid(scope.workspace_id).into(),
                kind.as_str().into(),
                key.into(),
                uuid(id).into(),
                time(now()).into(),
            ])
            .to_owned();
        self.tx.exec(&ins).await?;
        Ok(())
    }

    pub async fn create(&mut self, scope: &Scope, kind: Kind, input: &Record) -> Result<Record, StoreError> {
        records::create_in(&mut self.tx, scope, kind, input).await
    }

    /// Applies a merge patch to a record; a patch that changes nothing writes nothing.
    pub async fn update(&mut self, scope: &Scope, kind: Kind, id: Uuid, patch: &Json) -> Result<Written, StoreError> {
        if !patch.is_object() {
            return Err(StoreError::Invalid(ValidationErrors::single("", "invalid_type", "expected a JSON object")));
        }
        // A patch that changes nothing may still have bumped the version: undo it.
        self.tx.script("SAVEPOINT rapport_update").await?;
        let applied = records::update_in(&mut self.tx, scope, kind, id, patch, None).await;
        match applied {
            Ok(Applied::Changed(r)) => {
                self.tx.script("RELEASE SAVEPOINT rapport_update").await?;
                Ok(Written::Updated(r))
            }
            Ok(Applied::Unchanged(r)) => {
                self.tx.script("ROLLBACK TO SAVEPOINT rapport_update").await?;
                self.tx.script("RELEASE SAVEPOINT rapport_update").await?;
                Ok(Written::Unchanged(r))
            }
            Ok(Applied::Raced { .. }) => {
                self.tx.script("ROLLBACK TO SAVEPOINT rapport_update").await?;
                self.tx.script("RELEASE SAVEPOINT rapport_update").await?;
                Err(Conflict::new("changed-during-import", "the record changed during the import; run it again").into())
            }
            Err(e) => {
                self.tx.script("ROLLBACK TO SAVEPOINT rapport_update").await?;
                self.tx.script("RELEASE SAVEPOINT rapport_update").await?;
                Err(e)
            }
        }
    }
}

fn id_of(r: &Record) -> Option<Uuid> {
    r.get("id").and_then(Json::as_str).and_then(|s| Uuid::parse_str(s).ok())
}

// ---- jobs ------------------------------------------------------------------

/// An import job as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ImportJob {
    pub id: Uuid,
    pub kind: String,
    pub format: String,
    pub file_name: Option<String>,
    pub dry_run: bool,
    pub mode: String,
    /// `queued`, `running`, `done` or `failed`.
    pub status: String,
    pub mapping: Json,
    pub counts: Json,
    pub errors: Json,
    /// What each row did (or would do, in a dry run), for the first rows.
    pub report: Json,
    /// Why the job failed as a whole, or a note on how it ended.
    pub message: Option<String>,
    pub has_rejects: bool,
    pub created_by: Option<Uuid>,
    pub created_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
}

/// What a new job is.
#[derive(Debug, Clone)]
pub struct NewImportJob {
    /// A collection (`people`), or `workspace` for a whole-workspace import.
    pub kind: String,
    pub format: String,
    pub file_name: Option<String>,
    pub dry_run: bool,
    pub mode: String,
    pub mapping: Json,
}

/// A change to a job's state; `None` leaves a value as it is.
#[derive(Debug, Clone, Default)]
pub struct JobUpdate {
    pub status: Option<String>,
    pub mapping: Option<Json>,
    pub counts: Option<Json>,
    pub errors: Option<Json>,
    pub report: Option<Json>,
    pub message: Option<String>,
    /// The reject file and its media type.
    pub rejects: Option<(String, String)>,
}

const JOB_COLS: [&str; 17] = [
    "id",
    "kind",
    "format",
    "file_name",
    "dry_run",
    "mode",
    "status",
    "mapping",
    "counts",
    "errors",
    "report",
    "message",
    "rejects_type",
    "created_by",
    "created_at",
    "started_at",
    "finished_at",
];
const JOB_TYPES: [Col; 17] = [
    Col::Uuid,
    Col::Text,
    Col::Text,
    Col::Text,
    Col::Bool,
    Col::Text,
    Col::Text,
    Col::Json,
    Col::Json,
    Col::Json,
    Col::Json,
    Col::Text,
    Col::Text,
    Col::Uuid,
    Col::DateTime,
    Col::DateTime,
    Col::DateTime,
];

fn job_from_row(r: &[Json]) -> Option<ImportJob> {
    let s = |i: usize| str_at(r, i).map(str::to_string);
    Some(ImportJob {
        id: uuid_at(r, 0)?,
        kind: s(1)?,
        format: s(2)?,
        file_name: s(3),
        dry_run: r[4].as_bool().unwrap_or(false),
        mode: s(5)?,
        status: s(6)?,
        mapping: r[7].clone(),
        counts: r[8].clone(),
        errors: r[9].clone(),
        report: r[10].clone(),
        message: s(11),
        has_rejects: s(12).is_some(),
        created_by: uuid_at(r, 13),
        created_at: s(14)?,
        started_at: s(15),
        finished_at: s(16),
    })
}

/// Admins (and the command line) see every job of the workspace; others their own.
fn jobs_visible(scope: &Scope) -> Cond {
    let mut c = Cond::all().add(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)));
    if let Some(a) = &scope.actor
        && a.role != Role::Admin
    {
        c = c.add(Expr::col(t("created_by")).eq(uuid(a.user_id)));
    }
    c
}

impl Store {
    /// Records a new import job, queued.
    pub async fn create_import_job(&self, scope: &Scope, job: &NewImportJob) -> Result<ImportJob, StoreError> {
        access::require_staff(scope)?;
        if let Some(a) = &scope.actor
            && !a.role.can_write()
        {
            return Err(StoreError::Forbidden(format!("the {} role cannot import", a.role.as_str())));
        }
        let id = new_id();
        let at = time(now());
        let ins = Query::insert()
            .into_table(t("import_jobs"))
            .columns(
                [
                    "workspace_id",
                    "id",
                    "created_at",
                    "created_by",
                    "updated_at",
                    "kind",
                    "format",
                    "file_name",
                    "dry_run",
                    "mode",
                    "status",
                    "mapping",
                    "counts",
                    "errors",
                    "report",
                ]
                .map(t),
            )
            .values_panic([
                uuid(scope.workspace_id).into(),
                uuid(id).into(),
                at.clone().into(),
                opt_uuid(scope.user_id).into(),
                at.into(),
                job.kind.clone().into(),
                job.format.clone().into(),
                job.file_name.clone().into(),
                job.dry_run.into(),
                job.mode.clone().into(),
                "queued".into(),
                job.mapping.clone().into(),
                json!({"rows": 0, "created": 0, "updated": 0, "skipped": 0, "failed": 0}).into(),
                json!([]).into(),
                json!([]).into(),
            ])
            .to_owned();
        let mut tx = self.db.write().await?;
        tx.exec(&ins).await?;
        tx.commit().await?;
        self.import_job(scope, id).await
    }

    /// Changes a job's state. Marks the start when it starts running and the end when it is done or failed.
    pub async fn update_import_job(&self, scope: &Scope, id: Uuid, u: &JobUpdate) -> Result<(), StoreError> {
        let at = now();
        let mut q = Query::update();
        q.table(t("import_jobs")).value(t("updated_at"), time(at));
        if let Some(s) = &u.status {
            q.value(t("status"), s.as_str());
            match s.as_str() {
                "running" => {
                    q.value(t("started_at"), time(at));
                }
                "done" | "failed" => {
                    q.value(t("finished_at"), time(at));
                }
                _ => {}
            }
        }
        for (col, v) in [("mapping", &u.mapping), ("counts", &u.counts), ("errors", &u.errors), ("report", &u.report)] {
            if let Some(v) = v {
                q.value(t(col), v.clone());
            }
        }
        if let Some(m) = &u.message {
            q.value(t("message"), m.as_str());
        }
        if let Some((body, media_type)) = &u.rejects {
            q.value(t("rejects"), body.as_str());
            q.value(t("rejects_type"), media_type.as_str());
        }
        q.and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id))).and_where(Expr::col(t("id")).eq(uuid(id)));
        let mut tx = self.db.write().await?;
        tx.exec(&q).await?;
        tx.commit().await
    }

    pub async fn import_job(&self, scope: &Scope, id: Uuid) -> Result<ImportJob, StoreError> {
        access::require_staff(scope)?;
        let q = Query::select()
            .columns(JOB_COLS.map(t))
            .from(t("import_jobs"))
            .cond_where(jobs_visible(scope).add(Expr::col(t("id")).eq(uuid(id))))
            .to_owned();
        let mut tx = self.db.read().await?;
        let row = tx.row(&q, &JOB_TYPES).await?;
        tx.commit().await?;
        row.as_deref().and_then(job_from_row).ok_or(StoreError::NotFound)
    }

    /// The newest jobs first.
    pub async fn import_jobs(&self, scope: &Scope, limit: u64) -> Result<Vec<ImportJob>, StoreError> {
        access::require_staff(scope)?;
        let q = Query::select()
            .columns(JOB_COLS.map(t))
            .from(t("import_jobs"))
            .cond_where(jobs_visible(scope))
            .order_by(t("created_at"), Order::Desc)
            .order_by(t("id"), Order::Desc)
            .limit(limit.clamp(1, 500))
            .to_owned();
        let mut tx = self.db.read().await?;
        let rows = tx.rows(&q, &JOB_TYPES).await?;
        tx.commit().await?;
        Ok(rows.iter().filter_map(|r| job_from_row(r)).collect())
    }

    /// The rejected rows of a job and their media type; `None` when there are none.
    pub async fn import_job_rejects(&self, scope: &Scope, id: Uuid) -> Result<Option<(String, String)>, StoreError> {
        access::require_staff(scope)?;
        let q = Query::select()
            .columns([t("rejects"), t("rejects_type")])
            .from(t("import_jobs"))
            .cond_where(jobs_visible(scope).add(Expr::col(t("id")).eq(uuid(id))))
            .to_owned();
        let mut tx = self.db.read().await?;
        let row = tx.row(&q, &[Col::Text, Col::Text]).await?;
        tx.commit().await?;
        let row = row.ok_or(StoreError::NotFound)?;
        Ok(match (str_at(&row, 0), str_at(&row, 1)) {
            (Some(body), Some(ty)) => Some((body.to_string(), ty.to_string())),
            _ => None,
        })
    }

    // ---- saved mappings --------------------------------------------------

    /// Saves (or replaces) a named column mapping for the workspace.
    /// Saves a mapping for the rows of `owner`: a built-in kind's name, or a custom kind's key.
    pub async fn save_import_mapping(&self, scope: &Scope, name: &str, owner: &str, columns: &Json) -> Result<Json, StoreError> {
        access::require_write(scope, Kind::parse(owner).unwrap_or(Kind::Object))?;
        let name = name.trim();
        let mut errs = ValidationErrors::default();
        if name.is_empty() || name.chars().count() > 100 {
            errs.push("name", "invalid", "give a name of 1 to 100 characters");
        }
        if !columns.is_object() {
            errs.push("columns", "invalid_type", "expected an object of source column -> target field");
        }
        errs.into_result()?;
        let at = now();
        let mut tx = self.db.write().await?;
        let del = Query::delete()
            .from_table(t("import_mappings"))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
            .and_where(Expr::col(t("name")).eq(name))
            .to_owned();
        tx.exec(&del).await?;
        let ins = Query::insert()
            .into_table(t("import_mappings"))
            .columns(["workspace_id", "name", "kind", "columns", "created_at", "created_by", "updated_at"].map(t))
            .values_panic([
                uuid(scope.workspace_id).into(),
                name.into(),
                owner.into(),
                columns.clone().into(),
                time(at).into(),
                opt_uuid(scope.user_id).into(),
                time(at).into(),
            ])
            .to_owned();
        tx.exec(&ins).await?;
        tx.commit().await?;
        Ok(json!({"name": name, "kind": owner, "columns": columns}))
    }

    /// A saved mapping: its kind and columns.
    /// A saved mapping: what its rows are (a built-in kind's name or a custom kind's key) and its columns.
    pub async fn import_mapping(&self, scope: &Scope, name: &str) -> Result<Option<(String, Json)>, StoreError> {
        access::require_staff(scope)?;
        let q = Query::select()
            .columns([t("kind"), t("columns")])
            .from(t("import_mappings"))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
            .and_where(Expr::col(t("name")).eq(name.trim()))
            .to_owned();
        let mut tx = self.db.read().await?;
        let row = tx.row(&q, &[Col::Text, Col::Json]).await?;
        tx.commit().await?;
        Ok(row.and_then(|r| Some((str_at(&r, 0)?.to_string(), r[1].clone()))))
    }

    pub async fn import_mappings(&self, scope: &Scope) -> Result<Vec<Json>, StoreError> {
        access::require_staff(scope)?;
        let q = Query::select()
            .columns([t("name"), t("kind"), t("columns"), t("updated_at")])
            .from(t("import_mappings"))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
            .order_by(t("name"), Order::Asc)
            .to_owned();
        let mut tx = self.db.read().await?;
        let rows = tx.rows(&q, &[Col::Text, Col::Text, Col::Json, Col::DateTime]).await?;
        tx.commit().await?;
        Ok(rows.into_iter().map(|r| json!({"name": r[0], "kind": r[1], "columns": r[2], "updated_at": r[3]})).collect())
    }

    pub async fn delete_import_mapping(&self, scope: &Scope, name: &str) -> Result<(), StoreError> {
        access::require_staff(scope)?;
        if let Some(a) = &scope.actor
            && !a.role.can_write()
        {
            return Err(StoreError::Forbidden(format!("the {} role cannot change saved mappings", a.role.as_str())));
        }
        let del = Query::delete()
            .from_table(t("import_mappings"))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
            .and_where(Expr::col(t("name")).eq(name.trim()))
            .to_owned();
        let mut tx = self.db.write().await?;
        let n = tx.exec(&del).await?;
        tx.commit().await?;
        if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }
}
