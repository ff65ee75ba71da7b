//! Keyed hashes: client addresses and email addresses for the shared windows, and the
//! resident's status token.

use entity::server_secret;
use hmac::{Hmac, Mac};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, Set};
use sha2::{Digest, Sha256};

/// The key used to hash client IPs: configured, or generated once and stored in the
/// database so every replica uses the same one.
pub async fn ip_hash_key(
    db: &impl ConnectionTrait,
    configured: Option<&str>,
) -> Result<Vec<u8>, DbErr> {
    if let Some(secret) = configured.filter(|s| !s.is_empty()) {
        return Ok(secret.as_bytes().to_vec());
    }
    let generated: [u8; 32] = rand::random();
    server_secret::Entity::insert(server_secret::ActiveModel {
        name: Set("ip_hash".to_owned()),
        value: Set(hex(&generated)),
    })
    .on_conflict_do_nothing()
    .exec(db)
    .await?;
    let stored = server_secret::Entity::find_by_id("ip_hash".to_owned())
        .one(db)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("server secret ip_hash".into()))?;
    Ok(stored.value.into_bytes())
}

/// An HMAC-SHA256 with `key`. HMAC takes keys of any length, so the error branch of
/// `new_from_slice` cannot happen; it falls back to a fixed key rather than panic.
fn keyed(key: &[u8]) -> Hmac<Sha256> {
    <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| {
        #[allow(
            clippy::expect_used,
            reason = "a fixed, compiled-in key of valid length"
        )]
        <Hmac<Sha256> as Mac>::new_from_slice(b"medborgarloften").expect("fixed key")
    })
}

/// HMAC-SHA256 of the address: comparable across replicas, useless without the key.
pub fn hash_ip(key: &[u8], ip: std::net::IpAddr) -> String {
    let mut mac = keyed(key);
    mac.update(ip.to_string().as_bytes());
    hex(&mac.finalize().into_bytes())
}

/// HMAC-SHA256 of the email address as mail systems would deliver it (see
/// [`crate::ratelimit::fold_email`]), so variants of one mailbox share a window.
pub fn hash_email(key: &[u8], email: &str) -> String {
    let mut mac = keyed(key);
    mac.update(b"email:");
    mac.update(crate::ratelimit::fold_email(email).as_bytes());
    hex(&mac.finalize().into_bytes())
}

/// The resident's private token for a tip: an HMAC of its reference with the server
/// secret, so it can be given again on an idempotent replay without being stored.
pub fn status_token(secret: &[u8], reference: &str) -> String {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    let mut mac = keyed(secret);
    mac.update(b"status-token:");
    mac.update(reference.as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

pub fn sha256_hex(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

pub(super) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_hashes_are_keyed() {
        let ip: std::net::IpAddr = "203.0.113.5".parse().expect("ip");
        let a = hash_ip(b"key-a", ip);
        assert_eq!(a.len(), 64);
        assert_eq!(a, hash_ip(b"key-a", ip));
        assert_ne!(a, hash_ip(b"key-b", ip));
        assert!(!a.contains("203"));
    }

    #[test]
    fn email_hashes_fold_variants_and_hide_the_address() {
        let a = hash_email(b"key-a", "erika@exempel.se");
        assert_eq!(a.len(), 64);
        assert_eq!(a, hash_email(b"key-a", "Erika+x@Exempel.SE"));
        assert_eq!(a, hash_email(b"key-a", "ｅｒｉｋａ@ｅｘｅｍｐｅｌ.ｓｅ"));
        assert_ne!(a, hash_email(b"key-b", "erika@exempel.se"));
        assert_ne!(a, hash_email(b"key-a", "erik@exempel.se"));
        assert_ne!(a, hash_ip(b"key-a", "203.0.113.5".parse().expect("ip")));
        assert!(!a.contains("erika"));
    }
}
