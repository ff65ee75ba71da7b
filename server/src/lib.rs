//! The medborgarlöften server as a library: the binary in `main.rs` and the end-to-end
//! tests both build the same [`app::Application`].

pub mod app;
pub mod cache;
pub mod catalog_version;
pub mod check;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod delivery;
pub mod domain;
pub mod email;
pub mod error_code;
pub mod graphql;
pub mod http;
pub mod memory;
pub mod metrics;
pub mod ratelimit;
pub mod seed;
pub mod service;
pub mod telemetry;
pub mod web;
