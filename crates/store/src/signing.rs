//! Signing secrets of webhook subscriptions and workflows: shown whole only when
//! made (or remade), afterwards only by a hint that tells them apart.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sea_query::{Expr, ExprTrait, Query};
use serde_json::json;
use uuid::Uuid;

use crate::access::require_admin;
use crate::sql::t;
use crate::values::uuid;
use crate::{Scope, Store, StoreError, audit};

/// A new Standard Webhooks secret: `whsec_` and 32 random bytes in base64.
pub(crate) fn new_secret() -> String {
    format!("whsec_{}", STANDARD.encode(rand::random::<[u8; 32]>()))
}

/// What a listing shows in place of the secret: its last four characters.
pub(crate) fn hint(secret: &str) -> String {
    let tail: String = secret.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
    format!("whsec_…{tail}")
}

/// A subscription or workflow as answered right after its secret was made: the
/// one time the whole secret is shown.
pub(crate) fn revealed(mut definition: serde_json::Value, secret: String) -> serde_json::Value {
    definition["secret"] = serde_json::Value::String(secret);
    definition
}

impl Store {
    /// Gives the webhook subscription or workflow in `table` a new secret, audited
    /// as `{audit_action}` with `{subject}_id`; returns the new secret.
    pub(crate) async fn replace_secret(
        &self,
        scope: &Scope,
        table: &str,
        id: Uuid,
        (audit_action, subject): (&str, &str),
    ) -> Result<String, StoreError> {
        require_admin(scope)?;
        let secret = new_secret();
        let upd = Query::update()
            .table(t(table))
            .value(t("secret"), secret.clone())
            .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
            .and_where(Expr::col(t("id")).eq(uuid(id)))
            .to_owned();
        let mut tx = self.db.write().await?;
        if tx.exec(&upd).await? == 0 {
            return Err(StoreError::NotFound);
        }
        audit::append(&mut tx, scope, audit_action, None, json!({ format!("{subject}_id"): id })).await?;
        tx.commit().await?;
        Ok(secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hint_never_holds_the_secret() {
        let s = new_secret();
        assert!(s.starts_with("whsec_") && s.len() > 40);
        let h = hint(&s);
        assert!(h.ends_with(&s[s.len() - 4..]));
        assert!(!h.contains(&s[6..s.len() - 4]));
        assert_ne!(new_secret(), s);
    }
}
