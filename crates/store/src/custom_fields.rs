//! Custom field definitions, per workspace and record kind.

use rapport_domain::custom::{self, CustomField, CustomType};
use rapport_domain::{Kind, ValidationErrors};
use sea_query::{Expr, ExprTrait, Order, Query};
use serde_json::Value as Json;

use crate::db::{Col, Tx, str_at};
use crate::sql::t;
use crate::values::{time, uuid};
use crate::{Scope, Store, StoreError};

pub(crate) async fn load(tx: &mut Tx, scope: &Scope, kind: Kind) -> Result<Vec<CustomField>, StoreError> {
    load_for(tx, scope, kind.as_str()).await
}

/// The fields of a built-in kind (its name) or of a custom record kind (its key).
pub(crate) async fn load_for(tx: &mut Tx, scope: &Scope, owner: &str) -> Result<Vec<CustomField>, StoreError> {
    let q = Query::select()
        .columns(["key", "label", "type", "required", "options", "target", "many"].map(t))
        .from(t("custom_fields"))
        .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
        .and_where(Expr::col(t("kind")).eq(owner))
        .order_by(t("position"), Order::Asc)
        .to_owned();
    let rows = tx.rows(&q, &[Col::Text, Col::Text, Col::Text, Col::Bool, Col::Json, Col::Text, Col::Bool]).await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(CustomField {
                key: str_at(&r, 0)?.to_string(),
                label: str_at(&r, 1)?.to_string(),
                ty: serde_json::from_value(r[2].clone()).ok()?,
                required: r[3].as_bool().unwrap_or(false),
                options: serde_json::from_value(r[4].clone()).unwrap_or_default(),
                target: str_at(&r, 5).map(str::to_string),
                many: r[6].as_bool().unwrap_or(false),
            })
        })
        .collect())
}

impl Store {
    pub async fn custom_fields(&self, scope: &Scope, kind: Kind) -> Result<Vec<CustomField>, StoreError> {
        crate::access::require_staff(scope)?;
        let key = (scope.workspace_id, kind);
        if let Some(defs) = crate::cache::CUSTOM_FIELDS.get(&key) {
            return Ok(defs);
        }
        let read_at = crate::cache::epoch();
        let mut tx = self.db.read().await?;
        let defs = load(&mut tx, scope, kind).await?;
        tx.commit().await?;
        crate::cache::CUSTOM_FIELDS.put(key, defs.clone(), read_at);
        Ok(defs)
    }

    /// Defines a custom field. Existing records simply have no value for it.
    pub async fn create_custom_field(&self, scope: &Scope, kind: Kind, def: &CustomField) -> Result<CustomField, StoreError> {
        crate::access::require_admin(scope)?;
        if !kind.has_custom_fields() || kind == Kind::Object {
            return Err(StoreError::Invalid(ValidationErrors::single(
                "kind",
                "invalid",
                format!("{kind} records have no custom fields"),
            )));
        }
        let mut tx = self.db.write().await?;
        let out = insert_for(&mut tx, scope, kind.as_str(), def).await?;
        tx.commit().await?;
        crate::cache::invalidate();
        Ok(out)
    }

    /// Removes a field definition; values already stored stay in the records' JSON.
    pub async fn delete_custom_field(&self, scope: &Scope, kind: Kind, key: &str) -> Result<(), StoreError> {
        crate::access::require_admin(scope)?;
        let mut tx = self.db.write().await?;
        delete_for(&mut tx, scope, kind.as_str(), key).await?;
        tx.commit().await?;
        crate::cache::invalidate();
        Ok(())
    }
}

/// Defines a custom field on a built-in kind (its name) or a custom record kind (its key).
pub(crate) async fn insert_for(tx: &mut Tx, scope: &Scope, owner: &str, def: &CustomField) -> Result<CustomField, StoreError> {
    let mut errs = ValidationErrors::default();
    if !custom::valid_key(&def.key) {
        errs.push("key", "invalid", "use lower-case letters, digits and _, starting with a letter (at most 64)");
    }
    if def.label.trim().is_empty() {
        errs.push("label", "required", "is required");
    }
    let selects = matches!(def.ty, CustomType::Select | CustomType::MultiSelect);
    if selects && def.options.is_empty() {
        errs.push("options", "required", "a select field needs options");
    }
    crate::object_types::check_relation(tx, scope, def, &mut errs).await?;
    errs.into_result()?;
    let position = load_for(tx, scope, owner).await?.len() as i64;
    let ins = Query::insert()
        .into_table(t("custom_fields"))
        .columns(
            ["workspace_id", "kind", "key", "label", "type", "required", "options", "target", "many", "position", "created_at"]
                .map(t),
        )
        .values_panic([
            uuid(scope.workspace_id).into(),
            owner.into(),
            def.key.clone().into(),
            def.label.trim().into(),
            serde_json::to_value(def.ty).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default().into(),
            def.required.into(),
            Json::from(def.options.clone()).into(),
            sea_query::Value::String(def.target.clone()).into(),
            def.many.into(),
            position.into(),
            time(rapport_domain::value::now()).into(),
        ])
        .to_owned();
    tx.exec(&ins).await.map_err(|e| {
        if e.is_unique_violation() {
            StoreError::Invalid(ValidationErrors::single("key", "taken", format!("{owner} already has a field '{}'", def.key)))
        } else {
            e
        }
    })?;
    Ok(def.clone())
}

pub(crate) async fn delete_for(tx: &mut Tx, scope: &Scope, owner: &str, key: &str) -> Result<(), StoreError> {
    let del = Query::delete()
        .from_table(t("custom_fields"))
        .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
        .and_where(Expr::col(t("kind")).eq(owner))
        .and_where(Expr::col(t("key")).eq(key))
        .to_owned();
    if tx.exec(&del).await? == 0 { Err(StoreError::NotFound) } else { Ok(()) }
}
