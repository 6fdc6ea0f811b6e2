//! The `gatehouse` command line: verify SAML responses, JWTs, metadata and SCIM filters on your own machine.
//! A thin shell over the library crates, so its verdicts are exactly the libraries' verdicts.
//!
//! Exit status: 0 verified/ok, 1 refused (the input was understood and rejected), 2 usage error or
//! unreadable input. `--json` prints one JSON object on stdout; refusals are
//! `{"error": code, "message": …, "admin_hint": …}`.

mod input;
mod inspect;
mod jwt;
mod output;
mod saml;
mod scim;
mod xml;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use serde_json::json;

use crate::output::{Failure, Output, Style, USAGE};

/// Debug and verify SSO messages locally: SAML responses and metadata, JWTs, SCIM filters and PATCHes,
/// XML canonicalization. Nothing is sent anywhere.
///
/// Exit status: 0 = verified/ok, 1 = refused (understood and rejected), 2 = usage error or unreadable input.
/// Inputs are file paths, or - for standard input.
#[derive(Debug, Parser)]
#[command(name = "gatehouse", version, propagate_version = true)]
struct Cli {
    /// Print one JSON object on stdout instead of text (refusals: {"error", "message", "admin_hint"}).
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// SAML 2.0: verify or inspect responses, read IdP metadata, write SP metadata and AuthnRequests.
    #[command(subcommand)]
    Saml(SamlCommand),
    /// JSON Web Tokens: verify an OIDC ID token against a JWKS, or decode one without trust.
    #[command(subcommand)]
    Jwt(JwtCommand),
    /// SCIM 2.0: parse and evaluate filters, apply PATCH requests, translate filters to SQL.
    #[command(subcommand)]
    Scim(ScimCommand),
    /// XML: canonicalization as XML-DSig computes it.
    #[command(subcommand)]
    Xml(XmlCommand),
}

#[derive(Debug, Subcommand)]
enum SamlCommand {
    /// Verify a SAML Response exactly as the service would, and print the verified assertion or the refusal.
    Verify(SamlVerify),
    /// Decode and pretty-print a SAML message, listing the checks possible WITHOUT trust. Verifies nothing.
    Inspect(SamlInspect),
    /// Read IdP metadata: entity ID, SSO endpoints by binding, signing certificates (SHA-256, expiry).
    Metadata(SamlMetadata),
    /// Write this SP's metadata XML (entity ID, ACS URL, optional signing certificate).
    SpMetadata(SpMetadata),
    /// Build the HTTP-Redirect URL of an AuthnRequest (signed when a key is given).
    AuthnRequest(AuthnRequestArgs),
}

