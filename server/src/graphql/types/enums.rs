//! API enums, mapped to and from the stored entity enums.

use async_graphql::Enum;

use crate::domain::period::PeriodStatus;

/// Who carries out a commitment (ansvarig part).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResponsibleParty {
    /// The police (polisen).
    Police,
    /// The municipality (kommunen).
    Municipality,
    /// Police and municipality together (gemensamt).
    Joint,
}

/// Where a commitment stands (status).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommitmentStatus {
    /// Not started yet (planerad).
    Planned,
    /// Under way (pågående).
    InProgress,
    /// Carried out (genomförd).
    Done,
    /// Not carried out (ej genomförd).
    NotDone,
}

/// The period a measurable target is counted over.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetPeriod {
    /// Per calendar year (per år).
    Year,
    /// Per school year (per läsår).
    SchoolYear,
    /// Once over the whole period of the promise (under löftesperioden).
    PromisePeriod,
}

/// The kind of organisation a contact works for.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrganisationKind {
    /// The Swedish Police Authority (Polismyndigheten).
    Police,
    /// A municipality (kommun).
    Municipality,
}

/// Where a promise stands today, derived from its validity dates.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PromiseStatus {
    /// In force today (gällande).
    Active,
    /// Starts in the future (kommande).
    Upcoming,
    /// Ended (utgånget).
    Expired,
}

impl From<PeriodStatus> for PromiseStatus {
    fn from(s: PeriodStatus) -> Self {
        match s {
            PeriodStatus::Active => Self::Active,
            PeriodStatus::Upcoming => Self::Upcoming,
            PeriodStatus::Expired => Self::Expired,
        }
    }
}

/// `From` both ways between an API enum and the entity enum with the same variants.
#[macro_export]
macro_rules! mirror_enum {
    ($api:ident <=> $db:path { $($variant:ident),+ }) => {
        impl From<$db> for $api {
            fn from(v: $db) -> Self {
                match v { $(<$db>::$variant => Self::$variant),+ }
            }
        }
        impl From<$api> for $db {
            fn from(v: $api) -> Self {
                match v { $($api::$variant => Self::$variant),+ }
            }
        }
    };
}

crate::mirror_enum!(ResponsibleParty <=> entity::ResponsibleParty { Police, Municipality, Joint });
crate::mirror_enum!(CommitmentStatus <=> entity::CommitmentStatus { Planned, InProgress, Done, NotDone });
crate::mirror_enum!(TargetPeriod <=> entity::TargetPeriod { Year, SchoolYear, PromisePeriod });
crate::mirror_enum!(OrganisationKind <=> entity::OrganisationKind { Police, Municipality });
