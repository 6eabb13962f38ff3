//! The fields of every record kind. The store builds its SQL, the API its
//! validation and its OpenAPI schemas from these tables, so a field is
//! declared once.

use crate::Kind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// One line of text.
    Text {
        max: usize,
    },
    LongText,
    Int {
        min: i64,
        max: i64,
    },
    Bool,
    Date,
    DateTime,
    Enum(&'static [&'static str]),
    /// The id of another record, in a column of this record.
    Ref(Kind),
    /// An ISO 4217 code, upper case.
    Currency,
    /// `[{"address", "label", "primary"}]`: lower-cased, exactly one primary.
    Emails,
    /// `[{"number", "label", "primary"}]`: kept as typed, normalized to E.164.
    Phones,
    /// `{"street", "city", "region", "postal_code", "country"}`.
    Address,
    Addresses,
    /// `{"frequency", "interval", "until"}`: how a task repeats (see `recurrence.rs`).
    Recurrence,
    /// A set of short strings (tags, domains).
    Strings {
        lowercase: bool,
    },
    /// Links to other records, kept in the `record_links` table; with or without a role.
    Links {
        target: Kind,
        role: bool,
    },
    /// The id of a deal pipeline.
    Pipeline,
    /// The id of a stage of the deal's pipeline.
    Stage,
}

