//! The OpenAPI 3.1 document, generated from the same field tables that drive
//! validation and storage, so it cannot drift from what the API accepts.

use rapport_domain::Kind;
use rapport_domain::custom::{self, CustomField, CustomType};
use rapport_domain::filter::Op;
use rapport_domain::schema::{self, Access, Field, FieldType};
use serde_json::{Map, Value as Json, json};

/// One documented operation.
pub struct Operation {
    pub method: &'static str,
    pub path: String,
    pub summary: String,
    pub tag: String,
    pub op: Json,
}

fn field_schema(f: &Field) -> Json {
    let mut s = match f.ty {
        FieldType::Text { max } => json!({"type": "string", "maxLength": max}),
        FieldType::LongText => json!({"type": "string"}),
        FieldType::Int { min, max } => json!({"type": "integer", "format": "int64", "minimum": min, "maximum": max}),
        FieldType::Bool => json!({"type": "boolean"}),
        FieldType::Date => json!({"type": "string", "format": "date"}),
        FieldType::DateTime => json!({"type": "string", "format": "date-time"}),
        FieldType::Enum(values) => json!({"type": "string", "enum": values}),
        FieldType::Ref(_) | FieldType::Pipeline | FieldType::Stage => json!({"type": "string", "format": "uuid"}),
        FieldType::Currency => json!({"type": "string", "pattern": "^[A-Z]{3}$"}),
        FieldType::Emails => json!({"type": "array", "items": {"$ref": "#/components/schemas/Email"}}),
        FieldType::Phones => json!({"type": "array", "items": {"$ref": "#/components/schemas/Phone"}}),
        FieldType::Address => json!({"$ref": "#/components/schemas/Address"}),
        FieldType::Recurrence => json!({
            "type": ["object", "null"],
            "required": ["frequency"],
            "additionalProperties": false,
            "properties": {
                "frequency": {"type": "string", "enum": rapport_domain::recurrence::FREQUENCIES},
                "interval": {"type": "integer", "minimum": 1, "maximum": rapport_domain::recurrence::MAX_INTERVAL, "default": 1},
                "until": {"type": ["string", "null"], "format": "date"},
                "day_of_month": {"type": ["integer", "null"], "minimum": 1, "maximum": 31,
                    "description": "Monthly and yearly: the day occurrences fall on (the month's last day when shorter); taken from the first due date when left out"},
            },
        }),
        FieldType::Addresses => json!({"type": "array", "items": {"$ref": "#/components/schemas/Address"}}),
        FieldType::Strings { .. } => json!({"type": "array", "items": {"type": "string", "maxLength": 100}}),
        FieldType::Links { role: true, .. } => json!({"type": "array", "items": {"$ref": "#/components/schemas/RoleLink"}}),
        FieldType::Links { role: false, .. } => json!({"type": "array", "items": {"type": "string", "format": "uuid"}}),
    };
    let obj = s.as_object_mut().expect("schemas are objects");
    obj.insert("description".into(), f.doc.into());
    if f.access != Access::Write {
        obj.insert("readOnly".into(), true.into());
    }
    s
}

fn record_schemas(kind: Kind) -> (Json, Json) {
    let mut read = Map::new();
    read.insert("id".into(), json!({"type": "string", "format": "uuid", "readOnly": true}));
    read.insert(
        "version".into(),
        json!({"type": "integer", "readOnly": true, "description": "Bumped by every change; send it back in If-Match."}),
    );
    for ts in ["created_at", "updated_at"] {
        read.insert(ts.into(), json!({"type": "string", "format": "date-time", "readOnly": true}));
    }
    for by in ["created_by", "updated_by"] {
        read.insert(by.into(), json!({"type": ["string", "null"], "format": "uuid", "readOnly": true}));
    }
    let mut write = Map::new();
    let mut required = vec![];
    if kind.has_custom_fields() {
        let custom =
            json!({"type": "object", "description": "Values of the workspace's custom fields (see /api/v1/custom-fields)."});
        read.insert("custom".into(), custom.clone());
        write.insert("custom".into(), custom);
    }
    for f in schema::fields(kind) {
        read.insert(f.name.into(), field_schema(f));
        if f.access == Access::Write {
            write.insert(f.name.into(), field_schema(f));
            if f.required {
                required.push(f.name);
            }
        }
    }
    (
        json!({"type": "object", "properties": read}),
        json!({"type": "object", "properties": write, "required": required, "additionalProperties": false}),
    )
}

fn problem_responses(codes: &[&str]) -> Map<String, Json> {
    codes
        .iter()
        .map(|c| (c.to_string(), json!({"description": "Problem details (RFC 9457)", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}})))
        .collect()
}

fn id_param() -> Json {
    json!({"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}})
}

fn ok(description: &str, schema: Json) -> (String, Json) {
    ("200".into(), json!({"description": description, "content": {"application/json": {"schema": schema}}}))
}

fn op(summary: &str, tag: &str, params: Vec<Json>, body: Option<Json>, success: (String, Json), errors: &[&str]) -> Json {
    let mut responses = problem_responses(errors);
    responses.insert(success.0, success.1);
    let mut o = json!({"summary": summary, "tags": [tag], "parameters": params, "responses": responses});
    if let Some(b) = body {
        o["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": b}}});
    }
    o
}

