//! Webhook subscriptions and their delivery log. Deliveries themselves are
//! jobs, run by the automation worker.

use rapport_domain::ValidationErrors;
use rapport_domain::events::{self, CustomKind};
use rapport_domain::value::{new_id, now};
use sea_query::{Expr, ExprTrait, Order, Query};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::access::require_admin;
use crate::db::{Col, Tx, str_at, uuid_at};
use crate::event_kinds::custom_kinds;
use crate::jobs::enqueue_in;
use crate::sql::t;
use crate::values::{opt_uuid, time, uuid};
use crate::{Scope, Store, StoreError, audit, signing};

/// The subscription's URL and events; events of custom kinds are checked against the workspace's.
fn check(url: &str, events: &[String], custom: &[CustomKind]) -> Result<(), ValidationErrors> {
    let mut errs = ValidationErrors::default();
    let ok_url =
        (url.starts_with("https://") || url.starts_with("http://")) && url.len() <= 2000 && !url.contains(char::is_whitespace);
    if !ok_url {
        errs.push("url", "invalid", "expected an http or https URL");
    }
    events::check(events, custom, &mut errs);
    errs.into_result()
}

const COLS: [&str; 7] = ["id", "url", "description", "events", "secret", "active", "created_at"];
const TYPES: [Col; 7] = [Col::Uuid, Col::Text, Col::Text, Col::Json, Col::Text, Col::Bool, Col::DateTime];

/// A subscription as clients see it: the secret only as a hint (it is shown whole
/// when made or remade).
fn webhook_json(r: Vec<Json>) -> Json {
    let hint = signing::hint(r[4].as_str().unwrap_or_default());
    json!({"id": r[0], "url": r[1], "description": r[2], "events": r[3], "secret_hint": hint, "active": r[5], "created_at": r[6]})
}

/// An active subscription, as the worker needs it.
#[derive(Debug, Clone)]
pub struct Subscription {
    pub id: Uuid,
    pub url: String,
    pub events: Vec<String>,
    pub secret: String,
}

/// True when the workspace has an active subscription: only then are change events queued.
pub(crate) async fn any_active(tx: &mut Tx, workspace_id: Uuid) -> Result<bool, StoreError> {
    let q = Query::select()
        .column(t("id"))
        .from(t("webhooks"))
        .and_where(Expr::col(t("workspace_id")).eq(uuid(workspace_id)))
        .and_where(Expr::col(t("active")).eq(true))
        .limit(1)
        .to_owned();
    Ok(tx.row(&q, &[Col::Uuid]).await?.is_some())
}

impl Store {
    pub async fn create_webhook(
        &self,
        scope: &Scope,
        url: &str,
        events: &[String],
        description: Option<&str>,
    ) -> Result<Json, StoreError> {
        require_admin(scope)?;
        let mut tx = self.db.write().await?;
        check(url, events, &custom_kinds(&mut tx, scope.workspace_id).await?)?;
        let id = new_id();
        let secret = signing::new_secret();
        let ins = Query::insert()
            .into_table(t("webhooks"))
            .columns(
                ["workspace_id", "id", "url", "description", "events", "secret", "active", "created_at", "created_by"].map(t),
            )
            .values_panic([
                uuid(scope.workspace_id).into(),
                uuid(id).into(),
                url.into(),
                description.map(str::to_string).into(),
                Json::from(events.to_vec()).into(),
                secret.clone().into(),
                true.into(),
                time(now()).into(),
                opt_uuid(scope.user_id).into(),
            ])
            .to_owned();
        tx.exec(&ins).await?;
        audit::append(&mut tx, scope, "webhook_created", None, json!({"webhook_id": id, "url": url, "events": events})).await?;
        tx.commit().await?;
        Ok(signing::revealed(self.webhook(scope, id).await?, secret))
    }

    /// Replaces a subscription's signing secret (when the old one may have leaked);
    /// the answer is the only place the new one is shown. Deliveries from now on are
    /// signed with it.
    pub async fn rotate_webhook_secret(&self, scope: &Scope, id: Uuid) -> Result<Json, StoreError> {
        let secret = self.replace_secret(scope, "webhooks", id, ("webhook_secret_rotated", "webhook")).await?;
        Ok(signing::revealed(self.webhook(scope, id).await?, secret))
    }

