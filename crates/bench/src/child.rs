//! The servers under load run in child processes (this same binary, re-run
//! with a hidden subcommand), so that the load generator never shares a
//! process, an allocator or a runtime with them, and their memory is theirs.
//!
//! A child prints `listening on ADDR` once it accepts connections and exits
//! when its standard input closes, which also happens if the parent dies.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::header;
use axum::response::IntoResponse;
use rapport_store::Store;

pub struct Server {
    child: Child,
    pub addr: SocketAddr,
}

impl Server {
    /// Starts `rapport-bench <args>` and waits until it listens.
    pub fn spawn(args: &[String]) -> anyhow::Result<Server> {
        let exe = std::env::current_exe().context("cannot find the benchmark's own executable")?;
        let mut child = Command::new(exe)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("cannot start the server process")?;
        let stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
        let mut lines = BufReader::new(stdout);
        let mut line = String::new();
        lines.read_line(&mut line)?;
        let Some(addr) = line.trim().strip_prefix("listening on ") else {
            let _ = child.kill();
            bail!("the server process did not start: {line:?}");
        };
        let addr: SocketAddr = addr.parse().with_context(|| format!("bad address {addr:?}"))?;
        // Keep draining its output so that it never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut sink = Vec::new();
            let _ = lines.read_to_end(&mut sink);
        });
        Ok(Server { child, addr })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Peak and current resident memory of the process, in bytes (Linux).
    pub fn memory(&self) -> Option<(u64, u64)> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).ok()?;
        let kb = |key: &str| -> Option<u64> {
            status.lines().find_map(|l| l.strip_prefix(key)).and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        };
        Some((kb("VmHWM:")? * 1024, kb("VmRSS:")? * 1024))
    }

    /// Closes its input, which makes it exit; kills it if it lingers.
    pub fn stop(mut self) {
        drop(self.child.stdin.take());
        let until = Instant::now() + Duration::from_secs(10);
        while Instant::now() < until {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Exits the process when standard input reaches its end.
fn exit_with_parent() {
    std::thread::spawn(|| {
        let mut buf = [0u8; 64];
        let mut stdin = std::io::stdin();
        while matches!(stdin.read(&mut buf), Ok(n) if n > 0) {}
        std::process::exit(0);
    });
}

/// The hidden `serve` subcommand: Rapport's own server, as `rapport serve` runs it.
pub async fn serve_rapport(database: &str, schema: Option<String>, max_connections: u32) -> anyhow::Result<()> {
    exit_with_parent();
    // Quiet unless asked: `RUST_LOG=sqlx=debug` shows every statement.
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .init();
    }
    let opts = crate::setup::options(schema, max_connections);
    let store = Store::open(database, &opts).await.context("cannot open the database")?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("listening on {}", listener.local_addr()?);
    rapport_server::serve(store, listener).await?;
    Ok(())
}

/// The hidden `floor` subcommand: an axum server that answers any request on
/// `/floor/{size}` with a fixed JSON body of that many bytes, touching no
/// database: the most an HTTP server can do on this machine.
pub async fn serve_floor() -> anyhow::Result<()> {
    exit_with_parent();
    let bodies: Arc<RwLock<HashMap<usize, Bytes>>> = Arc::default();
    let app = axum::Router::new().route(
        "/floor/{size}",
        axum::routing::any(move |Path(size): Path<usize>, _body: Bytes| {
            let bodies = bodies.clone();
            async move {
                let cached = bodies.read().ok().and_then(|b| b.get(&size).cloned());
                let body = match cached {
                    Some(b) => b,
                    None => {
                        let b = fixed_body(size);
                        if let Ok(mut all) = bodies.write() {
                            all.insert(size, b.clone());
                        }
                        b
                    }
                };
                ([(header::CONTENT_TYPE, "application/json")], body).into_response()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("listening on {}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}

/// `{"pad":"xxxx"}` of exactly `size` bytes (at least the braces).
pub fn fixed_body(size: usize) -> Bytes {
    let overhead = r#"{"pad":""}"#.len();
    let pad = size.saturating_sub(overhead);
    Bytes::from(format!(r#"{{"pad":"{}"}}"#, "x".repeat(pad)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn floor_bodies_have_the_asked_size() {
        assert_eq!(super::fixed_body(1000).len(), 1000);
        assert_eq!(super::fixed_body(10).len(), 10);
    }
}