/// Every operation of the API, in route order.
pub fn operations() -> Vec<Operation> {
    let mut ops = Vec::new();
    let mut add = |method: &'static str, path: String, summary: String, tag: &str, op: Json| {
        ops.push(Operation { method, path, summary, tag: tag.to_string(), op });
    };
    let ops_list: Vec<&str> = Op::ALL.iter().map(|(n, _)| *n).collect();
    for kind in Kind::ALL {
        let c = kind.collection();
        let title = kind.title();
        let read = json!({"$ref": format!("#/components/schemas/{title}")});
        let write = json!({"$ref": format!("#/components/schemas/{title}Input")});
        let list_params = vec![
            json!({"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}}),
            json!({"name": "cursor", "in": "query", "description": "next_cursor of the previous page", "schema": {"type": "string"}}),
            json!({"name": "sort", "in": "query", "description": "A field, '-' first for descending; ties are broken by id", "schema": {"type": "string"}}),
            json!({"name": "fields", "in": "query", "description": "Comma-separated fields to return", "schema": {"type": "string"}}),
            json!({"name": "q", "in": "query", "description": "Global-search text the records must also match", "schema": {"type": "string"}}),
            json!({"name": "include", "in": "query", "description": "Related records to embed: a reference field without _id (organization, owner) or a link field", "schema": {"type": "string"}}),
            json!({"name": "filter", "in": "query", "style": "deepObject", "explode": true,
                   "description": format!("Filters as field=value or field[op]=value; op is one of {}; custom fields as custom.key", ops_list.join(", ")),
                   "schema": {"type": "object", "additionalProperties": {"type": "string"}}}),
        ];
        let page = json!({"type": "object", "properties": {"items": {"type": "array", "items": read}, "next_cursor": {"type": ["string", "null"]}}});
        add(
            "get",
            format!("/api/v1/{c}"),
            format!("List {c}"),
            title,
            op(&format!("List {c}"), title, list_params, None, ok("A page", page), &["401", "422"]),
        );
        let idem = json!({"name": "Idempotency-Key", "in": "header", "description": "Retrying with the same key returns the first result instead of a duplicate", "schema": {"type": "string", "maxLength": 255}});
        let mut created = op(
            &format!("Create a {}", kind.as_str()),
            title,
            vec![idem],
            Some(write.clone()),
            ("201".into(), json!({"description": "Created", "content": {"application/json": {"schema": read}}})),
            &["400", "401", "409", "413", "415", "422"],
        );
        created["responses"]["200"] =
            json!({"description": "Replayed: the record created by the first request with this Idempotency-Key"});
        add("post", format!("/api/v1/{c}"), format!("Create a {}", kind.as_str()), title, created);
        let bulk_body = json!({"type": "object", "properties": {"items": {"type": "array", "items": write, "maxItems": 1000}}, "required": ["items"]});
        add(
            "post",
            format!("/api/v1/{c}/bulk"),
            format!("Create several {c} at once (all or none)"),
            title,
            op(
                &format!("Create several {c} at once (all or none)"),
                title,
                vec![],
                Some(bulk_body),
                ("201".into(), json!({"description": "Created"})),
                &["400", "401", "413", "422"],
            ),
        );
        let item = format!("/api/v1/{c}/{{id}}");
        add(
            "get",
            item.clone(),
            format!("Get a {}", kind.as_str()),
            title,
            op(
                &format!("Get a {}", kind.as_str()),
                title,
                vec![id_param()],
                None,
                ok("The record, with its version as ETag", read.clone()),
                &["400", "401", "404"],
            ),
        );
        let if_match = json!({"name": "If-Match", "in": "header", "description": "The ETag last read: a stale one gets 412", "schema": {"type": "string"}});
        add(
            "patch",
            item.clone(),
            format!("Change a {} (JSON merge patch)", kind.as_str()),
            title,
            op(
                &format!("Change a {} (JSON merge patch)", kind.as_str()),
                title,
                vec![id_param(), if_match.clone()],
                Some(json!({"type": "object"})),
                ok("The changed record", read.clone()),
                &["400", "401", "404", "412", "415", "422"],
            ),
        );
        if kind != Kind::User {
            add(
                "delete",
                item.clone(),
                format!("Delete a {}", kind.as_str()),
                title,
                op(
                    &format!("Delete a {}", kind.as_str()),
                    title,
                    vec![id_param(), if_match],
                    None,
                    ("204".into(), json!({"description": "Deleted"})),
                    &["400", "401", "404", "412"],
                ),
            );
        }
        add(
            "get",
            format!("{item}/history"),
            format!("History of a {}", kind.as_str()),
            title,
            op(
                &format!("Every change to a {}: who, when, which field, old and new value", kind.as_str()),
                title,
                vec![id_param()],
                None,
                ok("Changes, newest first", json!({"type": "object"})),
                &["400", "401", "404"],
            ),
        );
        if rapport_domain::access::owner_column(kind).is_some() {
            let share = json!({"type": "object", "properties": {"user_id": {"type": "string", "format": "uuid"}, "team_id": {"type": "string", "format": "uuid"}, "access": {"type": "string", "enum": ["read", "write"]}}});
            add(
                "get",
                format!("{item}/shares"),
                format!("Who a {} is shared with", kind.as_str()),
                title,
                op(
                    &format!("Who a {} is shared with", kind.as_str()),
                    title,
                    vec![id_param()],
                    None,
                    ok("Shares", json!({"type": "object"})),
                    &["401", "403", "404"],
                ),
            );
            add(
                "post",
                format!("{item}/shares"),
                format!("Share a {} with a user or team", kind.as_str()),
                title,
                op(
                    &format!("Share a {} with a user or a team, to read or to change", kind.as_str()),
                    title,
                    vec![id_param()],
                    Some(share),
                    ("201".into(), json!({"description": "Shared"})),
                    &["400", "401", "403", "404", "422"],
                ),
            );
            add(
                "delete",
                format!("{item}/shares/{{share_id}}"),
                "Stop sharing".into(),
                title,
                op(
                    "Stop sharing",
                    title,
                    vec![
                        id_param(),
                        json!({"name": "share_id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}}),
                    ],
                    None,
                    ("204".into(), json!({"description": "No longer shared"})),
                    &["401", "403", "404"],
                ),
            );
        }
        if rapport_store::dedupe::KINDS.contains(&kind) {
            let k = kind.as_str();
            add(
                "post",
                format!("/api/v1/{c}/check-duplicates"),
                format!("Likely duplicates of a {k} before saving"),
                title,
                op(
                    &format!(
                        "Likely duplicates of a {k}, saved or not: same email, same phone, similar name at the same organization"
                    ),
                    title,
                    vec![],
                    Some(write.clone()),
                    ok("Candidates with score and reasons", json!({"type": "object"})),
                    &["400", "401", "403", "422"],
                ),
            );
            add(
                "get",
                format!("/api/v1/{c}/duplicates"),
                format!("Scan {c} for duplicates"),
                title,
                op(
                    &format!("Clusters of likely duplicate {c} with scores and reasons"),
                    title,
                    vec![],
                    None,
                    ok("Clusters", json!({"type": "object"})),
                    &["401", "403"],
                ),
            );
            add(
                "post",
                format!("{item}/merge"),
                format!("Merge {c} into this one"),
                title,
                op(
                    &format!(
                        "Merge other {c} into this one: every activity, task, deal, link and history row moves here; list fields are united; `choose` picks whose value wins per field; merged ids redirect here"
                    ),
                    title,
                    vec![id_param()],
                    Some(
                        json!({"type": "object", "properties": {"merge_ids": {"type": "array", "items": {"type": "string", "format": "uuid"}}, "choose": {"type": "object", "additionalProperties": {"type": "string", "format": "uuid"}}}, "required": ["merge_ids"]}),
                    ),
                    ok("The survivor", read.clone()),
                    &["400", "401", "403", "404", "409", "422"],
                ),
            );
        }
        if kind.has_timeline() {
            add(
                "get",
                format!("{item}/timeline"),
                format!("Timeline of a {}", kind.as_str()),
                title,
                op(
                    &format!("Activities, tasks and changes around a {}, newest first", kind.as_str()),
                    title,
                    vec![id_param()],
                    None,
                    ok("A page of the timeline", json!({"type": "object"})),
                    &["400", "401", "404", "422"],
                ),
            );
            add(
                "get",
                format!("{item}/related"),
                format!("Records related to a {}", kind.as_str()),
                title,
                op(
                    &format!("Records whose relation fields point at a {}", kind.as_str()),
                    title,
                    vec![id_param()],
                    None,
                    ok("{items: [{kind, field, record}]}", json!({"type": "object"})),
                    &["400", "401", "404"],
                ),
            );
        }
    }
    object_operations(&mut add);
    add(
        "get",
        "/api/v1/deals/{id}/stage-history".into(),
        "Stage history of a deal".into(),
        "Deal",
        op(
            "When the deal entered and left each stage",
            "Deal",
            vec![id_param()],
            None,
            ok("Stage periods, oldest first", json!({"type": "object"})),
            &["400", "401", "404"],
        ),
    );
    let obj = json!({"type": "object"});
    let hook = json!({"type": "object", "properties": {"url": {"type": "string", "format": "uri"}, "events": {"type": "array", "items": {"type": "string", "description": "person.created, deal.stage_changed, task.due, person.*, or *. A custom record kind's events are named by its key: contract.created, contract.updated, contract.deleted, contract.* and, for a kind with a status, contract.stage_changed; their data has record_kind \"object\" and object_type \"contract\". Events of a kind the workspace lacks are refused"}}, "description": {"type": "string"}, "active": {"type": "boolean"}}});
    let tag = "Automation";
    add(
        "get",
        "/api/v1/webhooks".into(),
        "List webhook subscriptions".into(),
        tag,
        op("Webhook subscriptions (admins)", tag, vec![], None, ok("Subscriptions", obj.clone()), &["401", "403"]),
    );
    add(
        "post",
        "/api/v1/webhooks".into(),
        "Subscribe a URL to events".into(),
        tag,
        op(
            "Subscribe a URL to events; deliveries are signed per the Standard Webhooks specification (webhook-id, webhook-timestamp, webhook-signature) with the returned secret, retried with backoff for about a day. Each delivery's body is {type, timestamp, data: {record_kind, record_id, action, actor_id, via, changes}}, plus data.object_type (the kind's key) for a custom record",
            tag,
            vec![],
            Some(hook.clone()),
            ("201".into(), json!({"description": "Created, with its signing secret"})),
            &["400", "401", "403", "422"],
        ),
    );
    add(
        "get",
        "/api/v1/webhooks/{id}".into(),
        "Get a webhook subscription".into(),
        tag,
        op(
            "Get a webhook subscription",
            tag,
            vec![id_param()],
            None,
            ok("The subscription", obj.clone()),
            &["401", "403", "404"],
        ),
    );
    add(
        "patch",
        "/api/v1/webhooks/{id}".into(),
        "Change a webhook subscription".into(),
        tag,
        op(
            "Change a subscription's URL, events, description or active flag",
            tag,
            vec![id_param()],
            Some(hook),
            ok("The subscription", obj.clone()),
            &["400", "401", "403", "404", "422"],
        ),
    );
    add(
        "delete",
        "/api/v1/webhooks/{id}".into(),
        "Remove a webhook subscription".into(),
        tag,
        op(
            "Remove a webhook subscription",
            tag,
            vec![id_param()],
            None,
            ("204".into(), json!({"description": "Removed"})),
            &["401", "403", "404"],
        ),
    );
    add(
        "get",
        "/api/v1/webhooks/{id}/deliveries".into(),
        "Delivery log".into(),
        tag,
        op(
            "Every delivery attempt of a subscription, newest first",
            tag,
            vec![id_param()],
            None,
            ok("Deliveries", obj.clone()),
            &["401", "403", "404"],
        ),
    );
    for (path, what) in [("/api/v1/webhooks/{id}/secret", "subscription"), ("/api/v1/workflows/{id}/secret", "workflow")] {
        add(
            "post",
            path.into(),
            format!("Replace a {what}'s signing secret"),
            tag,
            op(
                &format!(
                    "Make a new signing secret for the {what}; the answer is the only place it is shown (listings show `secret_hint`), and deliveries from now on are signed with it"
                ),
                tag,
                vec![id_param()],
                None,
                ok("With its new secret", obj.clone()),
                &["401", "403", "404"],
            ),
        );
    }
    add(
        "post",
        "/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver".into(),
        "Send an event again".into(),
        tag,
        op(
            "Queue a logged event for delivery again",
            tag,
            vec![
                id_param(),
                json!({"name": "delivery_id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}}),
            ],
            None,
            ("202".into(), json!({"description": "Queued"})),
            &["401", "403", "404"],
        ),
    );
    add(
        "get",
        "/api/v1/jobs".into(),
        "Job log".into(),
        tag,
        op(
            "Background jobs of the workspace, newest first (admins); filter by status: queued, running, done, dead",
            tag,
            vec![],
            None,
            ok("Jobs", obj.clone()),
            &["401", "403"],
        ),
    );
    add(
        "get",
        "/api/v1/notifications".into(),
        "My notifications".into(),
        tag,
        op(
            "The caller's notifications (reminders, notices), newest first; unread=true for unread only",
            tag,
            vec![],
            None,
            ok("Notifications", obj.clone()),
            &["401"],
        ),
    );
    add(
        "post",
        "/api/v1/notifications/{id}/read".into(),
        "Mark a notification read".into(),
        tag,
        op(
            "Mark a notification read",
            tag,
            vec![id_param()],
            None,
            ("204".into(), json!({"description": "Read"})),
            &["401", "404"],
        ),
    );
    let rule = json!({"type": "object", "properties": {
        "kind": {"type": "string", "enum": ["person", "deal", "task"]}, "name": {"type": "string", "maxLength": 200},
        "position": {"type": "integer", "minimum": 0, "maximum": 10000, "description": "Rules of a kind are tried in this order; the first that matches and finds a user wins"},
        "conditions": {"type": "array", "items": {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 2}, "description": "Filter pairs as in list queries: [[\"lead_source[in]\", \"web,event\"], [\"custom.region\", \"EU\"]]; none matches every record (a fallback)"},
        "method": {"type": "string", "enum": ["user", "round_robin", "load"]}, "user_id": {"type": "string", "format": "uuid"}, "team_id": {"type": "string", "format": "uuid"},
        "active": {"type": "boolean"}}, "required": ["kind", "name", "method"]});
    add(
        "get",
        "/api/v1/assignment-rules".into(),
        "List assignment rules".into(),
        tag,
        op(
            "Assignment rules in the order they are tried, per kind (admins); kind= to filter",
            tag,
            vec![],
            None,
            ok("Rules", obj.clone()),
            &["401", "403", "422"],
        ),
    );
    add(
        "post",
        "/api/v1/assignment-rules".into(),
        "Create an assignment rule".into(),
        tag,
        op(
            "Create a rule giving new people, deals or tasks without an owner to a user, a team in turn (skipping users away), or the team member with the fewest open items",
            tag,
            vec![],
            Some(rule.clone()),
            ("201".into(), json!({"description": "Created"})),
            &["400", "401", "403", "422"],
        ),
    );
    add(
        "get",
        "/api/v1/assignment-rules/{id}".into(),
        "Get an assignment rule".into(),
        tag,
        op("Get an assignment rule", tag, vec![id_param()], None, ok("The rule", obj.clone()), &["401", "403", "404"]),
    );
    add(
        "patch",
        "/api/v1/assignment-rules/{id}".into(),
        "Change an assignment rule".into(),
        tag,
        op(
            "Change an assignment rule (merge patch)",
            tag,
            vec![id_param()],
            Some(rule),
            ok("The rule", obj.clone()),
            &["400", "401", "403", "404", "422"],
        ),
    );
    add(
        "delete",
        "/api/v1/assignment-rules/{id}".into(),
        "Remove an assignment rule".into(),
        tag,
        op(
            "Remove an assignment rule",
            tag,
            vec![id_param()],
            None,
            ("204".into(), json!({"description": "Removed"})),
            &["401", "403", "404"],
        ),
    );
    let flow = json!({"type": "object", "properties": {
        "name": {"type": "string", "maxLength": 200}, "active": {"type": "boolean"},
        "trigger": {"type": "object", "description": "{type: record_created|record_updated|field_changed (field, to)|deal_stage_entered (stage_id)|stage_entered (stage_id; deals and custom kinds with a status)|date_reached (field, offset_days)|no_activity (days)|task_overdue, kind: person|organization|deal|task|activity or a custom record kind's key (contract)}"},
        "conditions": {"type": "array", "items": {"type": "array", "items": {"type": "string"}}, "description": "Filter pairs the record must meet, as in list queries"},
        "actions": {"type": "array", "minItems": 1, "maxItems": 20, "items": {"type": "object", "description": "{type: assign (rule_id or user_id)|create_task (title, due_in_days, assignee, priority)|update_field (field, value)|add_tag (tag)|remove_tag (tag)|notify (to: owner, user_id or team_id; title, body)|webhook (url)}; send_email is refused until Rapport sends mail"}}},
        "required": ["name", "trigger", "actions"]});
    add(
        "get",
        "/api/v1/workflows".into(),
        "List workflows".into(),
        tag,
        op("Workflows of the workspace (admins)", tag, vec![], None, ok("Workflows", obj.clone()), &["401", "403"]),
    );
    add(
        "post",
        "/api/v1/workflows".into(),
        "Create a workflow".into(),
        tag,
        op(
            "Define a workflow: a trigger, conditions on the record, and actions run by the worker; webhook actions are signed with the returned secret",
            tag,
            vec![],
            Some(flow.clone()),
            ("201".into(), json!({"description": "Created, with its signing secret"})),
            &["400", "401", "403", "422"],
        ),
    );
    add(
        "get",
        "/api/v1/workflows/{id}".into(),
        "Get a workflow".into(),
        tag,
        op("Get a workflow", tag, vec![id_param()], None, ok("The workflow", obj.clone()), &["401", "403", "404"]),
    );
    add(
        "patch",
        "/api/v1/workflows/{id}".into(),
        "Change a workflow".into(),
        tag,
        op(
            "Change a workflow (merge patch; trigger, conditions and actions are replaced whole)",
            tag,
            vec![id_param()],
            Some(flow),
            ok("The workflow", obj.clone()),
            &["400", "401", "403", "404", "422"],
        ),
    );
    add(
        "delete",
        "/api/v1/workflows/{id}".into(),
        "Remove a workflow".into(),
        tag,
        op(
            "Remove a workflow and its run log",
            tag,
            vec![id_param()],
            None,
            ("204".into(), json!({"description": "Removed"})),
            &["401", "403", "404"],
        ),
    );
    add(
        "get",
        "/api/v1/workflows/{id}/runs".into(),
        "Workflow run log".into(),
        tag,
        op(
            "Every run of a workflow, newest first: trigger, record, outcome (ok, skipped, error), error, actions done",
            tag,
            vec![id_param()],
            None,
            ok("Runs", obj.clone()),
            &["401", "403", "404", "422"],
        ),
    );
    add(
        "get",
        "/api/v1/search".into(),
        "Search everything".into(),
        "Search",
        op(
            "Search people, organizations, deals, activities and tasks by name, email, phone (any format), domain or text; accent- and case-insensitive, prefix and typo tolerant; best hits first, each with the field it matched",
            "Search",
            vec![
                json!({"name": "q", "in": "query", "required": true, "schema": {"type": "string", "maxLength": 200}}),
                json!({"name": "kinds", "in": "query", "description": "Comma-separated collections to search", "schema": {"type": "string"}}),
                json!({"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}}),
            ],
            None,
            ok("Hits", obj.clone()),
            &["401", "422"],
        ),
    );
    add(
        "get",
        "/api/v1/me".into(),
        "Who am I".into(),
        "Access",
        op(
            "The caller: user, role, teams, workspace, token scopes",
            "Access",
            vec![],
            None,
            ok("The caller", obj.clone()),
            &["401"],
        ),
    );
    add(
        "get",
        "/api/v1/tokens".into(),
        "List API tokens".into(),
        "Access",
        op(
            "My API tokens (all of the workspace's for admins); never the secrets",
            "Access",
            vec![],
            None,
            ok("Tokens", obj.clone()),
            &["401"],
        ),
    );
    add(
        "post",
        "/api/v1/tokens".into(),
        "Create an API token".into(),
        "Access",
        op(
            "Create an API token; the secret is in this answer only",
            "Access",
            vec![],
            Some(
                json!({"type": "object", "properties": {"name": {"type": "string"}, "scopes": {"type": "array", "items": {"type": "string", "description": "read, write, or <collection>:read|write"}}, "user_id": {"type": "string", "format": "uuid"}}, "required": ["name", "scopes"]}),
            ),
            ("201".into(), json!({"description": "Created"})),
            &["400", "401", "403", "422"],
        ),
    );
    add(
        "delete",
        "/api/v1/tokens/{id}".into(),
        "Revoke an API token".into(),
        "Access",
        op(
            "Revoke an API token",
            "Access",
            vec![id_param()],
            None,
            ("204".into(), json!({"description": "Revoked"})),
            &["401", "404"],
        ),
    );
    add(
        "post",
        "/api/v1/users/{id}/reassign".into(),
        "Hand a user's records to another".into(),
        "Access",
        op(
            "Reassign every record a user owns to another user (admins, managers)",
            "Access",
            vec![id_param()],
            Some(
                json!({"type": "object", "properties": {"to": {"type": "string", "format": "uuid"}, "kinds": {"type": "array", "items": {"type": "string"}}}, "required": ["to"]}),
            ),
            ok("Counts per kind", obj.clone()),
            &["400", "401", "403", "422"],
        ),
    );
    add(
        "get",
        "/api/v1/workspace/visibility".into(),
        "Record visibility per kind".into(),
        "Access",
        op(
            "Who sees each kind of record: private, team or workspace",
            "Access",
            vec![],
            None,
            ok("Visibility per kind", obj.clone()),
            &["401"],
        ),
    );
    add(
        "patch",
        "/api/v1/workspace/visibility".into(),
        "Change record visibility".into(),
        "Access",
        op(
            "Change who sees each kind of record (admins)",
            "Access",
            vec![],
            Some(obj.clone()),
            ok("Visibility per kind", obj.clone()),
            &["400", "401", "403", "422"],
        ),
    );
    add(
        "get",
        "/api/v1/audit".into(),
        "Audit log".into(),
        "Access",
        op(
            "Security events, newest first (admins): filter by user_id, record_kind + record_id, action",
            "Access",
            vec![],
            None,
            ok("Events", obj.clone()),
            &["400", "401", "403"],
        ),
    );
    add(
        "get",
        "/api/v1/people/{id}/privacy-export".into(),
        "Export what is held about a person".into(),
        "Access",
        op(
            "Everything Rapport holds about a person, as JSON (admins; audited)",
            "Access",
            vec![id_param()],
            None,
            ok("The export", obj.clone()),
            &["401", "403", "404"],
        ),
    );
    add(
        "post",
        "/api/v1/people/{id}/erase".into(),
        "Erase a person".into(),
        "Access",
        op(
            "Remove a person's personal data, keeping counts and amounts (admins; audited)",
            "Access",
            vec![id_param()],
            None,
            ok("The erased record", obj),
            &["401", "403", "404"],
        ),
    );
    let ws = json!({"$ref": "#/components/schemas/Workspace"});
    add(
        "get",
        "/api/v1/workspace".into(),
        "Workspace settings".into(),
        "Settings",
        op("Workspace settings", "Settings", vec![], None, ok("Settings", ws.clone()), &["401"]),
    );
    add(
        "patch",
        "/api/v1/workspace".into(),
        "Change workspace settings".into(),
        "Settings",
        op("Change workspace settings", "Settings", vec![], Some(ws.clone()), ok("Settings", ws), &["400", "401", "422"]),
    );
    let pipeline = json!({"$ref": "#/components/schemas/Pipeline"});
    let pipeline_in = json!({"$ref": "#/components/schemas/PipelineInput"});
    add(
        "get",
        "/api/v1/pipelines".into(),
        "List pipelines".into(),
        "Pipeline",
        op("List pipelines with their stages", "Pipeline", vec![], None, ok("Pipelines", json!({"type": "object"})), &["401"]),
    );
    add(
        "post",
        "/api/v1/pipelines".into(),
        "Create a pipeline".into(),
        "Pipeline",
        op(
            "Create a pipeline",
            "Pipeline",
            vec![],
            Some(pipeline_in.clone()),
            ("201".into(), json!({"description": "Created", "content": {"application/json": {"schema": pipeline}}})),
            &["400", "401", "422"],
        ),
    );
    add(
        "get",
        "/api/v1/pipelines/{id}".into(),
        "Get a pipeline".into(),
        "Pipeline",
        op("Get a pipeline", "Pipeline", vec![id_param()], None, ok("The pipeline", pipeline.clone()), &["401", "404"]),
    );
    add(
        "put",
        "/api/v1/pipelines/{id}".into(),
        "Replace a pipeline's name and stages".into(),
        "Pipeline",
        op(
            "Replace a pipeline's name and stages",
            "Pipeline",
            vec![id_param()],
            Some(pipeline_in),
            ok("The pipeline", pipeline),
            &["400", "401", "404", "409", "412", "422"],
        ),
    );
    add(
        "delete",
        "/api/v1/pipelines/{id}".into(),
        "Delete an empty pipeline".into(),
        "Pipeline",
        op(
            "Delete an empty pipeline",
            "Pipeline",
            vec![id_param()],
            None,
            ("204".into(), json!({"description": "Deleted"})),
            &["401", "404", "409"],
        ),
    );
    let coll = json!({"name": "collection", "in": "path", "required": true, "schema": {"type": "string", "enum": Kind::ALL.iter().filter(|k| k.has_custom_fields()).map(|k| k.collection()).collect::<Vec<_>>()}});
    let cf = json!({"$ref": "#/components/schemas/CustomField"});
    add(
        "get",
        "/api/v1/custom-fields/{collection}".into(),
        "List custom fields".into(),
        "Custom fields",
        op(
            "List a record kind's custom fields",
            "Custom fields",
            vec![coll.clone()],
            None,
            ok("Definitions", json!({"type": "object"})),
            &["401", "404"],
        ),
    );
    add(
        "post",
        "/api/v1/custom-fields/{collection}".into(),
        "Define a custom field".into(),
        "Custom fields",
        op(
            "Define a custom field",
            "Custom fields",
            vec![coll.clone()],
            Some(cf.clone()),
            ("201".into(), json!({"description": "Created"})),
            &["400", "401", "404", "422"],
        ),
    );
    let key = json!({"name": "key", "in": "path", "required": true, "schema": {"type": "string"}});
    let if_match = json!({"name": "If-Match", "in": "header", "required": false, "schema": {"type": "string"}, "description": "The definition's version as its ETag (\"3\"): a stale one is refused with 412"});
    let field = || ok("The definition (ETag: its version)", json!({"$ref": "#/components/schemas/CustomField"}));
    add(
        "put",
        "/api/v1/custom-fields/{collection}/order".into(),
        "Reorder custom fields".into(),
        "Custom fields",
        op(
            "Set the order of a kind's fields: every field in use, once",
            "Custom fields",
            vec![coll.clone()],
            Some(
                json!({"type": "object", "properties": {"keys": {"type": "array", "items": {"type": "string"}}}, "required": ["keys"]}),
            ),
            ok("Definitions in their new order", json!({"type": "object"})),
            &["400", "401", "404", "422"],
        ),
    );
    add(
        "get",
        "/api/v1/custom-fields/{collection}/{key}".into(),
        "Get a custom field".into(),
        "Custom fields",
        op(
            "One definition, deleted ones included",
            "Custom fields",
            vec![coll.clone(), key.clone()],
            None,
            field(),
            &["401", "404"],
        ),
    );
    add(
        "patch",
        "/api/v1/custom-fields/{collection}/{key}".into(),
        "Change a custom field".into(),
        "Custom fields",
        op(
            "Change label, help, required, default, validation, options, hidden, identifies or type (not the key). A type or option change converts the stored values, or refuses with 409 listing the records whose values would not convert",
            "Custom fields",
            vec![coll.clone(), key.clone(), if_match.clone()],
            Some(json!({"$ref": "#/components/schemas/CustomFieldPatch"})),
            field(),
            &["400", "401", "404", "409", "412", "422"],
        ),
    );
    add(
        "delete",
        "/api/v1/custom-fields/{collection}/{key}".into(),
        "Delete a custom field".into(),
        "Custom fields",
        op(
            "Soft delete: the field is no longer accepted or shown, its values stay in the records; restorable until purged (explicitly or after 30 days)",
            "Custom fields",
            vec![coll.clone(), key.clone(), if_match.clone()],
            None,
            ("204".into(), json!({"description": "Deleted"})),
            &["401", "404", "409", "412"],
        ),
    );
    add(
        "post",
        "/api/v1/custom-fields/{collection}/{key}/restore".into(),
        "Restore a custom field".into(),
        "Custom fields",
        op(
            "Bring a deleted field back with its values",
            "Custom fields",
            vec![coll.clone(), key.clone(), if_match],
            None,
            field(),
            &["401", "404", "409", "412"],
        ),
    );
    add(
        "post",
        "/api/v1/custom-fields/{collection}/{key}/purge".into(),
        "Purge a custom field".into(),
        "Custom fields",
        op(
            "Remove a deleted field and its values from every record, for good",
            "Custom fields",
            vec![coll, key],
            None,
            ok(
                "How many records held a value",
                json!({"type": "object", "properties": {"key": {"type": "string"}, "purged_records": {"type": "integer"}}}),
            ),
            &["401", "404", "409"],
        ),
    );
    ops.extend(crate::api::io::operations());
    ops
}

/// The custom record kinds' definitions and records.
fn object_operations(add: &mut impl FnMut(&'static str, String, String, &str, Json)) {
    const TAG: &str = "CustomRecord";
    let ty =
        json!({"name": "type", "in": "path", "required": true, "description": "The kind's key", "schema": {"type": "string"}});
    let key = json!({"name": "key", "in": "path", "required": true, "schema": {"type": "string"}});
    let field = json!({"name": "field", "in": "path", "required": true, "schema": {"type": "string"}});
    let if_match = json!({"name": "If-Match", "in": "header", "description": "The ETag last read: a stale one gets 412", "schema": {"type": "string"}});
    let def = json!({"$ref": "#/components/schemas/ObjectType"});
    let def_in = json!({"$ref": "#/components/schemas/ObjectTypeInput"});
    let read = json!({"$ref": "#/components/schemas/CustomRecord"});
    let write = json!({"$ref": "#/components/schemas/CustomRecordInput"});
    // method, path, summary, parameters, body, success, errors
    type Spec<'a> = (&'static str, &'a str, &'a str, Vec<Json>, Option<Json>, (String, Json), &'a [&'a str]);
    let ops: Vec<Spec> = vec![
        (
            "get",
            "/api/v1/object-types",
            "List the custom record kinds",
            vec![],
            None,
            ok("Definitions", json!({"type": "object", "properties": {"items": {"type": "array", "items": def}}})),
            &["401"],
        ),
        (
            "post",
            "/api/v1/object-types",
            "Define a record kind (with its first fields and stages)",
            vec![],
            Some(def_in.clone()),
            ("201".into(), json!({"description": "Defined"})),
            &["400", "401", "403", "422"],
        ),
        (
            "get",
            "/api/v1/object-types/{key}",
            "Get a record kind's definition",
            vec![key.clone()],
            None,
            ok("The definition, its version as ETag", def.clone()),
            &["401", "404"],
        ),
        (
            "patch",
            "/api/v1/object-types/{key}",
            "Change a record kind's labels, shown fields or stages",
            vec![key.clone(), if_match.clone()],
            Some(def_in),
            ok("The definition", def),
            &["400", "401", "403", "404", "412", "422"],
        ),
        (
            "delete",
            "/api/v1/object-types/{key}",
            "Delete a record kind that has no records",
            vec![key.clone(), if_match.clone()],
            None,
            ("204".into(), json!({"description": "Deleted"})),
            &["401", "403", "404", "409", "412"],
        ),
        (
            "get",
            "/api/v1/object-types/{key}/fields",
            "List a record kind's fields; ?deleted=true adds the deleted ones still restorable (admins)",
            vec![key.clone(), json!({"name": "deleted", "in": "query", "schema": {"type": "boolean"}})],
            None,
            ok(
                "Fields",
                json!({"type": "object", "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/CustomField"}}}}),
            ),
            &["401", "403", "404"],
        ),
        (
            "post",
            "/api/v1/object-types/{key}/fields",
            "Add a field to a record kind",
            vec![key.clone()],
            Some(json!({"$ref": "#/components/schemas/CustomField"})),
            ("201".into(), json!({"description": "Created"})),
            &["400", "401", "403", "404", "422"],
        ),
        (
            "patch",
            "/api/v1/object-types/{key}/fields/{field}",
            "Change a field of a record kind: label, help, required, default, validation, options, hidden, type. A new type or options convert the stored values in the same transaction, or refuse (409, not-convertible) naming the records that would not convert",
            vec![key.clone(), field.clone(), if_match.clone()],
            Some(json!({"$ref": "#/components/schemas/CustomFieldPatch"})),
            ok("The field", json!({"$ref": "#/components/schemas/CustomField"})),
            &["400", "401", "403", "404", "409", "412", "422"],
        ),
        (
            "delete",
            "/api/v1/object-types/{key}/fields/{field}",
            "Delete a field of a record kind softly: its values stay in the records, restorable until purged (30 days)",
            vec![key.clone(), field.clone(), if_match.clone()],
            None,
            ("204".into(), json!({"description": "Deleted"})),
            &["401", "403", "404", "409", "412"],
        ),
        (
            "post",
            "/api/v1/object-types/{key}/fields/{field}/restore",
            "Restore a deleted field of a record kind with the values its records kept",
            vec![key.clone(), field.clone(), if_match.clone()],
            None,
            ok("The field", json!({"$ref": "#/components/schemas/CustomField"})),
            &["401", "403", "404", "409", "412"],
        ),
        (
            "post",
            "/api/v1/object-types/{key}/fields/{field}/purge",
            "Purge a deleted field of a record kind: its definition and its values, at once",
            vec![key, field],
            None,
            ok(
                "How many records held a value",
                json!({"type": "object", "properties": {"key": {"type": "string"}, "purged_records": {"type": "integer"}}}),
            ),
            &["401", "403", "404", "409"],
        ),
        (
            "get",
            "/api/v1/objects/{type}",
            "List records of a custom kind (filters as field=value, custom.key=value; relations by id)",
            vec![ty.clone()],
            None,
            ok(
                "A page",
                json!({"type": "object", "properties": {"items": {"type": "array", "items": read}, "next_cursor": {"type": ["string", "null"]}}}),
            ),
            &["401", "404", "422"],
        ),
        (
            "post",
            "/api/v1/objects/{type}",
            "Create a record of a custom kind",
            vec![ty.clone()],
            Some(write.clone()),
            ("201".into(), json!({"description": "Created", "content": {"application/json": {"schema": read}}})),
            &["400", "401", "403", "404", "422"],
        ),
        (
            "post",
            "/api/v1/objects/{type}/check-duplicates",
            "Likely duplicates of a record of a custom kind, saved or not: same value of an identifying field (0.95), same name (0.6)",
            vec![ty.clone()],
            Some(write.clone()),
            ok(
                "Candidates, best first, each with a score and reasons",
                json!({"type": "object", "properties": {"items": {"type": "array"}}}),
            ),
            &["400", "401", "404", "422"],
        ),
        (
            "get",
            "/api/v1/objects/{type}/duplicates",
            "Clusters of likely duplicates among a custom kind's records",
            vec![ty.clone()],
            None,
            ok(
                "Clusters, each with a score, reasons and records",
                json!({"type": "object", "properties": {"items": {"type": "array"}}}),
            ),
            &["401", "404"],
        ),
        (
            "get",
            "/api/v1/objects/{type}/{id}",
            "Get a record of a custom kind",
            vec![ty.clone(), id_param()],
            None,
            ok("The record, its version as ETag", read.clone()),
            &["400", "401", "404"],
        ),
        (
            "patch",
            "/api/v1/objects/{type}/{id}",
            "Change a record of a custom kind (JSON merge patch)",
            vec![ty.clone(), id_param(), if_match.clone()],
            Some(json!({"type": "object"})),
            ok("The changed record", read),
            &["400", "401", "403", "404", "412", "422"],
        ),
        (
            "delete",
            "/api/v1/objects/{type}/{id}",
            "Delete a record of a custom kind",
            vec![ty.clone(), id_param(), if_match],
            None,
            ("204".into(), json!({"description": "Deleted"})),
            &["400", "401", "403", "404", "412"],
        ),
        (
            "get",
            "/api/v1/objects/{type}/{id}/timeline",
            "Activities, tasks and changes around a custom record",
            vec![ty.clone(), id_param()],
            None,
            ok("A page of the timeline", json!({"type": "object"})),
            &["400", "401", "404", "422"],
        ),
        (
            "get",
            "/api/v1/objects/{type}/{id}/history",
            "A custom record's change history",
            vec![ty.clone(), id_param()],
            None,
            ok("Changes, newest first", json!({"type": "object"})),
            &["400", "401", "404"],
        ),
        (
            "get",
            "/api/v1/objects/{type}/{id}/related",
            "Records whose relation fields point at a custom record",
            vec![ty, id_param()],
            None,
            ok("{items: [{kind, field, record}]}", json!({"type": "object"})),
            &["400", "401", "404"],
        ),
    ];
    for (method, path, summary, params, body, success, errors) in ops {
        add(method, path.into(), summary.into(), TAG, op(summary, TAG, params, body, success, errors));
    }
}

/// The JSON schema of one custom field's value.
fn custom_value_schema(d: &CustomField) -> Json {
    let mut s = match d.ty {
        CustomType::Text | CustomType::LongText => {
            let mut s = json!({"type": "string", "maxLength": d.max_length.unwrap_or(if d.ty == CustomType::Text { custom::TEXT_MAX } else { custom::LONG_TEXT_MAX })});
            if let Some(p) = &d.pattern {
                s["pattern"] = json!(format!("^(?:{p})$"));
            }
            s
        }
        CustomType::Number | CustomType::Percent => {
            let mut s = json!({"type": "number"});
            if let Some(m) = &d.min {
                s["minimum"] = m.clone();
            }
            if let Some(m) = &d.max {
                s["maximum"] = m.clone();
            }
            s
        }
        CustomType::Rating => json!({"type": "integer", "minimum": 1, "maximum": d.rating_max()}),
        CustomType::Money => {
            json!({"type": "object", "properties": {"amount_minor": {"type": "integer"}, "currency": {"type": "string", "description": "ISO 4217; the workspace's currency when left out"}}, "required": ["amount_minor"], "additionalProperties": false})
        }
        CustomType::Date => json!({"type": "string", "format": "date"}),
        CustomType::DateTime => json!({"type": "string", "format": "date-time"}),
        CustomType::Boolean => json!({"type": "boolean"}),
        CustomType::Select => json!({"type": "string", "enum": d.options}),
        CustomType::MultiSelect => json!({"type": "array", "items": {"type": "string", "enum": d.options}, "uniqueItems": true}),
        CustomType::Email => json!({"type": "string", "format": "email"}),
        CustomType::Phone => {
            json!({"type": "string", "description": "Any format; stored in E.164, read with the workspace's region"})
        }
        CustomType::Url => json!({"type": "string", "format": "uri"}),
        CustomType::Relation if d.many => {
            json!({"type": "array", "items": {"type": "string", "format": "uuid"}, "uniqueItems": true})
        }
        CustomType::Relation => json!({"type": "string", "format": "uuid"}),
    };
    let doc = match &d.help {
        Some(h) => format!("{} ({}): {h}", d.label, d.ty.as_str()),
        None => format!("{} ({})", d.label, d.ty.as_str()),
    };
    s["description"] = json!(doc);
    if let Some(v) = &d.default {
        s["default"] = v.clone();
    }
    s
}

/// The document for a workspace: each kind's `custom` object lists the
/// workspace's custom fields in use, typed (what an authenticated client gets).
pub fn workspace_document(custom: &[(Kind, Vec<CustomField>)]) -> Json {
    let mut doc = document();
    for (kind, defs) in custom {
        let props: Map<String, Json> =
            defs.iter().filter(|d| !d.is_deleted()).map(|d| (d.key.clone(), custom_value_schema(d))).collect();
        let required: Vec<&str> = defs.iter().filter(|d| d.required && !d.is_deleted()).map(|d| d.key.as_str()).collect();
        let read = json!({"type": "object", "properties": props, "description": "Values of the workspace's custom fields"});
        let write = json!({"type": "object", "properties": props, "required": required, "additionalProperties": false});
        let schemas = &mut doc["components"]["schemas"];
        schemas[kind.title()]["properties"]["custom"] = read;
        schemas[format!("{}Input", kind.title())]["properties"]["custom"] = write;
    }
    doc
}

pub fn document() -> Json {
    let mut paths = Map::new();
    for o in operations() {
        let entry = paths.entry(o.path.clone()).or_insert_with(|| json!({}));
        entry[o.method] = o.op;
    }
    let mut schemas = Map::new();
    for kind in Kind::EVERY {
        let (read, write) = record_schemas(kind);
        schemas.insert(kind.title().into(), read);
        schemas.insert(format!("{}Input", kind.title()), write);
    }
    schemas.insert("Email".into(), json!({"type": "object", "properties": {"address": {"type": "string", "format": "email"}, "label": {"type": "string"}, "primary": {"type": "boolean"}}, "required": ["address"]}));
    schemas.insert("Phone".into(), json!({"type": "object", "properties": {"number": {"type": "string", "description": "As typed"}, "e164": {"type": "string", "readOnly": true}, "label": {"type": "string"}, "primary": {"type": "boolean"}}, "required": ["number"]}));
    schemas.insert("Address".into(), json!({"type": "object", "properties": {"label": {"type": "string"}, "street": {"type": "string"}, "city": {"type": "string"}, "region": {"type": "string"}, "postal_code": {"type": "string"}, "country": {"type": "string"}}, "additionalProperties": false}));
    schemas.insert("RoleLink".into(), json!({"type": "object", "properties": {"id": {"type": "string", "format": "uuid"}, "role": {"type": ["string", "null"]}}, "required": ["id"]}));
    schemas.insert("Problem".into(), json!({"type": "object", "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"}, "detail": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object", "properties": {"field": {"type": "string"}, "code": {"type": "string"}, "message": {"type": "string"}}}}}}));
    schemas.insert("Workspace".into(), json!({"type": "object", "properties": {"id": {"type": "string", "format": "uuid", "readOnly": true}, "name": {"type": "string"}, "currency": {"type": "string"}, "phone_region": {"type": "string"}, "time_zone": {"type": "string"}}}));
    let stage = json!({"type": "object", "properties": {"id": {"type": "string", "format": "uuid"}, "name": {"type": "string"}, "probability": {"type": "integer", "minimum": 0, "maximum": 100}, "outcome": {"type": "string", "enum": ["open", "won", "lost"]}}, "required": ["name", "probability"]});
    schemas.insert("Pipeline".into(), json!({"type": "object", "properties": {"id": {"type": "string", "format": "uuid"}, "name": {"type": "string"}, "position": {"type": "integer"}, "is_default": {"type": "boolean"}, "version": {"type": "integer"}, "stages": {"type": "array", "items": stage}}}));
    schemas.insert("PipelineInput".into(), json!({"type": "object", "properties": {"name": {"type": "string"}, "is_default": {"type": "boolean"}, "stages": {"type": "array", "items": stage}}, "required": ["name", "stages"]}));
    let types: Vec<&str> = CustomType::ALL.iter().map(|t| t.as_str()).collect();
    let attributes = json!({
        "label": {"type": "string", "maxLength": 100},
        "type": {"type": "string", "enum": types},
        "required": {"type": "boolean"},
        "options": {"type": "array", "items": {"type": "string"}, "description": "Choices of a select or multi-select"},
        "default": {"description": "Set on records created without a value"},
        "min": {"description": "Lowest value: a number (money: minor units) or a date / date-time"},
        "max": {"description": "Highest value; for a rating, the top of the scale (5 unless set)"},
        "max_length": {"type": "integer", "minimum": 1},
        "pattern": {"type": "string", "description": "A regular expression the whole text must match"},
        "help": {"type": "string", "maxLength": 500},
        "hidden": {"type": "boolean", "description": "Not shown on forms and record pages"},
        "identifies": {"type": "boolean", "description": "The value names one record (a customer or VAT number): records sharing it are likely duplicates, and an import row with it updates the record that has it. Text, email, phone, URL and number fields"},
        "target": {"type": "string", "description": "A relation's target: organization, person, deal, activity, task or a custom record kind's key"},
        "many": {"type": "boolean", "description": "A relation holding a list of ids"},
    });
    let mut field = attributes.clone();
    field["key"] = json!({"type": "string", "pattern": "^[a-z][a-z0-9_]{0,39}$"});
    field["position"] = json!({"type": "integer", "readOnly": true});
    field["version"] = json!({"type": "integer", "readOnly": true});
    field["deleted_at"] = json!({"type": "string", "format": "date-time", "readOnly": true});
    schemas.insert("CustomField".into(), json!({"type": "object", "properties": field, "required": ["key", "label", "type"]}));
    let mut patch = attributes;
    patch["version"] = json!({"type": "integer", "description": "The version read (as If-Match)"});
    schemas.insert("CustomFieldPatch".into(), json!({"type": "object", "properties": patch, "additionalProperties": false}));
    let shown = json!({"type": "array", "items": {"type": "string"}, "description": "Fields shown, in order: name, owner_id, stage_id, status, tags, created_at, updated_at or custom.key"});
    schemas.insert("ObjectType".into(), json!({"type": "object", "properties": {"key": {"type": "string"}, "singular": {"type": "string"}, "plural": {"type": "string"},
        "has_status": {"type": "boolean"}, "pipeline": {"oneOf": [{"$ref": "#/components/schemas/Pipeline"}, {"type": "null"}]},
        "list_fields": shown, "record_fields": shown, "fields": {"type": "array", "items": {"$ref": "#/components/schemas/CustomField"}}, "version": {"type": "integer"}}}));
    schemas.insert("ObjectTypeInput".into(), json!({"type": "object", "additionalProperties": false, "properties": {"key": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,63}$", "description": "Only when defining"},
        "singular": {"type": "string"}, "plural": {"type": "string"}, "has_status": {"type": "boolean"}, "stages": {"type": "array", "items": stage},
        "list_fields": shown, "record_fields": shown, "fields": {"type": "array", "items": {"$ref": "#/components/schemas/CustomField"}, "description": "Only when defining"}}}));
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Rapport API", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Rapport's REST API. Authenticate with 'Authorization: Bearer <token>' (rapport token create). Errors are RFC 9457 problem details."},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    })
}
