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

/// Whether `p` may see this contact's private details (its email): the contact serves
/// one of the caller's municipalities, or the caller is national. Only admins and
/// editors see contacts at all.
pub async fn contact_visible(
    db: &impl ConnectionTrait,
    p: &Principal,
    contact_id: i32,
) -> Result<bool, DbErr> {
    if !may_edit(p) {
        return Ok(false);
    }
    if scope(p).is_none() {
        return Ok(true);
    }
    Ok(covers_any(
        p,
        &contact_municipalities(db, contact_id).await?,
    ))
}

/// A contact given by id for something that concerns `concerned` municipalities: it must
/// exist and serve one of them that is in the caller's scope (`None` for the CLI
/// operator, national). `None` when it does not; missing and out of scope look the same.
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
    let ok = serves
        .iter()
        .any(|m| concerned.contains(m) && p.is_none_or(|p| covers(p, *m)));
    Ok(ok.then_some(found))
}

/// One test per rule above; the end-to-end suite (`security_scope.rs`) attacks the same
/// rules through every door.
#[cfg(test)]
mod tests {
    use super::*;

    fn principal(role: StaffRole, municipalities: &[i32], contact: Option<i32>) -> Principal {
        Principal {
            token_id: 1,
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

    #[test]
    fn editors_read_no_tips_and_everyone_else_reads_through_a_condition() {
        assert!(tip_condition(&principal(StaffRole::Editor, &[1], None)).is_none());
        assert!(!may_handle_tips(&principal(StaffRole::Editor, &[1], None)));
        for p in [
            principal(StaffRole::Admin, &[], None),
            principal(StaffRole::Admin, &[1], None),
            principal(StaffRole::Recipient, &[1], Some(7)),
            principal(StaffRole::Recipient, &[1], None),
            // Malformed (a recipient always has municipalities): a condition that
            // matches nothing, never "everything".
            principal(StaffRole::Recipient, &[], None),
        ] {
            assert!(may_handle_tips(&p), "{:?}", p.role);
        }
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
