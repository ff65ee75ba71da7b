//! `GET /staff/tips/{reference}/photos/{number}`: a tip's photo, for the staff who may
//! see the tip, with an API token (`Authorization: Bearer`) or the inbox's session. Never
//! cached by anyone but the client, and served so no browser takes it for anything but
//! an image.

use axum::{
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

use super::{AppState, json_error};
use crate::{
    graphql::errors::ErrorCode,
    service::{
        photos,
        staff::{self, Principal, StaffError},
    },
};

pub async fn photo(
    State(state): State<AppState>,
    Path((reference, number)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let principal = match principal(&state, &headers).await {
        Ok(Some(p)) => p,
        Ok(None) => {
            return json_error(
                StatusCode::UNAUTHORIZED,
                ErrorCode::Unauthenticated,
                "a staff token or a signed-in session is required",
            );
        }
        Err(response) => return response,
    };
    let not_found = || json_error(StatusCode::NOT_FOUND, ErrorCode::NotFound, "no such photo");
    let Some(number) = number.parse::<i16>().ok().filter(|n| *n >= 1) else {
        return not_found();
    };
    match photos::photo(&state.db, &principal, &reference, number).await {
        Ok(photo) => {
            let content_type = HeaderValue::from_str(&photo.content_type)
                .unwrap_or(HeaderValue::from_static("application/octet-stream"));
            (
                StatusCode::OK,
                [
                    (header::CONTENT_TYPE, content_type),
                    (
                        header::CACHE_CONTROL,
                        HeaderValue::from_static("private, no-store"),
                    ),
                    (
                        header::CONTENT_SECURITY_POLICY,
                        HeaderValue::from_static("default-src 'none'; sandbox"),
                    ),
                    (
                        header::CONTENT_DISPOSITION,
                        HeaderValue::from_static("inline"),
                    ),
                ],
                photo.bytes,
            )
                .into_response()
        }
        Err(StaffError::NotFound) => not_found(),
        Err(StaffError::Forbidden) => json_error(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            "this role may not see tips",
        ),
        Err(err) => {
            tracing::error!(error = %err, "a tip's photo could not be read");
            json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::Internal,
                "internal error",
            )
        }
    }
}

/// The caller by API token, else by the inbox's session cookie. A token that is sent
/// but not valid is refused, never passed over for the cookie.
async fn principal(state: &AppState, headers: &HeaderMap) -> Result<Option<Principal>, Response> {
    let internal = |err: sea_orm::DbErr| {
        tracing::error!(error = %err, "a staff credential could not be checked");
        json_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            "internal error",
        )
    };
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let token = value
            .to_str()
            .ok()
            .and_then(super::graphql::bearer_token)
            .unwrap_or_default();
        return match staff::authenticate(&state.db, token).await {
            Ok(Some(p)) => Ok(Some(p)),
            Ok(None) => Err(json_error(
                StatusCode::UNAUTHORIZED,
                ErrorCode::Unauthenticated,
                "the staff token is not valid",
            )),
            Err(err) => Err(internal(err)),
        };
    }
    crate::web::staff::signed_in(state, headers)
        .await
        .map_err(internal)
}
