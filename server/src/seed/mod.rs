//! Seed data: the human-editable TOML file of promises, contacts and routing rules
//! (`seed/medborgarloften.toml`), its validation, and the idempotent importer.

mod file;
mod import;

pub use file::{SeedError, SeedFile};
pub use import::{ImportReport, import, import_with, is_empty};

/// The seed file shipped with the project, built into the binary so a fresh install
/// can seed itself without knowing where the repository is.
pub const EMBEDDED: &str = include_str!("../../../seed/medborgarloften.toml");
/// The name used for the built-in copy in error messages.
pub const EMBEDDED_NAME: &str = "seed/medborgarloften.toml (built in)";

/// Read, parse and validate a seed file from disk.
pub fn load_path(path: &std::path::Path) -> Result<SeedFile, SeedError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|err| SeedError {
        file: name.clone(),
        line: 0,
        column: 0,
        field: String::new(),
        message: format!("cannot read the file: {err}"),
    })?;
    SeedFile::parse(&name, &text)
}

/// Parse and validate the built-in seed data.
pub fn load_embedded() -> Result<SeedFile, SeedError> {
    SeedFile::parse(EMBEDDED_NAME, EMBEDDED)
}
