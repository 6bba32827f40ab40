//! Signing in and describing users: shared by the REST API and the UI's server functions.

use crate::{
    auth::Principal,
    catalog::{Catalog, EntityRef, User},
    error::{Error, Result},
    state::AppState,
};

/// A user as the API and UI describe them.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserInfo {
    pub user: EntityRef,
    pub display_name: String,
    pub email: Option<String>,
    /// The user's ref and every group it belongs to, directly or through parents.
    pub ownership_entity_refs: Vec<EntityRef>,
}

impl UserInfo {
    pub fn of(catalog: &Catalog, user: &EntityRef) -> Self {
        let entry = catalog.user(user);
        Self {
            user: user.clone(),
            display_name: entry.map_or_else(|| user.name().to_owned(), |u| User::label(u).to_owned()),
            email: entry.and_then(|u| u.email.clone()),
            ownership_entity_refs: catalog.ownership_refs(user),
        }
    }
}

/// Development sign-in: any catalog user, no password. Returns the new session token.
pub async fn guest_sign_in(state: &AppState, user: &str) -> Result<(String, EntityRef)> {
    ensure_guest_enabled(state)?;
    let user = EntityRef::parse_with(user, Some("user"), crate::catalog::DEFAULT_NAMESPACE)
        .map_err(|e| Error::input(e.to_string()))?;
    if !user.is_user() {
        return Err(Error::input(format!("{user} is not a user reference")));
    }
    if state.catalog.user(&user).is_none() {
        return Err(Error::NotFound(format!("No user {user} in the catalog")));
    }
    let token = state.auth.sessions.create(&user).await?;
    tracing::info!(%user, "guest sign-in");
    Ok((token, user))
}

pub fn ensure_guest_enabled(state: &AppState) -> Result<()> {
    if state.auth.guest_enabled() {
        Ok(())
    } else {
        Err(Error::NotAllowed("Guest sign-in is disabled (auth.guest = false)".into()))
    }
}

/// The signed-in user of a principal; services have none.
pub fn user_of(principal: &Principal) -> Option<&EntityRef> {
    match principal {
        Principal::User(user) => Some(user),
        Principal::Service { .. } => None,
    }
}
