//! `rapport user ...` and `rapport token ...`

use anyhow::{Context, anyhow};
use clap::builder::PossibleValuesParser;
use clap::{Args, Subcommand};
use rapport_domain::Kind;
use rapport_domain::schema::ROLES;
use rapport_store::{ListQuery, WriteOptions};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use super::{DEFAULT_CURRENCY, DEFAULT_REGION, open_store, scope, workspace};
use crate::config::{GlobalArgs, Settings};

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create a user and print its id
    ///
    /// Users sign in to the web interface and own API tokens. Without --workspace
    /// the user joins the first workspace (created if there is none yet).
    Add(UserAddArgs),

    /// List the users of a workspace
    List(WorkspaceArg),

    /// Print a one-time link for setting a user's password
    ///
    /// The link works once, for an hour; a new one replaces any earlier one.
    /// Setting the password through it signs the user out everywhere.
    ResetPassword(ResetPasswordArgs),
}

#[derive(Args, Debug)]
pub struct ResetPasswordArgs {
    /// Login email of the user
    #[arg(long, value_name = "EMAIL")]
    pub email: String,

    /// The address people reach Rapport at, such as https://crm.example.com
    /// [default: http://LISTEN-ADDRESS]
    #[arg(long, env = "RAPPORT_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,

    #[command(flatten)]
    pub workspace: WorkspaceArg,
}

#[derive(Args, Debug)]
pub struct UserAddArgs {
    /// Login email, unique in the workspace
    #[arg(long, value_name = "EMAIL")]
    pub email: String,

    /// Full name
    #[arg(long, value_name = "NAME")]
    pub name: String,

    /// Make the user an administrator (same as --role admin)
    #[arg(long, conflicts_with = "role")]
    pub admin: bool,

    /// Role in the workspace [default: member]
    #[arg(long, value_name = "ROLE", value_parser = PossibleValuesParser::new(ROLES))]
    pub role: Option<String>,

    /// Read the user's password from the first line of standard input (at
    /// least 10 characters). Without it the user has no password until an
    /// administrator gives them a reset link (rapport user reset-password).
    #[arg(long)]
    pub password_stdin: bool,

    #[command(flatten)]
    pub workspace: WorkspaceArg,
}

#[derive(Args, Debug)]
pub struct WorkspaceArg {
    /// Workspace id [default: the first workspace]
    #[arg(long, value_name = "UUID")]
    pub workspace: Option<Uuid>,
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create an API token for a user and print it
    ///
    /// The token is printed once, on standard output, and only a digest of it is
    /// kept: store it somewhere safe. Send it as `Authorization: Bearer TOKEN`.
    Create(TokenCreateArgs),
}

#[derive(Args, Debug)]
pub struct TokenCreateArgs {
    /// Email of the user the token acts as
    #[arg(long, value_name = "EMAIL")]
    pub user: String,

    /// A name to recognize the token by
    #[arg(long, value_name = "NAME", default_value = "cli")]
    pub name: String,

    /// What the token may do: read, write (everything), or per collection
    /// such as people:read or deals:write; repeat or separate with commas
    #[arg(long = "scope", value_name = "SCOPE", value_delimiter = ',', default_value = "write")]
    pub scopes: Vec<String>,

    #[command(flatten)]
    pub workspace: WorkspaceArg,
}

pub async fn user(global: &GlobalArgs, cmd: UserCommand) -> anyhow::Result<()> {
    let settings = Settings::load(global, None)?;
    let store = open_store(&settings).await?;
    let result = match cmd {
        UserCommand::Add(args) => add_user(&store, args).await,
        UserCommand::ResetPassword(args) => reset_password(&store, &settings, args).await,
        UserCommand::List(args) => {
            let ws = workspace(&store, args.workspace, DEFAULT_CURRENCY, DEFAULT_REGION).await?;
            list_users(&store, &ws).await
        }
    };
    store.close().await;
    result
}

