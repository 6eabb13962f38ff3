//! The access matrix: every operation of the OpenAPI document, called by a
//! user of each role (the owner of the records, a team-mate, a read-only
//! team-mate, their manager, an outsider, the admin, a portal user) and by the
//! admin of another workspace, under each visibility setting. Every answer is
//! checked against the access rules: no read, list, search hit, update or
//! delete crosses a boundary. A route the table below does not classify fails
//! the test, so a new route cannot go unchecked.

#[path = "common/access.rs"]
mod access;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use access::{Actor, OWNED, Office, brief, exposed_ids, issue_token, scope_of, set_visibility};
use futures::future::join_all;
use rapport_domain::Kind;
use rapport_domain::access::TokenScope;
use rapport_store::Scope;
use rapport_store::access::ShareTarget;
use rapport_testkit::reqwest::Method;
use rapport_testkit::serde_json::{Value, json};
use rapport_testkit::{TestApp, obj};
use uuid::Uuid;

// ---- the table ---------------------------------------------------------------

/// What an operation does, as far as the access rules are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    List(Kind),
    Create(Kind),
    Bulk(Kind),
    Get(Kind),
    Patch(Kind),
    Delete(Kind),
    History(Kind),
    Shares(Kind),
    Share(Kind),
    Unshare(Kind),
    Timeline(Kind),
    Related(Kind),
    CheckDuplicates(Kind),
    Duplicates(Kind),
    Merge(Kind),
    StageHistory,
    Search,
    Me,
    Tokens,
    CreateToken,
    RevokeToken,
    Reassign,
    Visibility,
    SetVisibility,
    Audit,
    PrivacyExport,
    Erase,
    Workspace,
    SetWorkspace,
    Pipelines,
    CreatePipeline,
    Pipeline,
    PutPipeline,
    DeletePipeline,
    CustomFields,
    CreateCustomField,
    DeleteCustomField,
    ObjectTypes,
    CreateObjectType,
    ObjectType,
    PatchObjectType,
    DeleteObjectType,
    ObjectFields,
    CreateObjectField,
    DeleteObjectField,
    PatchObjectField,
    RestoreObjectField,
    PurgeObjectField,
    ReorderCustomFields,
    CustomField,
    PatchCustomField,
    RestoreCustomField,
    PurgeCustomField,
    Webhooks,
    CreateWebhook,
    Webhook,
    PatchWebhook,
    DeleteWebhook,
    Deliveries,
    Redeliver,
    WebhookSecret,
    Jobs,
    Notifications,
    ReadNotification,
    Export(Kind),
    ExportWorkspace,
    Imports,
    CreateImport,
    Import,
    Rejects,
    SuggestMapping,
    Mappings,
    Mapping,
    PutMapping,
    DeleteMapping,
    Assignments,
    CreateAssignment,
    Assignment(Method2),
    Workflows,
    CreateWorkflow,
    Workflow(Method2),
    WorkflowRuns,
    WorkflowSecret,
}

/// The method of an admin-only item route probed on a random id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method2 {
    Get,
    Patch,
    Delete,
}

/// The collections the matrix knows; a new one is not covered until added here.
const COLLECTIONS: [(&str, Kind); 8] = [
    ("organizations", Kind::Organization),
    ("people", Kind::Person),
    ("deals", Kind::Deal),
    ("activities", Kind::Activity),
    ("tasks", Kind::Task),
    ("users", Kind::User),
    ("teams", Kind::Team),
    ("consents", Kind::Consent),
];

/// An operation of every collection: method, the rest of the path, and the rule for a kind.
type CollectionRoute = (&'static str, &'static str, fn(Kind) -> Rule);

/// Operations under `/api/v1/{collection}`.
const PER_COLLECTION: &[CollectionRoute] = &[
    ("get", "", Rule::List),
    ("post", "", Rule::Create),
    ("post", "/bulk", Rule::Bulk),
    ("get", "/{id}", Rule::Get),
    ("patch", "/{id}", Rule::Patch),
    ("delete", "/{id}", Rule::Delete),
    ("get", "/{id}/history", Rule::History),
    ("get", "/{id}/shares", Rule::Shares),
    ("post", "/{id}/shares", Rule::Share),
    ("delete", "/{id}/shares/{share_id}", Rule::Unshare),
    ("get", "/{id}/timeline", Rule::Timeline),
    ("get", "/{id}/related", Rule::Related),
    ("post", "/check-duplicates", Rule::CheckDuplicates),
    ("get", "/duplicates", Rule::Duplicates),
    ("post", "/{id}/merge", Rule::Merge),
    ("get", "/export", Rule::Export),
];

/// Every other operation.
const ROUTES: &[(&str, &str, Rule)] = &[
    ("get", "/api/v1/object-types", Rule::ObjectTypes),
    ("post", "/api/v1/object-types", Rule::CreateObjectType),
    ("get", "/api/v1/object-types/{key}", Rule::ObjectType),
    ("patch", "/api/v1/object-types/{key}", Rule::PatchObjectType),
    ("delete", "/api/v1/object-types/{key}", Rule::DeleteObjectType),
    ("get", "/api/v1/object-types/{key}/fields", Rule::ObjectFields),
    ("post", "/api/v1/object-types/{key}/fields", Rule::CreateObjectField),
    ("delete", "/api/v1/object-types/{key}/fields/{field}", Rule::DeleteObjectField),
    ("patch", "/api/v1/object-types/{key}/fields/{field}", Rule::PatchObjectField),
    ("post", "/api/v1/object-types/{key}/fields/{field}/restore", Rule::RestoreObjectField),
    ("post", "/api/v1/object-types/{key}/fields/{field}/purge", Rule::PurgeObjectField),
    ("get", "/api/v1/deals/{id}/stage-history", Rule::StageHistory),
    ("get", "/api/v1/search", Rule::Search),
    ("get", "/api/v1/me", Rule::Me),
    ("get", "/api/v1/tokens", Rule::Tokens),
    ("post", "/api/v1/tokens", Rule::CreateToken),
    ("delete", "/api/v1/tokens/{id}", Rule::RevokeToken),
    ("post", "/api/v1/users/{id}/reassign", Rule::Reassign),
    ("get", "/api/v1/workspace/visibility", Rule::Visibility),
    ("patch", "/api/v1/workspace/visibility", Rule::SetVisibility),
    ("get", "/api/v1/audit", Rule::Audit),
    ("get", "/api/v1/people/{id}/privacy-export", Rule::PrivacyExport),
    ("post", "/api/v1/people/{id}/erase", Rule::Erase),
    ("get", "/api/v1/workspace", Rule::Workspace),
    ("patch", "/api/v1/workspace", Rule::SetWorkspace),
    ("get", "/api/v1/pipelines", Rule::Pipelines),
    ("post", "/api/v1/pipelines", Rule::CreatePipeline),
    ("get", "/api/v1/pipelines/{id}", Rule::Pipeline),
    ("put", "/api/v1/pipelines/{id}", Rule::PutPipeline),
    ("delete", "/api/v1/pipelines/{id}", Rule::DeletePipeline),
    ("get", "/api/v1/custom-fields/{collection}", Rule::CustomFields),
    ("post", "/api/v1/custom-fields/{collection}", Rule::CreateCustomField),
    ("delete", "/api/v1/custom-fields/{collection}/{key}", Rule::DeleteCustomField),
    ("put", "/api/v1/custom-fields/{collection}/order", Rule::ReorderCustomFields),
    ("get", "/api/v1/custom-fields/{collection}/{key}", Rule::CustomField),
    ("patch", "/api/v1/custom-fields/{collection}/{key}", Rule::PatchCustomField),
    ("post", "/api/v1/custom-fields/{collection}/{key}/restore", Rule::RestoreCustomField),
    ("post", "/api/v1/custom-fields/{collection}/{key}/purge", Rule::PurgeCustomField),
    ("get", "/api/v1/webhooks", Rule::Webhooks),
    ("post", "/api/v1/webhooks", Rule::CreateWebhook),
    ("get", "/api/v1/webhooks/{id}", Rule::Webhook),
    ("patch", "/api/v1/webhooks/{id}", Rule::PatchWebhook),
    ("delete", "/api/v1/webhooks/{id}", Rule::DeleteWebhook),
    ("get", "/api/v1/webhooks/{id}/deliveries", Rule::Deliveries),
    ("post", "/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver", Rule::Redeliver),
    ("post", "/api/v1/webhooks/{id}/secret", Rule::WebhookSecret),
    ("get", "/api/v1/jobs", Rule::Jobs),
    ("get", "/api/v1/notifications", Rule::Notifications),
    ("post", "/api/v1/notifications/{id}/read", Rule::ReadNotification),
    ("get", "/api/v1/export", Rule::ExportWorkspace),
    ("get", "/api/v1/imports", Rule::Imports),
    ("post", "/api/v1/imports", Rule::CreateImport),
    ("get", "/api/v1/imports/{id}", Rule::Import),
    ("get", "/api/v1/imports/{id}/rejects", Rule::Rejects),
    ("post", "/api/v1/imports/suggest-mapping", Rule::SuggestMapping),
    ("get", "/api/v1/imports/mappings", Rule::Mappings),
    ("get", "/api/v1/imports/mappings/{name}", Rule::Mapping),
    ("put", "/api/v1/imports/mappings/{name}", Rule::PutMapping),
    ("delete", "/api/v1/imports/mappings/{name}", Rule::DeleteMapping),
    ("get", "/api/v1/assignment-rules", Rule::Assignments),
    ("post", "/api/v1/assignment-rules", Rule::CreateAssignment),
    ("get", "/api/v1/assignment-rules/{id}", Rule::Assignment(Method2::Get)),
    ("patch", "/api/v1/assignment-rules/{id}", Rule::Assignment(Method2::Patch)),
    ("delete", "/api/v1/assignment-rules/{id}", Rule::Assignment(Method2::Delete)),
    ("get", "/api/v1/workflows", Rule::Workflows),
    ("post", "/api/v1/workflows", Rule::CreateWorkflow),
    ("get", "/api/v1/workflows/{id}", Rule::Workflow(Method2::Get)),
    ("patch", "/api/v1/workflows/{id}", Rule::Workflow(Method2::Patch)),
    ("delete", "/api/v1/workflows/{id}", Rule::Workflow(Method2::Delete)),
    ("get", "/api/v1/workflows/{id}/runs", Rule::WorkflowRuns),
    ("post", "/api/v1/workflows/{id}/secret", Rule::WorkflowSecret),
];

