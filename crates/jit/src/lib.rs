//! Just-in-time provisioning: maps IdP claims to an identity and decides create, update, link, sign in or deny.
//! A pure function of the identity, what the host already has and the policy; the host applies the decision.
