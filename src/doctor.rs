//! `pier doctor`: every configured component, ok or what is wrong and how to fix it.
//! Exits non-zero when a component fails, so scripts can use it.

use pier_core::config::Config;
use pier_core::health::HealthChecker;
use pier_proto::health::CheckStatus;
use std::process::ExitCode;

pub async fn run(config: Config, json: bool) -> ExitCode {
    // The database may be what is broken: report it instead of stopping at it.
    let db = match pier_core::db::connect(&config).await {
        Ok(db) => Some(db),
        Err(e) => {
            tracing::debug!(error = %e, "database did not open");
            None
        }
    };
    let report = HealthChecker::new(config, db).report_fresh().await;
    if json {
        println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
    } else {
        println!("Pier {} — overall: {}\n", report.version, report.status);
        for c in &report.checks {
            let mark = match c.status {
                CheckStatus::Ok => "ok  ",
                CheckStatus::Warn => "warn",
                CheckStatus::Fail => "FAIL",
                CheckStatus::NotConfigured => "off ",
            };
            println!("[{mark}] {:<9} {}", c.component, c.detail);
            if let Some(fix) = &c.fix {
                println!("       {:<9} fix: {fix}", "");
            }
        }
    }
    if report.checks.iter().any(|c| c.status == CheckStatus::Fail) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
