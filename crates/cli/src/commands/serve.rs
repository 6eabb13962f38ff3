//! `rapport serve`

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::{Command, Stdio};

use anyhow::Context;
use clap::Args;
use rapport_domain::Kind;

use super::{DEFAULT_CURRENCY, DEFAULT_REGION, has_any, open_store, scope, workspace};
use crate::config::{GlobalArgs, Settings, redact_url};

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address and port to listen on [default: 127.0.0.1:8080]
    #[arg(long, env = "RAPPORT_LISTEN", value_name = "ADDR")]
    pub listen: Option<String>,

    /// Currency (ISO 4217) of the workspace created on first run
    #[arg(long, default_value = DEFAULT_CURRENCY, value_name = "CODE")]
    pub currency: String,

    /// Region (ISO 3166 code such as FR, US, GB) for phone numbers typed without
    /// a country code, for the workspace created on first run
    #[arg(long, default_value = DEFAULT_REGION, value_name = "CODE")]
    pub region: String,

    /// Open the web interface in a browser once the server listens
    #[arg(long)]
    pub open: bool,

    /// Do not run background jobs in this server (webhooks, reminders,
    /// workflows); run `rapport worker` separately instead
    #[arg(long)]
    pub no_worker: bool,

    /// The address people reach Rapport at (such as https://crm.example.com),
    /// for the links it prints [default: http://LISTEN-ADDRESS]
    #[arg(long, env = "RAPPORT_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
}

pub async fn run(global: &GlobalArgs, args: ServeArgs) -> anyhow::Result<()> {
    let settings = Settings::load(global, args.listen.as_deref())?;
    let store = open_store(&settings).await?;
    let ws = workspace(&store, None, &args.currency, &args.region).await?;
    let needs_setup = !has_any(&store, &scope(&ws), Kind::User).await?;

    let listener =
        tokio::net::TcpListener::bind(&settings.listen).await.with_context(|| format!("cannot listen on {}", settings.listen))?;
    let base = match &args.public_url {
        Some(u) => u.trim_end_matches('/').to_string(),
        None => format!("http://{}", browsable(listener.local_addr()?)),
    };
    let url = format!("{base}/");
    println!("Rapport is running at {url} (database: {})", redact_url(&settings.database));
    if needs_setup {
        let token = store.create_setup_link(ws.id).await.context("cannot create the setup link")?;
        first_run_hint(&format!("{base}/setup?token={token}"));
    }
    if args.open {
        open_browser(&url);
    }

    // The worker runs beside the server unless asked not to; it stops with it.
    let (stop_worker, worker_stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = (!args.no_worker).then(|| {
        let w = super::new_worker(&store, &settings);
        tokio::spawn(w.run(async {
            let _ = worker_stopped.await;
        }))
    });
    let served = rapport_server::serve(store.clone(), listener).await;
    let _ = stop_worker.send(());
    if let Some(w) = worker {
        let _ = w.await;
    }
    store.close().await;
    served.context("the server stopped")
}

fn first_run_hint(setup_url: &str) {
    println!(
        "\
No users yet. Create the first one, an administrator, by opening this link
(it works once, for 24 hours; restarting the server gives a new one):

  {setup_url}

Or from the command line:
  rapport user add --email you@example.com --name \"Your Name\" --admin --password-stdin
(From a source checkout, run it as: cargo run --release -- user add ...)
"
    );
}

/// The address to put in a URL: a wildcard address is reached through loopback.
fn browsable(addr: SocketAddr) -> SocketAddr {
    if addr.ip().is_unspecified() {
        let ip = if addr.is_ipv4() { IpAddr::V4(Ipv4Addr::LOCALHOST) } else { IpAddr::V6(std::net::Ipv6Addr::LOCALHOST) };
        SocketAddr::new(ip, addr.port())
    } else {
        addr
    }
}

/// Asks the desktop to open the URL; any failure is only logged.
fn open_browser(url: &str) {
    for opener in ["xdg-open", "open"] {
        let spawned = Command::new(opener).arg(url).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).spawn();
        if let Ok(mut child) = spawned {
            // Reap it when it exits, without holding up the server.
            std::thread::spawn(move || child.wait());
            return;
        }
    }
    tracing::info!("could not open a browser (no xdg-open or open); visit {url}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_addresses_are_browsed_through_loopback() {
        assert_eq!(browsable("0.0.0.0:8080".parse().unwrap()).to_string(), "127.0.0.1:8080");
        assert_eq!(browsable("[::]:8080".parse().unwrap()).to_string(), "[::1]:8080");
        assert_eq!(browsable("10.0.0.5:80".parse().unwrap()).to_string(), "10.0.0.5:80");
    }
}
