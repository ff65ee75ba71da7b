//! `Config::load`: built-in defaults, then a TOML file, then the environment, which wins.
//!
//! This binary holds one test on purpose: it sets process environment variables, which
//! no other test may see change under it.

use std::net::SocketAddr;

use server::config::Config;

/// Every variable this test sets or relies on being unset.
const VARS: [&str; 5] = [
    "CONFIG_FILE",
    "DATABASE_URL",
    "LISTEN_ADDR",
    "TIP_LIMIT_PER_IP",
    "GRAPHIQL",
];

fn set(key: &str, value: &str) {
    // SAFETY: the only test of this binary; nothing else reads the environment now.
    unsafe { std::env::set_var(key, value) }
}

#[test]
fn a_toml_file_overrides_defaults_and_the_environment_overrides_the_file() {
    for key in VARS {
        // SAFETY: as above.
        unsafe { std::env::remove_var(key) }
    }
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("server.toml");
    std::fs::write(
        &file,
        r#"
database_url = "sqlite://from-the-file.db?mode=rwc"
listen_addr = "127.0.0.1:9001"
tip_limit_per_ip = 7
graphiql = false
"#,
    )
    .expect("write");

    // The file alone: its values, defaults for the rest.
    let from_file = Config::load(Some(&file)).expect("loads");
    assert_eq!(from_file.database_url, "sqlite://from-the-file.db?mode=rwc");
    assert_eq!(
        from_file.listen_addr,
        SocketAddr::from(([127, 0, 0, 1], 9001))
    );
    assert_eq!(from_file.tip_limit_per_ip, 7);
    assert!(!from_file.graphiql);
    let defaults = Config::default();
    assert_eq!(from_file.tip_limit_global, defaults.tip_limit_global);
    assert_ne!(from_file.tip_limit_per_ip, defaults.tip_limit_per_ip);

    // The environment wins over the file, key by key.
    set("LISTEN_ADDR", "127.0.0.1:9002");
    set("TIP_LIMIT_PER_IP", "42");
    let both = Config::load(Some(&file)).expect("loads");
    assert_eq!(both.listen_addr, SocketAddr::from(([127, 0, 0, 1], 9002)));
    assert_eq!(both.tip_limit_per_ip, 42);
    assert_eq!(
        both.database_url, from_file.database_url,
        "kept from the file"
    );
    assert!(!both.graphiql, "kept from the file");

    // CONFIG_FILE names the file when no path is given.
    set("CONFIG_FILE", &file.display().to_string());
    let named = Config::load(None).expect("loads");
    assert_eq!(named.database_url, from_file.database_url);
    assert_eq!(named.tip_limit_per_ip, 42);

    // A value of the wrong type is an error that names the setting.
    set("TIP_LIMIT_PER_IP", "many");
    let err = Config::load(Some(&file)).expect_err("not a number");
    assert!(
        err.to_string().to_lowercase().contains("tip_limit_per_ip"),
        "{err}"
    );
    // A file that does not exist is an error, not silently the defaults.
    let missing = Config::load(Some(&dir.path().join("missing.toml")));
    assert!(missing.is_err());
}
