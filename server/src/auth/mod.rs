//! Who is calling: users (session tokens, as cookie or bearer) and services (static tokens).

mod caller;
mod sessions;

use std::time::Duration;

use http::{HeaderMap, header};
use subtle::ConstantTimeEq;

pub use caller::Caller;
pub use sessions::Sessions;

use crate::{
    catalog::EntityRef,
    config::{AuthConfig, ServiceTokenConfig},
    db::Db,
    error::{Error, Result},
};

pub const SESSION_COOKIE: &str = "herald_session";

/// An authenticated principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    User(EntityRef),
    /// A service authenticated by a configured token; what it sends has origin `external:<subject>`.
    Service {
        subject: String,
    },
}

impl Principal {
    /// The origin recorded on notifications this principal sends.
    pub fn origin(&self) -> String {
        match self {
            Principal::User(user) => user.to_string(),
            Principal::Service { subject } => format!("external:{subject}"),
        }
    }
}

pub struct Auth {
    pub sessions: Sessions,
    service_tokens: Vec<ServiceTokenConfig>,
    guest: bool,
    secure_cookie: bool,
    session_ttl: Duration,
}

impl Auth {
    pub fn new(config: &AuthConfig, db: Db, secure_cookie: bool) -> Self {
        Self {
            sessions: Sessions::new(db, config.session_ttl),
            service_tokens: config.service_tokens.clone(),
            guest: config.guest,
            secure_cookie,
            session_ttl: config.session_ttl,
        }
    }

    pub fn guest_enabled(&self) -> bool {
        self.guest
    }

    /// Identifies the caller from `Authorization: Bearer` or, failing that, the session cookie.
    /// `Ok(None)` means no credentials were offered; offered but invalid ones are an error.
    pub async fn identify(&self, headers: &HeaderMap) -> Result<Option<Principal>> {
        let Some(token) = presented_token(headers)? else { return Ok(None) };
        self.authenticate(&token).await.map(Some)
    }

    /// Checks a token from any transport (header, cookie, WebSocket subprotocol).
    pub async fn authenticate(&self, token: &str) -> Result<Principal> {
        if let Some(subject) = self.service_subject(token) {
            return Ok(Principal::Service { subject });
        }
        match self.sessions.user_for(token).await? {
            Some(user) => Ok(Principal::User(user)),
            None => Err(Error::Authentication("Invalid or expired token".into())),
        }
    }

    /// Compares against every configured token in constant time, so timing reveals nothing.
    fn service_subject(&self, token: &str) -> Option<String> {
        let mut found = None;
        for service in &self.service_tokens {
            if bool::from(service.token.as_bytes().ct_eq(token.as_bytes())) {
                found = Some(service.subject.clone());
            }
        }
        found
    }

    pub fn session_cookie(&self, token: &str) -> String {
        let secure = if self.secure_cookie { "; Secure" } else { "" };
        format!(
            "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
            self.session_ttl.as_secs()
        )
    }

    pub fn clearing_cookie(&self) -> String {
        let secure = if self.secure_cookie { "; Secure" } else { "" };
        format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}")
    }
}

/// The token a request carries: the bearer token if there is an `Authorization` header (which
/// then must be well-formed), otherwise the session cookie.
pub fn presented_token(headers: &HeaderMap) -> Result<Option<String>> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let value = value.to_str().unwrap_or_default();
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| Error::Authentication("Authorization header must be `Bearer <token>`".into()))?;
        return Ok(Some(token.to_owned()));
    }
    Ok(session_cookie(headers))
}

fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == SESSION_COOKIE && !value.is_empty())
        .map(|(_, value)| value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(name.clone(), HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn a_bearer_token_wins_over_the_cookie() {
        let h = headers(&[(header::AUTHORIZATION, "Bearer abc"), (header::COOKIE, "herald_session=def")]);
        assert_eq!(presented_token(&h).unwrap().as_deref(), Some("abc"));
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let h = headers(&[(header::COOKIE, "theme=dark; herald_session=def; other=1")]);
        assert_eq!(presented_token(&h).unwrap().as_deref(), Some("def"));
    }

    #[test]
    fn a_malformed_authorization_header_is_rejected() {
        for bad in ["Basic dXNlcjpwYXNz", "Bearer ", "token"] {
            let h = headers(&[(header::AUTHORIZATION, bad)]);
            assert!(presented_token(&h).is_err(), "{bad}");
        }
    }

    #[test]
    fn no_credentials_is_none() {
        assert_eq!(presented_token(&HeaderMap::new()).unwrap(), None);
    }
}
