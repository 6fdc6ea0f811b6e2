//! SCIM 2.0 protocol model: Users, Groups and their schemas, the filter and PATCH path languages, list queries.
//! Framework- and storage-agnostic, tolerant of what Okta and Microsoft Entra actually send.
