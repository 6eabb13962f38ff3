//! Rapport's background worker. It claims due jobs from the database queue
//! and runs them: change events fanned out to webhook subscriptions, webhook
//! deliveries signed per the Standard Webhooks specification and retried with
//! backoff for about a day, and task reminders. Several workers (in several
//! servers) share one queue safely.

pub mod signature;
pub mod workflows;

use std::time::Duration;

use chrono::Utc;
use rapport_domain::Kind;
use rapport_domain::events::{self, subscribed};
use rapport_store::jobs::Job;
use rapport_store::{Store, StoreError};
use serde_json::{Value as Json, json};
use uuid::Uuid;

/// Waits between a failed delivery and the next try: about 28 hours in all.
pub const RETRY_SCHEDULE: [i64; 7] = [5, 300, 1_800, 7_200, 18_000, 36_000, 36_000];

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("{0}")]
    Store(#[from] StoreError),
    /// Worth trying again later.
    #[error("{0}")]
    Retry(String),
    /// Never going to work.
    #[error("{0}")]
    Fatal(String),
}

pub struct Worker {
    store: Store,
    name: String,
    http: reqwest::Client,
    lease: chrono::Duration,
}

impl Worker {
    pub fn new(store: Store) -> Worker {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Rapport-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("HTTP client");
        let name = format!("worker-{}", Uuid::now_v7().simple());
        Worker { store, name, http, lease: chrono::Duration::minutes(5) }
    }

    /// How long a claimed job stays this worker's: past it, another worker
    /// takes the job over (the worker is taken for dead). Keep it above the
    /// longest a job runs, a webhook delivery's 15 s timeout included.
    pub fn with_lease(mut self, lease: chrono::Duration) -> Worker {
        self.lease = lease;
        self
    }

    /// Runs until `stop` resolves: claims and runs due jobs, and sleeps a little when there are none.
    pub async fn run(self, stop: impl std::future::Future<Output = ()>) {
        tokio::pin!(stop);
        loop {
            let worked = match self.run_once().await {
                Ok(w) => w,
                Err(e) => {
                    tracing::warn!(error = %e, "job queue unavailable");
                    false
                }
            };
            if !worked {
                tokio::select! {
                    _ = &mut stop => return,
                    _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                }
            }
        }
    }

    /// Claims and runs one due job; false when none was due.
    pub async fn run_once(&self) -> Result<bool, StoreError> {
        let Some(job) = self.store.claim_job(&self.name, self.lease).await? else { return Ok(false) };
        let outcome = match job.kind.as_str() {
            // Webhook fan-out, then the workflows the change fires (each runs once per change, so a retry repeats none).
            "dispatch_event" => match self.dispatch_event(&job).await {
                Ok(()) => self.workflows_for_change(&job).await,
                failed => failed,
            },
            "workflow_scan" => self.workflow_scan(&job).await,
            "webhook_delivery" => self.deliver(&job).await,
            "task_reminder" => self.remind(&job).await,
            other => Err(JobError::Fatal(format!("no handler for jobs of kind '{other}'"))),
        };
        match outcome {
            Ok(()) => self.store.finish_job(&job).await?,
            Err(JobError::Fatal(e)) => self.store.fail_job(&job, &e, None).await?,
            Err(e) => {
                let wait = RETRY_SCHEDULE.get((job.attempts - 1).max(0) as usize).copied().unwrap_or(36_000);
                tracing::info!(job = %job.id, kind = %job.kind, attempt = job.attempts, error = %e, "job failed; will retry");
                self.store
                    .fail_job(&job, &e.to_string(), Some(self.store.clock().now() + chrono::Duration::seconds(wait)))
                    .await?;
            }
        }
        Ok(true)
    }

    /// Runs jobs until none is due: for tests and the command line.
    pub async fn drain(&self) -> Result<usize, StoreError> {
        let mut n = 0;
        while self.run_once().await? {
            n += 1;
        }
        Ok(n)
    }

    /// A change-log row becomes an event for each subscription that wants it.
    async fn dispatch_event(&self, job: &Job) -> Result<(), JobError> {
        let change_id = uuid_field(&job.payload, "change_id")?;
        let change = match self.store.change(job.workspace_id, change_id).await {
            Err(StoreError::NotFound) => return Ok(()),
            other => other?,
        };
        let Some(kind) = change["record_kind"].as_str().and_then(Kind::parse) else { return Ok(()) };
        let action = change["action"].as_str().unwrap_or_default();
        // A custom record's events are named by its kind's key: `contract.created`.
        let object_type = change["object_type"].as_str();
        let stage_changed = change["changes"].get("stage_id").is_some();
        let types = events::for_change(kind, object_type, action, stage_changed);
        let subs = self.store.active_webhooks(job.workspace_id).await?;
        for event_type in types {
            let mut data = json!({
                "record_kind": change["record_kind"],
                "record_id": change["record_id"],
                "action": change["action"],
                "actor_id": change["actor_id"],
                "via": change["via"],
                "changes": change["changes"],
            });
            if kind == Kind::Object {
                data["object_type"] = json!(object_type);
            }
            let payload = json!({"type": event_type, "timestamp": change["at"], "data": data});
            // One id per event, stable across retries and redeliveries, so receivers can drop duplicates.
            let event_id = format!("evt_{}_{}", change_id.simple(), event_type.replace('.', "_"));
            for s in subs.iter().filter(|s| subscribed(&s.events, &event_type)) {
                self.store.queue_delivery(job.workspace_id, s.id, &event_id, &event_type, &payload).await?;
            }
        }
        Ok(())
    }

