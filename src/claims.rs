//! From a verified login to the neutral [`Claims`] that JIT provisioning decides on. Only verified values
//! can come in: the inputs are types that exist only after every protocol check passed.

use gatehouse_jit::{Claims, ConnectionId, JitError};

/// The claims of a verified SAML assertion: the NameID (the fallback subject) and every attribute by its
/// `Name`, values in order.
#[cfg(feature = "saml")]
#[must_use]
pub fn from_saml(connection: &str, assertion: &gatehouse_saml::VerifiedAssertion) -> Claims {
    let mut claims = Claims::saml(
        ConnectionId::new(connection),
        Some(assertion.name_id().value.clone()),
    );
    for attribute in assertion.attributes() {
        claims.add(attribute.name.clone(), attribute.values.iter().cloned());
    }
    claims
}

/// The claims of a verified OIDC login: the ID token's claims with userinfo merged in.
///
/// # Errors
/// [`JitError`] if the claims are not a JSON object of scalars and arrays (cannot happen for a verified
/// token, but the JIT crate checks its own input).
#[cfg(feature = "oidc")]
pub fn from_oidc(connection: &str, user: &gatehouse_oidc::UserClaims) -> Result<Claims, JitError> {
    let mut claims = Claims::oidc(ConnectionId::new(connection));
    claims.merge_oidc_value(&serde_json::Value::Object(user.claims().clone()))?;
    Ok(claims)
}
