//! GraphQL object types. They wrap entity models but are separate types, so the database
//! can change without changing the API (and private columns such as a contact's email
//! are simply never exposed).

mod catalog;
pub(crate) use catalog::promise_page;
mod enums;
mod scalars;
mod tip;

pub use catalog::{
    Commitment, Contact, FocusArea, FollowUp, Municipality, MunicipalityConnection, Node,
    PoliceArea, PoliceAreaConnection, Promise, PromiseConnection, RequestDate, Signatory,
};
pub use enums::{
    CommitmentStatus, OrganisationKind, PromiseStatus, ResponsibleParty, TargetPeriod,
};
pub use scalars::{Date, DateTime};
pub use tip::{PlaceInput, SubmitTipInput, SubmitTipPayload, Tip, TipKind, TipPlace, TipStatus};
