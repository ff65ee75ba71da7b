//! Contacts as staff see them, and changes to them.

use super::DeletePayload;
use super::IdInput;
use super::maybe;
use super::municipality_id;
use crate::graphql::context::db;
use crate::graphql::context::loader;
use crate::graphql::context::principal;
use crate::graphql::errors::ApiResult;
use crate::graphql::ids::NodeType;
use crate::graphql::ids::decode_as;
use crate::graphql::ids::encode;
use crate::graphql::loaders::MunicipalitiesOfContact;
use crate::graphql::types::Municipality;
use crate::graphql::types::OrganisationKind;
use crate::service::editing::ContactFields;
use crate::service::editing::contacts;
use async_graphql::Context;
use async_graphql::ID;
use async_graphql::InputObject;
use async_graphql::MaybeUndefined;
use async_graphql::Object;
use async_graphql::SimpleObject;
use entity::contact;
use entity::municipality;

/// A contact as staff see it, with the private email tips are sent to.
pub struct StaffContact(pub contact::Model);

#[Object]
/// A contact as staff see it, with the private email tips are sent to.
impl StaffContact {
    /// Global id (the same as the public `Contact`'s).
    async fn id(&self) -> ID {
        encode(NodeType::Contact, self.0.id)
    }
    /// Stable key (from the seed file or chosen by staff).
    async fn key(&self) -> &str {
        &self.0.key
    }
    /// Name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Role title, e.g. "kommunpolis".
    async fn role(&self) -> &str {
        &self.0.role
    }
    /// Police or municipality.
    async fn organisation_kind(&self) -> OrganisationKind {
        self.0.organisation_kind.into()
    }
    /// Organisation.
    async fn organisation(&self) -> &str {
        &self.0.organisation
    }
    /// Telephone number.
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }
    /// Where routed tips are sent (private; only to staff with the contact in scope).
    async fn email(&self, ctx: &Context<'_>) -> ApiResult<Option<String>> {
        let serves = served_by(ctx, self.0.id).await?;
        let serves: Vec<i32> = serves.iter().map(|m| m.id).collect();
        Ok(contacts::private_email(principal(ctx)?, &self.0, &serves)?)
    }
    /// The email is a stand-in until a real address is entered.
    async fn email_is_placeholder(&self) -> bool {
        self.0.email_is_placeholder
    }
    /// Municipalities the contact serves.
    async fn municipalities(&self, ctx: &Context<'_>) -> ApiResult<Vec<Municipality>> {
        let rows = served_by(ctx, self.0.id).await?;
        Ok(rows.into_iter().map(Municipality).collect())
    }
}

/// The municipalities a contact serves, loaded for every contact of a list at once.
pub(super) async fn served_by(
    ctx: &Context<'_>,
    contact_id: i32,
) -> ApiResult<Vec<municipality::Model>> {
    let rows = loader(ctx)?
        .load_one(MunicipalitiesOfContact(contact_id))
        .await?;
    Ok(rows.unwrap_or_default())
}

/// Input of `createContact`.
#[derive(InputObject)]
pub struct CreateContactInput {
    /// Stable key, e.g. "kommunpolis-mellerud".
    pub key: String,
    /// Name.
    pub name: String,
    /// Role title, e.g. "kommunpolis".
    pub role: String,
    /// Police or municipality.
    pub organisation_kind: OrganisationKind,
    /// Organisation, e.g. "Polisen, lokalpolisområde Dalsland".
    pub organisation: String,
    /// Telephone number.
    pub phone: Option<String>,
    /// Where routed tips are sent (never public).
    pub email: Option<String>,
    /// Kommunkod or slug of each municipality served (editors: within their own).
    #[graphql(default)]
    pub municipalities: Vec<String>,
}

/// Input of `updateContact`.
#[derive(InputObject)]
pub struct UpdateContactInput {
    /// The contact.
    pub id: ID,
    /// Name.
    pub name: Option<String>,
    /// Role title.
    pub role: Option<String>,
    /// Police or municipality.
    pub organisation_kind: Option<OrganisationKind>,
    /// Organisation.
    pub organisation: Option<String>,
    /// Telephone number.
    pub phone: MaybeUndefined<String>,
    /// Where routed tips are sent.
    pub email: MaybeUndefined<String>,
    /// Kommunkod or slug of each municipality served.
    pub municipalities: Option<Vec<String>>,
}

/// A contact after a change.
#[derive(SimpleObject)]
pub struct ContactPayload {
    /// The contact as it is now.
    pub contact: StaffContact,
}

/// The contacts staff may see.
#[derive(Default)]
pub struct ContactsQuery;

#[Object]
impl ContactsQuery {
    /// Contacts with their private emails (ADMIN, EDITOR within their municipalities).
    async fn staff_contacts(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only this municipality's (kommunkod or slug).")] municipality: Option<
            String,
        >,
    ) -> ApiResult<Vec<StaffContact>> {
        let p = principal(ctx)?;
        let db = db(ctx)?;
        let municipality_id = match municipality {
            Some(m) => Some(municipality_id(db, &m, "municipality").await?),
            None => None,
        };
        let rows = contacts::contacts(db, p, municipality_id).await?;
        Ok(rows.into_iter().map(StaffContact).collect())
    }
}

/// Changes to contacts.
#[derive(Default)]
pub struct ContactsMutation;

#[Object]
impl ContactsMutation {
    /// Add a contact (editors: serving their municipalities).
    async fn create_contact(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new contact.")] input: CreateContactInput,
    ) -> ApiResult<ContactPayload> {
        let p = principal(ctx)?;
        let fields = ContactFields {
            name: Some(input.name),
            role: Some(input.role),
            organisation_kind: Some(input.organisation_kind.into()),
            organisation: Some(input.organisation),
            phone: Some(input.phone),
            email: Some(input.email),
            municipalities: Some(input.municipalities),
        };
        let saved = contacts::create_contact(db(ctx)?, p, &input.key, fields).await?;
        Ok(ContactPayload {
            contact: StaffContact(saved),
        })
    }

    /// Change a contact, e.g. enter the real email address tips are sent to.
    async fn update_contact(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The changes.")] input: UpdateContactInput,
    ) -> ApiResult<ContactPayload> {
        let p = principal(ctx)?;
        let id = decode_as(&input.id, NodeType::Contact, "id")?;
        let fields = ContactFields {
            name: input.name,
            role: input.role,
            organisation_kind: input.organisation_kind.map(Into::into),
            organisation: input.organisation,
            phone: maybe(input.phone),
            email: maybe(input.email),
            municipalities: input.municipalities,
        };
        let saved = contacts::update_contact(db(ctx)?, p, id, fields).await?;
        Ok(ContactPayload {
            contact: StaffContact(saved),
        })
    }

    /// Delete a contact that no tip or active token depends on.
    async fn delete_contact(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The contact.")] input: IdInput,
    ) -> ApiResult<DeletePayload> {
        let p = principal(ctx)?;
        let id = decode_as(&input.id, NodeType::Contact, "id")?;
        contacts::delete_contact(db(ctx)?, p, id).await?;
        Ok(DeletePayload {
            deleted_id: input.id,
        })
    }
}
