//! Schema migrations. Run automatically by the server at start-up, or by hand with the
//! `migration` binary (`up`, `down`, `fresh`, `status`, ...). Every step has a real `down()`.

pub use sea_orm_migration::prelude::*;

mod m20261121_000001_catalog;
mod m20261121_000002_tips;
mod m20261122_000003_staff;
mod m20261122_000004_editing;
mod m20261122_000005_catalog_version;
mod m20261201_000006_tip_email_window;
mod m20261202_000007_municipality_official_name;
mod m20261202_000008_response_target;
mod m20261202_000009_followup;
mod m20261202_000009_staff_accounts;
mod m20261203_000001_tip_place;
mod m20261207_000001_tip_photo;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261121_000001_catalog::Migration),
            Box::new(m20261121_000002_tips::Migration),
            Box::new(m20261122_000003_staff::Migration),
            Box::new(m20261122_000004_editing::Migration),
            Box::new(m20261122_000005_catalog_version::Migration),
            Box::new(m20261201_000006_tip_email_window::Migration),
            Box::new(m20261202_000007_municipality_official_name::Migration),
            Box::new(m20261202_000008_response_target::Migration),
            Box::new(m20261202_000009_followup::Migration),
            Box::new(m20261202_000009_staff_accounts::Migration),
            Box::new(m20261203_000001_tip_place::Migration),
            Box::new(m20261207_000001_tip_photo::Migration),
        ]
    }
}
