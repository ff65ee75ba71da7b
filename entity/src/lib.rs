//! Database entities (sea-orm models) for the medborgarlöften service.
//!
//! This crate only describes table shapes: no I/O, no API types, no business rules.
//! The server maps these models to GraphQL types in `server::graphql::types`.

pub mod api_token;
pub mod api_token_municipality;
pub mod audit_log;
pub mod catalog_version;
pub mod commitment;
pub mod contact;
pub mod contact_municipality;
pub mod delivery;
pub mod enums;
pub mod focus_area;
pub mod follow_up;
pub mod idempotency_key;
pub mod municipality;
pub mod police_area;
pub mod police_area_municipality;
pub mod promise;
pub mod promise_contact;
pub mod promise_municipality;
pub mod promise_section;
pub mod promise_source;
pub mod routing_rule;
pub mod server_secret;
pub mod signatory;
pub mod staff_account;
pub mod staff_account_municipality;
pub mod staff_login_link;
pub mod staff_override;
pub mod staff_session;
pub mod tip;
pub mod tip_event;
pub mod tip_photo;

pub use enums::{
    CommitmentStatus, DeliveryKind, DeliveryStatus, OrganisationKind, ResponsibleParty, StaffRole,
    TargetPeriod, TipKind, TipStatus,
};
