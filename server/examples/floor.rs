//! The floor of the load test: a plain axum server that answers every request (any path,
//! any method) with the same fixed bytes, read once from a file at start-up. The load
//! script saves the server's real response to scenario (a) and serves it from here, so
//! the difference to the real server is GraphQL, the database and everything else, not
//! HTTP or response size.
//!
//! ```text
//! cargo run --release -p server --example floor -- --listen 127.0.0.1:8091 --body a.json
//! ```

use std::{net::SocketAddr, path::PathBuf};

use axum::{
    Router,
    body::Bytes,
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};
use clap::Parser;

#[derive(Parser)]
struct Args {
    #[arg(long, default_value = "127.0.0.1:8091")]
    listen: SocketAddr,
    /// File whose bytes are the body of every response.
    #[arg(long)]
    body: PathBuf,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let body = Bytes::from(std::fs::read(&args.body)?);
    let app = Router::new().fallback(move || {
        let body = body.clone();
        async move {
            let mut response: Response = body.into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            response
        }
    });
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    println!("floor listening on {}", listener.local_addr()?);
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
