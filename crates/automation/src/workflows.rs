//! Runs workflows: for a change-log row (after its webhook fan-out, in the
//! same `dispatch_event` job), and for time triggers in the periodic
//! `workflow_scan` job, which queues the next scan itself.
//!
//! Each workflow runs at most once per record and occurrence (the change, a due
//! date, a quiet period), remembered in the store. Every run is logged: `ok`,
//! `skipped` (conditions not met) or `error`, with the actions done; a run for a
//! change made at depth [`MAX_DEPTH`] of a chain of workflows is not run but
//! logged as an error "stopped: loop".

use chrono::Utc;
use rapport_domain::Kind;
use rapport_domain::workflow::{self, Action, MAX_DEPTH, Recipient};
use rapport_store::jobs::Job;
use rapport_store::workflows::{SCAN_EVERY, Workflow};
use rapport_store::{Record, Scope, StoreError, Via};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::{JobError, Worker, signature, uuid_field};

fn id_of(v: &Json) -> Option<Uuid> {
    v.as_str().and_then(|s| Uuid::parse_str(s).ok())
}

/// Where a run came from.
struct Occasion<'a> {
    trigger: &'static str,
    change: Option<&'a Json>,
    change_id: Option<Uuid>,
    depth: i64,
}

impl Worker {
    /// Evaluates the workspace's event-triggered workflows against one change.
    pub(crate) async fn workflows_for_change(&self, job: &Job) -> Result<(), JobError> {
        let change_id = uuid_field(&job.payload, "change_id")?;
        let ws = job.workspace_id;
        let change = match self.store.change(ws, change_id).await {
            Err(StoreError::NotFound) => return Ok(()),
            other => other?,
        };
        let Some(kind) = change["record_kind"].as_str().and_then(Kind::parse) else { return Ok(()) };
        let object_type = change["object_type"].as_str();
        let action = change["action"].as_str().unwrap_or_default();
        let diff = change["changes"].as_object().cloned().unwrap_or_default();
        let flows: Vec<Workflow> = self
            .store
            .active_workflows(ws)
            .await?
            .into_iter()
            .filter(|w| {
                w.definition.watches(kind, object_type)
                    && !w.definition.trigger.is_timed()
                    && w.definition.trigger.fired_by(action, &diff)
            })
            .collect();
        if flows.is_empty() {
            return Ok(());
        }
        let Some(record_id) = id_of(&change["record_id"]) else { return Ok(()) };
        let depth = self.store.change_depth(ws, change_id).await?;
        let occasion = |w: &Workflow| Occasion {
            trigger: w.definition.trigger_name(),
            change: Some(&change),
            change_id: Some(change_id),
            depth,
        };
        for wf in &flows {
            if !self.store.mark_fired(ws, wf.id, record_id, &format!("change:{change_id}")).await? {
                continue;
            }
            self.run_workflow(ws, wf, kind, record_id, &occasion(wf), true).await?;
        }
        Ok(())
    }

    /// Fires the time-triggered workflows whose moment came, then queues the next scan.
    pub(crate) async fn workflow_scan(&self, job: &Job) -> Result<(), JobError> {
        let ws = job.workspace_id;
        let flows: Vec<Workflow> =
            self.store.active_workflows(ws).await?.into_iter().filter(|w| w.definition.trigger.is_timed()).collect();
        for wf in &flows {
            let kind = wf.definition.kind;
            for due in self.store.due_for(ws, wf).await? {
                let occasion = Occasion { trigger: wf.definition.trigger_name(), change: None, change_id: None, depth: 0 };
                // Conditions not met yet: nothing is remembered, a later scan looks again.
                let Some(record) = self.matching(ws, wf, kind, due.record_id).await? else { continue };
                if !self.store.mark_fired(ws, wf.id, due.record_id, &due.occurrence).await? {
                    continue;
                }
                self.run_actions_logged(ws, wf, kind, record, &occasion).await?;
            }
        }
        if !flows.is_empty() {
            self.store.schedule_workflow_scan(ws, self.store.clock().now() + SCAN_EVERY).await?;
        }
        Ok(())
    }

