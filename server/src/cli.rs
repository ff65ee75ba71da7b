//! Command line: `server` (serve), `server seed`, `server migrate`, `server schema`,
//! `server check`.

use std::{io::Write, path::PathBuf};

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
    /// Import a seed data file (idempotent); without --file, the built-in data. Promises,
    /// contacts and routing rules that staff edited through the API are kept as they are.
    Seed {
        /// Path of the TOML seed file.
        #[arg(long)]
        file: Option<PathBuf>,
        /// Let the file overwrite staff edits, and bring back what staff deleted.
        #[arg(long)]
        force: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the GraphQL schema (SDL) to standard output.
    Schema,
    /// Check the configuration without changing anything: database and pending
    /// migrations, an SMTP session with TLS and AUTH (quit before sending) or the mail
    /// folder, MAIL_FROM and PUBLIC_BASE_URL. One line per check; exit status 0 only when
    /// every check passed.
    Check,
    /// Manage staff API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage staff accounts of the web inbox (`/staff`).
    #[command(subcommand)]
    Staff(StaffCommand),
}

#[derive(Subcommand, Debug)]
pub enum StaffCommand {
    /// Create an account that signs in at /staff with a link sent to its address. Role
    /// and scope work as for API tokens.
    Invite {
        /// The address the sign-in links are sent to.
        #[arg(long)]
        email: String,
        #[command(flatten)]
        scope: Scope,
    },
}

/// Role and scope of a staff account or an API token (the same rules for both).
#[derive(clap::Args, Debug)]
pub struct Scope {
    /// admin, editor or recipient.
    #[arg(long, value_parser = ["admin", "editor", "recipient"])]
    pub role: String,
    /// Municipality (kommunkod or slug) the account or token is limited to; repeat for
    /// several. An admin limited to municipalities manages only what belongs to them.
    #[arg(long = "municipality")]
    pub municipalities: Vec<String>,
    /// For recipients: the contact (seed key) whose tips the account or token reads.
    #[arg(long)]
    pub contact: Option<String>,
}

