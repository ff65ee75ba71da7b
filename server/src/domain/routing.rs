//! Who receives a tip. A pure function over the facts the service gathers, so every rule
//! is unit-tested without a database.
//!
//! Order: the resident's explicit recipient (when it is one of the municipality's
//! contacts and has an email) → the contact responsible for the commitment the tip
//! concerns → the contact responsible for the focus area → a routing rule for that focus
//! area → the municipality's default rule. Contacts without an email are skipped; if no
//! one is left the tip is `UNROUTED` and kept for staff.

/// Why a tip went where it went; stored with the tip and told to the recipient.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoutingReason {
    ExplicitRecipient,
    CommitmentContact,
    FocusAreaContact,
    FocusAreaRule,
    MunicipalityDefault,
    /// Staff sent the tip on to another contact.
    StaffReroute,
    Unrouted,
}

impl RoutingReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ExplicitRecipient => "EXPLICIT_RECIPIENT",
            Self::CommitmentContact => "COMMITMENT_CONTACT",
            Self::FocusAreaContact => "FOCUS_AREA_CONTACT",
            Self::FocusAreaRule => "FOCUS_AREA_RULE",
            Self::MunicipalityDefault => "MUNICIPALITY_DEFAULT",
            Self::StaffReroute => "STAFF_REROUTE",
            Self::Unrouted => "UNROUTED",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "EXPLICIT_RECIPIENT" => Self::ExplicitRecipient,
            "COMMITMENT_CONTACT" => Self::CommitmentContact,
            "FOCUS_AREA_CONTACT" => Self::FocusAreaContact,
            "FOCUS_AREA_RULE" => Self::FocusAreaRule,
            "MUNICIPALITY_DEFAULT" => Self::MunicipalityDefault,
            "STAFF_REROUTE" => Self::StaffReroute,
            _ => Self::Unrouted,
        }
    }

    /// One Swedish sentence for the email: why this person got the tip.
    pub fn explanation_sv(self) -> &'static str {
        match self {
            Self::ExplicitRecipient => "Invånaren valde dig som mottagare.",
            Self::CommitmentContact => "Du är kontaktperson för den aktivitet som tipset gäller.",
            Self::FocusAreaContact => "Du är kontaktperson för det fokusområde som tipset gäller.",
            Self::FocusAreaRule => {
                "Tips om det här fokusområdet går till dig enligt kommunens fördelningsregler."
            }
            Self::MunicipalityDefault => {
                "Du tar emot tips för kommunen enligt fördelningsreglerna."
            }
            Self::StaffReroute => "En handläggare har skickat tipset vidare till dig.",
            Self::Unrouted => "Tipset kunde inte fördelas automatiskt.",
        }
    }
}

/// A routing rule of the municipality: `focus_area_id = None` is the default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    pub focus_area_id: Option<i32>,
    pub contact_id: i32,
}

/// Everything routing needs to know about one tip.
#[derive(Clone, Debug, Default)]
pub struct RoutingFacts<'a> {
    /// The recipient the resident picked, already checked to serve the municipality.
    pub explicit_recipient: Option<i32>,
    /// The focus area the tip concerns (directly, or through a commitment).
    pub focus_area_id: Option<i32>,
    pub commitment_contact: Option<i32>,
    pub focus_area_contact: Option<i32>,
    pub rules: &'a [Rule],
    /// Contacts that can receive email.
    pub reachable: &'a [i32],
}

