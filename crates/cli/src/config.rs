//! Settings: from flags, then `RAPPORT_*` environment variables (clap reads
//! both), then a TOML file, then built-in defaults.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;
use serde::Deserialize;

pub const DEFAULT_DATABASE: &str = "sqlite://./rapport-data/rapport.db";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_MAX_CONNECTIONS: u32 = 8;
/// How long a worker holds a job it claimed before another may take it over: longer than any job runs.
pub const DEFAULT_JOB_LEASE_SECONDS: u64 = 300;
/// Read when no file is named and it exists in the working directory.
pub const DEFAULT_FILE: &str = "rapport.toml";

/// Options every command takes.
#[derive(Args, Debug, Default, Clone)]
pub struct GlobalArgs {
    /// TOML configuration file [default: ./rapport.toml when it exists]
    #[arg(long, short = 'c', env = "RAPPORT_CONFIG", global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Database URL: sqlite://PATH or postgres://USER:PASSWORD@HOST:PORT/DB
    /// [default: sqlite://./rapport-data/rapport.db]
    #[arg(long, env = "RAPPORT_DATABASE_URL", global = true, value_name = "URL", hide_env_values = true)]
    pub database: Option<String>,

    /// Largest number of database connections to keep open [default: 8]
    #[arg(
        long,
        env = "RAPPORT_MAX_CONNECTIONS",
        global = true,
        value_name = "N",
        value_parser = clap::value_parser!(u32).range(1..=1000)
    )]
    pub max_connections: Option<u32>,

    /// Seconds a worker holds a claimed job; a job whose worker died is run
    /// again once they pass. Keep it above the 15 s a webhook delivery may take [default: 300]
    #[arg(
        long,
        env = "RAPPORT_JOB_LEASE_SECONDS",
        global = true,
        value_name = "SECONDS",
        value_parser = clap::value_parser!(u64).range(1..=86_400)
    )]
    pub job_lease_seconds: Option<u64>,
}

/// The configuration file. Every key is optional; unknown keys are refused so
/// that a typo does not go unnoticed.
#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub database: Option<String>,
    pub listen: Option<String>,
    pub max_connections: Option<u32>,
    pub job_lease_seconds: Option<u64>,
}

/// The settings in force, every source applied.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub database: String,
    pub listen: String,
    pub max_connections: u32,
    pub job_lease_seconds: u64,
    /// The file the settings were read from, if any.
    pub file: Option<PathBuf>,
}

impl Settings {
    /// Reads the configuration file, if any, and applies every source in order.
    /// `listen` is the value given to `serve` by flag or environment.
    pub fn load(global: &GlobalArgs, listen: Option<&str>) -> anyhow::Result<Settings> {
        let file = load_file(global.config.as_deref())?;
        let (path, file) = match file {
            Some((p, f)) => (Some(p), f),
            None => (None, FileConfig::default()),
        };
        let mut s = merge(global, listen, file)?;
        s.file = path;
        Ok(s)
    }
}

/// Flag or environment value, else the file's, else the default.
fn merge(global: &GlobalArgs, listen: Option<&str>, file: FileConfig) -> anyhow::Result<Settings> {
    let max_connections = global.max_connections.or(file.max_connections).unwrap_or(DEFAULT_MAX_CONNECTIONS);
    if max_connections == 0 {
        bail!("max_connections must be at least 1");
    }
    let job_lease_seconds = global.job_lease_seconds.or(file.job_lease_seconds).unwrap_or(DEFAULT_JOB_LEASE_SECONDS);
    if !(1..=86_400).contains(&job_lease_seconds) {
        bail!("job_lease_seconds must be between 1 and 86400");
    }
    let database = global.database.clone().or(file.database).unwrap_or_else(|| DEFAULT_DATABASE.to_string());
    if database.trim().is_empty() {
        bail!("the database URL is empty");
    }
    Ok(Settings {
        database,
        listen: listen.map(str::to_string).or(file.listen).unwrap_or_else(|| DEFAULT_LISTEN.to_string()),
        max_connections,
        job_lease_seconds,
        file: None,
    })
}

/// The named file (which must exist), else `./rapport.toml` if it exists.
fn load_file(explicit: Option<&Path>) -> anyhow::Result<Option<(PathBuf, FileConfig)>> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None => {
            let p = PathBuf::from(DEFAULT_FILE);
            if !p.is_file() {
                return Ok(None);
            }
            p
        }
    };
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("cannot read the configuration file {}", path.display()))?;
    let cfg = parse(&text).with_context(|| format!("invalid configuration file {}", path.display()))?;
    Ok(Some((path, cfg)))
}

fn parse(text: &str) -> anyhow::Result<FileConfig> {
    Ok(toml::from_str(text)?)
}

/// The URL with its password hidden, for printing.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let Some((userinfo, host)) = authority.rsplit_once('@') else { return url.to_string() };
    match userinfo.split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:***@{host}{path}"),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn global(database: Option<&str>, max: Option<u32>) -> GlobalArgs {
        GlobalArgs { config: None, database: database.map(str::to_string), max_connections: max, job_lease_seconds: None }
    }

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let s = merge(&global(None, None), None, FileConfig::default()).unwrap();
        assert_eq!(s.database, DEFAULT_DATABASE);
        assert_eq!(s.listen, DEFAULT_LISTEN);
        assert_eq!(s.max_connections, DEFAULT_MAX_CONNECTIONS);
    }

    #[test]
    fn file_beats_defaults_and_flags_beat_file() {
        let file = parse("database = \"postgres://db/rapport\"\nlisten = \"0.0.0.0:9000\"\nmax_connections = 4\n").unwrap();
        let s = merge(&global(None, None), None, file).unwrap();
        assert_eq!((s.database.as_str(), s.listen.as_str(), s.max_connections), ("postgres://db/rapport", "0.0.0.0:9000", 4));

        let file = parse("database = \"postgres://db/rapport\"\nlisten = \"0.0.0.0:9000\"\nmax_connections = 4\n").unwrap();
        let s = merge(&global(Some("sqlite:///tmp/x.db"), Some(2)), Some("127.0.0.1:1234"), file).unwrap();
        assert_eq!((s.database.as_str(), s.listen.as_str(), s.max_connections), ("sqlite:///tmp/x.db", "127.0.0.1:1234", 2));
    }

    #[test]
    fn unknown_keys_are_refused() {
        assert!(parse("databse = \"x\"").is_err());
        assert!(parse("max_connections = \"many\"").is_err());
        assert_eq!(parse("").unwrap(), FileConfig::default());
    }

    #[test]
    fn the_example_file_parses() {
        let text = include_str!("../../../rapport.example.toml");
        parse(text).unwrap();
    }

    #[test]
    fn passwords_are_hidden() {
        assert_eq!(redact_url("postgres://app:s3cret@db:5432/rapport"), "postgres://app:***@db:5432/rapport");
        assert_eq!(redact_url("postgres://postgres@127.0.0.1/postgres"), "postgres://postgres@127.0.0.1/postgres");
        assert_eq!(redact_url("sqlite://./rapport-data/rapport.db"), "sqlite://./rapport-data/rapport.db");
    }
}
