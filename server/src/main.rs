//! `server` binary: everything lives in the library (`cli::main`), so the end-to-end
//! tests can run the very same entry point as a real process.

fn main() -> std::process::ExitCode {
    // Before the runtime's threads exist (see `memory`).
    server::memory::limit_arenas();
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(server::cli::main()),
        Err(err) => {
            eprintln!("could not start the async runtime: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}