/// Decide the recipient.
pub fn route(facts: &RoutingFacts<'_>) -> (Option<i32>, RoutingReason) {
    let reachable = |c: &i32| facts.reachable.contains(c);
    let focus_rule = facts.focus_area_id.and_then(|fa| {
        facts
            .rules
            .iter()
            .find(|r| r.focus_area_id == Some(fa) && reachable(&r.contact_id))
            .map(|r| r.contact_id)
    });
    let default_rule = facts
        .rules
        .iter()
        .find(|r| r.focus_area_id.is_none() && reachable(&r.contact_id))
        .map(|r| r.contact_id);
    let candidates = [
        (facts.explicit_recipient, RoutingReason::ExplicitRecipient),
        (facts.commitment_contact, RoutingReason::CommitmentContact),
        (facts.focus_area_contact, RoutingReason::FocusAreaContact),
        (focus_rule, RoutingReason::FocusAreaRule),
        (default_rule, RoutingReason::MunicipalityDefault),
    ];
    candidates
        .into_iter()
        .find_map(|(contact, reason)| contact.filter(reachable).map(|c| (Some(c), reason)))
        .unwrap_or((None, RoutingReason::Unrouted))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KOMMUNPOLIS: i32 = 1;
    const STRATEG: i32 = 2;
    const NO_EMAIL: i32 = 3;
    const RULES: [Rule; 2] = [
        Rule {
            focus_area_id: None,
            contact_id: KOMMUNPOLIS,
        },
        Rule {
            focus_area_id: Some(10),
            contact_id: STRATEG,
        },
    ];
    const REACHABLE: [i32; 2] = [KOMMUNPOLIS, STRATEG];

    fn facts() -> RoutingFacts<'static> {
        RoutingFacts {
            rules: &RULES,
            reachable: &REACHABLE,
            ..Default::default()
        }
    }

    #[test]
    fn default_rule() {
        assert_eq!(
            route(&facts()),
            (Some(KOMMUNPOLIS), RoutingReason::MunicipalityDefault)
        );
    }

    #[test]
    fn explicit_recipient_wins() {
        let f = RoutingFacts {
            explicit_recipient: Some(STRATEG),
            commitment_contact: Some(KOMMUNPOLIS),
            ..facts()
        };
        assert_eq!(route(&f), (Some(STRATEG), RoutingReason::ExplicitRecipient));
    }

    #[test]
    fn focus_area_rule_and_contacts() {
        let f = RoutingFacts {
            focus_area_id: Some(10),
            ..facts()
        };
        assert_eq!(route(&f), (Some(STRATEG), RoutingReason::FocusAreaRule));
        let f = RoutingFacts {
            focus_area_id: Some(10),
            focus_area_contact: Some(KOMMUNPOLIS),
            ..facts()
        };
        assert_eq!(
            route(&f),
            (Some(KOMMUNPOLIS), RoutingReason::FocusAreaContact)
        );
        let f = RoutingFacts {
            focus_area_id: Some(10),
            focus_area_contact: Some(KOMMUNPOLIS),
            commitment_contact: Some(STRATEG),
            ..facts()
        };
        assert_eq!(route(&f), (Some(STRATEG), RoutingReason::CommitmentContact));
        // A focus area without its own rule falls back to the default.
        let f = RoutingFacts {
            focus_area_id: Some(11),
            ..facts()
        };
        assert_eq!(
            route(&f),
            (Some(KOMMUNPOLIS), RoutingReason::MunicipalityDefault)
        );
    }

    #[test]
    fn contacts_without_email_are_skipped() {
        let f = RoutingFacts {
            explicit_recipient: Some(NO_EMAIL),
            ..facts()
        };
        assert_eq!(
            route(&f),
            (Some(KOMMUNPOLIS), RoutingReason::MunicipalityDefault)
        );
    }

    #[test]
    fn nobody_reachable_is_unrouted() {
        let rules = [Rule {
            focus_area_id: None,
            contact_id: NO_EMAIL,
        }];
        let f = RoutingFacts {
            rules: &rules,
            reachable: &REACHABLE,
            ..Default::default()
        };
        assert_eq!(route(&f), (None, RoutingReason::Unrouted));
        assert_eq!(
            route(&RoutingFacts::default()),
            (None, RoutingReason::Unrouted)
        );
    }

    #[test]
    fn reasons_round_trip() {
        for r in [
            RoutingReason::ExplicitRecipient,
            RoutingReason::FocusAreaRule,
            RoutingReason::Unrouted,
        ] {
            assert_eq!(RoutingReason::parse(r.as_str()), r);
        }
    }
}
