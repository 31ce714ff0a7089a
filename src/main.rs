//! `pier`: the panel's single binary.

mod cli;
mod doctor;
mod http;
mod logging;
mod serve;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            // One readable line, no backtrace: these are operator errors (bad config, port in use).
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
