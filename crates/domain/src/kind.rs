use serde::{Deserialize, Serialize};

/// Every kind of record Rapport stores through the generic record engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Organization,
    Person,
    Deal,
    Activity,
    Task,
    User,
    Team,
    Consent,
    /// A record of a kind an admin defined (contract, property, project...):
    /// one generic table for every such kind, the kind's key in its `type` field.
    Object,
}

impl Kind {
    pub const ALL: [Kind; 8] =
        [Kind::Organization, Kind::Person, Kind::Deal, Kind::Activity, Kind::Task, Kind::User, Kind::Team, Kind::Consent];

    /// The database table holding records of this kind.
    pub fn table(self) -> &'static str {
        match self {
            Kind::Object => "custom_records",
            Kind::Organization => "organizations",
            Kind::Person => "people",
            Kind::Deal => "deals",
            Kind::Activity => "activities",
            Kind::Task => "tasks",
            Kind::User => "users",
            Kind::Team => "teams",
            Kind::Consent => "consents",
        }
    }

    /// The collection name used in URLs (`/api/v1/{collection}`); the same as the table.
    pub fn collection(self) -> &'static str {
        match self {
            Kind::Object => "objects",
            _ => self.table(),
        }
    }

    /// The built-in kinds and the custom records; custom records have their
    /// own routes (`/api/v1/objects/{type}`), so `ALL` leaves them out.
    pub const EVERY: [Kind; 9] = [
        Kind::Organization,
        Kind::Person,
        Kind::Deal,
        Kind::Activity,
        Kind::Task,
        Kind::User,
        Kind::Team,
        Kind::Consent,
        Kind::Object,
    ];

    pub fn from_collection(s: &str) -> Option<Kind> {
        Kind::EVERY.into_iter().find(|k| k.collection() == s)
    }

    /// The name stored in change-log and link rows.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Organization => "organization",
            Kind::Person => "person",
            Kind::Deal => "deal",
            Kind::Activity => "activity",
            Kind::Task => "task",
            Kind::User => "user",
            Kind::Team => "team",
            Kind::Consent => "consent",
            Kind::Object => "object",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::EVERY.into_iter().find(|k| k.as_str() == s)
    }

    /// Title used in documentation and the OpenAPI document.
    pub fn title(self) -> &'static str {
        match self {
            Kind::Organization => "Organization",
            Kind::Person => "Person",
            Kind::Deal => "Deal",
            Kind::Activity => "Activity",
            Kind::Task => "Task",
            Kind::User => "User",
            Kind::Team => "Team",
            Kind::Consent => "Consent",
            Kind::Object => "CustomRecord",
        }
    }

    /// Kinds whose records carry user-defined custom fields.
    pub fn has_custom_fields(self) -> bool {
        !matches!(self, Kind::User | Kind::Team | Kind::Consent)
    }

    /// Kinds with a timeline (the 360-degree view).
    pub fn has_timeline(self) -> bool {
        matches!(self, Kind::Person | Kind::Organization | Kind::Deal | Kind::Object)
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
