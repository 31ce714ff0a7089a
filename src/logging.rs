//! Logging: readable lines on stderr, and JSON lines in a daily-rotated file in the data dir.

use pier_core::config::Config;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{Builder, Rotation};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter, Layer};

/// Keep the guard alive for the life of the process: dropping it flushes the file writer.
pub fn init_server(config: &Config) -> Result<Option<WorkerGuard>, String> {
    let filter = || EnvFilter::try_new(&config.log.level).map_err(|e| format!("log level {:?}: {e}", config.log.level));
    let stderr = fmt::layer().with_writer(std::io::stderr).with_target(false).compact().with_filter(filter()?);
    let (file, guard) = if config.log.file {
        let dir = config.data_dir().join("logs");
        std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let appender = Builder::new()
            .rotation(Rotation::DAILY)
            .filename_prefix("pier")
            .filename_suffix("log")
            .max_log_files(config.log.keep_files.max(1))
            .build(&dir)
            .map_err(|e| format!("cannot open a log file in {}: {e}", dir.display()))?;
        let (writer, guard) = tracing_appender::non_blocking(appender);
        let layer = fmt::layer().json().with_current_span(true).with_span_list(false).with_writer(writer).with_filter(filter()?);
        (Some(layer), Some(guard))
    } else {
        (None, None)
    };
    tracing_subscriber::registry().with(stderr).with(file).try_init().map_err(|e| e.to_string())?;
    Ok(guard)
}

/// One-shot commands: warnings and errors on stderr only.
pub fn init_cli() {
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(EnvFilter::new("warn"))
        .with_target(false)
        .try_init();
}
