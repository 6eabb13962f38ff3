//! `rapport`: runs the Rapport server and administers its database.

mod commands;
mod config;
mod demo;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

/// Rapport, an open-source CRM: people, organizations, deals, activities and tasks,
/// with an HTTP API.
#[derive(Parser, Debug)]
#[command(name = "rapport", version, propagate_version = true, arg_required_else_help = true)]
#[command(after_help = "\
Settings come from flags, then RAPPORT_* environment variables, then a TOML file \
(--config FILE, else ./rapport.toml when it exists), then defaults.
Logs go to stderr; RUST_LOG sets their level (default: info).

First run:
  rapport serve      (prints a one-time link that creates the first administrator)
or, from the command line:
  rapport user add --email you@example.com --name \"Your Name\" --admin --password-stdin
  rapport token create --user you@example.com
Forgotten password:
  rapport user reset-password --email you@example.com")]
struct Cli {
    #[command(flatten, next_help_heading = "Global options")]
    global: config::GlobalArgs,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Start the server: the web interface and the HTTP API
    ///
    /// Opens the database (applying any pending migrations), creates the
    /// workspace on first run, and listens until stopped.
    Serve(commands::serve::ServeArgs),

    /// Bring the database schema up to date and print its version
    Migrate,

    /// Manage the users of a workspace
    #[command(subcommand)]
    User(commands::users::UserCommand),

    /// Manage API tokens (`Authorization: Bearer TOKEN`)
    #[command(subcommand)]
    Token(commands::users::TokenCommand),

    /// Load a fictional demo company: sales team, organizations, people, deals,
    /// activities and tasks
    ///
    /// The data is generated from a seed, so the same seed gives the same company.
    /// Phone numbers come from ranges reserved for fiction and email domains end in
    /// `.example`, so no real person can be reached by mistake.
    Demo(demo::DemoArgs),

    /// Import people, organizations, deals or activities from CSV, vCard or JSON
    ///
    /// Columns are matched to fields by their headers (those of common exports
    /// are known) or by --mapping. Rows already in Rapport (same external id,
    /// email or phone; organizations: same name) are updated, not duplicated.
    /// Errors print as FILE:ROW:COLUMN: message.
    Import(commands::io::ImportArgs),

    /// Export records as CSV, vCard or JSON, or the whole workspace
    Export(commands::io::ExportArgs),

    /// Run background jobs only: webhook deliveries, reminders, workflows
    ///
    /// `rapport serve` runs them too unless started with --no-worker; run as
    /// many workers as you like against one PostgreSQL database.
    Worker,

    /// Check the indexes the database keeps from the records, and mend them
    ///
    /// Compares the accounts' index of activities with the links it is built
    /// from and repairs any difference; with --search also rebuilds the search
    /// index. Safe to run while Rapport serves.
    Repair(commands::repair::RepairArgs),
}

fn init_logs() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logs();
    let result = match cli.command {
        Command::Serve(args) => commands::serve::run(&cli.global, args).await,
        Command::Migrate => commands::migrate(&cli.global).await,
        Command::User(cmd) => commands::users::user(&cli.global, cmd).await,
        Command::Token(cmd) => commands::users::token(&cli.global, cmd).await,
        Command::Demo(args) => demo::run(&cli.global, args).await,
        Command::Import(args) => commands::io::import(&cli.global, args).await,
        Command::Export(args) => commands::io::export(&cli.global, args).await,
        Command::Worker => commands::worker(&cli.global).await,
        Command::Repair(args) => commands::repair::run(&cli.global, args).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn flags_parse() {
        let cli = Cli::try_parse_from([
            "rapport",
            "--database",
            "sqlite:///tmp/x.db",
            "user",
            "add",
            "--email",
            "a@b.example",
            "--name",
            "A",
            "--admin",
        ])
        .unwrap();
        assert_eq!(cli.global.database.as_deref(), Some("sqlite:///tmp/x.db"));
        assert!(
            Cli::try_parse_from([
                "rapport",
                "user",
                "add",
                "--email",
                "a@b.example",
                "--name",
                "A",
                "--admin",
                "--role",
                "member"
            ])
            .is_err()
        );
        assert!(
            Cli::try_parse_from(["rapport", "user", "add", "--email", "a@b.example", "--name", "A", "--role", "king"]).is_err()
        );
        let cli =
            Cli::try_parse_from(["rapport", "user", "add", "--email", "a@b.example", "--name", "A", "--password-stdin"]).unwrap();
        assert!(matches!(cli.command, Command::User(commands::users::UserCommand::Add(a)) if a.password_stdin));
        let cli = Cli::try_parse_from(["rapport", "user", "reset-password", "--email", "a@b.example"]).unwrap();
        assert!(matches!(cli.command, Command::User(commands::users::UserCommand::ResetPassword(a)) if a.email == "a@b.example"));
        let cli = Cli::try_parse_from(["rapport", "demo", "--seed", "7", "--people", "50", "--max-connections", "2"]).unwrap();
        assert_eq!(cli.global.max_connections, Some(2));
    }
}
