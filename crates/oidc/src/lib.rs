//! OpenID Connect relying party: discovery, JWKS caching, authorization code flow with PKCE, ID token and userinfo validation.
//! Sans-IO: the caller does the HTTP through a small trait and passes the clock; claims exist only after every check passed.
