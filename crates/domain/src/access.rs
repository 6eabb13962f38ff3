//! Who may see and change what: roles, per-kind visibility, sharing and API
//! token scopes. Pure rules; the store turns them into SQL conditions.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Kind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, settings included.
    Admin,
    /// Their teams' records (and sub-teams'), besides what members see.
    Manager,
    /// A sales rep or agent: their own records and what visibility opens.
    Member,
    /// Reads what a member would, changes nothing.
    ReadOnly,
    /// A customer or partner; sees nothing through the staff API.
    Portal,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Member => "member",
            Role::ReadOnly => "read_only",
            Role::Portal => "portal",
        }
    }
    pub fn can_write(self) -> bool {
        matches!(self, Role::Admin | Role::Manager | Role::Member)
    }
    pub fn is_staff(self) -> bool {
        self != Role::Portal
    }
}

/// Who sees a kind's records, set per workspace and kind by an admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// The owner, managers above the owner, and those it is shared with.
    Private,
    /// Also the owner's team-mates.
    Team,
    /// Everyone in the workspace.
    #[default]
    Workspace,
}

impl Visibility {
    pub fn parse(s: &str) -> Option<Visibility> {
        serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
    }
}

/// Kinds whose records have an owner and follow a visibility setting.
pub const OWNED_KINDS: [Kind; 6] = [Kind::Organization, Kind::Person, Kind::Deal, Kind::Activity, Kind::Task, Kind::Object];

/// The column naming a record's owner: the user it belongs to.
pub fn owner_column(kind: Kind) -> Option<&'static str> {
    match kind {
        Kind::Organization | Kind::Person | Kind::Deal | Kind::Object => Some("owner_id"),
        Kind::Task => Some("assignee_user_id"),
        Kind::Activity => Some("created_by"),
        Kind::User | Kind::Team | Kind::Consent => None,
    }
}

/// The acting user as the rules need them, resolved once per request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Uuid,
    pub role: Role,
    /// Teams the user belongs to.
    pub teams: Vec<Uuid>,
    /// Users sharing a team with the user.
    pub teammates: Vec<Uuid>,
    /// Users in the teams the user manages, sub-teams included (managers only).
    pub managed: Vec<Uuid>,
}

impl Actor {
    /// Owners whose records this actor sees under a visibility (`None`: all).
    pub fn visible_owners(&self, v: Visibility) -> Option<Vec<Uuid>> {
        if self.role == Role::Admin || v == Visibility::Workspace {
            return None;
        }
        let mut owners = vec![self.user_id];
        owners.extend(self.managed.iter().copied());
        if v == Visibility::Team {
            owners.extend(self.teammates.iter().copied());
        }
        owners.sort();
        owners.dedup();
        Some(owners)
    }
}

/// What a token may do, per kind: `read`, `write`, `people:read`, `deals:write`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenScope {
    /// `None` for every kind.
    pub kind: Option<Kind>,
    pub write: bool,
}

impl TokenScope {
    pub fn parse(s: &str) -> Option<TokenScope> {
        let (kind, access) = match s.split_once(':') {
            Some((k, a)) => (Some(Kind::from_collection(k)?), a),
            None => (None, s),
        };
        let write = match access {
            "read" => false,
            "write" => true,
            _ => return None,
        };
        Some(TokenScope { kind, write })
    }

    pub fn render(&self) -> String {
        let access = if self.write { "write" } else { "read" };
        match self.kind {
            Some(k) => format!("{}:{access}", k.collection()),
            None => access.to_string(),
        }
    }
}

/// True when one of the scopes allows this access (write implies read).
pub fn scopes_allow(scopes: &[TokenScope], kind: Option<Kind>, write: bool) -> bool {
    scopes.iter().any(|s| (s.kind.is_none() || s.kind == kind) && (s.write || !write))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role) -> Actor {
        Actor {
            user_id: Uuid::from_u128(1),
            role,
            teams: vec![],
            teammates: vec![Uuid::from_u128(2)],
            managed: vec![Uuid::from_u128(3)],
        }
    }

    #[test]
    fn visibility_widens_with_the_setting() {
        let m = actor(Role::Member);
        assert_eq!(m.visible_owners(Visibility::Workspace), None);
        assert_eq!(m.visible_owners(Visibility::Private), Some(vec![Uuid::from_u128(1), Uuid::from_u128(3)]));
        assert_eq!(m.visible_owners(Visibility::Team).unwrap().len(), 3);
        assert_eq!(actor(Role::Admin).visible_owners(Visibility::Private), None);
    }

    #[test]
    fn scopes() {
        let s = vec![TokenScope::parse("people:write").unwrap(), TokenScope::parse("read").unwrap()];
        assert!(scopes_allow(&s, Some(Kind::Person), true));
        assert!(scopes_allow(&s, Some(Kind::Deal), false));
        assert!(!scopes_allow(&s, Some(Kind::Deal), true));
        assert!(TokenScope::parse("people:admin").is_none());
        assert!(TokenScope::parse("nothing:read").is_none());
        assert_eq!(TokenScope::parse("deals:read").unwrap().render(), "deals:read");
        assert!(Role::parse("read_only").is_some_and(|r| !r.can_write()));
    }
}
