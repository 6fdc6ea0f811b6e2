//! `gatehouse jwt verify | inspect`: ID token verification through gatehouse-oidc, and an unverified look.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use gatehouse_oidc::{
    ClientSecret, IdToken, IdTokenChecks, JwksCache, OidcConnection, VerifiedIdToken,
};
use serde_json::{Map, Value, json};

use crate::input;
use crate::inspect::unix_to_rfc3339;
use crate::output::{Failure, Output, REFUSED, Style, USAGE};
use crate::saml::now_or_clock;

/// The redirect URI the library's connection type needs; ID token verification never uses it.
const UNUSED_REDIRECT: &str = "https://gatehouse-cli.invalid/callback";

/// The library's stable snake_case code for an OIDC error.
pub(crate) fn oidc_code(e: &gatehouse_oidc::Error) -> String {
    e.code().to_owned()
}

fn oidc_failure(e: &gatehouse_oidc::Error) -> Failure {
    let code = oidc_code(e);
    let exit = if matches!(code.as_str(), "malformed" | "too_large") {
        USAGE
    } else {
        REFUSED
    };
    Failure::new(exit, &code, e.to_string(), e.admin_hint())
}

fn read_token(path: &Path) -> Result<String, Failure> {
    let text = input::read_text(path)?;
    let token = text.trim();
    if token.is_empty() {
        return Err(Failure::usage("malformed", "the token is empty"));
    }
    Ok(token.to_owned())
}

/// Decodes one base64url JSON part of a compact JWS, without trusting it.
fn part(token: &str, index: usize, what: &str) -> Result<Map<String, Value>, Failure> {
    let segment = token.split('.').nth(index).unwrap_or_default();
    let bytes = URL_SAFE_NO_PAD
        .decode(segment.trim_end_matches('='))
        .map_err(|_| Failure::usage("malformed", format!("the JWT {what} is not base64url")))?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(Failure::usage(
            "malformed",
            format!("the JWT {what} is not a JSON object"),
        )),
    }
}

/// A decoded JSON object (header or claims).
type Object = Map<String, Value>;

fn parts(token: &str) -> Result<(Object, Object), Failure> {
    let n = token.split('.').count();
    if n != 3 {
        return Err(Failure::usage(
            "malformed",
            format!(
                "a compact JWS has 3 dot-separated parts, this has {n} (an encrypted JWE has 5)"
            ),
        ));
    }
    Ok((part(token, 0, "header")?, part(token, 1, "payload")?))
}

/// Arguments of `jwt verify`.
#[derive(Debug)]
pub(crate) struct VerifyArgs {
    pub(crate) token: PathBuf,
    pub(crate) jwks: PathBuf,
    pub(crate) issuer: String,
    pub(crate) audience: String,
    pub(crate) nonce: Option<String>,
    pub(crate) now: Option<String>,
    pub(crate) leeway: Option<i64>,
    pub(crate) hs_secret_file: Option<PathBuf>,
}

/// `jwt verify`: `VerifiedIdToken::verify` with the JWKS file as the key set.
pub(crate) fn verify(args: &VerifyArgs, style: Style) -> Result<Output, Failure> {
    let now = now_or_clock(args.now.as_deref())?;
    let token = read_token(&args.token)?;
    let secret = match &args.hs_secret_file {
        Some(path) => {
            let text = input::read_text(path)?;
            let trimmed = text.strip_suffix('\n').unwrap_or(&text);
            let trimmed = trimmed.strip_suffix('\r').unwrap_or(trimmed);
            ClientSecret::new(trimmed)
        }
        // Never used: HMAC tokens are refused unless --hs-secret-file turns them on.
        None => ClientSecret::new("unused: symmetric ID tokens are off"),
    };
    let mut conn = OidcConnection::new(&args.issuer, &args.audience, secret, UNUSED_REDIRECT)
        .map_err(|problems| {
            let first = problems.first().map(|e| (oidc_code(e), e.admin_hint()));
            let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
            let (code, hint) = first.unwrap_or_else(|| ("config".into(), None));
            Failure::new(USAGE, &code, text.join("; "), hint)
        })?;
    conn.symmetric_id_tokens = args.hs_secret_file.is_some();
    if let Some(leeway) = args.leeway {
        conn.leeway_secs = leeway;
    }
    let mut jwks = JwksCache::for_connection(&conn);
    jwks.update(&input::read(&args.jwks)?, None, now)
        .map_err(|e| {
            let mut f = oidc_failure(&e);
            f.exit = USAGE;
            f.message = format!("{}: {}", args.jwks.display(), f.message);
            f
        })?;
    let checks = IdTokenChecks {
        nonce: args.nonce.as_deref().unwrap_or(""),
        max_age_secs: None,
        access_token: None,
        code: None,
    };
    let relaxed: Vec<&str> = if args.hs_secret_file.is_some() {
        vec!["--hs-secret-file"]
    } else {
        Vec::new()
    };
    let checked_with = json!({
        "issuer": conn.issuer.as_str(),
        "audience": conn.client_id,
        "nonce": args.nonce,
        "leeway_seconds": conn.leeway_secs,
        "max_id_token_age_seconds": conn.max_id_token_age_secs,
        "symmetric_id_tokens": conn.symmetric_id_tokens,
        "now": now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "jwks_keys": jwks.len(),
    });
    let verified = VerifiedIdToken::verify(IdToken::new(token.clone()), &conn, &jwks, &checks, now)
        .map_err(|e| {
            let mut f = oidc_failure(&e).with("checked_with", checked_with.clone());
            if f.code == "nonce_mismatch" && args.nonce.is_none() {
                f.message
                    .push_str(" (no --nonce given: pass the nonce of the authorization request)");
            }
            f
        })?;
    let (header, _) = parts(&token)?;
    let json = json!({
        "verified": true,
        "header": header,
        "claims": verified.claims(),
        "algorithm": format!("{:?}", verified.algorithm()),
        "checked_with": checked_with,
        "relaxed": relaxed,
    });
    let mut t = format!(
        "{}  ID token for {} from {}\n",
        style.good("✔ VERIFIED"),
        style.bold(verified.subject()),
        style.bold(verified.issuer())
    );
    t.push_str(&format!(
        "  {:<12}{:?}\n",
        "algorithm",
        verified.algorithm()
    ));
    t.push_str(&format!(
        "  {:<12}{}\n",
        "expires",
        unix_to_rfc3339(verified.expires_at()).unwrap_or_default()
    ));
    t.push_str(&format!("{}\n", style.bold("Header")));
    t.push_str(&format!(
        "{}\n",
        crate::output::pretty(&Value::Object(header))
    ));
    t.push_str(&format!("{}\n", style.bold("Claims")));
    t.push_str(&format!(
        "{}\n",
        crate::output::pretty(&Value::Object(verified.claims().clone()))
    ));
    if !relaxed.is_empty() {
        t.push_str(&format!(
            "{} HMAC-signed tokens accepted, keyed by the secret from --hs-secret-file\n",
            style.warn("Relaxed by flags:")
        ));
    }
    Ok(Output::new(json, t))
}