    /// The record, when it still exists and meets the workflow's conditions.
    async fn matching(&self, ws: Uuid, wf: &Workflow, kind: Kind, id: Uuid) -> Result<Option<Record>, JobError> {
        let scope = Scope::system(ws, Via::System);
        let record = match self.store.get(&scope, kind, id).await {
            Err(StoreError::NotFound) => return Ok(None),
            other => other?,
        };
        let custom = match &wf.definition.object_type {
            Some(key) => self.store.object_type(&scope, key).await?.fields,
            None if kind.has_custom_fields() => self.store.custom_fields(&scope, kind).await?,
            None => vec![],
        };
        let conds = workflow::conditions(kind, &wf.definition.conditions, &custom, "conditions").unwrap_or_default();
        Ok(workflow::matches_all(&conds, &record).then_some(record))
    }

    async fn run_workflow(
        &self,
        ws: Uuid,
        wf: &Workflow,
        kind: Kind,
        id: Uuid,
        o: &Occasion<'_>,
        log_skips: bool,
    ) -> Result<(), JobError> {
        let log = |outcome: &'static str, error: Option<String>| async move {
            self.store
                .record_workflow_run(ws, wf.id, o.trigger, (kind, id), o.change_id, o.depth, outcome, error.as_deref(), &[])
                .await
        };
        if o.depth >= MAX_DEPTH {
            tracing::warn!(workflow = %wf.id, depth = o.depth, "workflow loop stopped");
            let m =
                format!("stopped: loop (this change was made {} workflows deep; at most {} run in a chain)", o.depth, MAX_DEPTH);
            return Ok(log("error", Some(m)).await?);
        }
        match self.matching(ws, wf, kind, id).await? {
            Some(record) => self.run_actions_logged(ws, wf, kind, record, o).await,
            None if log_skips => Ok(log("skipped", Some("the record does not meet the conditions".into())).await?),
            None => Ok(()),
        }
    }

    async fn run_actions_logged(
        &self,
        ws: Uuid,
        wf: &Workflow,
        kind: Kind,
        record: Record,
        o: &Occasion<'_>,
    ) -> Result<(), JobError> {
        let id = id_of(&record["id"]).unwrap_or_default();
        let mut done = Vec::new();
        let mut error = None;
        for (i, a) in wf.definition.actions.iter().enumerate() {
            match self.act(ws, wf, kind, id, a, o).await {
                Ok(note) => done.push(note),
                Err(e) => {
                    error = Some(format!("actions[{i}] ({}): {e}", a.name()));
                    break;
                }
            }
        }
        let outcome = if error.is_some() { "error" } else { "ok" };
        self.store
            .record_workflow_run(ws, wf.id, o.trigger, (kind, id), o.change_id, o.depth, outcome, error.as_deref(), &done)
            .await?;
        Ok(())
    }

    /// Runs one action; a line saying what it did.
    async fn act(&self, ws: Uuid, wf: &Workflow, kind: Kind, id: Uuid, a: &Action, o: &Occasion<'_>) -> Result<String, String> {
        let err = |e: StoreError| e.to_string();
        let scope = Scope::system(ws, Via::System);
        let depth = o.depth + 1;
        // Read again for each action: an earlier one may have changed the record.
        let record = self.store.get(&scope, kind, id).await.map_err(err)?;
        let owner = workflow::owner_field(kind).and_then(|f| id_of(&record[f]));
        match a {
            Action::Assign { rule_id, user_id } => {
                match self.store.workflow_assign(ws, kind, id, *rule_id, *user_id, depth).await.map_err(err)? {
                    Some(r) => Ok(format!("assigned to {}", r[workflow::owner_field(kind).unwrap_or("owner_id")])),
                    None => Err("the assignment rule found no available user".into()),
                }
            }
            Action::CreateTask { title, due_in_days, assignee, priority } => {
                let due = self.store.clock().now() + chrono::Duration::days(*due_in_days);
                let mut task = json!({"title": title, "due_at": rapport_domain::value::format_datetime(&due)});
                let who = match assignee {
                    Recipient::User(u) => Some(*u),
                    _ => owner,
                };
                if let Some(u) = who {
                    task["assignee_user_id"] = json!(u);
                }
                if let Some(p) = priority {
                    task["priority"] = json!(p);
                }
                match kind {
                    Kind::Person => task["people"] = json!([id]),
                    Kind::Deal => task["deals"] = json!([id]),
                    Kind::Organization => task["organizations"] = json!([id]),
                    Kind::Object => task["objects"] = json!([id]),
                    _ => {}
                }
                let Json::Object(input) = task else { unreachable!("an object") };
                let t = self.store.workflow_create(ws, Kind::Task, &input, depth).await.map_err(err)?;
                Ok(format!("created task {}", t["id"].as_str().unwrap_or_default()))
            }
            Action::UpdateField { field, value } => {
                let patch = match field.strip_prefix("custom.") {
                    Some(key) => json!({"custom": {key: value}}),
                    None => json!({field.as_str(): value}),
                };
                self.store.workflow_update(ws, kind, id, &patch, depth).await.map_err(err)?;
                Ok(format!("set {field}"))
            }
            Action::AddTag(tag) | Action::RemoveTag(tag) => {
                let mut tags: Vec<Json> = record["tags"].as_array().cloned().unwrap_or_default();
                let had = tags.iter().any(|t| t.as_str() == Some(tag));
                let adding = matches!(a, Action::AddTag(_));
                if had == adding {
                    return Ok(format!("tag {tag} already {}", if adding { "there" } else { "absent" }));
                }
                if adding {
                    tags.push(json!(tag));
                } else {
                    tags.retain(|t| t.as_str() != Some(tag));
                }
                self.store.workflow_update(ws, kind, id, &json!({"tags": tags}), depth).await.map_err(err)?;
                Ok(format!("{} tag {tag}", if adding { "added" } else { "removed" }))
            }
            Action::Notify { to, title, body } => {
                let users: Vec<Uuid> = match to {
                    Recipient::Owner => owner.into_iter().collect(),
                    Recipient::User(u) => vec![*u],
                    Recipient::Team(team) => {
                        let team = self.store.get(&scope, Kind::Team, *team).await.map_err(err)?;
                        team["members"].as_array().into_iter().flatten().filter_map(id_of).collect()
                    }
                };
                if users.is_empty() {
                    return Ok("nobody to notify (the record has no owner)".into());
                }
                for u in &users {
                    self.store.notify(ws, *u, "workflow", title, body.as_deref(), Some((kind, id))).await.map_err(err)?;
                }
                Ok(format!("notified {} user(s)", users.len()))
            }
            Action::Webhook { url } => {
                let event_id = format!("wf_{}_{}", wf.id.simple(), Uuid::now_v7().simple());
                let mut event = json!({
                    "type": format!("workflow.{}", o.trigger),
                    "timestamp": rapport_domain::value::format_datetime(&rapport_domain::value::now()),
                    "data": {"workflow_id": wf.id, "workflow": wf.name, "record_kind": kind.as_str(), "record_id": id,
                             "record": record, "change": o.change},
                });
                if let Some(key) = &wf.definition.object_type {
                    event["data"]["object_type"] = json!(key);
                }
                let body = event.to_string();
                let ts = Utc::now().timestamp();
                let sig = signature::sign(&wf.secret, &event_id, ts, &body)?;
                let res = self
                    .http
                    .post(url)
                    .header("content-type", "application/json")
                    .header("webhook-id", &event_id)
                    .header("webhook-timestamp", ts.to_string())
                    .header("webhook-signature", sig)
                    .body(body)
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                let status = res.status().as_u16();
                if (200..300).contains(&status) {
                    Ok(format!("posted to {url}: {status}"))
                } else {
                    Err(format!("{url} answered {status}"))
                }
            }
        }
    }
}