impl Scope {
    fn role(&self) -> entity::StaffRole {
        match self.role.as_str() {
            "admin" => entity::StaffRole::Admin,
            "editor" => entity::StaffRole::Editor,
            _ => entity::StaffRole::Recipient,
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create a token and print its secret (shown only once).
    Create {
        #[command(flatten)]
        scope: Scope,
        /// Who or what the token is for.
        #[arg(long)]
        name: String,
    },
    /// List tokens (never their secrets).
    List,
    /// Revoke a token by id.
    Revoke {
        /// Token id from `server token list`.
        id: i32,
    },
}

/// The binary's entry point: parse the command line and configuration, start telemetry,
/// then run. Exit status 2 for a configuration error, 1 for any other failure.
pub async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let checking = matches!(args.command, Some(Command::Check));
    let config = match Config::load(args.config.as_deref()) {
        Ok(config) => config,
        Err(err) if checking => {
            crate::check::report_config_error(&mut std::io::stdout(), &err);
            return std::process::ExitCode::FAILURE;
        }
        Err(err) => {
            eprintln!("configuration error: {err}");
            return std::process::ExitCode::from(2);
        }
    };
    crate::telemetry::init(&config);
    if checking {
        let source = match &args.config {
            Some(path) => format!("{} and the environment", path.display()),
            None => "defaults and the environment".to_owned(),
        };
        return if crate::check::run(&config, &source, &mut std::io::stdout()).await {
            std::process::ExitCode::SUCCESS
        } else {
            std::process::ExitCode::FAILURE
        };
    }
    match run(args.command.unwrap_or_default(), config).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Run a command, printing to standard output.
pub async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    run_with_output(command, config, &mut std::io::stdout()).await
}

/// Run a command, writing what it reports (such as a new token's secret) to `out`.
pub async fn run_with_output(
    command: Command,
    config: Config,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    match command {
        Command::Serve => {
            let app = app::Application::build(&config).await?;
            let addr = app.local_addr();
            tracing::info!(database = %config.database_url_redacted(), "database ready");
            println!("Medborgarlöften API listening on http://{addr}/graphql");
            if config.web_ui {
                println!("The resident site is at http://{addr}/");
            }
            app.run_until(app::shutdown_signal()).await
        }
        Command::Seed { file, force } => {
            let data = match file.or(config.seed_file.clone()) {
                Some(path) => seed::load_path(&path)?,
                None => seed::load_embedded()?,
            };
            let (conn, _) = db::connect(&config.database_url, 2).await?;
            db::migrate(&conn).await?;
            let report = seed::import_with(&conn, &data, force)
                .await
                .context("importing seed data")?;
            writeln!(out, "seed imported: {report}")?;
            Ok(())
        }
        Command::Migrate => {
            let (conn, _) = db::connect(&config.database_url, 2).await?;
            db::migrate(&conn).await?;
            writeln!(out, "migrations applied")?;
            Ok(())
        }
        Command::Schema => {
            write!(out, "{}", graphql::sdl())?;
            Ok(())
        }
        Command::Token(command) => token(command, &config, out).await,
        Command::Staff(command) => staff_account(command, &config, out).await,
        Command::Check => {
            if crate::check::run(&config, "the given configuration", out).await {
                Ok(())
            } else {
                anyhow::bail!("some checks failed")
            }
        }
    }
}

async fn staff_account(
    command: StaffCommand,
    config: &Config,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    use crate::service::{staff::StaffError, staff_session};
    let (conn, _) = db::connect(&config.database_url, 2).await?;
    db::migrate(&conn).await?;
    let StaffCommand::Invite { email, scope } = command;
    let invited = staff_session::invite(
        &conn,
        None,
        &email,
        scope.role(),
        &scope.municipalities,
        scope.contact.as_deref(),
    )
    .await
    .map_err(|e| match e {
        StaffError::Invalid { field, message } => anyhow::anyhow!("{field}: {message}"),
        other => anyhow::anyhow!("could not invite: {other:?}"),
    })?;
    writeln!(
        out,
        "staff account {} created for {}; they sign in at /staff/logga-in",
        invited.account.id, invited.account.email
    )?;
    Ok(())
}

async fn token(
    command: TokenCommand,
    config: &Config,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    use crate::service::staff;
    let (conn, _) = db::connect(&config.database_url, 2).await?;
    db::migrate(&conn).await?;
    match command {
        TokenCommand::Create { scope, name } => {
            let (municipalities, contact) = (&scope.municipalities, scope.contact.as_deref());
            let created = staff::create_token(&conn, &name, scope.role(), municipalities, contact)
                .await
                .map_err(|e| match e {
                    staff::StaffError::Invalid { field, message } => {
                        anyhow::anyhow!("{field}: {message}")
                    }
                    other => anyhow::anyhow!("could not create the token: {other:?}"),
                })?;
            writeln!(
                out,
                "token {} created; its secret is shown only now:",
                created.token.id
            )?;
            writeln!(out, "{}", created.secret)?;
            Ok(())
        }
        TokenCommand::List => {
            for (t, municipalities) in staff::list_tokens(&conn).await? {
                let state = if t.revoked_at.is_some() {
                    "revoked"
                } else {
                    "active"
                };
                writeln!(
                    out,
                    "{}\t{:?}\t{}\t{}\t{}\tcreated {}\tlast used {}",
                    t.id,
                    t.role,
                    state,
                    t.name,
                    if municipalities.is_empty() {
                        "all".to_owned()
                    } else {
                        municipalities.join(",")
                    },
                    t.created_at.format("%Y-%m-%d"),
                    t.last_used_at.map_or_else(
                        || "never".to_owned(),
                        |d| d.format("%Y-%m-%d %H:%M").to_string()
                    ),
                )?;
            }
            Ok(())
        }
        TokenCommand::Revoke { id } => {
            if staff::revoke_token(&conn, id).await? {
                writeln!(out, "token {id} revoked")?;
                Ok(())
            } else {
                anyhow::bail!("no active token with id {id}")
            }
        }
    }
}