fn m_of(rule: Rule) -> Method2 {
    match rule {
        Rule::Assignment(m) | Rule::Workflow(m) => m,
        _ => Method2::Get,
    }
}

/// The custom record kind the matrix defines, with a text field `note`.
const MATRIX_KIND: &str = "matrix_kind";

/// The records of custom kinds (`/api/v1/objects/{type}...`): their owners,
/// roles, visibility, token scopes and workspace boundary are checked by
/// `api_custom_kinds.rs`; this matrix has no custom records in its world yet.
const CUSTOM_RECORDS: &str = "/api/v1/objects/{type}";

fn classify(method: &str, path: &str) -> Option<Rule> {
    if let Some((_, _, rule)) = ROUTES.iter().find(|(m, p, _)| *m == method && *p == path) {
        return Some(*rule);
    }
    let rest = path.strip_prefix("/api/v1/")?;
    COLLECTIONS
        .iter()
        .find_map(|(c, kind)| {
            let tail = rest.strip_prefix(c)?;
            PER_COLLECTION.iter().find(|(m, t, _)| *m == method && *t == tail).map(|(_, _, rule)| rule(*kind))
        })
        .filter(|rule| probed(*rule))
}

/// The kinds the matrix has records for, per operation: a route for another
/// kind (sharing consents, merging deals) is not covered until the matrix is taught it.
fn probed(rule: Rule) -> bool {
    let owned = |k: Kind| OWNED.iter().any(|(o, _)| *o == k);
    match rule {
        Rule::Delete(k) => k != Kind::User,
        Rule::Shares(k) | Rule::Share(k) | Rule::Unshare(k) => owned(k),
        Rule::Timeline(k) | Rule::Related(k) => matches!(k, Kind::Person | Kind::Organization | Kind::Deal),
        Rule::CheckDuplicates(k) | Rule::Duplicates(k) | Rule::Merge(k) => matches!(k, Kind::Person | Kind::Organization),
        _ => true,
    }
}

// ---- the rules, as a model -----------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pass {
    Team,
    Private,
    Workspace,
}

impl Pass {
    fn name(self) -> &'static str {
        match self {
            Pass::Team => "team",
            Pass::Private => "private",
            Pass::Workspace => "workspace",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Z,
    A,
    B,
    R,
    M,
    C,
    P,
    X,
}

fn who(a: &Actor) -> Who {
    match a.key {
        "Z" => Who::Z,
        "A" => Who::A,
        "B" => Who::B,
        "R" => Who::R,
        "M" => Who::M,
        "C" => Who::C,
        "P" => Who::P,
        "X" => Who::X,
        other => panic!("unknown actor {other}"),
    }
}

fn teams(w: Who) -> &'static [&'static str] {
    match w {
        Who::A | Who::B | Who::R | Who::M => &["sales"],
        Who::C => &["support"],
        _ => &[],
    }
}

fn staff(w: Who) -> bool {
    !matches!(w, Who::P | Who::X)
}

/// Whether `w` sees a record of workspace one owned by `owner` (`None`: nobody).
fn sees(w: Who, owner: Option<Who>, pass: Pass) -> bool {
    if !staff(w) {
        return false;
    }
    let Some(o) = owner else { return true };
    w == Who::Z
        || pass == Pass::Workspace
        || w == o
        // M manages Sales.
        || (w == Who::M && teams(o).contains(&"sales"))
        || (pass == Pass::Team && teams(w).iter().any(|t| teams(o).contains(t)))
}

/// A record the probes aim at, with its owner.
#[derive(Debug, Clone)]
struct Target {
    kind: Kind,
    id: String,
    owner: Option<Who>,
}