#[derive(Debug, Args)]
struct SamlVerify {
    /// The SAMLResponse: a file (or - for stdin) with raw XML, or the base64 form value as copied from the
    /// browser's network tab (URL-encoded or not; whitespace and a leading "SAMLResponse=" are ignored).
    response: PathBuf,
    /// Pinned IdP signing certificate (PEM or base64 DER); repeat for a rotation. The only source of trust.
    #[arg(long, value_name = "FILE", required_unless_present = "idp_metadata")]
    idp_cert: Vec<PathBuf>,
    /// IdP metadata XML: supplies the IdP entity ID and its signing certificates.
    #[arg(long, value_name = "FILE")]
    idp_metadata: Option<PathBuf>,
    /// The IdP entity ID (Okta's "Identity Provider Issuer"); the Response and Assertion Issuer must equal it.
    /// Required with --idp-cert; with --idp-metadata it picks the entity from an aggregate.
    #[arg(long, value_name = "ID")]
    idp_entity_id: Option<String>,
    /// This SP's entity ID: the Audience the assertion must name (Okta's "Audience URI (SP Entity ID)").
    #[arg(long, value_name = "ID")]
    sp_entity_id: String,
    /// This SP's ACS URL, exactly: Destination and Recipient must equal it (Okta's "Single sign-on URL").
    #[arg(long, value_name = "URL")]
    acs_url: String,
    /// ID of an AuthnRequest this SP sent; the response's InResponseTo must be one of these. Repeatable.
    #[arg(long, value_name = "ID")]
    request_id: Vec<String>,
    /// Accept an unsolicited (IdP-initiated) response, one without InResponseTo. Echoed in the output.
    #[arg(long)]
    allow_unsolicited: bool,
    /// Refuse a response whose Assertion is not signed itself (a signed Response alone is then not enough).
    #[arg(long)]
    require_signed_assertion: bool,
    /// DANGEROUS: accept SHA-1 signatures/digests and RSA keys of 1024-2047 bits. Echoed in the output.
    #[arg(long)]
    allow_sha1: bool,
    /// The SP's PKCS#8 PEM private key, to decrypt an EncryptedAssertion. The file may also hold the SP
    /// certificate; otherwise give --decrypt-cert.
    #[arg(long, value_name = "FILE")]
    decrypt_key: Option<PathBuf>,
    /// The SP certificate (PEM) belonging to --decrypt-key.
    #[arg(long, value_name = "FILE", requires = "decrypt_key")]
    decrypt_cert: Option<PathBuf>,
    /// Check the time windows at this instant (RFC 3339, e.g. 2026-01-15T10:00:00Z) instead of the clock:
    /// how old captured responses are re-checked. Every other check still runs.
    #[arg(long, value_name = "RFC3339")]
    now: Option<String>,
    /// Clock skew tolerated on NotBefore/NotOnOrAfter, in seconds (0 to 3600; default 180, the library's).
    #[arg(long, value_name = "SECONDS")]
    skew: Option<i64>,
}

#[derive(Debug, Args)]
struct SamlInspect {
    /// The SAML message: a file (or - for stdin), raw XML or base64 (URL-encoded or not).
    message: PathBuf,
    /// Compare the Audience with this SP entity ID.
    #[arg(long, value_name = "ID")]
    sp_entity_id: Option<String>,
    /// Compare Destination and Recipient with this ACS URL.
    #[arg(long, value_name = "URL")]
    acs_url: Option<String>,
    /// Compare the Issuers with this IdP entity ID.
    #[arg(long, value_name = "ID")]
    idp_entity_id: Option<String>,
    /// Say whether the certificate in each signature's KeyInfo is this one (fingerprint only; nothing is verified).
    #[arg(long, value_name = "FILE")]
    idp_cert: Vec<PathBuf>,
    /// Compare InResponseTo with these request IDs. Repeatable.
    #[arg(long, value_name = "ID")]
    request_id: Vec<String>,
    /// Check time windows at this instant (RFC 3339) instead of the clock.
    #[arg(long, value_name = "RFC3339")]
    now: Option<String>,
    /// Clock skew for the time-window checks, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 180)]
    skew: i64,
}

#[derive(Debug, Args)]
struct SamlMetadata {
    /// IdP metadata XML file (or - for stdin): an EntityDescriptor or an EntitiesDescriptor.
    file: PathBuf,
    /// Which IdP entity to read from an aggregate (EntitiesDescriptor); must match for a single entity.
    #[arg(long, value_name = "ID")]
    idp_entity_id: Option<String>,
    /// Require the metadata to be signed by this certificate (PEM); repeatable.
    #[arg(long, value_name = "FILE")]
    signed_by: Vec<PathBuf>,
    /// Judge validUntil and certificate expiry at this instant (RFC 3339) instead of the clock.
    #[arg(long, value_name = "RFC3339")]
    now: Option<String>,
}

