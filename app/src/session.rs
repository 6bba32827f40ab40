//! Server functions for who is signed in, signing in (guest) and signing out.

use leptos::prelude::*;

use crate::model::{SignInChoices, Viewer};

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use http::{HeaderValue, header::SET_COOKIE, request::Parts};
    use leptos::prelude::*;
    use leptos_axum::ResponseOptions;

    use crate::backend::{BackendError, SharedBackend};

    pub fn backend() -> Result<SharedBackend, ServerFnError> {
        use_context::<SharedBackend>().ok_or_else(|| ServerFnError::new("the backend is not in the Leptos context"))
    }

    pub fn request() -> Result<Parts, ServerFnError> {
        use_context::<Parts>().ok_or_else(|| ServerFnError::new("the request is not in the Leptos context"))
    }

    pub fn set_cookie(cookie: &str) -> Result<(), ServerFnError> {
        let value = HeaderValue::from_str(cookie).map_err(|e| ServerFnError::new(e.to_string()))?;
        expect_context::<ResponseOptions>().append_header(SET_COOKIE, value);
        Ok(())
    }

    /// The error for the browser. Called over HTTP (`/_srv/…`), the response gets the status
    /// the error stands for (a server function's error is otherwise a 500); called while a page
    /// renders, the page keeps its own.
    pub fn to_server_error(error: BackendError) -> ServerFnError {
        use http::StatusCode;
        let status = match &error {
            BackendError::Unauthenticated => StatusCode::UNAUTHORIZED,
            BackendError::NotAllowed(_) => StatusCode::FORBIDDEN,
            BackendError::NotFound(_) => StatusCode::NOT_FOUND,
            BackendError::Invalid(_) => StatusCode::BAD_REQUEST,
            BackendError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let called_over_http = use_context::<Parts>().is_some_and(|parts| parts.uri.path().starts_with("/_srv/"));
        if called_over_http && let Some(response) = use_context::<ResponseOptions>() {
            response.set_status(status);
        }
        ServerFnError::new(error.to_string())
    }
}

/// The signed-in user, or `None` for an anonymous visitor.
#[server(prefix = "/_srv", endpoint = "viewer")]
pub async fn get_viewer() -> Result<Option<Viewer>, ServerFnError> {
    use self::ssr::*;
    backend()?.viewer(&request()?).await.map_err(to_server_error)
}

/// Whether guest sign-in is on, and whom one may sign in as. Read on the server and handed to
/// the browser inside the page, so the sign-in page waits for nothing and needs no server
/// function. `None` when the page is built by client-side navigation, which cannot know: it then reloads.
pub fn sign_in_choices() -> Option<SignInChoices> {
    SharedValue::new(|| {
        #[cfg(feature = "ssr")]
        {
            ssr::backend().ok().map(|backend| {
                let guest_enabled = backend.guest_sign_in_enabled();
                let people = if guest_enabled { backend.people() } else { Vec::new() };
                SignInChoices { guest_enabled, people }
            })
        }
        #[cfg(not(feature = "ssr"))]
        {
            None
        }
    })
    .into_inner()
}

/// Development sign-in as a catalog user; sets the session cookie and goes home.
#[server(prefix = "/_srv", endpoint = "guest-sign-in")]
pub async fn guest_sign_in(user: String) -> Result<(), ServerFnError> {
    use self::ssr::*;
    let session = backend()?.sign_in_as_guest(&user).await.map_err(to_server_error)?;
    set_cookie(&session.set_cookie)?;
    leptos_axum::redirect("/");
    Ok(())
}

/// Ends the session and goes to the sign-in page.
#[server(prefix = "/_srv", endpoint = "sign-out")]
pub async fn sign_out() -> Result<(), ServerFnError> {
    use self::ssr::*;
    let cookie = backend()?.sign_out(&request()?).await.map_err(to_server_error)?;
    set_cookie(&cookie)?;
    leptos_axum::redirect("/sign-in");
    Ok(())
}
