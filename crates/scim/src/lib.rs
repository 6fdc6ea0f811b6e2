//! SCIM 2.0 protocol model: Users, Groups and their schemas, the filter and PATCH path languages, list queries.
//! Framework- and storage-agnostic, tolerant of what Okta and Microsoft Entra actually send.
//!
//! The crate gives a server author the pieces, with no HTTP framework and no storage inside:
//!
//! | Request | Pieces |
//! | --- | --- |
//! | `GET /Users?filter=…&startIndex=…&count=…` | [`list::ListQuery::from_query`], [`list::ListQuery::run`] (for a database: [`filter::sql::to_sql`], [`filter::sql::order_by`], `LIMIT count OFFSET` [`list::ListQuery::offset`]) |
//! | `POST /Users/.search` | [`list::ListQuery::from_search_request`] |
//! | `POST /Users` | [`resource::parse_body`], [`resource::create`] → 201; a taken `userName` → [`Error::Uniqueness`] (409) |
//! | `GET /Users/{id}` | [`list::project`], [`list::if_none_match`]; unknown id → [`Error::NotFound`] (404) |
//! | `PUT /Users/{id}` | [`list::check_if_match`], [`resource::replace`] |
//! | `PATCH /Users/{id}` | [`patch::PatchRequest::from_slice`], [`patch::PatchRequest::apply_to`], [`resource::Resource::touch`] |
//! | `DELETE /Users/{id}` | [`list::check_if_match`]; 204, unknown id → [`Error::NotFound`] |
//! | `/ServiceProviderConfig`, `/ResourceTypes`, `/Schemas` | [`resource::ServiceProviderConfig`], [`resource::resource_types_response`], [`resource::schemas_response`] |
//! | any error | [`Error::status`], [`Error::to_scim_json`] (status as a string, `scimType`) |
//!
//! Attribute definitions are data ([`schema`]): they decide case sensitivity in filters, type coercion,
//! mutability in PATCH and `returned` in projections. One [`Compatibility`] value decides every leniency.
//!
//! # Choices where the RFCs leave room (or other implementations differ)
//!
//! - Filter values are JSON strings, numbers, `true`, `false` or `null`; bare words (`value eq 123abc`) are
//!   refused. Attribute names follow `ATTRNAME`, plus `$ref`. `attr[filter].sub op value` is accepted in filters
//!   (Entra sends it); `attr[filter] op value` is not.
//! - `not` needs parentheses in [`Compatibility::Strict`]; [`Compatibility::Tolerant`] also reads `not a eq 1`.
//! - `eq null` matches an unassigned attribute, `ne null` an assigned one; a JSON `null` is unassigned
//!   (RFC 7643 §2.5). `ne` matches when some assigned value differs, so an unassigned attribute matches neither
//!   `eq "x"` nor `ne "x"`, exactly as SQL's `<>` does in [`filter::sql`].
//! - `dateTime` attributes compare as instants and need full RFC 3339 date-times (`"2021-09"` is
//!   `invalidFilter`); `co`/`sw`/`ew` on them compare the text.
//! - PATCH `replace` of a complex attribute merges sub-attributes (RFC 7644 §3.5.2.3); a value filter matching
//!   nothing is `noTarget` when strict, and adds the value the filter describes when tolerant.
//! - `remove` with a value list (Entra) removes every element with a listed `value`, whatever other
//!   sub-attributes the item names: failing to revoke a membership would be the unsafe outcome.
//!
//! # Hostile input
//!
//! - Bounded work: filters and paths of at most [`filter::MAX_FILTER_LEN`] bytes and [`filter::MAX_DEPTH`]
//!   nesting levels (no recursion without a bound, no backtracking beyond one `not`), bodies of at most
//!   [`resource::MAX_BODY_LEN`] bytes, at most [`patch::MAX_OPERATIONS`] PATCH operations; adding to a large
//!   multi-valued attribute is linear (an index of `value`s, no copies per operation).
//! - No panics on any input: the library denies `unwrap`, `expect`, indexing and `panic!`; the fuzz targets
//!   (`scim_filter`, `scim_patch`) and property tests feed it arbitrary bytes.
//! - Fail closed and all or nothing: a PATCH that fails anywhere leaves the resource untouched; readOnly and
//!   immutable attributes are refused, not silently dropped (except readOnly values in POST/PUT bodies, which
//!   RFC 7644 says to ignore).
//! - SQL from filters binds every value and every attribute name as a parameter ([`filter::sql`]).
//! - Passwords (any `password` member) are `[redacted]` in `Debug` output and error texts, never returned by
//!   [`list::project`], and never logged; `tracing` events name attributes, not values.
//!
//! ```
//! use gatehouse_scim::{Compatibility, patch::PatchRequest, resource, schema::ResourceSchema};
//! use chrono::{TimeZone, Utc};
//! use serde_json::json;
//!
//! let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
//! let users = ResourceSchema::user();
//! // Okta: POST /Users
//! let body = br#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],
//!     "userName":"jdoe@example.com","active":true,"password":"t1meMa$heen","groups":[]}"#;
//! let mut user = resource::create(users, resource::parse_body(body)?, Compatibility::Tolerant, "u1", None, now)?;
//! // Entra: PATCH with a capitalised op and a boolean as a string
//! let patch = PatchRequest::from_json(&json!({
//!     "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
//!     "Operations": [{"op": "Replace", "path": "active", "value": "False"}]
//! }), Compatibility::Tolerant)?;
//! if patch.apply_to(&mut user, users, Compatibility::Tolerant)? {
//!     user.touch("User", now); // lastModified and version, only when something changed
//! }
//! assert_eq!(user.get("active"), Some(&json!(false)));
//! // The password is never returned.
//! let shown = gatehouse_scim::list::project(&user, users, &[], &[]);
//! assert!(shown.get("password").is_none());
//! # Ok::<(), gatehouse_scim::Error>(())
//! ```

