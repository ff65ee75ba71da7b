//! `server` binary: parse the command line and configuration, start telemetry, then run.

use clap::Parser;
use server::{cli, config::Config, telemetry};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = cli::Args::parse();
    let config = match Config::load(args.config.as_deref()) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("configuration error: {err}");
            return std::process::ExitCode::from(2);
        }
    };
    telemetry::init(&config);
    match cli::run(args.command.unwrap_or_default(), config).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
