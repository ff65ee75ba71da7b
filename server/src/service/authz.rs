//! One home for authorisation: what a staff token may see and change.
//!
//! The model (see docs/decisions.md, "Municipality scope"):
//!
//! - A token's scope is its list of municipalities; an empty list means national (all).
//!   Only admin tokens can be national; the CLI (`server token create`) is the one place
//!   a national admin is made from nothing.
//! - Scope applies to every role, admins included: a scoped admin sees and changes only
//!   what belongs to its municipalities (tips, erasure, promises, contacts, routing
//!   rules, tokens, the audit log). The role decides *what kind* of thing, the scope
//!   decides *which* ones.
//! - A token can only mint tokens of a role no higher than its own, with a scope inside
//!   its own; a scoped token never mints a national one. Tokens whose scope is not inside
//!   the caller's are invisible to it (`NOT_FOUND`).
//! - A contact is in scope when it serves one of the caller's municipalities. Its private
//!   email goes out only to callers with it in scope. A contact id that comes in (routing
//!   rules, focus areas, commitments, promises, recipient tokens) must serve one of the
//!   municipalities concerned that is also in the caller's scope.

use entity::{StaffRole, contact, contact_municipality, tip};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use super::staff::Principal;

/// The municipalities a token may act on; `None` means national.
pub fn scope(p: &Principal) -> Option<&[i32]> {
    (!p.municipality_ids.is_empty()).then_some(p.municipality_ids.as_slice())
}

/// Whether the scope covers this municipality.
pub fn covers(p: &Principal, municipality_id: i32) -> bool {
    scope(p).is_none_or(|s| s.contains(&municipality_id))
}

/// Whether the scope covers something that belongs to any of these municipalities. A
/// thing that belongs to no municipality is only covered by a national scope.
pub fn covers_any(p: &Principal, municipality_ids: &[i32]) -> bool {
    scope(p).is_none_or(|_| municipality_ids.iter().any(|m| covers(p, *m)))
}

/// Whether the scope covers every one of these municipalities (to attach or detach them).
pub fn covers_all(p: &Principal, municipality_ids: &[i32]) -> bool {
    municipality_ids.iter().all(|m| covers(p, *m))
}

/// Admins and editors change the catalogue; recipients do not.
pub fn may_edit(p: &Principal) -> bool {
    matches!(p.role, StaffRole::Admin | StaffRole::Editor)
}

/// Admins manage tokens, erase tips and read the audit log.
pub fn is_admin(p: &Principal) -> bool {
    p.role == StaffRole::Admin
}

/// The tips a principal may see: admins those of their scope; recipients those routed to
/// their contact (within their municipalities) or, without a contact, those of their
/// municipalities. Editors see none (they maintain promises, not tips).
pub fn tip_condition(p: &Principal) -> Option<Condition> {
    let in_scope = match scope(p) {
        None => Condition::all(),
        Some(ids) => Condition::all().add(tip::Column::MunicipalityId.is_in(ids.to_vec())),
    };
    match p.role {
        StaffRole::Admin => Some(in_scope),
        StaffRole::Recipient => Some(match p.contact_id {
            Some(c) => in_scope.add(tip::Column::RoutedContactId.eq(c)),
            // A recipient token always has municipalities; without any it sees nothing.
            None if scope(p).is_none() => Condition::all().add(tip::Column::Id.eq(-1)),
            None => in_scope,
        }),
        StaffRole::Editor => None,
    }
}

/// Admins and recipients read and triage tips; editors do not.
pub fn may_handle_tips(p: &Principal) -> bool {
    tip_condition(p).is_some()
}

/// Rank of a role, for "no higher than one's own".
fn rank(role: StaffRole) -> u8 {
    match role {
        StaffRole::Admin => 3,
        StaffRole::Editor => 2,
        StaffRole::Recipient => 1,
    }
}

/// Whether `issuer` may mint a token of `role` limited to `municipality_ids` (empty:
/// national). `None` is the operator at the command line, who may mint anything.
pub fn may_grant(issuer: Option<&Principal>, role: StaffRole, municipality_ids: &[i32]) -> bool {
    let Some(p) = issuer else {
        return true;
    };
    if !is_admin(p) || rank(role) > rank(p.role) {
        return false;
    }
    match scope(p) {
        None => true,
        Some(_) => !municipality_ids.is_empty() && covers_all(p, municipality_ids),
    }
}

/// Whether a token limited to `municipality_ids` (empty: national) is visible to `p`:
/// its scope must lie inside the caller's.
pub fn token_visible(p: &Principal, municipality_ids: &[i32]) -> bool {
    is_admin(p)
        && match scope(p) {
            None => true,
            Some(_) => !municipality_ids.is_empty() && covers_all(p, municipality_ids),
        }
}

