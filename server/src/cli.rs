//! Command line: `server` (serve), `server seed`, `server migrate`, `server schema`.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::{app, config::Config, db, graphql, seed};

#[derive(Parser, Debug)]
#[command(name = "server", version, about = "Medborgarlöften GraphQL API")]
pub struct Args {
    /// Optional TOML configuration file (environment variables override it).
    #[arg(long, global = true, env = "CONFIG_FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug, Default)]
pub enum Command {
    /// Migrate, seed an empty database, and serve HTTP (the default).
    #[default]
    Serve,
    /// Import a seed data file (idempotent); without --file, the built-in data.
    Seed {
        /// Path of the TOML seed file.
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the GraphQL schema (SDL) to standard output.
    Schema,
}

pub async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve => {
            let app = app::Application::build(&config).await?;
            let addr = app.local_addr();
            tracing::info!(database = %config.database_url_redacted(), "database ready");
            println!("Medborgarlöften API listening on http://{addr}/graphql");
            app.run_until(app::shutdown_signal()).await
        }
        Command::Seed { file } => {
            let data = match file.or(config.seed_file.clone()) {
                Some(path) => seed::load_path(&path)?,
                None => seed::load_embedded()?,
            };
            let (conn, _) = db::connect(&config.database_url, 2).await?;
            db::migrate(&conn).await?;
            let report = seed::import(&conn, &data)
                .await
                .context("importing seed data")?;
            println!("seed imported: {report}");
            Ok(())
        }
        Command::Migrate => {
            let (conn, _) = db::connect(&config.database_url, 2).await?;
            db::migrate(&conn).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Schema => {
            print!("{}", graphql::sdl());
            Ok(())
        }
    }
}
