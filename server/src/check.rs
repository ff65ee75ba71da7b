//! `server check`: an operator's first command after configuring. Each check prints one
//! line, `ok   <check>: <detail>` or `FAIL <check>: <reason>`; nothing is changed (pending
//! migrations are reported, not applied; the SMTP session quits before sending) and no
//! secret is printed (the database URL is redacted, `SMTP_URL`'s user info never shown).

use std::{io::Write, time::Duration};

use crate::{config::Config, db};

/// One check's outcome.
#[derive(Debug)]
struct Line {
    ok: bool,
    check: &'static str,
    text: String,
}

impl Line {
    fn ok(check: &'static str, text: impl Into<String>) -> Self {
        Self {
            ok: true,
            check,
            text: text.into(),
        }
    }

    fn fail(check: &'static str, text: impl Into<String>) -> Self {
        Self {
            ok: false,
            check,
            text: text.into(),
        }
    }
}

/// Print the `FAIL configuration` line for a configuration that did not load.
pub fn report_config_error(out: &mut dyn Write, error: &dyn std::fmt::Display) {
    // figment's message names the key and the bad value's type, never a secret value.
    let _ = writeln!(out, "FAIL configuration: {error}");
}

/// Run every check, print its line to `out`; `true` when every check passed.
pub async fn run(config: &Config, source: &str, out: &mut (dyn Write + Send)) -> bool {
    let mut lines = vec![Line::ok("configuration", format!("loaded from {source}"))];
    lines.extend(database(config).await);
    lines.push(mail_from(config));
    lines.push(mail(config).await);
    lines.push(public_base_url(config));
    let mut all_ok = true;
    for line in &lines {
        all_ok &= line.ok;
        let status = if line.ok { "ok  " } else { "FAIL" };
        let _ = writeln!(out, "{status} {}: {}", line.check, line.text);
    }
    all_ok
}

async fn database(config: &Config) -> Vec<Line> {
    let redacted = config.database_url_redacted();
    let connected = tokio::time::timeout(
        Duration::from_secs(15),
        db::connect(&config.database_url, 1),
    )
    .await;
    let conn = match connected {
        Ok(Ok((conn, _))) => conn,
        Ok(Err(e)) => {
            return vec![
                Line::fail(
                    "database",
                    format!("cannot connect to {redacted}: {}", db_error(config, &e)),
                ),
                Line::fail("migrations", "not checked: no database connection"),
            ];
        }
        Err(_) => {
            return vec![
                Line::fail("database", format!("no answer from {redacted} in 15 s")),
                Line::fail("migrations", "not checked: no database connection"),
            ];
        }
    };
    let mut lines = vec![Line::ok("database", format!("connected to {redacted}"))];
    use migration::MigratorTrait;
    lines.push(
        // Read-only: never creates the migration table, so the check changes nothing.
        match migration::Migrator::get_pending_migrations_read_only(&conn).await {
            Ok(pending) if pending.is_empty() => Line::ok(
                "migrations",
                format!("all {} applied", migration::Migrator::migrations().len()),
            ),
            Ok(pending) => {
                let names = pending
                    .iter()
                    .map(|m| m.name().to_owned())
                    .collect::<Vec<_>>()
                    .join(", ");
                if config.migrate_on_start {
                    Line::ok(
                        "migrations",
                        format!(
                            "{} pending, applied when the server starts (MIGRATE_ON_START): {names}",
                            pending.len()
                        ),
                    )
                } else {
                    Line::fail(
                        "migrations",
                        format!(
                            "{} pending (not applied; MIGRATE_ON_START is false: run `server migrate` with the owner role): {names}",
                            pending.len()
                        ),
                    )
                }
            }
            Err(e) => Line::fail(
                "migrations",
                format!("cannot read the migration table: {e}"),
            ),
        },
    );
    let _ = conn.close().await;
    lines
}

/// A database error with the URL's password blanked out, should a driver repeat it.
fn db_error(config: &Config, e: &anyhow::Error) -> String {
    let text = format!("{e:#}");
    match url::Url::parse(&config.database_url)
        .ok()
        .and_then(|u| u.password().map(str::to_owned))
    {
        Some(password) if !password.is_empty() => text.replace(&password, "***"),
        _ => text,
    }
}