/// The municipalities a contact serves.
pub async fn contact_municipalities(
    db: &impl ConnectionTrait,
    contact_id: i32,
) -> Result<Vec<i32>, DbErr> {
    Ok(contact_municipality::Entity::find()
        .filter(contact_municipality::Column::ContactId.eq(contact_id))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.municipality_id)
        .collect())
}

/// Whether `p` may see the private details (the email) of a contact that serves the
/// municipalities `serves`: the contact serves one of the caller's municipalities, or the
/// caller is national. Only admins and editors see contacts at all.
pub fn contact_visible(p: &Principal, serves: &[i32]) -> bool {
    may_edit(p) && covers_any(p, serves)
}

/// Whether a contact that serves `serves` may be named for something that concerns the
/// `concerned` municipalities: it serves one of them that is in the caller's scope
/// (`None` for the CLI operator, national).
pub fn contact_usable(p: Option<&Principal>, serves: &[i32], concerned: &[i32]) -> bool {
    serves
        .iter()
        .any(|m| concerned.contains(m) && p.is_none_or(|p| covers(p, *m)))
}

/// A contact given by id for something that concerns `concerned` municipalities, when
/// [`contact_usable`]; `None` when it is not. Missing and out of scope look the same.
pub async fn usable_contact(
    db: &impl ConnectionTrait,
    p: Option<&Principal>,
    contact_id: i32,
    concerned: &[i32],
) -> Result<Option<contact::Model>, DbErr> {
    let Some(found) = contact::Entity::find_by_id(contact_id).one(db).await? else {
        return Ok(None);
    };
    let serves = contact_municipalities(db, contact_id).await?;
    Ok(contact_usable(p, &serves, concerned).then_some(found))
}

/// One test per rule above; the end-to-end suite (`security_scope.rs`) attacks the same
/// rules through every door.
#[cfg(test)]
mod tests {
    use super::*;

    fn principal(role: StaffRole, municipalities: &[i32], contact: Option<i32>) -> Principal {
        Principal {
            token_id: Some(1),
            account_id: None,
            name: "test".into(),
            role,
            municipality_ids: municipalities.to_vec(),
            contact_id: contact,
        }
    }

    #[test]
    fn an_empty_scope_is_national_and_a_list_covers_only_its_members() {
        let national = principal(StaffRole::Admin, &[], None);
        let scoped = principal(StaffRole::Admin, &[1, 2], None);
        assert!(scope(&national).is_none());
        assert!(covers(&national, 99));
        assert!(covers(&scoped, 2) && !covers(&scoped, 3));
        // Something of no municipality belongs only to a national caller.
        assert!(covers_any(&national, &[]) && !covers_any(&scoped, &[]));
        assert!(covers_any(&scoped, &[3, 1]) && !covers_any(&scoped, &[3]));
        assert!(covers_all(&scoped, &[1, 2]) && !covers_all(&scoped, &[1, 3]));
    }

    #[test]
    fn admins_and_editors_edit_only_admins_administer() {
        for (role, edit, admin) in [
            (StaffRole::Admin, true, true),
            (StaffRole::Editor, true, false),
            (StaffRole::Recipient, false, false),
        ] {
            let p = principal(role, &[1], None);
            assert_eq!((may_edit(&p), is_admin(&p)), (edit, admin), "{role:?}");
        }
    }

    /// The `WHERE` clause `tip_condition` puts on a tip query; `None` when the caller
    /// reads no tips at all.
    fn tip_filter(p: &Principal) -> Option<String> {
        use sea_orm::{DbBackend, QueryTrait};
        tip_condition(p).map(|c| {
            let sql = tip::Entity::find()
                .filter(c)
                .build(DbBackend::Sqlite)
                .to_string();
            sql.split_once(" WHERE ")
                .map(|(_, w)| w.to_owned())
                .unwrap_or_default()
        })
    }

