//! What residents see of a contact (kontaktperson): whether tips can reach it, and the
//! role a placeholder mailbox shows in place of its internal seed note.

/// The role a placeholder mailbox shows residents. Its stored role ("Platshållare:
/// kommunens funktionsbrevlåda") is a note for staff that the source pages name no one.
pub const MAILBOX_ROLE_SV: &str = "Funktionsbrevlåda";

/// Tips can be routed to a contact that has an email address (routing skips the others).
pub fn accepts_tips(email: Option<&str>) -> bool {
    email.is_some_and(|e| !e.trim().is_empty())
}

/// The role to show residents: a placeholder mailbox is the organisation's mailbox, never
/// a person with the internal "Platshållare" role.
pub fn public_role(role: &str, is_placeholder: bool) -> &str {
    if is_placeholder {
        MAILBOX_ROLE_SV
    } else {
        role
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_show_a_mailbox_role() {
        assert_eq!(
            public_role("Platshållare: kommunens funktionsbrevlåda", true),
            "Funktionsbrevlåda"
        );
        assert_eq!(public_role("kommunpolis", false), "kommunpolis");
    }

    #[test]
    fn only_contacts_with_an_email_accept_tips() {
        assert!(accepts_tips(Some("kommun@orust.example")));
        assert!(!accepts_tips(Some("  ")));
        assert!(!accepts_tips(None));
    }
}
