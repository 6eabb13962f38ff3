//! Access rules turned into SQL: who the actor is (role, teams, the users they
//! manage), which records of a kind they may read or change, record sharing,
//! and bulk reassignment. Every read and write of the record engine goes
//! through `condition`, so a new route cannot forget it.

use std::collections::{BTreeMap, BTreeSet};

use rapport_domain::access::{Actor, OWNED_KINDS, Role, TokenScope, Visibility, owner_column, scopes_allow};
use rapport_domain::value::{new_id, now};
use rapport_domain::{Kind, ValidationErrors};
use sea_query::{Cond, Expr, ExprTrait, Query};
use serde_json::{Map, Value as Json, json};
use uuid::Uuid;

use crate::db::{Col, Tx, str_at, uuid_at};
use crate::sql::{t, tc};
use crate::values::{opt_uuid, time, uuid};
use crate::{Scope, Store, StoreError, Via, audit, cache, changes};

/// Loads the actor: `None` when the user is unknown or inactive.
/// The actor a user is, remembered for a moment (see `cache`).
pub(crate) async fn load_actor(tx: &mut Tx, workspace_id: Uuid, user_id: Uuid) -> Result<Option<Actor>, StoreError> {
    if let Some(a) = cache::ACTORS.get(&(workspace_id, user_id)) {
        return Ok(a);
    }
    let read_at = cache::epoch();
    let actor = read_actor(tx, workspace_id, user_id).await?;
    cache::ACTORS.put((workspace_id, user_id), actor.clone(), read_at);
    Ok(actor)
}

async fn read_actor(tx: &mut Tx, workspace_id: Uuid, user_id: Uuid) -> Result<Option<Actor>, StoreError> {
    let q = Query::select()
        .columns([t("role"), t("active")])
        .from(t("users"))
        .and_where(Expr::col(t("workspace_id")).eq(uuid(workspace_id)))
        .and_where(Expr::col(t("id")).eq(uuid(user_id)))
        .to_owned();
    let Some(row) = tx.row(&q, &[Col::Text, Col::Bool]).await? else { return Ok(None) };
    if row[1].as_bool() != Some(true) {
        return Ok(None);
    }
    let role = str_at(&row, 0).and_then(Role::parse).unwrap_or(Role::ReadOnly);
    let teams_q = Query::select()
        .columns([t("id"), t("parent_id")])
        .from(t("teams"))
        .and_where(Expr::col(t("workspace_id")).eq(uuid(workspace_id)))
        .to_owned();
    let parent: BTreeMap<Uuid, Option<Uuid>> =
        tx.rows(&teams_q, &[Col::Uuid, Col::Uuid]).await?.iter().filter_map(|r| Some((uuid_at(r, 0)?, uuid_at(r, 1)))).collect();
    let members_q = Query::select()
        .columns([t("from_id"), t("to_id")])
        .from(t("record_links"))
        .and_where(Expr::col(t("workspace_id")).eq(uuid(workspace_id)))
        .and_where(Expr::col(t("from_kind")).eq(Kind::Team.as_str()))
        .and_where(Expr::col(t("to_kind")).eq(Kind::User.as_str()))
        .to_owned();
    let memberships: Vec<(Uuid, Uuid)> = tx
        .rows(&members_q, &[Col::Uuid, Col::Uuid])
        .await?
        .iter()
        .filter_map(|r| Some((uuid_at(r, 0)?, uuid_at(r, 1)?)))
        .collect();
    let teams: Vec<Uuid> = memberships.iter().filter(|(_, u)| *u == user_id).map(|(t, _)| *t).collect();
    let members_of = |set: &BTreeSet<Uuid>| -> Vec<Uuid> {
        let mut v: Vec<Uuid> = memberships.iter().filter(|(t, _)| set.contains(t)).map(|(_, u)| *u).collect();
        v.sort();
        v.dedup();
        v
    };
    let teammates = members_of(&teams.iter().copied().collect());
    let managed = if role == Role::Manager {
        // A manager manages their teams and every team below them.
        let mut set: BTreeSet<Uuid> = teams.iter().copied().collect();
        loop {
            let below: Vec<Uuid> = parent
                .iter()
                .filter(|(id, p)| p.is_some_and(|p| set.contains(&p)) && !set.contains(id))
                .map(|(id, _)| *id)
                .collect();
            if below.is_empty() {
                break;
            }
            set.extend(below);
        }
        members_of(&set)
    } else {
        vec![]
    };
    Ok(Some(Actor { user_id, role, teams, teammates, managed }))
}