fn mail_from(config: &Config) -> Line {
    match config.mail_from.parse::<lettre::message::Mailbox>() {
        Ok(mailbox) => Line::ok("mail-from", format!("sender {}", mailbox.email)),
        Err(e) => Line::fail(
            "mail-from",
            format!("MAIL_FROM is not a valid mailbox: {e}"),
        ),
    }
}

async fn mail(config: &Config) -> Line {
    let check = if config.smtp_url.is_some() {
        "smtp"
    } else {
        "mail-folder"
    };
    let mailer = match crate::app::mailer(config) {
        Ok(mailer) => mailer,
        Err(e) => return Line::fail(check, format!("{e:#}")),
    };
    // The transport has its own timeout; this one bounds DNS and a stalled handshake.
    let limit = Duration::from_secs(config.smtp_timeout_secs.saturating_mul(2).max(5));
    match tokio::time::timeout(limit, mailer.check()).await {
        Ok(Ok(detail)) => Line::ok(check, detail),
        Ok(Err(failure)) => Line::fail(check, failure.reason),
        Err(_) => Line::fail(
            check,
            format!(
                "timeout: the relay did not finish the session in {} s",
                limit.as_secs()
            ),
        ),
    }
}

fn public_base_url(config: &Config) -> Line {
    let Some(raw) = config
        .public_base_url
        .as_deref()
        .filter(|u| !u.trim().is_empty())
    else {
        return match missing_public_base_url(config) {
            Some(reason) => Line::fail("public-base-url", reason),
            None if config.web_ui => Line::ok(
                "public-base-url",
                format!(
                    "not set: links in emails use the loopback listen address http://{}",
                    config.listen_addr
                ),
            ),
            None => Line::ok("public-base-url", "not set (optional with WEB_UI=false)"),
        };
    };
    match valid_public_base_url(raw) {
        Ok(url) => Line::ok("public-base-url", url),
        Err(reason) => Line::fail("public-base-url", format!("PUBLIC_BASE_URL {reason}")),
    }
}

/// Why the configuration cannot serve without `PUBLIC_BASE_URL`, if it cannot: the web UI
/// is on (sign-in links and the inbox links in tip emails need an address people can
/// open) and the server listens on an address that is not loopback, so the listen
/// address is no such address. The embedded default (127.0.0.1, links to itself) and
/// `WEB_UI=false` need none, as `/metrics` is public only on a loopback listener.
pub fn missing_public_base_url(config: &Config) -> Option<String> {
    let set = config
        .public_base_url
        .as_deref()
        .is_some_and(|u| !u.trim().is_empty());
    (config.web_ui && !set && !config.listen_addr.ip().is_loopback()).then(|| {
        format!(
            "PUBLIC_BASE_URL is not set, but it is required when WEB_UI is on and LISTEN_ADDR \
             ({}) is not a loopback address: sign-in links and the inbox links in emails are \
             built from it. Set PUBLIC_BASE_URL to the address people open \
             (e.g. https://loften.kommun.se), or WEB_UI=false",
            config.listen_addr
        )
    })
}

/// `Ok(normalised)` for an absolute `http`/`https` URL with a host and no user info,
/// query or fragment.
pub fn valid_public_base_url(raw: &str) -> Result<String, String> {
    let url = url::Url::parse(raw).map_err(|e| format!("is not an absolute URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("must use http or https, not {:?}", url.scheme()));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("has no host".to_owned());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not contain a user name or password".to_owned());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("must not have a query or fragment".to_owned());
    }
    Ok(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::valid_public_base_url;

    #[test]
    fn public_base_urls() {
        assert!(valid_public_base_url("https://loften.kommun.se").is_ok());
        assert!(valid_public_base_url("http://127.0.0.1:8080/app/").is_ok());
        assert!(valid_public_base_url("loften.kommun.se").is_err());
        assert!(valid_public_base_url("ftp://loften.kommun.se").is_err());
        assert!(valid_public_base_url("https://u:p@loften.kommun.se").is_err());
        assert!(valid_public_base_url("https://loften.kommun.se/?a=b").is_err());
    }
}
