//! The server binary, built inside the test crate so that tests which need a real
//! process (SIGKILL crash tests, `server check`) find it as `CARGO_BIN_EXE_e2e-server`.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    server::cli::main().await
}