    #[test]
    fn admins_read_their_scopes_tips_recipients_their_contacts_and_editors_none() {
        let filter = |role, municipalities: &[i32], contact| {
            tip_filter(&principal(role, municipalities, contact))
        };
        // A national admin reads every tip; a scoped one those of its municipalities.
        assert_eq!(filter(StaffRole::Admin, &[], None).as_deref(), Some("TRUE"));
        assert_eq!(
            filter(StaffRole::Admin, &[1, 2], None).as_deref(),
            Some(r#""tip"."municipality_id" IN (1, 2)"#)
        );
        // A recipient reads the tips routed to its contact, within its municipalities.
        assert_eq!(
            filter(StaffRole::Recipient, &[1], Some(7)).as_deref(),
            Some(r#""tip"."municipality_id" IN (1) AND "tip"."routed_contact_id" = 7"#)
        );
        // Without a contact, those of its municipalities.
        assert_eq!(
            filter(StaffRole::Recipient, &[1], None).as_deref(),
            Some(r#""tip"."municipality_id" IN (1)"#)
        );
        // Malformed (a recipient always has municipalities): a condition that matches
        // nothing, never "everything".
        assert_eq!(
            filter(StaffRole::Recipient, &[], None).as_deref(),
            Some(r#""tip"."id" = -1"#)
        );
        // Editors read no tips, whatever their scope.
        assert_eq!(filter(StaffRole::Editor, &[], None), None);
        assert_eq!(filter(StaffRole::Editor, &[1], None), None);
        assert!(!may_handle_tips(&principal(StaffRole::Editor, &[1], None)));
        assert!(may_handle_tips(&principal(
            StaffRole::Recipient,
            &[1],
            None
        )));
        assert!(may_handle_tips(&principal(StaffRole::Admin, &[1], None)));
    }

    #[test]
    fn a_token_grants_no_more_than_its_own_role_and_scope() {
        let national = principal(StaffRole::Admin, &[], None);
        let scoped = principal(StaffRole::Admin, &[1, 2], None);
        let editor = principal(StaffRole::Editor, &[1], None);
        // The operator at the command line mints anything.
        assert!(may_grant(None, StaffRole::Admin, &[]));
        assert!(may_grant(Some(&national), StaffRole::Admin, &[]));
        assert!(may_grant(Some(&scoped), StaffRole::Editor, &[1]));
        assert!(may_grant(Some(&scoped), StaffRole::Admin, &[1, 2]));
        // A scoped admin never mints a national token or one outside its scope.
        assert!(!may_grant(Some(&scoped), StaffRole::Admin, &[]));
        assert!(!may_grant(Some(&scoped), StaffRole::Recipient, &[1, 3]));
        // Only admins mint at all.
        assert!(!may_grant(Some(&editor), StaffRole::Recipient, &[1]));
    }

    #[test]
    fn a_contacts_email_is_visible_to_editors_and_admins_it_serves_in_scope() {
        let serves = [1, 5];
        // In scope: the contact serves one of the caller's municipalities.
        assert!(contact_visible(
            &principal(StaffRole::Admin, &[1], None),
            &serves
        ));
        assert!(contact_visible(
            &principal(StaffRole::Editor, &[5, 9], None),
            &serves
        ));
        // A national admin sees every contact, even one that serves nowhere.
        assert!(contact_visible(
            &principal(StaffRole::Admin, &[], None),
            &serves
        ));
        assert!(contact_visible(
            &principal(StaffRole::Admin, &[], None),
            &[]
        ));
        // Out of scope: it serves none of the caller's municipalities.
        assert!(!contact_visible(
            &principal(StaffRole::Admin, &[2], None),
            &serves
        ));
        assert!(!contact_visible(
            &principal(StaffRole::Editor, &[2, 3], None),
            &serves
        ));
        assert!(!contact_visible(
            &principal(StaffRole::Editor, &[1], None),
            &[]
        ));
        // Recipients see no contacts, not even their own.
        assert!(!contact_visible(
            &principal(StaffRole::Recipient, &[1], Some(7)),
            &serves
        ));
    }

    #[test]
    fn a_contact_is_usable_where_it_serves_a_concerned_municipality_in_scope() {
        let scoped = principal(StaffRole::Admin, &[1], None);
        let national = principal(StaffRole::Admin, &[], None);
        // In scope: it serves municipality 1, which the thing concerns and the caller covers.
        assert!(contact_usable(Some(&scoped), &[1, 3], &[1]));
        assert!(contact_usable(Some(&national), &[3], &[2, 3]));
        // The operator at the command line is national.
        assert!(contact_usable(None, &[3], &[3]));
        // Out of scope: the only concerned municipality it serves is not the caller's.
        assert!(!contact_usable(Some(&scoped), &[1, 3], &[3]));
        // It serves none of the concerned municipalities, whoever asks.
        assert!(!contact_usable(Some(&national), &[2], &[1]));
        assert!(!contact_usable(None, &[2], &[1]));
        assert!(!contact_usable(None, &[], &[1]));
    }

    #[test]
    fn a_token_is_visible_only_when_its_scope_lies_inside_the_callers() {
        let national = principal(StaffRole::Admin, &[], None);
        let scoped = principal(StaffRole::Admin, &[1, 2], None);
        assert!(token_visible(&national, &[]) && token_visible(&national, &[5]));
        assert!(token_visible(&scoped, &[1]) && token_visible(&scoped, &[1, 2]));
        assert!(!token_visible(&scoped, &[]) && !token_visible(&scoped, &[1, 3]));
        assert!(!token_visible(
            &principal(StaffRole::Editor, &[1], None),
            &[1]
        ));
    }
}
