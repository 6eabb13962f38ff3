//! A closed-loop load generator: a fixed number of workers, each sending its
//! next request as soon as the previous one is answered, for a fixed time (or
//! a fixed number of requests). Throughput is answers per second of wall time;
//! latencies are measured per request.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;

/// How long, or how many requests, one measurement takes.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub concurrency: usize,
    pub warmup: Duration,
    pub duration: Duration,
    /// When set, a fixed number of requests (a tenth of it as warm-up) instead of durations.
    pub requests: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Measure {
    pub requests: u64,
    pub errors: u64,
    pub seconds: f64,
    /// Successful answers per second.
    pub throughput: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Median size of an answer's body, in bytes.
    pub median_bytes: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_error: Option<String>,
}

struct WorkerResult {
    latencies_us: Vec<u32>,
    sizes: Vec<u32>,
    errors: u64,
    first_error: Option<String>,
}

/// Runs `op(worker, n)` from `plan.concurrency` workers: a warm-up whose figures
/// are dropped, then the measurement. `op` returns the size of the answer.
pub async fn measure<F, Fut>(plan: Plan, op: F) -> Measure
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<usize, String>> + Send + 'static,
{
    let op = Arc::new(op);
    let (warm_n, run_n) = match plan.requests {
        Some(n) => (Some((n / 10).max(plan.concurrency as u64)), Some(n)),
        None => (None, None),
    };
    if !plan.warmup.is_zero() || warm_n.is_some() {
        phase(plan.concurrency, plan.warmup, warm_n, op.clone()).await;
    }
    phase(plan.concurrency, plan.duration, run_n, op).await
}

async fn phase<F, Fut>(concurrency: usize, duration: Duration, count: Option<u64>, op: Arc<F>) -> Measure
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<usize, String>> + Send + 'static,
{
    let budget = Arc::new(AtomicI64::new(count.map_or(i64::MAX, |c| c as i64)));
    let started = Instant::now();
    let deadline = if count.is_some() { None } else { Some(started + duration) };
    let mut handles = Vec::with_capacity(concurrency);
    for w in 0..concurrency {
        let op = op.clone();
        let budget = budget.clone();
        handles.push(tokio::spawn(async move {
            let mut r = WorkerResult { latencies_us: Vec::with_capacity(4096), sizes: Vec::new(), errors: 0, first_error: None };
            let mut n = 0u64;
            loop {
                if deadline.is_some_and(|d| Instant::now() >= d) || budget.fetch_sub(1, Ordering::Relaxed) <= 0 {
                    break;
                }
                let t = Instant::now();
                let out = op(w, n).await;
                let us = t.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
                n += 1;
                match out {
                    Ok(size) => {
                        r.latencies_us.push(us);
                        if r.sizes.len() < 1000 {
                            r.sizes.push(size as u32);
                        }
                    }
                    Err(e) => {
                        r.errors += 1;
                        r.first_error.get_or_insert(e);
                    }
                }
            }
            r
        }));
    }
    let mut lat = Vec::new();
    let mut sizes = Vec::new();
    let mut errors = 0;
    let mut first_error = None;
    for h in handles {
        match h.await {
            Ok(r) => {
                lat.extend(r.latencies_us);
                sizes.extend(r.sizes);
                errors += r.errors;
                if first_error.is_none() {
                    first_error = r.first_error;
                }
            }
            Err(e) => {
                errors += 1;
                first_error.get_or_insert(format!("a worker failed: {e}"));
            }
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    summarize(lat, sizes, errors, first_error, seconds)
}

fn summarize(mut lat: Vec<u32>, mut sizes: Vec<u32>, errors: u64, first_error: Option<String>, seconds: f64) -> Measure {
    lat.sort_unstable();
    sizes.sort_unstable();
    let pct = |p: f64| -> f64 {
        if lat.is_empty() {
            return 0.0;
        }
        let i = ((lat.len() as f64 * p).ceil() as usize).clamp(1, lat.len()) - 1;
        f64::from(lat[i]) / 1000.0
    };
    Measure {
        requests: lat.len() as u64 + errors,
        errors,
        seconds,
        throughput: if seconds > 0.0 { lat.len() as f64 / seconds } else { 0.0 },
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
        max_ms: lat.last().map_or(0.0, |m| f64::from(*m) / 1000.0),
        median_bytes: sizes.get(sizes.len() / 2).copied().map_or(0, u64::from),
        first_error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_pick_the_nearest_rank() {
        let lat: Vec<u32> = (1..=100).map(|i| i * 1000).collect();
        let m = summarize(lat, vec![10, 20, 30], 0, None, 2.0);
        assert_eq!(m.p50_ms, 50.0);
        assert_eq!(m.p99_ms, 99.0);
        assert_eq!(m.max_ms, 100.0);
        assert_eq!(m.throughput, 50.0);
        assert_eq!(m.median_bytes, 20);
    }

    #[tokio::test]
    async fn a_fixed_number_of_requests_is_sent() {
        let counter = Arc::new(AtomicI64::new(0));
        let c = counter.clone();
        let plan = Plan { concurrency: 4, warmup: Duration::ZERO, duration: Duration::ZERO, requests: Some(100) };
        let m = measure(plan, move |_, _| {
            let c = c.clone();
            async move {
                c.fetch_add(1, Ordering::Relaxed);
                Ok(10)
            }
        })
        .await;
        assert_eq!(m.requests, 100);
        // Warm-up (10, at least one per worker) plus the measured 100.
        assert_eq!(counter.load(Ordering::Relaxed), 110);
    }
}
