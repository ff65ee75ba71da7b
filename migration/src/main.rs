//! `migration` CLI: `DATABASE_URL=... cargo run -p migration -- up|down|fresh|status`.

use sea_orm_migration::prelude::*;

#[tokio::main]
async fn main() {
    cli::run_cli(migration::Migrator).await;
}