/// A workspace's visibility settings, remembered for a moment (see `cache`).
pub(crate) async fn load_visibility(tx: &mut Tx, workspace_id: Uuid) -> Result<BTreeMap<Kind, Visibility>, StoreError> {
    if let Some(v) = cache::VISIBILITY.get(&workspace_id) {
        return Ok(v);
    }
    let read_at = cache::epoch();
    let v = read_visibility(tx, workspace_id).await?;
    cache::VISIBILITY.put(workspace_id, v.clone(), read_at);
    Ok(v)
}

async fn read_visibility(tx: &mut Tx, workspace_id: Uuid) -> Result<BTreeMap<Kind, Visibility>, StoreError> {
    let q = Query::select()
        .column(t("visibility"))
        .from(t("workspaces"))
        .and_where(Expr::col(t("id")).eq(uuid(workspace_id)))
        .to_owned();
    let row = tx.row(&q, &[Col::Json]).await?.ok_or(StoreError::NotFound)?;
    let map = row[0].as_object().cloned().unwrap_or_default();
    Ok(map.iter().filter_map(|(k, v)| Some((Kind::from_collection(k)?, v.as_str().and_then(Visibility::parse)?))).collect())
}

fn forbidden(m: impl Into<String>) -> StoreError {
    StoreError::Forbidden(m.into())
}

/// Refuses a read the token or role does not allow.
pub fn require_read(scope: &Scope, kind: Kind) -> Result<(), StoreError> {
    if let Some(a) = &scope.actor
        && !a.role.is_staff()
    {
        return Err(forbidden("portal users have no access to the staff API"));
    }
    if let Some(s) = &scope.token_scopes
        && !scopes_allow(s, Some(kind), false)
    {
        return Err(forbidden(format!("the token lacks the scope {}:read", kind.collection())));
    }
    Ok(())
}

/// Refuses a write the token or role does not allow. Users and teams are
/// managed by admins; everything else by anyone who may write.
pub(crate) fn require_write(scope: &Scope, kind: Kind) -> Result<(), StoreError> {
    require_read(scope, kind)?;
    if let Some(s) = &scope.token_scopes
        && !scopes_allow(s, Some(kind), true)
    {
        return Err(forbidden(format!("the token lacks the scope {}:write", kind.collection())));
    }
    let Some(a) = &scope.actor else { return Ok(()) };
    if !a.role.can_write() {
        return Err(forbidden(format!("the {} role cannot change records", a.role.as_str())));
    }
    if matches!(kind, Kind::User | Kind::Team) && a.role != Role::Admin {
        return Err(forbidden("only admins manage users and teams"));
    }
    Ok(())
}

/// Anyone on the company's side (not portal users).
pub fn require_staff(scope: &Scope) -> Result<(), StoreError> {
    match &scope.actor {
        Some(a) if !a.role.is_staff() => Err(forbidden("portal users have no access to the staff API")),
        _ => Ok(()),
    }
}

/// Settings are for admins (and the command line).
pub fn require_admin(scope: &Scope) -> Result<(), StoreError> {
    match &scope.actor {
        Some(a) if a.role != Role::Admin => Err(forbidden("only admins change workspace settings")),
        _ => Ok(()),
    }
}