async fn add_user(store: &rapport_store::Store, args: UserAddArgs) -> anyhow::Result<()> {
    // Read and check the password first, so that a bad one creates no user.
    let password = if args.password_stdin {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).context("cannot read the password from standard input")?;
        let password = line.trim_end_matches(['\n', '\r']).to_string();
        rapport_store::auth::check_new_password(&password, &args.email).map_err(|e| {
            let why: Vec<String> = e.0.into_iter().map(|f| f.message).collect();
            anyhow!("the password is not accepted: {}", why.join("; "))
        })?;
        Some(rapport_store::auth::hash_password(&password).await?)
    } else {
        None
    };
    let ws = workspace(store, args.workspace.workspace, DEFAULT_CURRENCY, DEFAULT_REGION).await?;
    let role = if args.admin { "admin".to_string() } else { args.role.unwrap_or_else(|| "member".into()) };
    let input = json!({"email": args.email, "name": args.name, "role": role});
    let Json::Object(input) = input else { unreachable!("a JSON object") };
    let (user, _) = store
        .create(&scope(&ws), Kind::User, &input, &WriteOptions::default())
        .await
        .with_context(|| format!("cannot create the user {}", args.email))?;
    let id = user["id"].as_str().and_then(|s| Uuid::parse_str(s).ok()).ok_or_else(|| anyhow!("the new user has no id"))?;
    if let Some(hash) = password {
        store.set_password_hash(&scope(&ws), id, &hash, "password_set").await.context("cannot set the password")?;
    }
    eprintln!("Created {role} {} <{}> in workspace '{}'.", args.name, user["email"].as_str().unwrap_or_default(), ws.name);
    if !args.password_stdin {
        eprintln!(
            "The user has no password yet: give them a link to choose one with\n  rapport user reset-password --email {}",
            user["email"].as_str().unwrap_or_default()
        );
    }
    println!("{id}");
    Ok(())
}

async fn reset_password(store: &rapport_store::Store, settings: &Settings, args: ResetPasswordArgs) -> anyhow::Result<()> {
    let ws = workspace(store, args.workspace.workspace, DEFAULT_CURRENCY, DEFAULT_REGION).await?;
    let user_id = store
        .user_by_email(ws.id, &args.email)
        .await
        .context("cannot look up the user")?
        .ok_or_else(|| anyhow!("no user with email {} in workspace '{}'", args.email, ws.name))?;
    let token = store.create_reset_link(&scope(&ws), user_id).await.context("cannot create the reset link")?;
    let base = args
        .public_url
        .map(|u| u.trim_end_matches('/').to_string())
        .unwrap_or_else(|| format!("http://{}", browsable(&settings.listen)));
    println!("{base}/reset?token={token}");
    eprintln!("Give this link to {} only. It works once, within the hour, and signs them out everywhere.", args.email);
    Ok(())
}

/// A listen address as a browser would reach it: a wildcard address through loopback.
fn browsable(listen: &str) -> String {
    if let Some(port) = listen.strip_prefix("0.0.0.0:") {
        format!("127.0.0.1:{port}")
    } else if let Some(port) = listen.strip_prefix("[::]:") {
        format!("[::1]:{port}")
    } else {
        listen.to_string()
    }
}

async fn list_users(store: &rapport_store::Store, ws: &rapport_store::workspaces::Workspace) -> anyhow::Result<()> {
    let scope = scope(ws);
    let mut q = ListQuery { limit: 500, ..ListQuery::default() };
    let mut count = 0;
    loop {
        let page = store.list(&scope, Kind::User, &q).await.context("cannot list the users")?;
        for u in &page.items {
            let s = |k: &str| u.get(k).and_then(Json::as_str).unwrap_or("").to_string();
            let active = if u.get("active").and_then(Json::as_bool).unwrap_or(true) { "" } else { " (inactive)" };
            println!("{}  {:<10} {} <{}>{active}", s("id"), s("role"), s("name"), s("email"));
            count += 1;
        }
        match page.next_cursor {
            Some(c) => q.cursor = Some(c),
            None => break,
        }
    }
    if count == 0 {
        eprintln!("Workspace '{}' has no users yet.", ws.name);
    }
    Ok(())
}

pub async fn token(global: &GlobalArgs, cmd: TokenCommand) -> anyhow::Result<()> {
    let TokenCommand::Create(args) = cmd;
    let settings = Settings::load(global, None)?;
    let store = open_store(&settings).await?;
    let result = async {
        let ws = workspace(&store, args.workspace.workspace, DEFAULT_CURRENCY, DEFAULT_REGION).await?;
        let user_id = store.user_by_email(ws.id, &args.user).await.context("cannot look up the user")?.ok_or_else(|| {
            anyhow!(
                "no user with email {} in workspace '{}'; create one first: rapport user add --email {} --name \"Your Name\"",
                args.user,
                ws.name,
                args.user
            )
        })?;
        let scopes = rapport_store::access::parse_scopes(&args.scopes).map_err(|e| anyhow!("--scope: {e}"))?;
        let created = store.create_token(&scope(&ws), user_id, &args.name, &scopes).await.context("cannot create the token")?;
        println!("{}", created["token"].as_str().unwrap_or_default());
        eprintln!("This is the only time the token is shown: keep it somewhere safe.");
        eprintln!("Use it as: curl -H \"Authorization: Bearer $TOKEN\" http://{}/api/v1/people", settings.listen);
        Ok(())
    }
    .await;
    store.close().await;
    result
}
