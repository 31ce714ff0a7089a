//! Opening the database and bringing its schema up to date.

use crate::config::Config;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, SqlxSqliteConnector};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::str::FromStr;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot open the database at {url}: {message}")]
    Open { url: String, message: String },
    #[error("cannot apply database migrations: {0}")]
    Migrate(String),
}

/// Connects with per-connection settings that matter: WAL (readers never block the writer),
/// a busy timeout (writers wait instead of failing with "database is locked"), foreign keys on.
pub async fn connect(config: &Config) -> Result<DatabaseConnection, DbError> {
    let url = config.database_url();
    let open_err = |e: &dyn std::fmt::Display| DbError::Open { url: redact(&url), message: e.to_string() };
    if config.is_sqlite() {
        let options = SqliteConnectOptions::from_str(&url)
            .map_err(|e| open_err(&e))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(config.database.max_connections)
            .connect_with(options)
            .await
            .map_err(|e| open_err(&e))?;
        Ok(SqlxSqliteConnector::from_sqlx_sqlite_pool(pool))
    } else {
        let mut opts = ConnectOptions::new(url.clone());
        opts.max_connections(config.database.max_connections)
            .connect_timeout(Duration::from_secs(10))
            .sqlx_logging(false);
        Database::connect(opts).await.map_err(|e| open_err(&e))
    }
}

pub async fn migrate(db: &DatabaseConnection) -> Result<usize, DbError> {
    Migrator::up(db, None).await.map_err(|e| DbError::Migrate(e.to_string()))?;
    let applied = Migrator::get_applied_migrations(db).await.map_err(|e| DbError::Migrate(e.to_string()))?;
    Ok(applied.len())
}

/// Pending migrations, for `pier doctor`.
pub async fn pending_migrations(db: &DatabaseConnection) -> Result<usize, DbError> {
    Ok(Migrator::get_pending_migrations(db).await.map_err(|e| DbError::Migrate(e.to_string()))?.len())
}

/// Hides a password in a database URL before it reaches a message or a log.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let creds = &url[scheme_end + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}://{}:***@{}", &url[..scheme_end], user, &url[at + 1..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// True when `e` is a unique-constraint violation (SQLite and Postgres both say "unique"):
/// the database's last word when two requests race past the application's own checks.
pub fn is_unique_violation(e: &sea_orm::DbErr) -> bool {
    matches!(e, sea_orm::DbErr::Query(_) | sea_orm::DbErr::Exec(_)) && e.to_string().to_lowercase().contains("unique")
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(redact("postgres://pier:s3cret@db:5432/pier"), "postgres://pier:***@db:5432/pier");
        assert_eq!(redact("sqlite:///var/lib/pier/pier.db"), "sqlite:///var/lib/pier/pier.db");
    }
}