impl Target {
    fn path(&self) -> String {
        format!("/api/v1/{}/{}", self.kind.collection(), self.id)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// 2xx.
    Allow,
    /// One of these statuses.
    Refuse(&'static [u16]),
}

const HIDDEN: Expect = Expect::Refuse(&[404]);
const FORBIDDEN: Expect = Expect::Refuse(&[403]);
/// Portal users: never 2xx (403, or 404 where the record lookup comes first).
const DENIED: Expect = Expect::Refuse(&[403, 404]);
/// Refused on the references in the body, which name another workspace's records.
const INVALID: Expect = Expect::Refuse(&[400, 422]);
/// Not found, or refused on a body naming a user of another workspace.
const NOT_THERE: Expect = Expect::Refuse(&[404, 422]);

fn read_exp(w: Who, t: &Target, pass: Pass) -> Expect {
    match w {
        Who::P => DENIED,
        Who::X => HIDDEN,
        _ if sees(w, t.owner, pass) => Expect::Allow,
        _ => HIDDEN,
    }
}

fn write_exp(w: Who, t: &Target, pass: Pass) -> Expect {
    match w {
        Who::P => DENIED,
        Who::X => HIDDEN,
        Who::R => FORBIDDEN,
        _ if !sees(w, t.owner, pass) => HIDDEN,
        _ if matches!(t.kind, Kind::User | Kind::Team) && w != Who::Z => FORBIDDEN,
        _ => Expect::Allow,
    }
}

/// Workspace-wide things all staff read; `item`: an id of workspace one is in the path.
fn staff_exp(w: Who, item: bool) -> Expect {
    match w {
        Who::P => DENIED,
        Who::X if item => HIDDEN,
        _ => Expect::Allow,
    }
}

/// Settings and admin-only operations.
fn admin_exp(w: Who, item: bool) -> Expect {
    match w {
        Who::P => DENIED,
        Who::X if item => HIDDEN,
        Who::X | Who::Z => Expect::Allow,
        _ => FORBIDDEN,
    }
}

fn create_exp(w: Who, kind: Kind) -> Expect {
    match w {
        Who::P => DENIED,
        // Every create body names a record of workspace one, except these.
        Who::X if matches!(kind, Kind::Person | Kind::Deal | Kind::Activity | Kind::Task | Kind::Consent) => INVALID,
        Who::X => Expect::Allow,
        Who::R => FORBIDDEN,
        _ if matches!(kind, Kind::User | Kind::Team) && w != Who::Z => FORBIDDEN,
        _ => Expect::Allow,
    }
}

// ---- the world -------------------------------------------------------------------

/// What is checked in an allowed answer besides the boundaries.
#[derive(Debug, Clone)]
enum Check {
    None,
    /// The answer is this record.
    Id(String),
    /// A list: these ids among the items, those not.
    Items {
        present: Vec<String>,
        absent: Vec<String>,
    },
    /// A list with no items.
    Empty,
    /// A list with items.
    NonEmpty,
    /// Clusters of duplicates: these ids among their records, those not.
    Clusters {
        present: Vec<String>,
        absent: Vec<String>,
    },
    /// Search hits: these ids among them, those not.
    Hits {
        present: Vec<String>,
        absent: Vec<String>,
    },
    /// `me` names this user.
    Me(Uuid),
    /// Only this user's tokens.
    OwnTokens(Uuid),
    /// A privacy export of this person.
    Export(String),
}

struct Probe {
    method: Method,
    path: String,
    body: Option<Value>,
    expect: Expect,
    /// What the admin reads before and after a refused write: it must not change.
    witness: Option<String>,
    check: Check,
}

impl Probe {
    fn new(method: Method, path: impl Into<String>, expect: Expect) -> Probe {
        Probe { method, path: path.into(), body: None, expect, witness: None, check: Check::None }
    }
    fn body(mut self, b: Value) -> Probe {
        self.body = Some(b);
        self
    }
    fn witness(mut self, w: impl Into<String>) -> Probe {
        self.witness = Some(w.into());
        self
    }
    fn check(mut self, c: Check) -> Probe {
        self.check = c;
        self
    }
}

struct World {
    office: Office,
    /// A's records (consent, user A and team Sales too), by kind.
    recs: BTreeMap<Kind, Target>,
    /// An organization and a person nobody owns: every staff member sees them.
    common_org: Target,
    common_person: Target,
    /// C's deal, about A's organization and person.
    c_deal: Target,
    /// A second person and organization of A's, duplicates of the first.
    twins: BTreeMap<Kind, Target>,
    /// A share of each of A's records, with the admin.
    shares: BTreeMap<Kind, String>,
    /// A token of A's.
    a_token: String,
    pipeline: Value,
    spare_pipeline: String,
    field_key: String,
    /// Every id of workspace one the matrix knows.
    w1_ids: BTreeSet<String>,
    a_scope: Scope,
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap_or_else(|| panic!("no id in {v}")).to_string()
}

async fn created(app: &TestApp, actor: &Actor, collection: &str, body: Value) -> String {
    let a = actor.post(app, &format!("/api/v1/{collection}"), body).await;
    assert_eq!(a.status.as_u16(), 201, "[{}] {} creates {collection}: {}", app.name(), actor.key, a.body);
    id_of(&a.body)
}

impl World {
    async fn new(app: &TestApp) -> World {
        let office = Office::new(app).await;
        let (z, a, c) = (&office.z, &office.a, &office.c);
        let common_org = created(app, z, "organizations", json!({"name": "Common Ground", "owner_id": null})).await;
        let common_person =
            created(app, z, "people", json!({"first_name": "Common", "last_name": "Contact", "owner_id": null})).await;
        let org = created(app, a, "organizations", json!({"name": "Zephyrine Holdings", "industry": "Shipping"})).await;
        let person = created(
            app,
            a,
            "people",
            json!({"first_name": "Zephyrine", "last_name": "Ashdown", "emails": [{"address": "zeph@example.com"}],
                   "organizations": [{"id": org, "role": "buyer"}]}),
        )
        .await;
        let deal = created(
            app,
            a,
            "deals",
            json!({"name": "Zephyrine renewal", "organization_id": common_org, "people": [{"id": person}], "amount_minor": 500000}),
        )
        .await;
        let activity = created(
            app,
            a,
            "activities",
            json!({"type": "call", "subject": "Zephyrine call", "body": "Talked renewal terms",
                   "people": [person], "organizations": [org, common_org], "deals": [deal]}),
        )
        .await;
        let task = created(
            app,
            a,
            "tasks",
            json!({"title": "Zephyrine follow-up", "assignee_user_id": a.id, "people": [person],
                   "organizations": [org, common_org], "deals": [deal]}),
        )
        .await;
        let consent = created(
            app,
            a,
            "consents",
            json!({"person_id": person, "purpose": "newsletter", "status": "granted", "method": "web_form"}),
        )
        .await;
        let c_deal =
            created(app, c, "deals", json!({"name": "Support contract", "organization_id": org, "people": [{"id": person}]}))
                .await;
        let twin_person = created(app, a, "people", twin_body(Kind::Person)).await;
        let twin_org = created(app, a, "organizations", twin_body(Kind::Organization)).await;
        let owned = |kind, id: &String| Target { kind, id: id.clone(), owner: Some(Who::A) };
        let mut recs = BTreeMap::new();
        recs.insert(Kind::Organization, owned(Kind::Organization, &org));
        recs.insert(Kind::Person, owned(Kind::Person, &person));
        recs.insert(Kind::Deal, owned(Kind::Deal, &deal));
        recs.insert(Kind::Activity, owned(Kind::Activity, &activity));
        recs.insert(Kind::Task, owned(Kind::Task, &task));
        recs.insert(Kind::Consent, Target { kind: Kind::Consent, id: consent, owner: None });
        recs.insert(Kind::User, Target { kind: Kind::User, id: a.ids(), owner: None });
        recs.insert(Kind::Team, Target { kind: Kind::Team, id: office.sales.to_string(), owner: None });
        let mut shares = BTreeMap::new();
        for (kind, _) in OWNED {
            let s = a.post(app, &format!("{}/shares", recs[&kind].path()), json!({"user_id": z.id, "access": "read"})).await;
            assert_eq!(s.status.as_u16(), 201, "[{}] A shares a {kind}: {}", app.name(), s.body);
            shares.insert(kind, id_of(&s.body));
        }
        let a_token = id_of(&issue_token(app, &app.scope, a.id, &[TokenScope { kind: None, write: false }]).await);
        let pipes = z.get(app, "/api/v1/pipelines").await;
        let pipeline = pipes.body["items"]
            .as_array()
            .and_then(|p| p.iter().find(|p| p["is_default"] == json!(true)).cloned())
            .unwrap_or_else(|| panic!("[{}] no default pipeline: {}", app.name(), pipes.body));
        let spare =
            z.post(app, "/api/v1/pipelines", json!({"name": "Spare", "stages": [{"name": "Open", "probability": 10}]})).await;
        assert_eq!(spare.status.as_u16(), 201, "[{}] spare pipeline: {}", app.name(), spare.body);
        let kind = z
            .post(
                app,
                "/api/v1/object-types",
                json!({"key": MATRIX_KIND, "singular": "Matrix", "plural": "Matrices", "fields": [{"key": "note", "label": "Note", "type": "text"}]}),
            )
            .await;
        assert_eq!(kind.status.as_u16(), 201, "[{}] matrix kind: {}", app.name(), kind.body);
        let field_key = "matrix_key".to_string();
        let f = z.post(app, "/api/v1/custom-fields/people", json!({"key": field_key, "label": "Matrix", "type": "text"})).await;
        assert_eq!(f.status.as_u16(), 201, "[{}] custom field: {}", app.name(), f.body);

        let mut w1_ids: BTreeSet<String> = [&office.z, a, &office.b, &office.r, &office.m, c, &office.p]
            .iter()
            .map(|u| u.ids())
            .chain([office.sales.to_string(), office.support.to_string(), common_org.clone(), common_person.clone()])
            .chain([c_deal.clone(), a_token.clone(), id_of(&pipeline), id_of(&spare.body), app.scope.workspace_id.to_string()])
            .collect();
        w1_ids.extend(recs.values().map(|t| t.id.clone()));
        w1_ids.extend([twin_person.clone(), twin_org.clone()]);
        w1_ids.extend(shares.values().cloned());
        w1_ids.extend(pipeline["stages"].as_array().into_iter().flatten().map(id_of));
        // The admin sees what the probes must not show others: the leak detectors have something to find.
        let around_common = z.get(app, &format!("/api/v1/organizations/{common_org}/timeline?limit=200")).await;
        let with_refs = z.get(app, &format!("/api/v1/deals/{c_deal}?include=organization,people")).await;
        let hits = z.get(app, "/api/v1/search?q=zephyrine&limit=100").await;
        let scan = z.get(app, "/api/v1/people/duplicates").await;
        let check = z.post(app, "/api/v1/organizations/check-duplicates", twin_body(Kind::Organization)).await;
        for (what, a, expected) in [
            ("the scan for duplicate people", &scan, vec![&recs[&Kind::Person]]),
            ("the duplicates of an organization", &check, vec![&recs[&Kind::Organization]]),
            (
                "the common organization's timeline",
                &around_common,
                vec![&recs[&Kind::Activity], &recs[&Kind::Task], &recs[&Kind::Deal]],
            ),
            ("C's deal with its includes", &with_refs, vec![&recs[&Kind::Organization], &recs[&Kind::Person]]),
            ("the search", &hits, OWNED.iter().map(|(k, _)| &recs[k]).collect()),
        ] {
            let shown = exposed_ids(&a.body);
            for t in expected {
                assert!(shown.contains(&t.id), "[{}] the admin does not see {} in {what}: {}", app.name(), t.path(), a.body);
            }
        }
        let a_scope = scope_of(app, a.id).await;
        let mut twins = BTreeMap::new();
        twins.insert(Kind::Person, Target { kind: Kind::Person, id: twin_person, owner: Some(Who::A) });
        twins.insert(Kind::Organization, Target { kind: Kind::Organization, id: twin_org, owner: Some(Who::A) });
        World {
            twins,
            recs,
            common_org: Target { kind: Kind::Organization, id: common_org, owner: None },
            common_person: Target { kind: Kind::Person, id: common_person, owner: None },
            c_deal: Target { kind: Kind::Deal, id: c_deal, owner: Some(Who::C) },
            shares,
            a_token,
            pipeline,
            spare_pipeline: id_of(&spare.body),
            field_key,
            w1_ids,
            a_scope,
            office,
        }
    }

    /// Records of workspace one this user must not see under this visibility.
    fn hidden(&self, w: Who, pass: Pass) -> BTreeSet<String> {
        self.recs
            .values()
            .chain(self.twins.values())
            .chain([&self.c_deal, &self.common_org, &self.common_person])
            .filter(|t| !sees(w, t.owner, pass))
            .map(|t| t.id.clone())
            .collect()
    }

    /// A fresh record of A's of this kind, for an allowed delete or merge.
    async fn fresh_copy(&self, app: &TestApp, kind: Kind, n: u32) -> String {
        let a = self.office.a.id;
        let (scope, body) = match kind {
            Kind::Organization => (&self.a_scope, json!({"name": format!("Spare org {n}")})),
            Kind::Person => (&self.a_scope, json!({"first_name": format!("Spare{n}")})),
            Kind::Deal => (&self.a_scope, json!({"name": format!("Spare deal {n}")})),
            Kind::Activity => (&self.a_scope, json!({"type": "note", "subject": format!("Spare {n}")})),
            Kind::Task => (&self.a_scope, json!({"title": format!("Spare task {n}"), "assignee_user_id": a})),
            Kind::Consent => (
                &self.a_scope,
                json!({"person_id": self.recs[&Kind::Person].id, "purpose": "calls", "status": "granted", "method": "phone"}),
            ),
            Kind::Team => (&app.scope, json!({"name": format!("Spare team {n}")})),
            Kind::User => panic!("users are never deleted"),
            Kind::Object => panic!("custom records are checked in api_custom_kinds"),
        };
        let (rec, _) = app.store.create(scope, kind, &obj(body), &Default::default()).await.expect("fresh copy");
        id_of(&Value::Object(rec))
    }
}

/// A record like A's person or organization: a likely duplicate of it.
fn twin_body(kind: Kind) -> Value {
    match kind {
        Kind::Person => json!({"first_name": "Zephyrine", "last_name": "Ashdown", "emails": [{"address": "zeph@example.com"}]}),
        Kind::Organization => json!({"name": "Zephyrine Holdings"}),
        other => panic!("no duplicates of {other}"),
    }
}

fn create_body(w: &World, kind: Kind, n: u32) -> Value {
    let (org, person) = (&w.common_org.id, &w.common_person.id);
    match kind {
        Kind::Organization => json!({"name": format!("Matrix org {n}")}),
        Kind::Person => json!({"first_name": format!("Matrix{n}"), "organizations": [{"id": org}]}),
        Kind::Deal => json!({"name": format!("Matrix deal {n}"), "organization_id": org}),
        Kind::Activity => json!({"type": "note", "subject": format!("Matrix {n}"), "organizations": [org]}),
        Kind::Task => json!({"title": format!("Matrix task {n}"), "organizations": [org]}),
        Kind::User => json!({"email": format!("matrix-{n}-{}@example.com", Uuid::now_v7().simple()), "name": "Matrix user"}),
        Kind::Team => json!({"name": format!("Matrix team {n}")}),
        Kind::Consent => json!({"person_id": person, "purpose": "events", "status": "granted", "method": "email"}),
        Kind::Object => panic!("custom records are checked in api_custom_kinds"),
    }
}

fn patch_body(kind: Kind) -> Value {
    match kind {
        Kind::Organization => json!({"industry": "Retail"}),
        Kind::Person => json!({"title": "Buyer"}),
        Kind::Deal => json!({"next_step": "Send the offer"}),
        Kind::Activity => json!({"outcome": "connected"}),
        Kind::Task => json!({"priority": "high"}),
        Kind::User => json!({"time_zone": "Europe/Paris"}),
        Kind::Team => json!({"name": "Sales"}),
        Kind::Consent => json!({"evidence": "Signed form"}),
        Kind::Object => panic!("custom records are checked in api_custom_kinds"),
    }
}

/// A path asking to embed every related record of the kind that may be embedded.
fn with_includes(path: String, kind: Kind) -> String {
    let include = match kind {
        Kind::Organization => "owner,parent",
        Kind::Person => "organizations,owner",
        Kind::Deal => "organization,people,owner",
        Kind::Activity | Kind::Task => "people,organizations,deals",
        Kind::Team => "members",
        Kind::Consent => "person",
        Kind::User | Kind::Object => return path,
    };
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{path}{sep}include={include}")
}

fn owner_filter(kind: Kind) -> Option<&'static str> {
    match kind {
        Kind::Organization | Kind::Person | Kind::Deal => Some("owner_id"),
        Kind::Task => Some("assignee_user_id"),
        Kind::Activity => Some("created_by"),
        _ => None,
    }
}

const SEARCHED: [Kind; 5] = [Kind::Person, Kind::Organization, Kind::Deal, Kind::Activity, Kind::Task];

fn split(t: &Target, visible: bool) -> (Vec<String>, Vec<String>) {
    if visible { (vec![t.id.clone()], vec![]) } else { (vec![], vec![t.id.clone()]) }
}

// ---- the probes ------------------------------------------------------------------

async fn probes(app: &TestApp, world: &World, rule: Rule, actor: &Actor, pass: Pass, n: &mut u32) -> Vec<Probe> {
    *n += 1;
    let n = *n;
    let w = who(actor);
    let a = &world.office.a;
    let z = &world.office.z;
    let items_check = |t: &Target| {
        let (present, absent) = split(t, sees(w, t.owner, pass));
        if w == Who::X { Check::None } else { Check::Items { present, absent } }
    };
    match rule {
        Rule::List(kind) => {
            let t = &world.recs[&kind];
            let base = format!("/api/v1/{}", kind.collection());
            let exp = staff_exp(w, false);
            let mut out = vec![
                Probe::new(Method::GET, with_includes(format!("{base}?limit=500"), kind), exp).check(items_check(t)),
                Probe::new(Method::GET, format!("{base}?id={}", t.id), exp).check(items_check(t)),
            ];
            if let Some(col) = owner_filter(kind) {
                let check = match w {
                    Who::X => Check::None,
                    _ if sees(w, Some(Who::A), pass) => Check::NonEmpty,
                    _ => Check::Empty,
                };
                out.push(Probe::new(Method::GET, format!("{base}?{col}={}&limit=500", a.id), exp).check(check));
            }
            if SEARCHED.contains(&kind) {
                out.push(Probe::new(Method::GET, format!("{base}?q=zephyrine&limit=500"), exp).check(items_check(t)));
            }
            if kind == Kind::Deal {
                let c = &world.c_deal;
                out.push(Probe::new(Method::GET, with_includes(format!("{base}?id={}", c.id), kind), exp).check(items_check(c)));
            }
            out
        }
        Rule::Create(kind) => {
            let path = format!("/api/v1/{}", kind.collection());
            vec![Probe::new(Method::POST, path, create_exp(w, kind)).body(create_body(world, kind, n))]
        }
        Rule::Bulk(kind) => {
            let path = format!("/api/v1/{}/bulk", kind.collection());
            vec![Probe::new(Method::POST, path, create_exp(w, kind)).body(json!({"items": [create_body(world, kind, n)]}))]
        }
        Rule::Get(kind) => {
            let t = &world.recs[&kind];
            let mut out =
                vec![Probe::new(Method::GET, with_includes(t.path(), kind), read_exp(w, t, pass)).check(Check::Id(t.id.clone()))];
            if kind == Kind::Deal {
                let c = &world.c_deal;
                out.push(
                    Probe::new(Method::GET, with_includes(c.path(), kind), read_exp(w, c, pass)).check(Check::Id(c.id.clone())),
                );
            }
            if kind == Kind::Organization {
                let u = &world.common_org;
                out.push(Probe::new(Method::GET, u.path(), read_exp(w, u, pass)).check(Check::Id(u.id.clone())));
            }
            out
        }
        Rule::History(kind) => {
            let t = &world.recs[&kind];
            vec![Probe::new(Method::GET, format!("{}/history", t.path()), read_exp(w, t, pass)).check(Check::NonEmpty)]
        }
        Rule::Shares(kind) => {
            let t = &world.recs[&kind];
            let share = world.shares[&kind].clone();
            let check = Check::Items { present: vec![share], absent: vec![] };
            vec![Probe::new(Method::GET, format!("{}/shares", t.path()), read_exp(w, t, pass)).check(check)]
        }
        Rule::Timeline(kind) => {
            let t = &world.recs[&kind];
            let mut out = vec![Probe::new(Method::GET, format!("{}/timeline?limit=200", t.path()), read_exp(w, t, pass))];
            // What nobody owns is everyone's, but A's activity, task and deal around it are not.
            for u in [&world.common_org, &world.common_person] {
                if u.kind == kind {
                    out.push(Probe::new(Method::GET, format!("{}/timeline?limit=200", u.path()), read_exp(w, u, pass)));
                }
            }
            out
        }
        Rule::Related(kind) => {
            let t = &world.recs[&kind];
            vec![Probe::new(Method::GET, format!("{}/related", t.path()), read_exp(w, t, pass))]
        }
        Rule::CheckDuplicates(kind) => {
            let t = &world.recs[&kind];
            let path = format!("/api/v1/{}/check-duplicates", kind.collection());
            vec![Probe::new(Method::POST, path, staff_exp(w, false)).body(twin_body(kind)).check(items_check(t))]
        }
        Rule::Duplicates(kind) => {
            let t = &world.recs[&kind];
            let check = match items_check(t) {
                Check::Items { present, absent } => Check::Clusters { present, absent },
                other => other,
            };
            vec![Probe::new(Method::GET, format!("/api/v1/{}/duplicates", kind.collection()), staff_exp(w, false)).check(check)]
        }
        Rule::Merge(kind) => {
            let t = &world.recs[&kind];
            let exp = write_exp(w, t, pass);
            if exp == Expect::Allow {
                let keep = world.fresh_copy(app, kind, n).await;
                let gone = world.fresh_copy(app, kind, n + 100_000).await;
                let path = format!("/api/v1/{}/{keep}/merge", kind.collection());
                vec![Probe::new(Method::POST, path, exp).body(json!({"merge_ids": [gone]})).check(Check::Id(keep))]
            } else {
                let twin = &world.twins[&kind];
                vec![
                    Probe::new(Method::POST, format!("{}/merge", t.path()), exp)
                        .body(json!({"merge_ids": [twin.id]}))
                        .witness(twin.path()),
                ]
            }
        }
        Rule::StageHistory => {
            let t = &world.recs[&Kind::Deal];
            vec![Probe::new(Method::GET, format!("{}/stage-history", t.path()), read_exp(w, t, pass)).check(Check::NonEmpty)]
        }
        Rule::Patch(kind) => {
            let t = &world.recs[&kind];
            vec![Probe::new(Method::PATCH, t.path(), write_exp(w, t, pass)).body(patch_body(kind)).witness(t.path())]
        }
        Rule::Delete(kind) => {
            let t = &world.recs[&kind];
            let exp = write_exp(w, t, pass);
            if exp == Expect::Allow {
                let fresh = world.fresh_copy(app, kind, n).await;
                vec![Probe::new(Method::DELETE, format!("/api/v1/{}/{fresh}", kind.collection()), exp)]
            } else {
                vec![Probe::new(Method::DELETE, t.path(), exp).witness(t.path())]
            }
        }
        Rule::Share(kind) => {
            let t = &world.recs[&kind];
            let shares = format!("{}/shares", t.path());
            vec![
                Probe::new(Method::POST, shares.clone(), write_exp(w, t, pass))
                    .body(json!({"user_id": z.id, "access": "read"}))
                    .witness(shares),
            ]
        }
        Rule::Unshare(kind) => {
            let t = &world.recs[&kind];
            let exp = write_exp(w, t, pass);
            let share = if exp == Expect::Allow {
                let id = Uuid::parse_str(&t.id).expect("uuid");
                let s = app.store.share(&world.a_scope, kind, id, ShareTarget::User(z.id), "read").await.expect("share");
                id_of(&s)
            } else {
                world.shares[&kind].clone()
            };
            vec![Probe::new(Method::DELETE, format!("{}/shares/{share}", t.path()), exp).witness(format!("{}/shares", t.path()))]
        }
        Rule::Search => {
            let mut present = vec![];
            let mut absent = vec![];
            for kind in SEARCHED {
                let t = &world.recs[&kind];
                if sees(w, t.owner, pass) { present.push(t.id.clone()) } else { absent.push(t.id.clone()) }
            }
            let check = if w == Who::X { Check::None } else { Check::Hits { present, absent } };
            vec![Probe::new(Method::GET, "/api/v1/search?q=zephyrine&limit=100", staff_exp(w, false)).check(check)]
        }
        Rule::Me => vec![Probe::new(Method::GET, "/api/v1/me", staff_exp(w, false)).check(Check::Me(actor.id))],
        Rule::Tokens => {
            let check = if matches!(w, Who::Z | Who::X) { Check::None } else { Check::OwnTokens(actor.id) };
            vec![Probe::new(Method::GET, "/api/v1/tokens", staff_exp(w, false)).check(check)]
        }
        Rule::CreateToken => {
            let for_a = match w {
                Who::P => DENIED,
                Who::X => NOT_THERE,
                Who::A | Who::Z => Expect::Allow,
                _ => FORBIDDEN,
            };
            vec![
                Probe::new(Method::POST, "/api/v1/tokens", for_a).body(json!({"name": "m", "scopes": ["read"], "user_id": a.id})),
                Probe::new(Method::POST, "/api/v1/tokens", staff_exp(w, false)).body(json!({"name": "mine", "scopes": ["read"]})),
            ]
        }
        Rule::RevokeToken => {
            let exp = match w {
                Who::P => DENIED,
                Who::A | Who::Z => Expect::Allow,
                _ => HIDDEN,
            };
            let token = if exp == Expect::Allow {
                id_of(&issue_token(app, &app.scope, a.id, &[TokenScope { kind: None, write: false }]).await)
            } else {
                world.a_token.clone()
            };
            vec![Probe::new(Method::DELETE, format!("/api/v1/tokens/{token}"), exp).witness("/api/v1/tokens")]
        }
        Rule::Reassign => {
            let exp = match w {
                Who::P => DENIED,
                Who::X => NOT_THERE,
                Who::Z | Who::M => Expect::Allow,
                _ => FORBIDDEN,
            };
            let path = format!("/api/v1/users/{}/reassign", a.id);
            let org = world.recs[&Kind::Organization].path();
            let mut out = vec![Probe::new(Method::POST, path.clone(), exp).body(json!({"to": a.id})).witness(org.clone())];
            if w == Who::X {
                // To X's own user: a user of workspace one is still not one of X's.
                out.push(Probe::new(Method::POST, path, HIDDEN).body(json!({"to": actor.id})).witness(org));
            }
            out
        }
        Rule::Visibility => vec![Probe::new(Method::GET, "/api/v1/workspace/visibility", staff_exp(w, false))],
        Rule::SetVisibility => {
            let body: serde_json::Map<String, Value> = OWNED.iter().map(|(_, c)| (c.to_string(), json!(pass.name()))).collect();
            vec![
                Probe::new(Method::PATCH, "/api/v1/workspace/visibility", admin_exp(w, false))
                    .body(Value::Object(body))
                    .witness("/api/v1/workspace/visibility"),
            ]
        }
        Rule::Audit => {
            let person = &world.recs[&Kind::Person].id;
            vec![
                Probe::new(Method::GET, "/api/v1/audit?limit=500", admin_exp(w, false)),
                Probe::new(Method::GET, format!("/api/v1/audit?record_kind=person&record_id={person}"), admin_exp(w, false)),
            ]
        }
        Rule::PrivacyExport => {
            let person = &world.recs[&Kind::Person].id;
            vec![
                Probe::new(Method::GET, format!("/api/v1/people/{person}/privacy-export"), admin_exp(w, true))
                    .check(Check::Export(person.clone())),
            ]
        }
        Rule::Erase => {
            let t = &world.recs[&Kind::Person];
            let exp = admin_exp(w, true);
            if exp == Expect::Allow {
                let fresh = world.fresh_copy(app, Kind::Person, n).await;
                vec![Probe::new(Method::POST, format!("/api/v1/people/{fresh}/erase"), exp).check(Check::Id(fresh))]
            } else {
                vec![Probe::new(Method::POST, format!("/api/v1/people/{}/erase", t.id), exp).witness(t.path())]
            }
        }
        Rule::Workspace => vec![Probe::new(Method::GET, "/api/v1/workspace", staff_exp(w, false))],
        Rule::SetWorkspace => vec![
            Probe::new(Method::PATCH, "/api/v1/workspace", admin_exp(w, false))
                .body(json!({"time_zone": "UTC"}))
                .witness("/api/v1/workspace"),
        ],
        Rule::Pipelines => vec![Probe::new(Method::GET, "/api/v1/pipelines", staff_exp(w, false))],
        Rule::CreatePipeline => vec![
            Probe::new(Method::POST, "/api/v1/pipelines", admin_exp(w, false))
                .body(json!({"name": format!("Matrix {n}"), "stages": [{"name": "Open", "probability": 10}]}))
                .witness("/api/v1/pipelines"),
        ],
        Rule::Pipeline => {
            let id = id_of(&world.pipeline);
            vec![Probe::new(Method::GET, format!("/api/v1/pipelines/{id}"), staff_exp(w, true)).check(Check::Id(id))]
        }
        Rule::PutPipeline => {
            let p = &world.pipeline;
            let stages: Vec<Value> = p["stages"]
                .as_array()
                .expect("stages")
                .iter()
                .map(|s| json!({"id": s["id"], "name": s["name"], "probability": s["probability"], "outcome": s["outcome"]}))
                .collect();
            let path = format!("/api/v1/pipelines/{}", id_of(p));
            vec![
                Probe::new(Method::PUT, path.clone(), admin_exp(w, true))
                    .body(json!({"name": p["name"], "is_default": true, "stages": stages}))
                    .witness(path),
            ]
        }
        Rule::DeletePipeline => {
            let exp = admin_exp(w, true);
            if exp == Expect::Allow {
                let fresh = z
                    .post(
                        app,
                        "/api/v1/pipelines",
                        json!({"name": format!("Spare {n}"), "stages": [{"name": "Open", "probability": 5}]}),
                    )
                    .await;
                vec![Probe::new(Method::DELETE, format!("/api/v1/pipelines/{}", id_of(&fresh.body)), exp)]
            } else {
                let path = format!("/api/v1/pipelines/{}", world.spare_pipeline);
                vec![Probe::new(Method::DELETE, path.clone(), exp).witness(path)]
            }
        }
        Rule::CustomFields => vec![Probe::new(Method::GET, "/api/v1/custom-fields/people", staff_exp(w, false))],
        Rule::CreateCustomField => vec![
            Probe::new(Method::POST, "/api/v1/custom-fields/people", admin_exp(w, false))
                .body(json!({"key": format!("matrix_{n}"), "label": "Matrix", "type": "text"}))
                .witness("/api/v1/custom-fields/people"),
        ],
        Rule::DeleteCustomField => {
            let exp = admin_exp(w, true);
            let key = if exp == Expect::Allow {
                let key = format!("spare_{n}");
                let f = z.post(app, "/api/v1/custom-fields/people", json!({"key": key, "label": "Spare", "type": "text"})).await;
                assert_eq!(f.status.as_u16(), 201, "[{}] spare custom field: {}", app.name(), f.body);
                key
            } else {
                world.field_key.clone()
            };
            vec![
                Probe::new(Method::DELETE, format!("/api/v1/custom-fields/people/{key}"), exp)
                    .witness("/api/v1/custom-fields/people"),
            ]
        }
        Rule::ObjectTypes => vec![Probe::new(Method::GET, "/api/v1/object-types", staff_exp(w, false))],
        Rule::CreateObjectType => vec![
            Probe::new(Method::POST, "/api/v1/object-types", admin_exp(w, false))
                .body(json!({"key": format!("matrix_{n}"), "singular": "Matrix", "plural": "Matrices"}))
                .witness("/api/v1/object-types"),
        ],
        Rule::ObjectType => {
            vec![Probe::new(Method::GET, format!("/api/v1/object-types/{MATRIX_KIND}"), staff_exp(w, true))]
        }
        Rule::ObjectFields => vec![
            Probe::new(Method::GET, format!("/api/v1/object-types/{MATRIX_KIND}/fields"), staff_exp(w, true)),
            Probe::new(Method::GET, format!("/api/v1/object-types/{MATRIX_KIND}/fields?deleted=true"), admin_exp(w, true)),
        ],
        Rule::PatchObjectType => {
            let path = format!("/api/v1/object-types/{MATRIX_KIND}");
            vec![
                Probe::new(Method::PATCH, path.clone(), admin_exp(w, true)).body(json!({"plural": "Matrix kinds"})).witness(path),
            ]
        }
        Rule::DeleteObjectType => {
            let exp = admin_exp(w, true);
            let key = if exp == Expect::Allow {
                let key = format!("spare_{n}");
                let t = z.post(app, "/api/v1/object-types", json!({"key": key, "singular": "S", "plural": "Ss"})).await;
                assert_eq!(t.status.as_u16(), 201, "[{}] spare kind: {}", app.name(), t.body);
                key
            } else {
                MATRIX_KIND.to_string()
            };
            vec![Probe::new(Method::DELETE, format!("/api/v1/object-types/{key}"), exp).witness("/api/v1/object-types")]
        }
        Rule::CreateObjectField => {
            let path = format!("/api/v1/object-types/{MATRIX_KIND}/fields");
            vec![
                Probe::new(Method::POST, path, admin_exp(w, true))
                    .body(json!({"key": format!("matrix_{n}"), "label": "Matrix", "type": "text"}))
                    .witness(format!("/api/v1/object-types/{MATRIX_KIND}")),
            ]
        }
        Rule::DeleteObjectField => {
            let exp = admin_exp(w, true);
            let key = if exp == Expect::Allow {
                let key = format!("spare_{n}");
                let path = format!("/api/v1/object-types/{MATRIX_KIND}/fields");
                let f = z.post(app, &path, json!({"key": key, "label": "Spare", "type": "text"})).await;
                assert_eq!(f.status.as_u16(), 201, "[{}] spare kind field: {}", app.name(), f.body);
                key
            } else {
                "note".to_string()
            };
            vec![
                Probe::new(Method::DELETE, format!("/api/v1/object-types/{MATRIX_KIND}/fields/{key}"), exp)
                    .witness(format!("/api/v1/object-types/{MATRIX_KIND}")),
            ]
        }
        Rule::RestoreObjectField | Rule::PurgeObjectField => {
            let exp = admin_exp(w, true);
            let action = if rule == Rule::RestoreObjectField { "restore" } else { "purge" };
            // Allowed: a spare field deleted for the purpose; refused: the kind's field, untouched.
            let key = if exp == Expect::Allow {
                let key = format!("{action}_{n}");
                let path = format!("/api/v1/object-types/{MATRIX_KIND}/fields");
                let f = z.post(app, &path, json!({"key": key, "label": "Spare", "type": "text"})).await;
                assert_eq!(f.status.as_u16(), 201, "[{}] spare kind field: {}", app.name(), f.body);
                let d = z.delete(app, &format!("{path}/{key}")).await;
                assert_eq!(d.status.as_u16(), 204, "[{}] spare deleted: {}", app.name(), d.body);
                key
            } else {
                "note".to_string()
            };
            vec![
                Probe::new(Method::POST, format!("/api/v1/object-types/{MATRIX_KIND}/fields/{key}/{action}"), exp)
                    .witness(format!("/api/v1/object-types/{MATRIX_KIND}")),
            ]
        }
        Rule::PatchObjectField => vec![
            Probe::new(Method::PATCH, format!("/api/v1/object-types/{MATRIX_KIND}/fields/note"), admin_exp(w, true))
                .body(json!({"help": format!("Probed by {n}")}))
                .witness(format!("/api/v1/object-types/{MATRIX_KIND}")),
        ],
        // No workspace has task fields: an empty order is a valid one.
        Rule::ReorderCustomFields => {
            vec![Probe::new(Method::PUT, "/api/v1/custom-fields/tasks/order", admin_exp(w, false)).body(json!({"keys": []}))]
        }
        Rule::CustomField => {
            vec![Probe::new(Method::GET, format!("/api/v1/custom-fields/people/{}", world.field_key), admin_exp(w, true))]
        }
        Rule::PatchCustomField => vec![
            Probe::new(Method::PATCH, format!("/api/v1/custom-fields/people/{}", world.field_key), admin_exp(w, true))
                .body(json!({"help": format!("Probed by {n}")}))
                .witness(format!("/api/v1/custom-fields/people/{}", world.field_key)),
        ],
        Rule::RestoreCustomField | Rule::PurgeCustomField => {
            let exp = admin_exp(w, true);
            let action = if rule == Rule::RestoreCustomField { "restore" } else { "purge" };
            // Allowed: a spare field deleted for the purpose; refused: the world's field, untouched.
            let key = if exp == Expect::Allow {
                let key = format!("{action}_{n}");
                let f = z.post(app, "/api/v1/custom-fields/people", json!({"key": key, "label": "Spare", "type": "text"})).await;
                assert_eq!(f.status.as_u16(), 201, "[{}] spare custom field: {}", app.name(), f.body);
                let d = z.delete(app, &format!("/api/v1/custom-fields/people/{key}")).await;
                assert_eq!(d.status.as_u16(), 204, "[{}] spare deleted: {}", app.name(), d.body);
                key
            } else {
                world.field_key.clone()
            };
            vec![
                Probe::new(Method::POST, format!("/api/v1/custom-fields/people/{key}/{action}"), exp)
                    .witness(format!("/api/v1/custom-fields/people/{}", world.field_key)),
            ]
        }
        Rule::Webhooks => vec![Probe::new(Method::GET, "/api/v1/webhooks", admin_exp(w, false))],
        Rule::CreateWebhook => vec![
            Probe::new(Method::POST, "/api/v1/webhooks", admin_exp(w, false))
                .body(json!({"url": "http://127.0.0.1:9/hook", "events": ["person.created"]}))
                .witness("/api/v1/webhooks"),
        ],
        Rule::Webhook | Rule::PatchWebhook | Rule::DeleteWebhook | Rule::Deliveries | Rule::Redeliver | Rule::WebhookSecret => {
            // A subscription of workspace one, made by its admin for this probe.
            let hook = z.post(app, "/api/v1/webhooks", json!({"url": "http://127.0.0.1:9/hook", "events": ["*"]})).await;
            assert_eq!(hook.status.as_u16(), 201, "[{}] webhook: {}", app.name(), hook.body);
            let path = format!("/api/v1/webhooks/{}", id_of(&hook.body));
            let exp = admin_exp(w, true);
            match rule {
                Rule::Webhook => vec![Probe::new(Method::GET, path, exp)],
                Rule::PatchWebhook => {
                    vec![Probe::new(Method::PATCH, path.clone(), exp).body(json!({"active": false})).witness(path)]
                }
                Rule::DeleteWebhook => vec![Probe::new(Method::DELETE, path.clone(), exp).witness(path)],
                Rule::Deliveries => vec![Probe::new(Method::GET, format!("{path}/deliveries"), exp)],
                // The witness shows the secret's hint: a refused caller changes nothing.
                Rule::WebhookSecret => {
                    vec![Probe::new(Method::POST, format!("{path}/secret"), exp).body(json!({})).witness(path)]
                }
                _ => {
                    // No delivery yet: the admin gets past authorization to a 404.
                    let exp = if exp == Expect::Allow { HIDDEN } else { exp };
                    vec![Probe::new(Method::POST, format!("{path}/deliveries/{}/redeliver", Uuid::now_v7()), exp).body(json!({}))]
                }
            }
        }
        Rule::Jobs => vec![Probe::new(Method::GET, "/api/v1/jobs", admin_exp(w, false))],
        Rule::Notifications => vec![Probe::new(Method::GET, "/api/v1/notifications", staff_exp(w, false))],
        Rule::ReadNotification => {
            let exp = if w == Who::P { DENIED } else { HIDDEN };
            vec![Probe::new(Method::POST, format!("/api/v1/notifications/{}/read", Uuid::now_v7()), exp).body(json!({}))]
        }
        Rule::Export(kind) => {
            let c = COLLECTIONS.iter().find(|(_, k)| *k == kind).map(|(c, _)| *c).expect("collection");
            vec![Probe::new(Method::GET, format!("/api/v1/{c}/export?format=json"), staff_exp(w, false))]
        }
        Rule::ExportWorkspace => vec![Probe::new(Method::GET, "/api/v1/export", admin_exp(w, false))],
        Rule::Imports => vec![Probe::new(Method::GET, "/api/v1/imports", staff_exp(w, false))],
        Rule::CreateImport => {
            let exp = match w {
                Who::P => DENIED,
                Who::R => FORBIDDEN,
                _ => Expect::Allow,
            };
            vec![
                Probe::new(Method::POST, "/api/v1/imports?dry_run=true", exp)
                    .body(json!({"kind": "people", "format": "json", "content": "[{\"first_name\": \"Matrix\"}]"})),
            ]
        }
        Rule::Import | Rule::Rejects => {
            let tail = if rule == Rule::Rejects { "/rejects" } else { "" };
            let exp = if w == Who::P { DENIED } else { HIDDEN };
            vec![Probe::new(Method::GET, format!("/api/v1/imports/{}{tail}", Uuid::now_v7()), exp)]
        }
        Rule::SuggestMapping => vec![
            Probe::new(Method::POST, "/api/v1/imports/suggest-mapping", staff_exp(w, false))
                .body(json!({"kind": "people", "headers": ["First Name", "E-mail Address"]})),
        ],
        Rule::Mappings => vec![Probe::new(Method::GET, "/api/v1/imports/mappings", staff_exp(w, false))],
        Rule::Mapping => {
            let exp = if w == Who::P { DENIED } else { HIDDEN };
            vec![Probe::new(Method::GET, format!("/api/v1/imports/mappings/none-{n}"), exp)]
        }
        Rule::PutMapping => {
            let exp = match w {
                Who::P => DENIED,
                Who::R => FORBIDDEN,
                _ => Expect::Allow,
            };
            vec![
                Probe::new(Method::PUT, format!("/api/v1/imports/mappings/matrix-{n}"), exp)
                    .body(json!({"kind": "people", "columns": {"First Name": "first_name"}})),
            ]
        }
        Rule::Assignments => vec![Probe::new(Method::GET, "/api/v1/assignment-rules", admin_exp(w, false))],
        Rule::Workflows => vec![Probe::new(Method::GET, "/api/v1/workflows", admin_exp(w, false))],
        Rule::CreateAssignment => vec![Probe::new(Method::POST, "/api/v1/assignment-rules", admin_exp(w, false)).body(
            json!({"kind": "task", "name": format!("Matrix rule {n}"), "method": "user", "user_id": actor.id, "active": false}),
        )],
        Rule::CreateWorkflow => vec![Probe::new(Method::POST, "/api/v1/workflows", admin_exp(w, false)).body(json!({
            "name": format!("Matrix flow {n}"), "active": false,
            "trigger": {"type": "record_created", "kind": "person"},
            "actions": [{"type": "add_tag", "tag": "matrix"}],
        }))],
        Rule::Assignment(_) | Rule::Workflow(_) | Rule::WorkflowRuns | Rule::WorkflowSecret => {
            // Random ids: past authorization an admin meets a 404.
            let base = if matches!(rule, Rule::Assignment(_)) { "/api/v1/assignment-rules" } else { "/api/v1/workflows" };
            let exp = match admin_exp(w, true) {
                Expect::Allow => HIDDEN,
                other => other,
            };
            let path = format!("{base}/{}", Uuid::now_v7());
            match m_of(rule) {
                Method2::Get if rule == Rule::WorkflowRuns => vec![Probe::new(Method::GET, format!("{path}/runs"), exp)],
                Method2::Get if rule == Rule::WorkflowSecret => {
                    vec![Probe::new(Method::POST, format!("{path}/secret"), exp).body(json!({}))]
                }
                Method2::Get => vec![Probe::new(Method::GET, path, exp)],
                Method2::Patch => vec![Probe::new(Method::PATCH, path, exp).body(json!({"active": false}))],
                Method2::Delete => vec![Probe::new(Method::DELETE, path, exp)],
            }
        }
        Rule::DeleteMapping => {
            let exp = if w == Who::P { DENIED } else { Expect::Refuse(&[403, 404]) };
            vec![Probe::new(Method::DELETE, format!("/api/v1/imports/mappings/none-{n}"), exp)]
        }
    }
}

// ---- running and judging ---------------------------------------------------------

/// What the admin reads as a witness, without what reading itself changes.
async fn witness(app: &TestApp, world: &World, path: &str) -> Value {
    let a = world.office.z.get(app, path).await;
    if path == "/api/v1/tokens" {
        let items: Vec<Value> =
            a.body["items"].as_array().into_iter().flatten().map(|t| json!([t["id"], t["revoked_at"]])).collect();
        return json!({"status": a.status.as_u16(), "items": items});
    }
    json!({"status": a.status.as_u16(), "body": a.body})
}

/// Sends a probe and judges the answer; returns what is wrong with it.
async fn run(app: &TestApp, world: &World, actor: &Actor, pass: Pass, probe: &Probe) -> Option<String> {
    let w = who(actor);
    let before = match &probe.witness {
        Some(p) => Some(witness(app, world, p).await),
        None => None,
    };
    let a = actor.send(app, probe.method.clone(), &probe.path, probe.body.as_ref()).await;
    let status = a.status.as_u16();
    let mut problems: Vec<String> = Vec::new();
    let mut fail = |m: String| problems.push(m);
    match probe.expect {
        Expect::Allow if !a.status.is_success() => fail(format!("expected 2xx, got {status} {}", brief(&a.body))),
        Expect::Refuse(codes) if !codes.contains(&status) => {
            let leak = if a.status.is_success() { " (LEAK: the request went through)" } else { "" };
            fail(format!("expected {codes:?}, got {status}{leak} {}", brief(&a.body)));
        }
        _ => {}
    }
    if a.status.is_success() {
        if w == Who::X {
            let text = a.body.to_string();
            let seen: Vec<&String> = world.w1_ids.iter().filter(|id| text.contains(id.as_str())).collect();
            if !seen.is_empty() {
                fail(format!("the other workspace's admin sees ids of workspace one: {seen:?} in {}", brief(&a.body)));
            }
        } else {
            let hidden = world.hidden(w, pass);
            let leaked: Vec<String> = exposed_ids(&a.body).intersection(&hidden).cloned().collect();
            if !leaked.is_empty() {
                fail(format!("shows records it must not: {leaked:?} in {}", brief(&a.body)));
            }
        }
        if probe.expect == Expect::Allow {
            check(&a.body, &probe.check, &mut fail);
        }
    } else if let (Some(path), Some(before)) = (&probe.witness, before) {
        let after = witness(app, world, path).await;
        if after != before {
            fail(format!("a refused request changed {path}: before {}, after {}", brief(&before), brief(&after)));
        }
    }
    if problems.is_empty() {
        return None;
    }
    let what = format!("[{}/{}] {} ({}) {} {}", app.name(), pass.name(), actor.key, actor.role, probe.method, probe.path);
    Some(format!("{what}: {}", problems.join("; ")))
}

fn check(body: &Value, c: &Check, fail: &mut impl FnMut(String)) {
    let items = || -> BTreeSet<String> {
        body["items"].as_array().into_iter().flatten().filter_map(|i| i["id"].as_str().map(str::to_string)).collect()
    };
    match c {
        Check::None => {}
        Check::Id(id) => {
            if body["id"].as_str() != Some(id) {
                fail(format!("expected record {id}, got {}", brief(body)));
            }
        }
        Check::Items { present, absent } | Check::Hits { present, absent } => {
            let got = items();
            for id in present {
                if !got.contains(id) {
                    fail(format!("{id} missing from the items {}", brief(body)));
                }
            }
            for id in absent {
                if got.contains(id) {
                    fail(format!("{id} listed though hidden: {}", brief(body)));
                }
            }
        }
        Check::Clusters { present, absent } => {
            let got: BTreeSet<String> = body["items"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|c| c["records"].as_array().cloned().unwrap_or_default())
                .filter_map(|r| r["id"].as_str().map(str::to_string))
                .collect();
            for id in present {
                if !got.contains(id) {
                    fail(format!("{id} missing from the clusters {}", brief(body)));
                }
            }
            for id in absent {
                if got.contains(id) {
                    fail(format!("{id} in a cluster though hidden: {}", brief(body)));
                }
            }
        }
        Check::Empty => {
            if !items().is_empty() {
                fail(format!("expected no items, got {:?}", items()));
            }
        }
        Check::NonEmpty => {
            if body["items"].as_array().is_none_or(Vec::is_empty) {
                fail(format!("expected items, got {}", brief(body)));
            }
        }
        Check::Me(user) => {
            if body["user"]["id"].as_str() != Some(user.to_string().as_str()) {
                fail(format!("me is not {user}: {}", brief(body)));
            }
        }
        Check::OwnTokens(user) => {
            let others: Vec<&Value> = body["items"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|t| t["user_id"].as_str() != Some(user.to_string().as_str()))
                .collect();
            if !others.is_empty() {
                fail(format!("lists other users' tokens: {others:?}"));
            }
        }
        Check::Export(person) => {
            if body["person"]["id"].as_str() != Some(person) {
                fail(format!("the export is not about {person}: {}", brief(body)));
            }
        }
    }
}

/// Every operation of the OpenAPI document, with its rule; the uncovered fail the test.
async fn operations(app: &TestApp) -> Vec<(String, String, Rule)> {
    let doc = app.get("/api/openapi.json").await;
    assert_eq!(doc.status.as_u16(), 200, "[{}] openapi.json: {}", app.name(), doc.body);
    let mut ops = Vec::new();
    let mut uncovered = Vec::new();
    for (path, methods) in doc.body["paths"].as_object().expect("paths") {
        for method in methods.as_object().expect("operations").keys() {
            if path.starts_with(CUSTOM_RECORDS) {
                continue;
            }
            match classify(method, path) {
                Some(rule) => ops.push((method.clone(), path.clone(), rule)),
                None => uncovered.push(format!("route not covered by the access matrix: {} {path}", method.to_uppercase())),
            }
        }
    }
    assert!(uncovered.is_empty(), "[{}]\n{}", app.name(), uncovered.join("\n"));
    assert!(ops.len() > 60, "[{}] only {} operations documented", app.name(), ops.len());
    ops
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_route_for_every_role_across_every_boundary() {
    // Every backend runs before the verdict, so that one report shows them all.
    let mut failures = Vec::new();
    for app in TestApp::all().await {
        let started = Instant::now();
        let ops = operations(&app).await;
        let world = World::new(&app).await;
        let before = failures.len();
        let mut n = 0;
        let mut calls = 0;
        for pass in [Pass::Team, Pass::Private, Pass::Workspace] {
            set_visibility(&app, pass.name()).await;
            for (_, _, rule) in &ops {
                let mut batch = Vec::new();
                for actor in world.office.everyone() {
                    for probe in probes(&app, &world, *rule, actor, pass, &mut n).await {
                        batch.push((actor, probe));
                    }
                }
                calls += batch.len();
                if batch.iter().all(|(_, p)| p.method == Method::GET) {
                    // Reads change nothing: everyone asks at once.
                    let answers = join_all(batch.iter().map(|(actor, probe)| run(&app, &world, actor, pass, probe))).await;
                    failures.extend(answers.into_iter().flatten());
                } else {
                    // A write is judged against what the admin sees before and after it: one at a time.
                    for (actor, probe) in &batch {
                        failures.extend(run(&app, &world, actor, pass, probe).await);
                    }
                }
            }
            // The records the matrix aims at are all still there.
            for t in world.recs.values() {
                let a = world.office.z.get(&app, &t.path()).await;
                assert_eq!(a.status.as_u16(), 200, "[{}/{}] {} disappeared: {}", app.name(), pass.name(), t.path(), a.body);
            }
        }
        eprintln!(
            "[{}] access matrix: {} operations, {calls} calls, {} violations, {:.1}s",
            app.name(),
            ops.len(),
            failures.len() - before,
            started.elapsed().as_secs_f64()
        );
    }
    assert!(failures.is_empty(), "{} access rule violations:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn the_table_knows_each_kind_of_route() {
    assert_eq!(classify("get", "/api/v1/people"), Some(Rule::List(Kind::Person)));
    assert_eq!(classify("delete", "/api/v1/deals/{id}/shares/{share_id}"), Some(Rule::Unshare(Kind::Deal)));
    assert_eq!(classify("post", "/api/v1/people/{id}/erase"), Some(Rule::Erase));
    assert_eq!(classify("get", "/api/v1/people/{id}/merge"), None);
    assert_eq!(classify("get", "/api/v1/products"), None);
    assert_eq!(classify("put", "/api/v1/people/{id}"), None);
    assert_eq!(classify("delete", "/api/v1/users/{id}"), None);
    assert_eq!(classify("get", "/api/v1/consents/{id}/shares"), None);
    assert_eq!(classify("post", "/api/v1/deals/{id}/merge"), None);
    assert_eq!(classify("get", "/api/v1/tasks/{id}/timeline"), None);
    assert_eq!(classify("post", "/api/v1/organizations/{id}/merge"), Some(Rule::Merge(Kind::Organization)));
}
