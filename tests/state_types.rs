//! Long-lived configuration must be able to live in an axum `State` (or any shared app state): plain
//! `Clone + Send + Sync + 'static` values, no lifetimes or type parameters to name. The shared stores are
//! `Send + Sync` (held behind an `Arc`). A type that loses one of these bounds fails to compile here.
#![cfg(all(feature = "saml", feature = "oidc", feature = "scim", feature = "jit"))]

fn assert_state<T: Clone + Send + Sync + 'static>() {}
fn assert_shared<T: Send + Sync + 'static>() {}

#[test]
fn saml_configuration_is_state() {
    use gatehouse::saml::*;
    assert_state::<ServiceProvider>();
    assert_state::<IdentityProvider>();
    assert_state::<ConnectionPolicy>();
    assert_state::<Binding>();
    assert_state::<RequestOptions>();
    assert_state::<PendingRequest>();
    assert_state::<IdpMetadata>();
    assert_state::<std::sync::Arc<SpKey>>();
    assert_state::<gatehouse::xml::PinnedKeys>();
    assert_state::<gatehouse::xml::VerifyPolicy>();
    // Results a handler may keep or pass on.
    assert_state::<VerifiedAssertion>();
    assert_state::<Error>();
    // The stores are shared, not cloned.
    assert_shared::<InMemoryRequestStore>();
    assert_shared::<InMemoryReplayCache>();
    assert_shared::<Box<dyn RequestStore>>();
    assert_shared::<Box<dyn ReplayCache>>();
}

#[test]
fn oidc_configuration_is_state() {
    use gatehouse::oidc::*;
    assert_state::<OidcConnection>();
    assert_state::<Issuer>();
    assert_state::<ClientSecret>();
    assert_state::<ClientAuthMethod>();
    assert_state::<ProviderMetadata>();
    assert_state::<JwksCache>();
    assert_state::<AllowedOrigins>();
    assert_state::<PendingLogin>();
    assert_state::<UserClaims>();
    assert_state::<VerifiedIdToken>();
    assert_state::<TokenResponse>();
    assert_state::<Error>();
}

#[test]
fn scim_configuration_is_state() {
    use gatehouse::scim::*;
    assert_state::<Compatibility>();
    assert_state::<schema::ResourceSchema>();
    assert_state::<resource::ServiceProviderConfig>();
    assert_state::<resource::Resource>();
    assert_state::<list::ListQuery>();
    assert_state::<patch::PatchRequest>();
    assert_state::<Error>();
}

#[test]
fn jit_configuration_is_state() {
    use gatehouse::jit::*;
    assert_state::<Policy>();
    assert_state::<Mapping>();
    assert_state::<ConnectionId>();
    assert_state::<RoleMapping>();
    assert_state::<Decision>();
    assert_state::<Identity>();
    assert_state::<Claims>();
    assert_state::<MemoryDirectory>();
    assert_state::<JitError>();
}
