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
        UserCommand::Add(args) => {
            let ws = workspace(&store, args.workspace.workspace, DEFAULT_CURRENCY, DEFAULT_REGION).await?;
            let role = if args.admin { "admin".to_string() } else { args.role.unwrap_or_else(|| "member".into()) };
            let input = json!({"email": args.email, "name": args.name, "role": role});
            let Json::Object(input) = input else { unreachable!("a JSON object") };
            store
                .create(&scope(&ws), Kind::User, &input, &WriteOptions::default())
                .await
                .with_context(|| format!("cannot create the user {}", args.email))
                .map(|(user, _)| {
                    eprintln!(
                        "Created {role} {} <{}> in workspace '{}'.",
                        args.name,
                        user["email"].as_str().unwrap_or_default(),
                        ws.name
                    );
                    println!("{}", user["id"].as_str().unwrap_or_default());
                })
        }
        UserCommand::List(args) => {
            let ws = workspace(&store, args.workspace, DEFAULT_CURRENCY, DEFAULT_REGION).await?;
            list_users(&store, &ws).await
        }
    };
    store.close().await;
    result
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
