//! SAML 2.0 service provider: builds AuthnRequests, turns a posted SAMLResponse into a verified assertion, reads and writes metadata.
//! Sans-IO: the caller passes the clock, the stores and the configuration; every refusal says what to fix.