#[derive(Debug, Args)]
struct SpMetadata {
    /// This SP's entity ID (what the IdP calls Audience URI / SP Entity ID).
    #[arg(long, value_name = "ID")]
    sp_entity_id: String,
    /// This SP's ACS URL (HTTP-POST binding).
    #[arg(long, value_name = "URL")]
    acs_url: String,
    /// The SP's certificate (PEM), published as its signing certificate (AuthnRequestsSigned="true").
    #[arg(long, value_name = "FILE", requires = "key")]
    cert: Option<PathBuf>,
    /// The private key (PKCS#8 PEM) of --cert: gatehouse-saml builds SP keys from the pair; it is never printed.
    #[arg(long, value_name = "FILE", requires = "cert")]
    key: Option<PathBuf>,
    /// Also publish --cert as the encryption certificate (the IdP then may encrypt assertions to it).
    #[arg(long, requires = "cert")]
    encryption: bool,
}

#[derive(Debug, Args)]
struct AuthnRequestArgs {
    /// This SP's entity ID (the request's Issuer).
    #[arg(long, value_name = "ID")]
    sp_entity_id: String,
    /// This SP's ACS URL (AssertionConsumerServiceURL).
    #[arg(long, value_name = "URL")]
    acs_url: String,
    /// The IdP's SSO URL for the HTTP-Redirect binding (Okta's "Identity Provider Single Sign-On URL").
    #[arg(long, value_name = "URL")]
    idp_sso_url: String,
    /// Sign the request with this PKCS#8 PEM private key (rsa-sha256 over the query octets).
    #[arg(long, value_name = "FILE", requires = "sign_cert")]
    sign_key: Option<PathBuf>,
    /// The certificate (PEM) of --sign-key.
    #[arg(long, value_name = "FILE", requires = "sign_key")]
    sign_cert: Option<PathBuf>,
    /// RelayState to send along (at most 80 bytes; no secrets).
    #[arg(long, value_name = "TEXT")]
    relay_state: Option<String>,
    /// Ask the IdP to authenticate the user again even with a session (ForceAuthn).
    #[arg(long)]
    force_authn: bool,
    /// IssueInstant (RFC 3339) instead of the clock.
    #[arg(long, value_name = "RFC3339")]
    now: Option<String>,
}

#[derive(Debug, Subcommand)]
enum JwtCommand {
    /// Verify an OIDC ID token: signature with a JWKS key (the key fixes the algorithm), iss, aud/azp, exp,
    /// iat, nbf, nonce, sub. Prints {"header", "claims"} or the refusal.
    Verify(JwtVerify),
    /// Decode a JWT's header and claims and explain its times. Verifies nothing.
    Inspect(JwtInspect),
}