impl FieldType {
    /// Stored in a column of the record's own table (links are not).
    pub fn is_column(self) -> bool {
        !matches!(self, FieldType::Links { .. })
    }
    /// Held as JSON in its column.
    pub fn is_json(self) -> bool {
        matches!(
            self,
            FieldType::Emails
                | FieldType::Phones
                | FieldType::Address
                | FieldType::Addresses
                | FieldType::Strings { .. }
                | FieldType::Recurrence
        )
    }
    /// A JSON object, null when empty (the other JSON fields are lists, empty when empty).
    pub fn is_object(self) -> bool {
        matches!(self, FieldType::Address | FieldType::Recurrence)
    }
    /// Comparable with lt/gt and usable as a sort key.
    pub fn is_ordered(self) -> bool {
        matches!(
            self,
            FieldType::Text { .. }
                | FieldType::Int { .. }
                | FieldType::Date
                | FieldType::DateTime
                | FieldType::Enum(_)
                | FieldType::Currency
                | FieldType::Bool
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Clients may set it.
    Write,
    /// Computed by Rapport and stored; clients read it and may filter on it.
    Read,
    /// Computed when the record is read; not stored, not filterable.
    Virtual,
}

#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub ty: FieldType,
    pub required: bool,
    pub access: Access,
    pub doc: &'static str,
}

const fn w(name: &'static str, ty: FieldType, doc: &'static str) -> Field {
    Field { name, ty, required: false, access: Access::Write, doc }
}
const fn req(name: &'static str, ty: FieldType, doc: &'static str) -> Field {
    Field { name, ty, required: true, access: Access::Write, doc }
}
const fn ro(name: &'static str, ty: FieldType, doc: &'static str) -> Field {
    Field { name, ty, required: false, access: Access::Read, doc }
}

const NAME: FieldType = FieldType::Text { max: 200 };
const SHORT: FieldType = FieldType::Text { max: 200 };
const URL: FieldType = FieldType::Text { max: 2000 };
const TAGS: FieldType = FieldType::Strings { lowercase: false };

pub const RELATIONSHIPS: &[&str] = &["customer", "prospect", "vendor", "supplier", "partner", "other"];
pub const ORG_SIZES: &[&str] = &["1-10", "11-50", "51-200", "201-500", "501-1000", "1001-5000", "5001+"];
pub const LIFECYCLE_STAGES: &[&str] =
    &["subscriber", "lead", "qualified_lead", "opportunity", "customer", "evangelist", "former_customer"];
pub const CHANNELS: &[&str] = &["email", "phone", "sms", "chat", "mail", "in_person"];
pub const DEAL_STATUSES: &[&str] = &["open", "won", "lost"];
pub const ACTIVITY_TYPES: &[&str] = &["note", "call", "email", "meeting", "visit", "sms", "chat"];
pub const DIRECTIONS: &[&str] = &["inbound", "outbound"];
pub const PRIORITIES: &[&str] = &["low", "normal", "high", "urgent"];
pub const TASK_STATUSES: &[&str] = &["open", "in_progress", "done", "cancelled"];
pub const ROLES: &[&str] = &["admin", "manager", "member", "read_only", "portal"];

static ORGANIZATION: &[Field] = &[
    req("name", NAME, "Legal or common name."),
    w("domains", FieldType::Strings { lowercase: true }, "Web and mail domains, lower-cased."),
    w("website", URL, "Home page URL."),
    w("industry", SHORT, "Industry or sector."),
    w("size", FieldType::Enum(ORG_SIZES), "Head-count band."),
    w("relationship", FieldType::Enum(RELATIONSHIPS), "What this organization is to the company."),
    w("parent_id", FieldType::Ref(Kind::Organization), "Parent organization (group, holding)."),
    w("addresses", FieldType::Addresses, "Postal addresses."),
    w("phones", FieldType::Phones, "Phone numbers."),
    w("owner_id", FieldType::Ref(Kind::User), "User responsible for the relationship."),
    ro("last_activity_at", FieldType::DateTime, "When the latest activity linked to it happened; null when none."),
    w("tags", TAGS, "Free tags."),
    w(
        "external_id",
        FieldType::Text { max: 200 },
        "Id in the system the record came from; a second import with it updates instead of duplicating.",
    ),
];

static PERSON: &[Field] = &[
    w("first_name", NAME, "Given name."),
    w("last_name", NAME, "Family name."),
    ro("name", NAME, "Display name, from first and last name or the primary email."),
    w("emails", FieldType::Emails, "Email addresses, lower-cased; one is primary."),
    ro("primary_email", FieldType::Text { max: 320 }, "The primary email address."),
    w("phones", FieldType::Phones, "Phone numbers as typed, each with its E.164 form."),
    ro("primary_phone", FieldType::Text { max: 32 }, "The primary phone number in E.164."),
    w("title", SHORT, "Job title."),
    w("organizations", FieldType::Links { target: Kind::Organization, role: true }, "Organizations and the role held in each."),
    w("lifecycle_stage", FieldType::Enum(LIFECYCLE_STAGES), "Where the person stands with the company."),
    w("lead_source", SHORT, "Where the person came from (web form, event, referral, ...)."),
    w("preferred_channel", FieldType::Enum(CHANNELS), "How the person prefers to be contacted."),
    w("do_not_email", FieldType::Bool, "Never send email."),
    w("do_not_call", FieldType::Bool, "Never call."),
    w("do_not_text", FieldType::Bool, "Never send SMS or chat messages."),
    w("owner_id", FieldType::Ref(Kind::User), "User responsible for the relationship."),
    ro("last_activity_at", FieldType::DateTime, "When the latest activity linked to it happened; null when none."),
    w("tags", TAGS, "Free tags."),
    w("address", FieldType::Address, "Postal address."),
    w("birthday", FieldType::Date, "Date of birth."),
    w(
        "external_id",
        FieldType::Text { max: 200 },
        "Id in the system the record came from; a second import with it updates instead of duplicating.",
    ),
];

static DEAL: &[Field] = &[
    req("name", NAME, "What is being sold."),
    w("organization_id", FieldType::Ref(Kind::Organization), "The buying organization."),
    w(
        "people",
        FieldType::Links { target: Kind::Person, role: true },
        "People involved and their role (decision maker, champion, ...).",
    ),
    w("pipeline_id", FieldType::Pipeline, "Pipeline; the default pipeline when left out."),
    w("stage_id", FieldType::Stage, "Stage within the pipeline; the first stage when left out."),
    w("amount_minor", FieldType::Int { min: 0, max: i64::MAX / 4 }, "Amount in minor units of the currency (cents): exact."),
    Field {
        name: "amount",
        ty: FieldType::Text { max: 40 },
        required: false,
        access: Access::Virtual,
        doc: "Amount as a decimal string in major units, for display.",
    },
    w("currency", FieldType::Currency, "ISO 4217 currency; the workspace currency when left out."),
    w("expected_close_date", FieldType::Date, "When the deal is expected to close."),
    w(
        "status",
        FieldType::Enum(DEAL_STATUSES),
        "open, won or lost; setting won or lost moves the deal to the pipeline's won or lost stage.",
    ),
    w("lost_reason", FieldType::Text { max: 500 }, "Why the deal was lost."),
    ro("closed_at", FieldType::DateTime, "When the deal was won or lost."),
    ro("stage_entered_at", FieldType::DateTime, "When the deal entered its current stage."),
    w("owner_id", FieldType::Ref(Kind::User), "User responsible for the deal."),
    w("next_step", FieldType::Text { max: 500 }, "The next thing to do to move the deal on."),
    ro("last_activity_at", FieldType::DateTime, "When the latest activity linked to it happened; null when none."),
    w("tags", TAGS, "Free tags."),
    w(
        "external_id",
        FieldType::Text { max: 200 },
        "Id in the system the record came from; a second import with it updates instead of duplicating.",
    ),
];

static ACTIVITY: &[Field] = &[
    req("type", FieldType::Enum(ACTIVITY_TYPES), "note, call, email, meeting, visit, sms or chat."),
    w("direction", FieldType::Enum(DIRECTIONS), "inbound or outbound."),
    w("occurred_at", FieldType::DateTime, "When it happened (now when left out)."),
    w("duration_seconds", FieldType::Int { min: 0, max: 31_536_000 }, "How long it lasted."),
    w("subject", FieldType::Text { max: 500 }, "Subject or title."),
    w("body", FieldType::LongText, "Notes, message text or minutes."),
    w("outcome", SHORT, "Outcome (connected, left voicemail, no answer, ...)."),
    w("people", FieldType::Links { target: Kind::Person, role: false }, "People it concerns."),
    w("organizations", FieldType::Links { target: Kind::Organization, role: false }, "Organizations it concerns."),
    w("deals", FieldType::Links { target: Kind::Deal, role: false }, "Deals it concerns."),
    w("objects", FieldType::Links { target: Kind::Object, role: false }, "Custom records it concerns."),
    w(
        "external_id",
        FieldType::Text { max: 200 },
        "Id in the system the record came from; a second import with it updates instead of duplicating.",
    ),
];

static TASK: &[Field] = &[
    req("title", FieldType::Text { max: 500 }, "What to do."),
    w("description", FieldType::LongText, "Details."),
    w("due_at", FieldType::DateTime, "When it is due."),
    w("remind_at", FieldType::DateTime, "When to remind the assignee."),
    w("assignee_user_id", FieldType::Ref(Kind::User), "Assigned user (or a team, not both)."),
    w("assignee_team_id", FieldType::Ref(Kind::Team), "Assigned team (or a user, not both)."),
    w("priority", FieldType::Enum(PRIORITIES), "low, normal, high or urgent."),
    w("status", FieldType::Enum(TASK_STATUSES), "open, in_progress, done or cancelled."),
    ro("completed_at", FieldType::DateTime, "When the task was done or cancelled."),
    w(
        "recurrence",
        FieldType::Recurrence,
        "How the task repeats: {frequency: daily, weekly, monthly or yearly; interval (1 when left out); until (a date, optional); day_of_month (monthly and yearly, taken from the first due date)}. \
         Needs a due date; when the task is done, the next one is created, due one interval later.",
    ),
    ro("next_task_id", FieldType::Ref(Kind::Task), "The next occurrence, created when this recurring task was done."),
    w("people", FieldType::Links { target: Kind::Person, role: false }, "Linked people."),
    w("organizations", FieldType::Links { target: Kind::Organization, role: false }, "Linked organizations."),
    w("deals", FieldType::Links { target: Kind::Deal, role: false }, "Linked deals."),
    w("objects", FieldType::Links { target: Kind::Object, role: false }, "Linked custom records."),
];

static USER: &[Field] = &[
    req("email", FieldType::Text { max: 320 }, "Login email, lower-cased, unique in the workspace."),
    req("name", NAME, "Full name."),
    w("role", FieldType::Enum(ROLES), "admin, manager, member, read_only or portal."),
    w("active", FieldType::Bool, "Inactive users keep their records but cannot sign in."),
    w("time_zone", FieldType::Text { max: 64 }, "IANA time zone, e.g. Europe/Paris."),
    w("locale", FieldType::Text { max: 35 }, "Language and region for dates, numbers and money, e.g. en-GB or de-DE."),
    w("away", FieldType::Bool, "Away (holiday, leave): skipped by round-robin and load-based assignment."),
];

static TEAM: &[Field] = &[
    req("name", NAME, "Team name."),
    w("parent_id", FieldType::Ref(Kind::Team), "The team above this one: its managers see this team's records too."),
    w("members", FieldType::Links { target: Kind::User, role: false }, "Users in the team."),
];

pub const CONSENT_STATUSES: &[&str] = &["granted", "withdrawn"];
pub const CONSENT_METHODS: &[&str] = &["web_form", "email", "phone", "in_person", "paper", "import", "other"];

static CONSENT: &[Field] = &[
    req("person_id", FieldType::Ref(Kind::Person), "The person who agreed or withdrew."),
    req("purpose", SHORT, "What it is about (newsletter, phone calls, data sharing, ...)."),
    req("status", FieldType::Enum(CONSENT_STATUSES), "granted or withdrawn."),
    req("method", FieldType::Enum(CONSENT_METHODS), "How it was given."),
    w("recorded_at", FieldType::DateTime, "When it was given or withdrawn (now when left out)."),
    w("evidence", FieldType::LongText, "The wording agreed to, a form reference, or notes."),
];

/// The columns every custom record has, whatever its kind; the kind's own
/// fields are custom fields, defined per kind.
static OBJECT: &[Field] = &[
    req("type", FieldType::Text { max: 64 }, "The key of the record's kind (contract, property, ...); set at creation."),
    req("name", NAME, "The record's name."),
    w("owner_id", FieldType::Ref(Kind::User), "User responsible for the record."),
    w("pipeline_id", FieldType::Pipeline, "The kind's pipeline, for kinds with a status."),
    w("stage_id", FieldType::Stage, "Stage within the kind's pipeline; the first open stage when left out."),
    w(
        "status",
        FieldType::Enum(DEAL_STATUSES),
        "open, won or lost, from the stage; setting won or lost moves the record to such a stage.",
    ),
    ro("closed_at", FieldType::DateTime, "When the record reached a won or lost stage."),
    ro("stage_entered_at", FieldType::DateTime, "When the record entered its current stage."),
    w("tags", TAGS, "Free tags."),
];

pub fn fields(kind: Kind) -> &'static [Field] {
    match kind {
        Kind::Organization => ORGANIZATION,
        Kind::Person => PERSON,
        Kind::Deal => DEAL,
        Kind::Activity => ACTIVITY,
        Kind::Task => TASK,
        Kind::User => USER,
        Kind::Team => TEAM,
        Kind::Consent => CONSENT,
        Kind::Object => OBJECT,
    }
}

impl Field {
    /// Stored in a column of the record's own table.
    pub fn is_column(&self) -> bool {
        self.ty.is_column() && self.access != Access::Virtual
    }
}

pub fn field(kind: Kind, name: &str) -> Option<&'static Field> {
    fields(kind).iter().find(|f| f.name == name)
}

/// Fields every record has, maintained by Rapport.
pub const SYSTEM_FIELDS: &[&str] = &["id", "created_at", "created_by", "updated_at", "updated_by", "version"];