    pub async fn webhooks(&self, scope: &Scope) -> Result<Vec<Json>, StoreError> {
        require_admin(scope)?;
        let q = Query::select()
            .columns(COLS.map(t))
            .from(t("webhooks"))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
            .order_by(t("id"), Order::Asc)
            .to_owned();
        let mut tx = self.db.read().await?;
        let rows = tx.rows(&q, &TYPES).await?;
        tx.commit().await?;
        Ok(rows.into_iter().map(webhook_json).collect())
    }

    pub async fn webhook(&self, scope: &Scope, id: Uuid) -> Result<Json, StoreError> {
        require_admin(scope)?;
        let q = Query::select()
            .columns(COLS.map(t))
            .from(t("webhooks"))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
            .and_where(Expr::col(t("id")).eq(uuid(id)))
            .to_owned();
        let mut tx = self.db.read().await?;
        let row = tx.row(&q, &TYPES).await?;
        tx.commit().await?;
        row.map(webhook_json).ok_or(StoreError::NotFound)
    }

    /// Changes a subscription's URL, events, description or active flag.
    pub async fn update_webhook(
        &self,
        scope: &Scope,
        id: Uuid,
        url: Option<&str>,
        events: Option<&[String]>,
        description: Option<&str>,
        active: Option<bool>,
    ) -> Result<Json, StoreError> {
        let cur = self.webhook(scope, id).await?;
        let cur_events: Vec<String> = serde_json::from_value(cur["events"].clone()).unwrap_or_default();
        let url = url.unwrap_or(cur["url"].as_str().unwrap_or_default());
        let events = events.map(<[String]>::to_vec).unwrap_or(cur_events);
        let mut tx = self.db.write().await?;
        check(url, &events, &custom_kinds(&mut tx, scope.workspace_id).await?)?;
        let upd = Query::update()
            .table(t("webhooks"))
            .value(t("url"), url)
            .value(t("events"), Json::from(events.clone()))
            .value(t("description"), description.map(str::to_string).or(cur["description"].as_str().map(str::to_string)))
            .value(t("active"), active.unwrap_or(cur["active"].as_bool().unwrap_or(true)))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
            .and_where(Expr::col(t("id")).eq(uuid(id)))
            .to_owned();
        tx.exec(&upd).await?;
        audit::append(&mut tx, scope, "webhook_changed", None, json!({"webhook_id": id, "url": url, "events": events})).await?;
        tx.commit().await?;
        self.webhook(scope, id).await
    }

    pub async fn delete_webhook(&self, scope: &Scope, id: Uuid) -> Result<(), StoreError> {
        self.webhook(scope, id).await?;
        let del = Query::delete()
            .from_table(t("webhooks"))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
            .and_where(Expr::col(t("id")).eq(uuid(id)))
            .to_owned();
        let mut tx = self.db.write().await?;
        tx.exec(&del).await?;
        audit::append(&mut tx, scope, "webhook_deleted", None, json!({"webhook_id": id})).await?;
        tx.commit().await
    }