    async fn deliver(&self, job: &Job) -> Result<(), JobError> {
        let webhook_id = uuid_field(&job.payload, "webhook_id")?;
        let subs = self.store.active_webhooks(job.workspace_id).await?;
        // A subscription removed or paused since: nothing to send.
        let Some(sub) = subs.into_iter().find(|s| s.id == webhook_id) else { return Ok(()) };
        let event_id = job.payload["event_id"].as_str().unwrap_or_default().to_string();
        let event_type = job.payload["event_type"].as_str().unwrap_or_default().to_string();
        let body = serde_json::to_string(&job.payload["payload"]).map_err(|e| JobError::Fatal(e.to_string()))?;
        // Real time, not the store's clock: receivers check it against their own.
        let timestamp = Utc::now().timestamp();
        let sig = signature::sign(&sub.secret, &event_id, timestamp, &body).map_err(JobError::Fatal)?;
        let started = std::time::Instant::now();
        let sent = self
            .http
            .post(&sub.url)
            .header("content-type", "application/json")
            .header("webhook-id", &event_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", sig)
            .body(body)
            .send()
            .await;
        let ms = started.elapsed().as_millis() as i64;
        let (status, text, error) = match sent {
            Ok(res) => {
                let status = res.status().as_u16();
                let text = res.text().await.unwrap_or_default();
                (Some(status), Some(text), None)
            }
            Err(e) => (None, None, Some(e.to_string())),
        };
        self.store
            .record_delivery(
                job.workspace_id,
                sub.id,
                &event_id,
                &event_type,
                &job.payload["payload"],
                job.attempts,
                status,
                text.as_deref(),
                error.as_deref(),
                ms,
            )
            .await?;
        match status {
            Some(s) if (200..300).contains(&s) => Ok(()),
            Some(s) => Err(JobError::Retry(format!("the endpoint answered {s}"))),
            None => Err(JobError::Retry(error.unwrap_or_default())),
        }
    }

    /// Tells the assignee (or the assigned team) that a task needs attention.
    async fn remind(&self, job: &Job) -> Result<(), JobError> {
        let task_id = uuid_field(&job.payload, "task_id")?;
        let scope = rapport_store::Scope::system(job.workspace_id, rapport_store::Via::System);
        let task = match self.store.get(&scope, Kind::Task, task_id).await {
            Err(StoreError::NotFound) => return Ok(()),
            other => other?,
        };
        // Moved or done since the reminder was set: this one is stale.
        if task.get("remind_at") != Some(&job.payload["remind_at"])
            || matches!(task["status"].as_str(), Some("done" | "cancelled"))
        {
            return Ok(());
        }
        let mut users: Vec<Uuid> = Vec::new();
        if let Some(u) = task["assignee_user_id"].as_str().and_then(|s| Uuid::parse_str(s).ok()) {
            users.push(u);
        } else if let Some(team) = task["assignee_team_id"].as_str().and_then(|s| Uuid::parse_str(s).ok()) {
            let team = self.store.get(&scope, Kind::Team, team).await?;
            users.extend(
                team["members"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|v| v.as_str())
                    .filter_map(|s| Uuid::parse_str(s).ok()),
            );
        } else if let Some(u) = task["created_by"].as_str().and_then(|s| Uuid::parse_str(s).ok()) {
            users.push(u);
        }
        let title = format!("Reminder: {}", task["title"].as_str().unwrap_or("a task"));
        let body = task["due_at"].as_str().map(|d| format!("Due {d}"));
        for u in users {
            self.store.notify(job.workspace_id, u, "task_reminder", &title, body.as_deref(), Some((Kind::Task, task_id))).await?;
        }
        Ok(())
    }
}

fn uuid_field(payload: &Json, name: &str) -> Result<Uuid, JobError> {
    payload[name]
        .as_str()
        .and_then(|s| Uuid::parse_str(s).ok())
        .ok_or_else(|| JobError::Fatal(format!("the job has no valid {name}")))
}
