//! Changes to a municipality itself: its response target.

use crate::graphql::context::db;
use crate::graphql::context::principal;
use crate::graphql::errors::ApiResult;
use crate::graphql::types::Municipality;
use crate::service::editing::municipalities;
use async_graphql::Context;
use async_graphql::InputObject;
use async_graphql::Object;
use async_graphql::SimpleObject;

/// Input of `setResponseTarget`.
#[derive(InputObject)]
pub struct SetResponseTargetInput {
    /// Kommunkod or slug.
    pub municipality: String,
    /// Swedish working days within which residents are promised an answer (1 to 60).
    pub working_days: i32,
}

/// A municipality after a change.
#[derive(SimpleObject)]
pub struct MunicipalityPayload {
    /// The municipality as it is now.
    pub municipality: Municipality,
}

/// Changes to municipalities.
#[derive(Default)]
pub struct MunicipalitiesMutation;

#[Object]
impl MunicipalitiesMutation {
    /// Set a municipality's response target (`Municipality.responseDays`; ADMIN, EDITOR
    /// of that municipality). Tips already accepted keep their due date; new tips are due
    /// that many working days after they arrive.
    async fn set_response_target(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The municipality and its new target.")] input: SetResponseTargetInput,
    ) -> ApiResult<MunicipalityPayload> {
        let p = principal(ctx)?;
        let saved = municipalities::set_response_target(
            db(ctx)?,
            p,
            &input.municipality,
            input.working_days,
        )
        .await?;
        Ok(MunicipalityPayload {
            municipality: Municipality(saved),
        })
    }
}
