//! `server` binary: everything lives in the library (`cli::main`), so the end-to-end
//! tests can run the very same entry point as a real process.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    server::cli::main().await
}
