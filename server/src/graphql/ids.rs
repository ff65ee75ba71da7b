//! Relay global object ids: opaque, URL-safe strings that encode the type and row id
//! (`base64url("Promise:12")`). Clients must treat them as opaque.

use async_graphql::ID;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use super::errors::ApiError;

/// The object types that can be fetched with `node(id:)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NodeType {
    Municipality,
    PoliceArea,
    Promise,
    FocusArea,
    Commitment,
    FollowUp,
    Signatory,
    Contact,
    /// Staff only: the tip as staff see it (`StaffTip`).
    Tip,
}

impl NodeType {
    const ALL: [NodeType; 9] = [
        Self::Municipality,
        Self::PoliceArea,
        Self::Promise,
        Self::FocusArea,
        Self::Commitment,
        Self::FollowUp,
        Self::Signatory,
        Self::Contact,
        Self::Tip,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Municipality => "Municipality",
            Self::PoliceArea => "PoliceArea",
            Self::Promise => "Promise",
            Self::FocusArea => "FocusArea",
            Self::Commitment => "Commitment",
            Self::FollowUp => "FollowUp",
            Self::Signatory => "Signatory",
            Self::Contact => "Contact",
            Self::Tip => "Tip",
        }
    }
}

pub fn encode(kind: NodeType, id: i32) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{}:{id}", kind.name())))
}

/// Decode any global id; `field` names the argument for the error message.
///
/// Only the canonical form that [`encode`] produces is accepted: after decoding, the
/// id is encoded again and must equal the input byte for byte. So `Promise:+1`,
/// `Promise:0001`, ` 1`, padded or standard-alphabet base64 and the like are rejected
/// with `BAD_USER_INPUT` instead of aliasing `Promise:1`.
pub fn decode(id: &str, field: &str) -> Result<(NodeType, i32), ApiError> {
    let invalid = || ApiError::bad_input(field, format!("\"{}\" is not a valid id", truncate(id)));
    let bytes = URL_SAFE_NO_PAD
        .decode(id.as_bytes())
        .map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let (name, raw) = text.split_once(':').ok_or_else(invalid)?;
    let kind = NodeType::ALL
        .into_iter()
        .find(|k| k.name() == name)
        .ok_or_else(invalid)?;
    let row: i32 = raw.parse().map_err(|_| invalid())?;
    if row <= 0 || encode(kind, row).0 != id {
        return Err(invalid());
    }
    Ok((kind, row))
}

/// Decode an id that must be of one type.
pub fn decode_as(id: &str, expected: NodeType, field: &str) -> Result<i32, ApiError> {
    match decode(id, field)? {
        (kind, row) if kind == expected => Ok(row),
        _ => Err(ApiError::bad_input(
            field,
            format!("expected the id of a {}", expected.name()),
        )),
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let id = encode(NodeType::FocusArea, 42);
        assert!(!id.contains("FocusArea"), "ids are opaque");
        assert_eq!(decode(&id, "id").ok(), Some((NodeType::FocusArea, 42)));
        assert_eq!(decode_as(&id, NodeType::FocusArea, "id").ok(), Some(42));
        assert!(decode_as(&id, NodeType::Promise, "id").is_err());
    }

    #[test]
    fn garbage_is_rejected() {
        for bad in ["", "!!!", "UHJvbWlzZQ", "UHJvbWlzZTp4", "Tm9wZToxMg"] {
            assert!(decode(bad, "id").is_err(), "{bad}");
        }
        assert!(decode(&URL_SAFE_NO_PAD.encode("Promise:-1"), "id").is_err());
    }

    #[test]
    fn only_the_canonical_form_is_accepted() {
        use base64::engine::general_purpose::{STANDARD, URL_SAFE};
        for text in [
            "Promise:+1",
            "Promise:01",
            "Promise:0001",
            "Promise: 1",
            "Promise:1 ",
            "Promise:-0",
            "Promise:0",
            "Promise:99999999999999999999",
            "promise:1",
            "PROMISE:1",
            " Promise:1",
            "Promise::1",
        ] {
            assert!(
                decode(&URL_SAFE_NO_PAD.encode(text), "id").is_err(),
                "{text}"
            );
        }
        let canonical = encode(NodeType::Promise, 1);
        assert_eq!(decode(&canonical, "id").ok(), Some((NodeType::Promise, 1)));
        // Padding or another alphabet for the same bytes.
        let twelve = encode(NodeType::Promise, 12);
        let padded = URL_SAFE.encode("Promise:12");
        assert_ne!(padded, twelve.0);
        assert!(decode(&twelve, "id").is_ok());
        assert!(decode(&padded, "id").is_err());
        assert!(decode(&STANDARD.encode("Promise:12"), "id").is_err());
        assert!(decode(&format!("{}\n", canonical.0), "id").is_err());
        assert!(decode(&format!(" {}", canonical.0), "id").is_err());
    }
}
