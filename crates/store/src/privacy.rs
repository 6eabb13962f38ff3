//! Privacy requests about a person: export everything Rapport holds about
//! them, or erase them (personal fields removed, counts and amounts kept).

use rapport_domain::Kind;
use rapport_domain::value::now;
use sea_query::{Cond, Expr, ExprTrait, Order, Query, Value};
use serde_json::{Map, Value as Json, json};
use uuid::Uuid;

use crate::access::require_admin;
use crate::records::{fetch, fetch_one};
use crate::sql::{t, tc};
use crate::values::{opt_uuid, time, uuid};
use crate::{Scope, Store, StoreError, audit, changes};

/// Records of `kind` linked to the person (activities, tasks, deals).
async fn linked_to(tx: &mut crate::db::Tx, scope: &Scope, kind: Kind, person: Uuid) -> Result<Vec<crate::Record>, StoreError> {
    let links = Query::select()
        .column(t("from_id"))
        .from(t("record_links"))
        .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
        .and_where(Expr::col(t("from_kind")).eq(kind.as_str()))
        .and_where(Expr::col(t("to_kind")).eq(Kind::Person.as_str()))
        .and_where(Expr::col(t("to_id")).eq(uuid(person)))
        .to_owned();
    let table = kind.table();
    let cond = Cond::all().add(tc(table, "id").in_subquery(links));
    fetch(
        tx,
        scope,
        kind,
        cond,
        |q| {
            q.order_by((t(table), t("id")), Order::Asc);
        },
        None,
    )
    .await
}

impl Store {
    /// Everything held about a person, as one JSON document. Admins only; audited.
    pub async fn privacy_export(&self, scope: &Scope, person: Uuid) -> Result<Json, StoreError> {
        require_admin(scope)?;
        let mut tx = self.db.write().await?;
        let record = fetch_one(&mut tx, scope, Kind::Person, person).await?;
        let consents =
            fetch(&mut tx, scope, Kind::Consent, Cond::all().add(tc("consents", "person_id").eq(uuid(person))), |_| {}, None)
                .await?;
        let activities = linked_to(&mut tx, scope, Kind::Activity, person).await?;
        let tasks = linked_to(&mut tx, scope, Kind::Task, person).await?;
        let deals = linked_to(&mut tx, scope, Kind::Deal, person).await?;
        let history = changes::for_record(&mut tx, scope, Kind::Person, person).await?;
        audit::append(&mut tx, scope, "privacy_export", Some((Kind::Person, person)), json!({})).await?;
        tx.commit().await?;
        Ok(json!({
            "exported_at": rapport_domain::value::format_datetime(&now()),
            "person": record,
            "consents": consents,
            "activities": activities,
            "tasks": tasks,
            "deals": deals,
            "history": history,
        }))
    }

    /// Erases a person: names, contact details, address, birthday, tags and
    /// custom values go; the record, its links, deals and the dates, types and
    /// durations of its activities stay, so counts and amounts still add up.
    /// The texts of activities about the person and the old values in its
    /// history are wiped too. Admins only; audited.
    pub async fn privacy_erase(&self, scope: &Scope, person: Uuid) -> Result<crate::Record, StoreError> {
        require_admin(scope)?;
        let mut tx = self.db.write().await?;
        fetch_one(&mut tx, scope, Kind::Person, person).await?;
        let at = now();
        let empty = || Json::Array(vec![]);
        let upd = Query::update()
            .table(t("people"))
            .values([
                (t("first_name"), Expr::val(Value::String(None))),
                (t("last_name"), Expr::val(Value::String(None))),
                (t("name"), Expr::val("Erased person")),
                (t("emails"), Expr::val(empty())),
                (t("primary_email"), Expr::val(Value::String(None))),
                (t("phones"), Expr::val(empty())),
                (t("primary_phone"), Expr::val(Value::String(None))),
                (t("title"), Expr::val(Value::String(None))),
                (t("lead_source"), Expr::val(Value::String(None))),
                (t("tags"), Expr::val(empty())),
                (t("address"), Expr::val(Value::Json(None))),
                (t("birthday"), Expr::val(Value::ChronoDate(None))),
                (t("custom"), Expr::val(Json::Object(Map::new()))),
                (t("do_not_email"), Expr::val(true)),
                (t("do_not_call"), Expr::val(true)),
                (t("do_not_text"), Expr::val(true)),
                (t("updated_at"), Expr::val(time(at))),
                (t("updated_by"), Expr::val(opt_uuid(scope.user_id))),
            ])
            .value(t("version"), Expr::col(t("version")).add(1))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
            .and_where(Expr::col(t("id")).eq(uuid(person)))
            .to_owned();
        tx.exec(&upd).await?;
        let about_person = Query::select()
            .column(t("from_id"))
            .from(t("record_links"))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
            .and_where(Expr::col(t("from_kind")).eq(Kind::Activity.as_str()))
            .and_where(Expr::col(t("to_kind")).eq(Kind::Person.as_str()))
            .and_where(Expr::col(t("to_id")).eq(uuid(person)))
            .to_owned();
        let scrub = Query::update()
            .table(t("activities"))
            .value(t("subject"), Value::String(None))
            .value(t("body"), Value::String(None))
            .value(t("updated_at"), time(at))
            .value(t("version"), Expr::col(t("version")).add(1))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
            .and_where(Expr::col(t("id")).in_subquery(about_person))
            .to_owned();
        tx.exec(&scrub).await?;
        // Nor the old texts in those activities' history.
        let about_person = Query::select()
            .column(t("from_id"))
            .from(t("record_links"))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
            .and_where(Expr::col(t("from_kind")).eq(Kind::Activity.as_str()))
            .and_where(Expr::col(t("to_kind")).eq(Kind::Person.as_str()))
            .and_where(Expr::col(t("to_id")).eq(uuid(person)))
            .to_owned();
        let wipe_activities = Query::update()
            .table(t("changes"))
            .value(t("diff"), json!({"erased": {"old": null, "new": true}}))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
            .and_where(Expr::col(t("record_kind")).eq(Kind::Activity.as_str()))
            .and_where(Expr::col(t("record_id")).in_subquery(about_person))
            .to_owned();
        tx.exec(&wipe_activities).await?;
        // The change log must not keep what was erased.
        let wipe = Query::update()
            .table(t("changes"))
            .value(t("diff"), json!({"erased": {"old": null, "new": true}}))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
            .and_where(Expr::col(t("record_kind")).eq(Kind::Person.as_str()))
            .and_where(Expr::col(t("record_id")).eq(uuid(person)))
            .to_owned();
        tx.exec(&wipe).await?;
        changes::append(&mut tx, scope, Kind::Person, person, "erased", Map::new(), at).await?;
        audit::append(&mut tx, scope, "privacy_erase", Some((Kind::Person, person)), json!({})).await?;
        let rec = fetch_one(&mut tx, scope, Kind::Person, person).await?;
        crate::search::refresh(&mut tx, scope, Kind::Person, &rec).await?;
        for activity in linked_to(&mut tx, scope, Kind::Activity, person).await? {
            crate::search::refresh(&mut tx, scope, Kind::Activity, &activity).await?;
        }
        tx.commit().await?;
        Ok(rec)
    }
}
