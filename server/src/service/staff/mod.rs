//! Staff: who is calling ([`Principal`]), why an action is refused ([`StaffError`]),
//! and what staff do, one concern a file: API tokens (`tokens.rs`: create, list,
//! revoke, authenticate), reading the tip inbox (`inbox.rs`) and triage, the changes to
//! a tip (`triage.rs`). Everything is re-exported here, so callers name
//! `service::staff::…` whichever file it lives in.

use entity::{StaffRole, TipStatus};
use sea_orm::{Condition, DbErr};

use super::authz;

mod inbox;
mod tokens;
mod triage;

pub use inbox::{
    PublicStatus, TipQuery, concerns, deliveries, history, public_status, reroute_targets,
    tip_by_id_in_scope, tip_in_scope, tips,
};
pub(crate) use tokens::resolve_grant;
pub use tokens::{
    NewToken, authenticate, create_token, create_token_as, list_tokens, list_tokens_for,
    revoke_token, revoke_token_as,
};
pub use triage::{
    MAX_REPLY_CHARS, erase_tip, reply_to_resident, reroute, resend_dead, tells_resident,
    transition, transition_at,
};

/// Who is calling, established from a bearer token or a web session of a staff account
/// (the same role and scope rules apply to both).
#[derive(Clone, Debug)]
pub struct Principal {
    /// The API token, when the caller came with one.
    pub token_id: Option<i32>,
    /// The staff account, when the caller signed in on the web.
    pub account_id: Option<i32>,
    pub name: String,
    pub role: StaffRole,
    /// Municipalities in scope; empty means national (only admin tokens have none).
    /// The rules live in `service::authz`.
    pub municipality_ids: Vec<i32>,
    pub contact_id: Option<i32>,
}

/// Why a staff action was refused.
#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("tip not found")]
    NotFound,
    /// The caller's role may not do this, or may not grant it (a higher role or a wider
    /// scope than its own).
    #[error("forbidden")]
    Forbidden,
    #[error("a tip cannot go from {from:?} to {to:?}")]
    InvalidTransition { from: TipStatus, to: TipStatus },
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// `Forbidden` unless `allowed`: the one way a service refuses a role.
pub(crate) fn require(allowed: bool) -> Result<(), StaffError> {
    if allowed {
        Ok(())
    } else {
        Err(StaffError::Forbidden)
    }
}

/// The tips `p` may see, or `Forbidden` for a role that reads no tips.
fn tip_scope(p: &Principal) -> Result<Condition, StaffError> {
    authz::tip_condition(p).ok_or(StaffError::Forbidden)
}

/// A new random secret (256 bits, base64url) after `prefix`, which says what it is for.
pub(crate) fn secret(prefix: &str) -> String {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    let bytes: [u8; 32] = rand::random();
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// Equal bytes, compared in time that does not depend on where they differ.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
