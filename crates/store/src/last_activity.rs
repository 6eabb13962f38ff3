//! `last_activity_at` on people, organizations and deals: when the latest
//! activity linked to them happened. Kept in the same transaction as every
//! write of an activity, so "no recent contact" lists are one indexed filter.
//! It is derived, not an edit: it bumps no version and adds no history row.

use rapport_domain::Kind;
use sea_query::{Expr, ExprTrait, Query};
use serde_json::Value as Json;
use uuid::Uuid;

use crate::db::Tx;
use crate::records::Record;
use crate::sql::t;
use crate::values::uuid;
use crate::{Scope, StoreError};

/// The kinds that carry it, with the activity's link field to them.
const TRACKED: [(Kind, &str); 3] = [(Kind::Person, "people"), (Kind::Organization, "organizations"), (Kind::Deal, "deals")];

/// The records an activity (as read, or as it was) is linked to.
pub(crate) fn targets(activity: &Record) -> Vec<(Kind, Uuid)> {
    let mut out = Vec::new();
    for (kind, field) in TRACKED {
        for item in activity.get(field).and_then(Json::as_array).into_iter().flatten() {
            let id = item.get("id").unwrap_or(item).as_str().and_then(|s| Uuid::parse_str(s).ok());
            out.extend(id.map(|id| (kind, id)));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Recomputes the records' `last_activity_at` from the activities linked to them now.
pub(crate) async fn refresh(tx: &mut Tx, scope: &Scope, targets: &[(Kind, Uuid)]) -> Result<(), StoreError> {
    for (kind, _) in TRACKED {
        let ids: Vec<Uuid> = targets.iter().filter(|(k, _)| *k == kind).map(|(_, id)| *id).collect();
        if ids.is_empty() {
            continue;
        }
        let table = kind.table();
        let latest = format!(
            "(SELECT MAX(a.occurred_at) FROM record_links rl JOIN activities a ON a.workspace_id = rl.workspace_id AND a.id = rl.from_id \
             WHERE rl.workspace_id = \"{table}\".workspace_id AND rl.from_kind = 'activity' AND rl.to_kind = '{}' AND rl.to_id = \"{table}\".id)",
            kind.as_str()
        );
        let upd = Query::update()
            .table(t(table))
            .value(t("last_activity_at"), Expr::cust(latest))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
            .and_where(Expr::col(t("id")).is_in(ids.into_iter().map(uuid)))
            .to_owned();
        tx.exec(&upd).await?;
    }
    Ok(())
}