#[derive(Debug, Args)]
struct JwtVerify {
    /// The compact JWT: a file, or - for stdin (keeps it out of shell history).
    token: PathBuf,
    /// The provider's JWKS document (the JSON at its jwks_uri).
    #[arg(long, value_name = "FILE")]
    jwks: PathBuf,
    /// The expected issuer: an Okta domain (acme.okta.com) or the exact issuer URL; iss must equal it.
    #[arg(long, value_name = "ISS")]
    issuer: String,
    /// The expected audience: the OAuth client ID; aud must contain it (azp must equal it with several).
    #[arg(long, value_name = "AUD")]
    audience: String,
    /// The nonce sent in the authorization request; the token's nonce must equal it (the check always runs).
    #[arg(long, value_name = "N")]
    nonce: Option<String>,
    /// Check exp/iat/nbf at this instant (RFC 3339) instead of the clock.
    #[arg(long, value_name = "RFC3339")]
    now: Option<String>,
    /// Clock leeway on exp, iat and nbf, in seconds (default 60, the library's).
    #[arg(long, value_name = "S")]
    leeway: Option<i64>,
    /// Accept HS256/384/512 tokens keyed by the client secret in this file. Off unless given; echoed in the output.
    #[arg(long, value_name = "FILE")]
    hs_secret_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct JwtInspect {
    /// The compact JWT: a file, or - for stdin.
    token: PathBuf,
    /// Explain exp/iat/nbf relative to this instant (RFC 3339) instead of the clock.
    #[arg(long, value_name = "RFC3339")]
    now: Option<String>,
}

#[derive(Debug, Subcommand)]
enum ScimCommand {
    /// Parse a SCIM filter and print its syntax tree; with --resource, whether the resource matches.
    Filter(ScimFilter),
    /// Apply a PATCH request (PatchOp JSON) to a resource, all or nothing, and print the result.
    Patch(ScimPatch),
    /// Translate a filter into a parameterised SQL WHERE clause and its parameters.
    Sql(ScimSql),
}

#[derive(Debug, Args)]
struct ScimFilter {
    /// The filter, e.g. 'userName eq "jdoe@example.com"' (quote it for the shell).
    filter: String,
    /// A resource (JSON file) to evaluate the filter against.
    #[arg(long, value_name = "FILE")]
    resource: Option<PathBuf>,
    /// The resource type whose schema types the attributes (default: from the resource's schemas, else user).
    #[arg(long, value_enum)]
    resource_type: Option<scim::ResourceType>,
    /// Read the filter as RFC 7644 strictly (default: also the forms Okta and Entra send).
    #[arg(long)]
    strict: bool,
}

#[derive(Debug, Args)]
struct ScimPatch {
    /// The resource to patch (JSON file).
    #[arg(long, value_name = "FILE")]
    resource: PathBuf,
    /// The PATCH request body (urn:ietf:params:scim:api:messages:2.0:PatchOp JSON file).
    #[arg(long, value_name = "FILE")]
    patch: PathBuf,
    /// The resource type whose schema decides mutability and types (default: from the resource's schemas).
    #[arg(long, value_enum)]
    resource_type: Option<scim::ResourceType>,
    /// Apply RFC 7644 strictly (default: also the forms Okta and Entra send).
    #[arg(long)]
    strict: bool,
}

#[derive(Debug, Args)]
struct ScimSql {
    /// The filter to translate.
    filter: String,
    /// The SQL dialect.
    #[arg(long, value_enum)]
    dialect: scim::SqlDialect,
    /// The resource type whose schema types the attributes (default user).
    #[arg(long, value_enum)]
    resource_type: Option<scim::ResourceType>,
    /// Number of the first placeholder (2 when ?1/$1 is already bound, e.g. to the resource type).
    #[arg(long, value_name = "N", default_value_t = 1)]
    first_param: usize,
    /// Read the filter as RFC 7644 strictly.
    #[arg(long)]
    strict: bool,
}

#[derive(Debug, Subcommand)]
enum XmlCommand {
    /// Canonicalize a document (or the element with --id) and print the canonical bytes.
    C14n(C14n),
}

#[derive(Debug, Args)]
struct C14n {
    /// The XML file (or - for stdin).
    file: PathBuf,
    /// Exclusive XML Canonicalization 1.0 (what SAML signatures use); default is Canonical XML 1.0.
    #[arg(long)]
    exclusive: bool,
    /// Canonical XML 1.1 instead of 1.0.
    #[arg(long, conflicts_with = "exclusive")]
    c14n11: bool,
    /// Keep comments (the #WithComments variants).
    #[arg(long)]
    with_comments: bool,
    /// The exclusive InclusiveNamespaces PrefixList, space-separated ("#default" for the default namespace).
    #[arg(long, value_name = "PREFIXES")]
    prefixes: Option<String>,
    /// Canonicalize only the element with this ID attribute (ID, Id, id or xml:id) and its subtree.
    #[arg(long, value_name = "ID")]
    id: Option<String>,
    /// Canonicalize only the first element with this qualified name (e.g. saml2:Assertion) and its subtree.
    #[arg(long, value_name = "QNAME", conflicts_with = "id")]
    element: Option<String>,
}

fn run(cli: Cli, style: Style) -> Result<Output, Failure> {
    match cli.command {
        Command::Saml(SamlCommand::Verify(a)) => saml::verify(
            &saml::VerifyArgs {
                response: a.response,
                idp_cert: a.idp_cert,
                idp_metadata: a.idp_metadata,
                idp_entity_id: a.idp_entity_id,
                sp_entity_id: a.sp_entity_id,
                acs_url: a.acs_url,
                request_id: a.request_id,
                allow_unsolicited: a.allow_unsolicited,
                require_signed_assertion: a.require_signed_assertion,
                allow_sha1: a.allow_sha1,
                decrypt_key: a.decrypt_key,
                decrypt_cert: a.decrypt_cert,
                now: a.now,
                skew: a.skew,
            },
            style,
        ),
        Command::Saml(SamlCommand::Inspect(a)) => inspect::inspect(
            &inspect::InspectArgs {
                message: a.message,
                sp_entity_id: a.sp_entity_id,
                acs_url: a.acs_url,
                idp_entity_id: a.idp_entity_id,
                idp_cert: a.idp_cert,
                request_id: a.request_id,
                now: a.now,
                skew: a.skew,
            },
            style,
        ),
        Command::Saml(SamlCommand::Metadata(a)) => saml::metadata(
            &a.file,
            a.idp_entity_id.as_deref(),
            &a.signed_by,
            a.now.as_deref(),
            style,
        ),
        Command::Saml(SamlCommand::SpMetadata(a)) => saml::sp_metadata_cmd(
            &a.sp_entity_id,
            &a.acs_url,
            a.cert.as_deref(),
            a.key.as_deref(),
            a.encryption,
        ),
        Command::Saml(SamlCommand::AuthnRequest(a)) => {
            saml::authn_request_cmd(&saml::RequestArgs {
                sp_entity_id: a.sp_entity_id,
                acs_url: a.acs_url,
                idp_sso_url: a.idp_sso_url,
                sign_key: a.sign_key,
                sign_cert: a.sign_cert,
                relay_state: a.relay_state,
                force_authn: a.force_authn,
                now: a.now,
            })
        }
        Command::Jwt(JwtCommand::Verify(a)) => jwt::verify(
            &jwt::VerifyArgs {
                token: a.token,
                jwks: a.jwks,
                issuer: a.issuer,
                audience: a.audience,
                nonce: a.nonce,
                now: a.now,
                leeway: a.leeway,
                hs_secret_file: a.hs_secret_file,
            },
            style,
        ),
        Command::Jwt(JwtCommand::Inspect(a)) => jwt::inspect(&a.token, a.now.as_deref(), style),
        Command::Scim(ScimCommand::Filter(a)) => {
            scim::filter(&a.filter, a.resource.as_deref(), a.resource_type, a.strict)
        }
        Command::Scim(ScimCommand::Patch(a)) => {
            scim::patch(&a.resource, &a.patch, a.resource_type, a.strict)
        }
        Command::Scim(ScimCommand::Sql(a)) => scim::sql(
            &a.filter,
            a.dialect,
            a.resource_type,
            a.first_param,
            a.strict,
        ),
        Command::Xml(XmlCommand::C14n(a)) => xml::c14n_cmd(&xml::C14nArgs {
            file: a.file,
            exclusive: a.exclusive,
            c14n11: a.c14n11,
            with_comments: a.with_comments,
            prefixes: a.prefixes,
            id: a.id,
            element: a.element,
        }),
    }
}

fn main() -> ExitCode {
    let style = Style::detect();
    let json_requested = std::env::args_os().any(|a| a == "--json");
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version exit 0; real usage errors exit 2.
            if e.exit_code() == 0 || !json_requested {
                let _ = e.print();
                return ExitCode::from(if e.exit_code() == 0 { 0 } else { USAGE });
            }
            let message = e.kind().as_str().map_or_else(
                || e.to_string().lines().next().unwrap_or_default().to_owned(),
                str::to_owned,
            );
            let failure = Failure::usage("usage", message).with("usage", json!(e.to_string()));
            return output::emit(Err(failure), true, style);
        }
    };
    let json_mode = cli.json;
    output::emit(run(cli, style), json_mode, style)
}