/// `jwt inspect`: header and claims decoded, times explained, nothing verified.
pub(crate) fn inspect(token: &Path, now: Option<&str>, style: Style) -> Result<Output, Failure> {
    let now = now_or_clock(now)?;
    let token = read_token(token)?;
    let (header, claims) = parts(&token)?;
    let mut notes: Vec<(&str, String)> = Vec::new();
    match header.get("alg").and_then(Value::as_str) {
        None => notes.push(("fail", "no alg in the header".into())),
        Some(a) if a.eq_ignore_ascii_case("none") => {
            notes.push((
                "fail",
                "alg is none: an unsigned token, never accepted".into(),
            ));
        }
        Some(a) if a.starts_with("HS") => notes.push((
            "warn",
            format!("alg {a}: HMAC, keyed by the client secret; verify needs --hs-secret-file"),
        )),
        Some(a) => notes.push((
            "info",
            format!("alg {a}; the key in the JWKS decides, not this header"),
        )),
    }
    if let Some(kid) = header.get("kid").and_then(Value::as_str) {
        notes.push((
            "info",
            format!("kid {kid:?}: the JWKS must hold a key with this id"),
        ));
    }
    let ts = now.timestamp();
    for (claim, label) in [
        ("iat", "issued"),
        ("nbf", "not before"),
        ("exp", "expires"),
        ("auth_time", "authenticated"),
    ] {
        if let Some(v) = claims.get(claim).and_then(Value::as_i64) {
            let when = unix_to_rfc3339(v).unwrap_or_else(|| v.to_string());
            let delta = v - ts;
            let rel = if delta >= 0 {
                format!("in {delta} s")
            } else {
                format!("{} s ago", -delta)
            };
            let status = match claim {
                "exp" if delta <= 0 => "fail",
                "nbf" if delta > 0 => "fail",
                _ => "info",
            };
            notes.push((status, format!("{claim} ({label}) {when}, {rel}")));
        }
    }
    let sig_len = token.rsplit('.').next().map_or(0, str::len);
    if sig_len == 0 {
        notes.push(("fail", "no signature".into()));
    }
    let notes_json: Vec<Value> = notes
        .iter()
        .map(|(s, d)| json!({"status": s, "detail": d}))
        .collect();
    let banner = "UNVERIFIED: signature and claims were NOT checked; run `gatehouse jwt verify` for a verdict.";
    let json = json!({
        "verified": false,
        "warning": banner,
        "header": header,
        "claims": claims,
        "notes": notes_json,
    });
    let mut t = format!("{}\n", style.warn(&format!("!! {banner}")));
    t.push_str(&format!(
        "{}\n{}\n",
        style.bold("Header"),
        crate::output::pretty(&Value::Object(header))
    ));
    t.push_str(&format!(
        "{}\n{}\n",
        style.bold("Claims"),
        crate::output::pretty(&Value::Object(claims))
    ));
    for (s, d) in &notes {
        let mark = match *s {
            "fail" => style.bad("FAIL"),
            "warn" => style.warn("warn"),
            _ => style.dim("info"),
        };
        t.push_str(&format!("  [{mark}] {d}\n"));
    }
    Ok(Output::new(json, t))
}
