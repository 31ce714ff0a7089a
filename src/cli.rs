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
    /// Manage administrator accounts from the panel's own machine.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Check every configured component and say how to fix what is wrong.
    Doctor {
        /// Print the report as JSON (the same document as GET /healthz).
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Create an administrator (works whether or not accounts exist).
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
        /// Read the password from standard input (one line), so it stays out of the shell history.
        #[arg(long, required = true)]
        password_stdin: bool,
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
    #[error("{0}")]
    Input(String),
    #[error("{0}")]
    Api(pier_proto::ApiError),
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
        Command::Admin { command: AdminCommand::Create { username, email, password_stdin: _ } } => {
            crate::logging::init_cli();
            let mut password = String::new();
            std::io::stdin().read_line(&mut password).map_err(|e| CliError::Input(format!("cannot read the password from stdin: {e}")))?;
            let password = password.trim_end_matches(['\n', '\r']).to_string();
            let core = pier_core::Core::open(config).await?;
            let new = pier_proto::accounts::NewUser { username, email, password, role: pier_proto::accounts::Role::Admin };
            let admin = core.accounts.create_admin_from_cli(new).await.map_err(|e| CliError::Api(e.into()))?;
            println!("Created administrator {:?} (user {}). Log in at the panel's /login page.", admin.username, admin.id);
            Ok(ExitCode::SUCCESS)
        }
        Command::Doctor { json } => {
            crate::logging::init_cli();
            Ok(crate::doctor::run(config, json).await)
        }
    }
}
