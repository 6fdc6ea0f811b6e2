//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): the `end_session_endpoint` URL.

use url::Url;

use crate::{Error, IdToken, OidcConnection, ProviderMetadata};

/// Builds the URL to send the browser to for logout at the IdP, with `id_token_hint` (the raw ID token of the
/// session), `post_logout_redirect_uri` (registered in Okta's "Sign-out redirect URIs", e.g. the app's base
/// URL), `client_id` and `state`.
pub fn logout_url(
    conn: &OidcConnection,
    metadata: &ProviderMetadata,
    id_token_hint: Option<&IdToken>,
    post_logout_redirect_uri: Option<&str>,
    state: Option<&str>,
) -> Result<Url, Error> {
    let mut url = metadata
        .end_session_endpoint()
        .ok_or(Error::NoEndpoint {
            name: "end_session_endpoint",
        })?
        .clone();
    let post_logout = post_logout_redirect_uri
        .map(|u| crate::urls::endpoint("post_logout_redirect_uri", u))
        .transpose()?;
    {
        let mut query = url.query_pairs_mut();
        if let Some(hint) = id_token_hint {
            query.append_pair("id_token_hint", hint.secret());
        }
        query.append_pair("client_id", &conn.client_id);
        if let Some(uri) = &post_logout {
            query.append_pair("post_logout_redirect_uri", uri.as_str());
        }
        if let Some(state) = state {
            query.append_pair("state", state);
        }
    }
    Ok(url)
}