pub mod compat;
pub mod error;
pub mod filter;
mod json;
pub mod list;
pub mod patch;
pub mod path;
pub mod resource;
pub mod schema;

pub use compat::Compatibility;
pub use error::{Error, Result};

#[doc(hidden)]
pub mod fuzzing {
    //! Entry points for the cargo-fuzz targets in `fuzz/` and the corpus replay test.

    use serde_json::json;

    use crate::Compatibility;
    use crate::filter::{parse_filter_with, sql};
    use crate::patch::PatchRequest;
    use crate::path::PatchPath;
    use crate::schema::ResourceSchema;

    fn sample_user() -> serde_json::Value {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
            "id": "2819c223-7f76-453a-919d-413861904646",
            "userName": "bjensen@example.com",
            "name": {"givenName": "Barbara", "familyName": "Jensen"},
            "active": true,
            "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true},
                       {"value": "babs@jensen.org", "type": "home"}],
            "meta": {"resourceType": "User", "created": "2010-01-23T04:56:22Z",
                     "lastModified": "2011-05-13T04:42:34Z"},
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":
                {"employeeNumber": "701984", "manager": {"value": "26118915"}},
        })
    }

    /// Parses `data` as a filter in both modes; a parsed filter must print to text that parses back to the
    /// same tree, and evaluation and SQL translation must not panic.
    pub fn filter(data: &[u8]) {
        let Ok(text) = std::str::from_utf8(data) else {
            return;
        };
        let user = sample_user();
        for compat in [Compatibility::Strict, Compatibility::Tolerant] {
            if let Ok(f) = parse_filter_with(text, compat) {
                let printed = f.to_string();
                let again = parse_filter_with(&printed, Compatibility::Strict);
                assert_eq!(again.as_ref().ok(), Some(&f), "round trip of {printed:?}");
                let _ = f.matches(&user, ResourceSchema::user());
                let _ = f.check(ResourceSchema::user());
                let _ = crate::filter::parse_filter_for(text, ResourceSchema::user(), compat);
                let _ = sql::to_sql(&f, ResourceSchema::user(), sql::Dialect::Sqlite, 1);
                let _ = sql::to_sql(&f, ResourceSchema::user(), sql::Dialect::Postgres, 1);
            }
            for key in [
                "filter",
                "sortBy",
                "attributes",
                "excludedAttributes",
                "startIndex",
                "count",
            ] {
                if let (Ok(q), Ok(r)) = (
                    crate::list::ListQuery::from_query([(key, text)], 10, compat),
                    crate::resource::Resource::from_value(user.clone()),
                ) {
                    let _ = q.run([&r], ResourceSchema::user());
                }
            }
        }
    }

    /// Reads `data` as a PatchOp body and applies it to a sample user and group in both modes; text that is
    /// not JSON is parsed as a PATCH path. The same bytes also go through the other request readers (resource
    /// bodies for POST and PUT, SearchRequest, schema definitions). Must never panic; a failed PATCH must leave
    /// the resource unchanged.
    pub fn patch(data: &[u8]) {
        if let Ok(body) = crate::resource::parse_body(data) {
            let now = chrono::DateTime::UNIX_EPOCH;
            for compat in [Compatibility::Strict, Compatibility::Tolerant] {
                for schema in [ResourceSchema::user(), ResourceSchema::group()] {
                    if let Ok(r) = crate::resource::create(
                        schema,
                        body.clone(),
                        compat,
                        "x",
                        Some("https://h/"),
                        now,
                    ) {
                        let _ = crate::resource::replace(schema, &r, body.clone(), compat, now);
                        let _ = crate::list::project(&r, schema, &[], &[]);
                    }
                }
                let _ = crate::list::ListQuery::from_search_request(&body, 100, compat);
            }
            let _ = crate::schema::Schema::from_json(&body);
        }
        for compat in [Compatibility::Strict, Compatibility::Tolerant] {
            match PatchRequest::from_slice(data, compat) {
                Ok(req) => {
                    for (schema, start) in [
                        (ResourceSchema::user(), sample_user()),
                        (
                            ResourceSchema::group(),
                            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                            "id": "g1", "displayName": "Admins", "members": [{"value": "u1"}, {"value": "u2"}]}),
                        ),
                    ] {
                        let mut r = start.clone();
                        if req.apply(&mut r, schema, compat).is_err() {
                            assert_eq!(r, start, "a failed PATCH changed the resource");
                        }
                    }
                }
                Err(_) => {
                    if let Ok(text) = std::str::from_utf8(data)
                        && let Ok(p) = PatchPath::parse_with(text, compat)
                    {
                        let again = PatchPath::parse_with(&p.to_string(), Compatibility::Strict);
                        assert_eq!(again.as_ref().ok(), Some(&p), "round trip of {p}");
                    }
                }
            }
        }
    }
}