    /// Active subscriptions of a workspace, for the worker.
    pub async fn active_webhooks(&self, workspace_id: Uuid) -> Result<Vec<Subscription>, StoreError> {
        let q = Query::select()
            .columns(["id", "url", "events", "secret"].map(t))
            .from(t("webhooks"))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(workspace_id)))
            .and_where(Expr::col(t("active")).eq(true))
            .to_owned();
        let mut tx = self.db.read().await?;
        let rows = tx.rows(&q, &[Col::Uuid, Col::Text, Col::Json, Col::Text]).await?;
        tx.commit().await?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                Some(Subscription {
                    id: uuid_at(r, 0)?,
                    url: str_at(r, 1)?.to_string(),
                    events: serde_json::from_value(r[2].clone()).unwrap_or_default(),
                    secret: str_at(r, 3)?.to_string(),
                })
            })
            .collect())
    }

    /// Queues the delivery of one event to one subscription.
    pub async fn queue_delivery(
        &self,
        workspace_id: Uuid,
        webhook_id: Uuid,
        event_id: &str,
        event_type: &str,
        payload: &Json,
    ) -> Result<Uuid, StoreError> {
        let mut tx = self.db.write().await?;
        let job = enqueue_in(
            &mut tx,
            workspace_id,
            "webhook_delivery",
            json!({"webhook_id": webhook_id, "event_id": event_id, "event_type": event_type, "payload": payload}),
            now(),
            8,
        )
        .await?;
        tx.commit().await?;
        Ok(job)
    }

    /// Writes one delivery attempt to the log.
    #[allow(clippy::too_many_arguments)]
    pub async fn record_delivery(
        &self,
        workspace_id: Uuid,
        webhook_id: Uuid,
        event_id: &str,
        event_type: &str,
        payload: &Json,
        attempt: i64,
        response_status: Option<u16>,
        response_body: Option<&str>,
        error: Option<&str>,
        duration_ms: i64,
    ) -> Result<(), StoreError> {
        let ok = response_status.is_some_and(|s| (200..300).contains(&s));
        let ins = Query::insert()
            .into_table(t("webhook_deliveries"))
            .columns(
                [
                    "workspace_id",
                    "id",
                    "webhook_id",
                    "event_id",
                    "event_type",
                    "payload",
                    "attempt",
                    "status",
                    "response_status",
                    "response_body",
                    "error",
                    "duration_ms",
                    "at",
                ]
                .map(t),
            )
            .values_panic([
                uuid(workspace_id).into(),
                uuid(new_id()).into(),
                uuid(webhook_id).into(),
                event_id.into(),
                event_type.into(),
                payload.clone().into(),
                attempt.into(),
                (if ok { "succeeded" } else { "failed" }).into(),
                sea_query::Value::BigInt(response_status.map(i64::from)).into(),
                response_body.map(|b| b.chars().take(2000).collect::<String>()).into(),
                error.map(str::to_string).into(),
                duration_ms.into(),
                time(now()).into(),
            ])
            .to_owned();
        let mut tx = self.db.write().await?;
        tx.exec(&ins).await?;
        tx.commit().await
    }

    /// A subscription's delivery log, newest first.
    pub async fn deliveries(&self, scope: &Scope, webhook_id: Uuid, limit: u64) -> Result<Vec<Json>, StoreError> {
        self.webhook(scope, webhook_id).await?;
        let q = Query::select()
            .columns(
                ["id", "event_id", "event_type", "attempt", "status", "response_status", "error", "duration_ms", "at"].map(t),
            )
            .from(t("webhook_deliveries"))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
            .and_where(Expr::col(t("webhook_id")).eq(uuid(webhook_id)))
            .order_by(t("at"), Order::Desc)
            .order_by(t("id"), Order::Desc)
            .limit(limit.clamp(1, 500))
            .to_owned();
        let mut tx = self.db.read().await?;
        let rows = tx
            .rows(&q, &[Col::Uuid, Col::Text, Col::Text, Col::Int, Col::Text, Col::Int, Col::Text, Col::Int, Col::DateTime])
            .await?;
        tx.commit().await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                json!({"id": r[0], "event_id": r[1], "event_type": r[2], "attempt": r[3], "status": r[4], "response_status": r[5],
                       "error": r[6], "duration_ms": r[7], "at": r[8]})
            })
            .collect())
    }

    /// Sends a logged event again, on demand.
    pub async fn redeliver(&self, scope: &Scope, webhook_id: Uuid, delivery_id: Uuid) -> Result<Uuid, StoreError> {
        self.webhook(scope, webhook_id).await?;
        let q = Query::select()
            .columns(["event_id", "event_type", "payload"].map(t))
            .from(t("webhook_deliveries"))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
            .and_where(Expr::col(t("webhook_id")).eq(uuid(webhook_id)))
            .and_where(Expr::col(t("id")).eq(uuid(delivery_id)))
            .to_owned();
        let mut tx = self.db.read().await?;
        let row = tx.row(&q, &[Col::Text, Col::Text, Col::Json]).await?.ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        self.queue_delivery(
            scope.workspace_id,
            webhook_id,
            str_at(&row, 0).unwrap_or_default(),
            str_at(&row, 1).unwrap_or_default(),
            &row[2],
        )
        .await
    }
}
