//! The import rate: a CSV file of new people sent to `POST /api/v1/imports`,
//! timed from the upload until the job says it is done.

use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value as Json;

use crate::generator::{Generator, Scale, Target};

#[derive(Debug, Clone, Serialize)]
pub struct Import {
    pub rows: u64,
    pub bytes: u64,
    pub seconds: f64,
    pub rows_per_second: f64,
    /// `done` or `failed`, as the job ends.
    pub status: String,
    /// The job's counts: rows, created, updated, skipped, failed, organizations_created.
    pub counts: Json,
}

/// A CSV file of `people` new people, their organizations named among `orgs`
/// (name and web domain), drawn with another seed than the loaded data.
pub fn file(seed: u64, now: DateTime<Utc>, target: &Target, people: usize, orgs: &[(String, String)]) -> String {
    Generator::new(seed.wrapping_add(1), now, Scale::for_people(people), target.clone()).import_file(people, orgs)
}

/// Sends the file of `rows` people and waits until the import job ends.
pub async fn measure(client: &reqwest::Client, base: &str, token: &str, file: String, rows: usize) -> anyhow::Result<Import> {
    let people = rows;
    let bytes = file.len() as u64;
    let started = Instant::now();
    let resp = client
        .post(format!("{base}/api/v1/imports?kind=people&file_name=people.csv"))
        .bearer_auth(token)
        .header(reqwest::header::CONTENT_TYPE, "text/csv")
        .body(file)
        .send()
        .await?;
    let status = resp.status();
    let body: Json = resp.json().await.unwrap_or(Json::Null);
    if !status.is_success() {
        bail!("the import was refused: {status} {body}");
    }
    let id = body["id"].as_str().ok_or_else(|| anyhow!("the import job has no id: {body}"))?.to_string();
    loop {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let job: Json = client
            .get(format!("{base}/api/v1/imports/{id}"))
            .bearer_auth(token)
            .send()
            .await?
            .json()
            .await
            .context("reading the import job")?;
        let state = job["status"].as_str().unwrap_or_default().to_string();
        if state == "done" || state == "failed" {
            let seconds = started.elapsed().as_secs_f64();
            return Ok(Import {
                rows: people as u64,
                bytes,
                seconds,
                rows_per_second: people as f64 / seconds.max(1e-9),
                status: state,
                counts: job["counts"].clone(),
            });
        }
        if started.elapsed() > Duration::from_secs(3600) {
            bail!("the import did not finish within an hour: {job}");
        }
    }
}
