//! Command line: `pier serve | migrate | doctor`.

use clap::{Parser, Subcommand};
use pier_core::config::{Config, ConfigError};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(name = "pier", version, about = "Self-hosted panel for VPSs, containers, sites/TLS, monitoring and backups")]
pub struct Cli {
    /// TOML configuration file (settings in PIER_* environment variables override it).
    #[arg(long, global = true, env = "PIER_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the panel: web UI, API, live socket and job workers (applies migrations first).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Check every configured component and say how to fix what is wrong.
    Doctor {
        /// Print the report as JSON (the same document as GET /healthz).
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Start(#[from] pier_core::StartError),
    #[error(transparent)]
    Serve(#[from] crate::serve::ServeError),
    #[error("logging: {0}")]
    Logging(String),
}

pub fn load_config(cli: &Cli) -> Result<Config, ConfigError> {
    Config::load(cli.config.as_deref(), std::env::vars())
}

pub async fn run(cli: Cli) -> Result<ExitCode, CliError> {
    let config = load_config(&cli)?;
    match cli.command {
        Command::Serve => {
            let _guard = crate::logging::init_server(&config).map_err(CliError::Logging)?;
            crate::serve::serve(config).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate => {
            crate::logging::init_cli();
            let core = pier_core::Core::open(config).await?;
            let applied = pier_core::db::migrate(&core.db).await.map_err(pier_core::StartError::Db)?;
            println!("Database is up to date ({applied} migrations applied).");
            Ok(ExitCode::SUCCESS)
        }
        Command::Doctor { json } => {
            crate::logging::init_cli();
            Ok(crate::doctor::run(config, json).await)
        }
    }
}