/// The rows of `kind` the scope may read (or, with `write`, change); `None` when unrestricted.
pub(crate) async fn condition(tx: &mut Tx, scope: &Scope, kind: Kind, write: bool) -> Result<Option<Cond>, StoreError> {
    let Some(actor) = &scope.actor else { return Ok(None) };
    let Some(owner) = owner_column(kind) else { return Ok(None) };
    let vis = load_visibility(tx, scope.workspace_id).await?.get(&kind).copied().unwrap_or_default();
    let Some(owners) = actor.visible_owners(vis) else { return Ok(None) };
    let table = kind.table();
    let mut shares = Query::select();
    shares
        .expr(Expr::val(1))
        .from(t("record_shares"))
        .and_where(tc("record_shares", "workspace_id").equals((t(table), t("workspace_id"))))
        .and_where(tc("record_shares", "record_kind").eq(kind.as_str()))
        .and_where(tc("record_shares", "record_id").equals((t(table), t("id"))))
        .cond_where(
            Cond::any()
                .add(tc("record_shares", "user_id").eq(uuid(actor.user_id)))
                .add(tc("record_shares", "team_id").is_in(actor.teams.iter().map(|u| uuid(*u)))),
        );
    if write {
        shares.and_where(tc("record_shares", "access").eq("write"));
    }
    // A record nobody owns is everyone's; a task assigned to a team is its members'.
    let unowned = if kind == Kind::Task {
        Cond::all().add(tc(table, owner).is_null()).add(tc(table, "assignee_team_id").is_null())
    } else {
        Cond::all().add(tc(table, owner).is_null())
    };
    let mut c =
        Cond::any().add(unowned).add(tc(table, owner).is_in(owners.into_iter().map(uuid))).add(Expr::exists(shares.to_owned()));
    if kind == Kind::Task && !actor.teams.is_empty() {
        c = c.add(tc(table, "assignee_team_id").is_in(actor.teams.iter().map(|u| uuid(*u))));
    }
    Ok(Some(c))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShareTarget {
    User(Uuid),
    Team(Uuid),
}

impl Store {
    /// The scope a user acts in, with their role and teams resolved.
    pub async fn user_scope(&self, workspace_id: Uuid, user_id: Uuid, via: Via) -> Result<Option<Scope>, StoreError> {
        let mut tx = self.db.read().await?;
        let actor = load_actor(&mut tx, workspace_id, user_id).await?;
        tx.commit().await?;
        Ok(actor.map(|a| Scope { workspace_id, user_id: Some(user_id), via, actor: Some(a), token_scopes: None, ip: None }))
    }

    /// Visibility of each owned kind (unset kinds are visible to the whole workspace).
    pub async fn visibility(&self, scope: &Scope) -> Result<BTreeMap<Kind, Visibility>, StoreError> {
        require_staff(scope)?;
        let mut tx = self.db.read().await?;
        let mut v = load_visibility(&mut tx, scope.workspace_id).await?;
        tx.commit().await?;
        for k in OWNED_KINDS {
            v.entry(k).or_default();
        }
        Ok(v)
    }

    pub async fn set_visibility(
        &self,
        scope: &Scope,
        settings: &Map<String, Json>,
    ) -> Result<BTreeMap<Kind, Visibility>, StoreError> {
        require_admin(scope)?;
        let mut errs = ValidationErrors::default();
        let mut clean = Map::new();
        for (k, v) in settings {
            match (Kind::from_collection(k).filter(|k| OWNED_KINDS.contains(k)), v.as_str().and_then(Visibility::parse)) {
                (Some(_), Some(_)) => {
                    clean.insert(k.clone(), v.clone());
                }
                (None, _) => errs.push(
                    k.clone(),
                    "unknown_field",
                    "visibility is set for organizations, people, deals, activities and tasks",
                ),
                (_, None) => errs.push(k.clone(), "invalid", "expected private, team or workspace"),
            }
        }
        errs.into_result()?;
        let mut tx = self.db.write().await?;
        let mut current: Map<String, Json> = read_visibility(&mut tx, scope.workspace_id)
            .await?
            .into_iter()
            .map(|(k, v)| (k.collection().to_string(), json!(v)))
            .collect();
        current.extend(clean);
        let upd = Query::update()
            .table(t("workspaces"))
            .value(t("visibility"), Json::Object(current.clone()))
            .and_where(Expr::col(t("id")).eq(uuid(scope.workspace_id)))
            .to_owned();
        tx.exec(&upd).await?;
        audit::append(&mut tx, scope, "visibility_changed", None, json!(current)).await?;
        tx.commit().await?;
        cache::invalidate();
        self.visibility(scope).await
    }

    /// Who a record is shared with.
    pub async fn shares(&self, scope: &Scope, kind: Kind, id: Uuid) -> Result<Vec<Json>, StoreError> {
        self.get(scope, kind, id).await?;
        let q = Query::select()
            .columns(["id", "user_id", "team_id", "access", "created_at", "created_by"].map(t))
            .from(t("record_shares"))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
            .and_where(Expr::col(t("record_kind")).eq(kind.as_str()))
            .and_where(Expr::col(t("record_id")).eq(uuid(id)))
            .to_owned();
        let mut tx = self.db.read().await?;
        let rows = tx.rows(&q, &[Col::Uuid, Col::Uuid, Col::Uuid, Col::Text, Col::DateTime, Col::Uuid]).await?;
        tx.commit().await?;
        Ok(rows
            .into_iter()
            .map(
                |r| json!({"id": r[0], "user_id": r[1], "team_id": r[2], "access": r[3], "created_at": r[4], "created_by": r[5]}),
            )
            .collect())
    }

    /// Shares a record with a user or a team, for reading or for changing too.
    /// Only someone who may change the record may share it.
    pub async fn share(
        &self,
        scope: &Scope,
        kind: Kind,
        id: Uuid,
        target: ShareTarget,
        access: &str,
    ) -> Result<Json, StoreError> {
        if owner_column(kind).is_none() {
            return Err(StoreError::Invalid(ValidationErrors::single(
                "kind",
                "invalid",
                format!("{kind} records are not shared"),
            )));
        }
        if access != "read" && access != "write" {
            return Err(StoreError::Invalid(ValidationErrors::single("access", "invalid", "expected read or write")));
        }
        let mut tx = self.db.write().await?;
        crate::records::writable(&mut tx, scope, kind, id).await?;
        let (target_kind, target_id, field) = match target {
            ShareTarget::User(u) => (Kind::User, u, "user_id"),
            ShareTarget::Team(t) => (Kind::Team, t, "team_id"),
        };
        let exists = Query::select()
            .column(t("id"))
            .from(t(target_kind.table()))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
            .and_where(Expr::col(t("id")).eq(uuid(target_id)))
            .to_owned();
        if tx.row(&exists, &[Col::Uuid]).await?.is_none() {
            return Err(StoreError::Invalid(ValidationErrors::single(
                field,
                "not_found",
                format!("no {target_kind} with id {target_id}"),
            )));
        }
        let share_id = new_id();
        let (user, team) = match target {
            ShareTarget::User(u) => (Some(u), None),
            ShareTarget::Team(t) => (None, Some(t)),
        };
        let ins = Query::insert()
            .into_table(t("record_shares"))
            .columns(
                ["workspace_id", "id", "record_kind", "record_id", "user_id", "team_id", "access", "created_at", "created_by"]
                    .map(t),
            )
            .values_panic([
                uuid(scope.workspace_id).into(),
                uuid(share_id).into(),
                kind.as_str().into(),
                uuid(id).into(),
                opt_uuid(user).into(),
                opt_uuid(team).into(),
                access.into(),
                time(now()).into(),
                opt_uuid(scope.user_id).into(),
            ])
            .to_owned();
        tx.exec(&ins).await?;
        let detail = json!({"share_id": share_id, field: target_id, "access": access});
        audit::append(&mut tx, scope, "record_shared", Some((kind, id)), detail.clone()).await?;
        tx.commit().await?;
        Ok(json!({"id": share_id, "user_id": user, "team_id": team, "access": access}))
    }

    pub async fn unshare(&self, scope: &Scope, kind: Kind, id: Uuid, share_id: Uuid) -> Result<(), StoreError> {
        let mut tx = self.db.write().await?;
        crate::records::writable(&mut tx, scope, kind, id).await?;
        let del = Query::delete()
            .from_table(t("record_shares"))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
            .and_where(Expr::col(t("record_kind")).eq(kind.as_str()))
            .and_where(Expr::col(t("record_id")).eq(uuid(id)))
            .and_where(Expr::col(t("id")).eq(uuid(share_id)))
            .to_owned();
        if tx.exec(&del).await? == 0 {
            return Err(StoreError::NotFound);
        }
        audit::append(&mut tx, scope, "record_unshared", Some((kind, id)), json!({"share_id": share_id})).await?;
        tx.commit().await
    }

    /// Hands every record one user owns (or is assigned) to another, in one
    /// transaction, each change logged: for when someone leaves. Admins and managers only.
    pub async fn reassign(
        &self,
        scope: &Scope,
        from: Uuid,
        to: Uuid,
        kinds: &[Kind],
    ) -> Result<BTreeMap<Kind, usize>, StoreError> {
        if let Some(a) = &scope.actor
            && !matches!(a.role, Role::Admin | Role::Manager)
        {
            return Err(forbidden("only admins and managers reassign records"));
        }
        let kinds: Vec<Kind> =
            if kinds.is_empty() { vec![Kind::Organization, Kind::Person, Kind::Deal, Kind::Task] } else { kinds.to_vec() };
        let mut tx = self.db.write().await?;
        // The user leaving may be inactive already, but must be of this workspace.
        let exists = Query::select()
            .column(t("id"))
            .from(t("users"))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
            .and_where(Expr::col(t("id")).eq(uuid(from)))
            .to_owned();
        if tx.row(&exists, &[Col::Uuid]).await?.is_none() {
            return Err(StoreError::NotFound);
        }
        if load_actor(&mut tx, scope.workspace_id, to).await?.is_none() {
            return Err(StoreError::Invalid(ValidationErrors::single("to", "not_found", format!("no active user with id {to}"))));
        }
        if let Some(a) = &scope.actor
            && a.role == Role::Manager
            && !(a.managed.contains(&from) && a.managed.contains(&to))
        {
            return Err(forbidden("managers reassign between members of the teams they manage"));
        }
        let at = now();
        let mut counts = BTreeMap::new();
        for kind in kinds {
            let Some(col) = owner_column(kind).filter(|c| *c != "created_by") else {
                return Err(StoreError::Invalid(ValidationErrors::single(
                    "kinds",
                    "invalid",
                    format!("{kind} records have no owner to reassign"),
                )));
            };
            let table = kind.table();
            let q = Query::select()
                .column(t("id"))
                .from(t(table))
                .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
                .and_where(Expr::col(t(col)).eq(uuid(from)))
                .to_owned();
            let ids: Vec<Uuid> = tx.rows(&q, &[Col::Uuid]).await?.iter().filter_map(|r| uuid_at(r, 0)).collect();
            let upd = Query::update()
                .table(t(table))
                .value(t(col), uuid(to))
                .value(t("updated_at"), time(at))
                .value(t("updated_by"), opt_uuid(scope.user_id))
                .value(t("version"), Expr::col(t("version")).add(1))
                .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
                .and_where(Expr::col(t(col)).eq(uuid(from)))
                .to_owned();
            tx.exec(&upd).await?;
            for id in &ids {
                let mut d = Map::new();
                d.insert(col.into(), json!({"old": from, "new": to}));
                changes::append(&mut tx, scope, kind, *id, "updated", d, at).await?;
            }
            counts.insert(kind, ids.len());
        }
        let detail = json!({"from": from, "to": to, "counts": counts.iter().map(|(k, n)| (k.collection().to_string(), json!(n))).collect::<Map<_, _>>()});
        audit::append(&mut tx, scope, "records_reassigned", None, detail).await?;
        tx.commit().await?;
        Ok(counts)
    }
}

/// The scopes a token may carry, parsed; the error names the bad one.
pub fn parse_scopes(raw: &[String]) -> Result<Vec<TokenScope>, ValidationErrors> {
    let mut errs = ValidationErrors::default();
    let mut out = Vec::new();
    for (i, s) in raw.iter().enumerate() {
        match TokenScope::parse(s) {
            Some(sc) => out.push(sc),
            None => errs.push(
                format!("scopes[{i}]"),
                "invalid",
                format!("'{s}' is not a scope: use read, write, or <collection>:read|write"),
            ),
        }
    }
    if raw.is_empty() {
        errs.push("scopes", "required", "give at least one scope");
    }
    errs.into_result().map(|_| out)
}
