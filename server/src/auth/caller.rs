//! The `Caller` extractor: every API route that needs credentials takes one.

use axum::{extract::FromRequestParts, http::request::Parts};

use super::Principal;
use crate::{
    catalog::EntityRef,
    error::{Error, Result},
    state::AppState,
};

/// An authenticated caller. Extraction fails with 401 when credentials are missing or invalid;
/// the kind check (user or service) is separate, so handlers can validate input first and
/// answer in Backstage's order: 401, then 400, then 403.
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

impl Caller {
    /// The user behind the call; services get 403.
    pub fn user(&self) -> Result<&EntityRef> {
        match &self.0 {
            Principal::User(user) => Ok(user),
            Principal::Service { .. } => Err(Error::NotAllowed("This endpoint is for users, not services".into())),
        }
    }

    /// The origin of what a service sends; users get 403.
    pub fn service_origin(&self) -> Result<String> {
        match &self.0 {
            Principal::Service { .. } => Ok(self.0.origin()),
            Principal::User(_) => Err(Error::NotAllowed("This endpoint is for services, not users".into())),
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        match state.auth.identify(&parts.headers).await? {
            Some(principal) => Ok(Caller(principal)),
            None => Err(Error::Authentication("Missing credentials".into())),
        }
    }
}
