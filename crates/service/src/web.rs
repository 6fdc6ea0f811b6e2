//! HTML pages, cookies, CSRF tokens, sessions, refusal pages and the audit log.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use sqlx::Row as _;

use crate::AppState;
use crate::error::{Error, Result};

/// Session cookie name.
pub const SESSION_COOKIE: &str = "gh_session";
/// CSRF cookie name (double-submit: every form carries the same value in `csrf`).
pub const CSRF_COOKIE: &str = "gh_csrf";

/// HTML-escapes text for element content and quoted attributes.
#[must_use]
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The one stylesheet of every page. Readable on a 390 px phone: the page never grows wider than the screen —
/// tables scroll inside their own box, long URLs, fingerprints and certificates wrap anywhere, form fields are at
/// most as wide as their container.
pub const STYLESHEET: &str = "*,*::before,*::after{box-sizing:border-box}\
body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;line-height:1.45;overflow-wrap:break-word}\
code,pre{background:#f3f3f3;padding:0 .2rem;overflow-wrap:anywhere;word-break:break-word}\
pre{white-space:pre-wrap}\
code.copy{user-select:all;-webkit-user-select:all;cursor:text}\
table{border-collapse:collapse;display:block;max-width:100%;overflow-x:auto}\
td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left;vertical-align:top}\
input,textarea,select,button{max-width:100%;font:inherit}button{white-space:nowrap}\
textarea{width:100%}\
label{display:inline-block;max-width:100%}\
img,svg{max-width:100%;height:auto}\
.hint{background:#fff6d6;border-left:4px solid #e0b000;padding:.5rem 1rem}button{margin:.2rem 0}\
.warn{background:#fde8e8;border-left:4px solid #c62828;padding:.5rem 1rem}\
.ok{color:#1b5e20}.bad{color:#b71c1c}.copy-btn{font-size:.85em;padding:0 .4rem}\
ol.steps>li{margin-bottom:1rem}nav a{margin-right:.8rem}";

/// A full page. Its one script ([`SCRIPT`], served from `/static/gatehouse.js`) only adds conveniences — copy
/// buttons, reading an uploaded metadata file into its text box — so every page works without JavaScript.
pub fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{} · Gatehouse</title>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><style>{STYLESHEET}</style>\
         <script src=\"/static/gatehouse.js\" defer></script></head>\
         <body><main><h1>{}</h1>{body}</main></body></html>",
        esc(title),
        esc(title)
    ))
}

/// The script of every page (`/static/gatehouse.js`): shows the copy buttons (hidden without JavaScript, where a
/// click on a value selects all of it instead) and copies their value; reads a chosen metadata file into the
/// `metadata` text box. No framework, no inline script: the pages' Content-Security-Policy allows scripts from the
/// service only.
pub const SCRIPT: &str = r#"document.querySelectorAll("button[data-copy]").forEach(function (b) {
  b.hidden = false;
  b.addEventListener("click", function () {
    var done = function () { b.textContent = "Copied"; setTimeout(function () { b.textContent = "Copy"; }, 1500); };
    var fallback = function () {
      var t = document.createElement("textarea"); t.value = b.dataset.copy; document.body.appendChild(t);
      t.select(); try { document.execCommand("copy"); done(); } finally { t.remove(); }
    };
    if (navigator.clipboard) { navigator.clipboard.writeText(b.dataset.copy).then(done, fallback); } else { fallback(); }
  });
});
document.querySelectorAll("input[type=file][data-into]").forEach(function (f) {
  f.hidden = false;
  f.addEventListener("change", function () {
    var file = f.files && f.files[0]; if (!file) { return; }
    file.text().then(function (text) { document.getElementsByName(f.dataset.into)[0].value = text; });
  });
});
"#;

/// A value to paste into the IdP: selected whole by one click, with a copy button when JavaScript runs.
#[must_use]
pub fn copyable(value: &str) -> String {
    format!(
        "<code class=\"copy\">{0}</code> <button type=\"button\" class=\"copy-btn\" data-copy=\"{0}\" hidden>Copy</button>",
        esc(value)
    )
}

/// A fresh nonce for a page's one inline script (128 random bits).
pub fn csp_nonce() -> Result<String> {
    crate::crypto::random_token(16)
}

/// An auto-submitting page (POST binding) whose one inline script carries `nonce`, under
/// [`crate::post_binding_csp`]: that script runs, no other inline code would.
#[must_use]
pub fn auto_post_page(html: String, nonce: &str) -> Response {
    match HeaderValue::from_str(&crate::post_binding_csp(nonce)) {
        Ok(csp) => ([(header::CONTENT_SECURITY_POLICY, csp)], Html(html)).into_response(),
        Err(_) => error_page(&Error::Internal("CSP nonce".into())),
    }
}

/// Serves [`SCRIPT`].
pub async fn script() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/javascript; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            ),
        ],
        SCRIPT,
    )
        .into_response()
}

/// The value of cookie `name`.
#[must_use]
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Path=/, Secure on https.
#[must_use]
pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age: Option<i64>) -> HeaderValue {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if state.config.secure_cookies() {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static("invalid=1"))
}

/// The CSRF token for this browser: the existing cookie, or a new one (and the header that sets it).
pub fn csrf_token(state: &AppState, headers: &HeaderMap) -> Result<(String, Option<HeaderValue>)> {
    if let Some(v) = cookie(headers, CSRF_COOKIE).filter(|v| v.len() >= 32 && v.len() <= 64) {
        return Ok((v.to_owned(), None));
    }
    let token = crate::crypto::random_token(24)?;
    let header = set_cookie(state, CSRF_COOKIE, &token, None);
    Ok((token, Some(header)))
}

/// A hidden CSRF input.
#[must_use]
pub fn csrf_input(token: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
        esc(token)
    )
}

/// Checks a submitted CSRF value against the cookie.
#[must_use]
pub fn csrf_ok(headers: &HeaderMap, submitted: Option<&str>) -> bool {
    match (cookie(headers, CSRF_COOKIE), submitted) {
        (Some(c), Some(s)) => {
            c.len() >= 32 && crate::crypto::constant_time_eq(c.as_bytes(), s.as_bytes())
        }
        _ => false,
    }
}

/// Adds a `Set-Cookie` header to a response when present.
pub fn with_cookie(mut response: Response, cookie: Option<HeaderValue>) -> Response {
    if let Some(c) = cookie {
        response.headers_mut().append(header::SET_COOKIE, c);
    }
    response
}

/// A signed-in session.
#[derive(Debug, Clone)]
pub struct Session {
    /// Hash of the cookie value (the row key).
    pub id_hash: String,
    /// The user's workspace.
    pub workspace_id: String,
    /// The user.
    pub user_id: String,
    /// The connection used to sign in.
    pub connection: String,
    /// `saml-sp`, `saml-idp`, `oidc`, `oidc-third-party`.
    pub method: String,
    /// The OIDC ID token (sealed), for `id_token_hint` at logout.
    pub sealed_id_token: Option<String>,
}

/// Creates a session; returns the cookie header.
pub async fn create_session(
    state: &AppState,
    workspace_id: &str,
    user_id: &str,
    connection: &str,
    method: &str,
    id_token: Option<&str>,
) -> Result<HeaderValue> {
    let raw = crate::crypto::random_token(32)?;
    let hash = crate::crypto::sha256_hex(raw.as_bytes());
    let now = state.now().timestamp();
    let sealed = id_token
        .map(|t| state.key.seal("id-token", t.as_bytes()))
        .transpose()?;
    sqlx::query(
        "INSERT INTO sessions (id_hash, workspace_id, user_id, connection, method, sealed_id_token, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&hash)
    .bind(workspace_id)
    .bind(user_id)
    .bind(connection)
    .bind(method)
    .bind(sealed)
    .bind(now)
    .bind(now + state.config.session_ttl_secs)
    .execute(&state.pool)
    .await?;
    sqlx::query("UPDATE users SET last_login_at = $1 WHERE id = $2")
        .bind(now)
        .bind(user_id)
        .execute(&state.pool)
        .await?;
    Ok(set_cookie(
        state,
        SESSION_COOKIE,
        &raw,
        Some(state.config.session_ttl_secs),
    ))
}

/// Creates a session and its `signed-in` audit row in one transaction (one commit per login); returns the cookie.
#[allow(clippy::too_many_arguments)]
pub async fn create_session_audited(
    state: &AppState,
    workspace_id: &str,
    user_id: &str,
    connection: &str,
    method: &str,
    id_token: Option<&str>,
    reason: &str,
) -> Result<HeaderValue> {
    let raw = crate::crypto::random_token(32)?;
    let hash = crate::crypto::sha256_hex(raw.as_bytes());
    let now = state.now().timestamp();
    let sealed = id_token
        .map(|t| state.key.seal("id-token", t.as_bytes()))
        .transpose()?;
    let mut tx = state.pool.begin().await?;
    sqlx::query(
        "INSERT INTO sessions (id_hash, workspace_id, user_id, connection, method, sealed_id_token, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&hash)
    .bind(workspace_id)
    .bind(user_id)
    .bind(connection)
    .bind(method)
    .bind(sealed)
    .bind(now)
    .bind(now + state.config.session_ttl_secs)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE users SET last_login_at = $1 WHERE id = $2")
        .bind(now)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO audit_log (id, at, workspace_id, connection, outcome, reason) VALUES ($1, $2, $3, $4, 'signed-in', $5)")
        .bind(crate::db::new_id()?)
        .bind(now)
        .bind(workspace_id)
        .bind(connection)
        .bind(reason.chars().take(1000).collect::<String>())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    tracing::info!(
        workspace = workspace_id,
        connection,
        outcome = "signed-in",
        reason,
        "audit"
    );
    Ok(set_cookie(
        state,
        SESSION_COOKIE,
        &raw,
        Some(state.config.session_ttl_secs),
    ))
}

/// The session of this request, if any and not expired.
pub async fn current_session(state: &AppState, headers: &HeaderMap) -> Result<Option<Session>> {
    let Some(raw) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let hash = crate::crypto::sha256_hex(raw.as_bytes());
    // A session of a deactivated (or deleted) user is no session.
    let row = sqlx::query(
        "SELECT s.* FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.id_hash = $1 AND s.expires_at > $2 AND u.active = 1",
    )
    .bind(&hash)
    .bind(state.now().timestamp())
    .fetch_optional(&state.pool)
    .await?;
    row.map(|r| {
        Ok(Session {
            id_hash: r.try_get("id_hash")?,
            workspace_id: r.try_get("workspace_id")?,
            user_id: r.try_get("user_id")?,
            connection: r.try_get("connection")?,
            method: r.try_get("method")?,
            sealed_id_token: r.try_get("sealed_id_token")?,
        })
    })
    .transpose()
}

/// Deletes a session.
pub async fn delete_session(state: &AppState, session: &Session) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(&session.id_hash)
        .execute(&state.pool)
        .await?;
    Ok(())
}

/// Writes an audit row and returns its id (the reference a refusal page shows); `None` if the write failed (logged).
/// `reason` must hold no secrets (error codes and display texts of the libraries do not).
pub async fn audit(
    state: &AppState,
    workspace_id: Option<&str>,
    connection: Option<&str>,
    outcome: &str,
    reason: &str,
) -> Option<String> {
    let result = async {
        let id = crate::db::new_id()?;
        sqlx::query("INSERT INTO audit_log (id, at, workspace_id, connection, outcome, reason) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&id)
            .bind(state.now().timestamp())
            .bind(workspace_id.map(str::to_owned))
            .bind(connection.map(str::to_owned))
            .bind(outcome)
            .bind(reason.chars().take(1000).collect::<String>())
            .execute(&state.pool)
            .await?;
        Ok::<_, Error>(id)
    }
    .await;
    tracing::info!(
        workspace = workspace_id,
        connection,
        outcome,
        reason,
        "audit"
    );
    result
        .map_err(|error| tracing::error!(%error, "audit write failed"))
        .ok()
}

/// A refused login: the page the user sees, with what to tell the admin.
#[derive(Debug, Clone)]
pub struct Refusal {
    /// HTTP status.
    pub status: StatusCode,
    /// Headline.
    pub title: &'static str,
    /// What happened, for the user.
    pub message: String,
    /// The library's admin hint.
    pub admin_hint: Option<String>,
    /// A short machine-readable code (error code or JIT rule), also the audit reason's prefix.
    pub code: String,
    /// The audit row's id, shown as the reference an admin looks up (set by [`Refusal::respond`]).
    pub reference: Option<String>,
}

impl Refusal {
    /// A refusal with status 403.
    #[must_use]
    pub fn new(
        code: impl Into<String>,
        title: &'static str,
        message: impl Into<String>,
        hint: Option<String>,
    ) -> Self {
        Self {
            status: StatusCode::FORBIDDEN,
            title,
            message: message.into(),
            admin_hint: hint,
            code: code.into(),
            reference: None,
        }
    }

    /// With another status.
    #[must_use]
    pub fn status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// From a SAML validation error.
    #[must_use]
    pub fn saml(e: &gatehouse_saml::Error) -> Self {
        Self::new(
            format!("saml:{}", e.code()),
            "Sign-in failed",
            e.to_string(),
            e.admin_hint().map(str::to_owned),
        )
    }

    /// From an OIDC error.
    #[must_use]
    pub fn oidc(e: &gatehouse_oidc::Error) -> Self {
        Self::new(
            format!("oidc:{}", e.code()),
            "Sign-in failed",
            e.to_string(),
            e.admin_hint().map(str::to_owned),
        )
    }

    /// From a service error (storage, configuration).
    #[must_use]
    pub fn internal(e: &Error) -> Self {
        tracing::error!(error = %e, "login failed on the server side");
        Self::new("internal", "Sign-in failed", "The server could not complete the sign-in. Try again; if it persists, tell your administrator.", e.admin_hint().map(str::to_owned))
            .status(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// Writes the audit row (code, message and hint: what an admin needs) and renders the page with its reference.
    pub async fn respond(
        mut self,
        state: &AppState,
        workspace_id: Option<&str>,
        connection: Option<&str>,
    ) -> Response {
        let hint = self
            .admin_hint
            .as_deref()
            .map_or_else(String::new, |h| format!(" | admin hint: {h}"));
        self.reference = audit(
            state,
            workspace_id,
            connection,
            "refused",
            &format!("{}: {}{hint}", self.code, self.message),
        )
        .await;
        self.into_response()
    }
}

/// The end user's page: what happened in one line and what to do; the administrator's part (the hint, the code and
/// the reference that finds the whole record on the admin's audit page) set apart below it.
impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let what_to_do = if self.admin_hint.is_some() {
            "Your organization's single sign-on needs a change before you can sign in this way. Send your \
             administrator the code and reference below."
        } else {
            "Start the sign-in again. If it fails again, send your administrator the code and reference below."
        };
        let reference = self.reference.as_deref().map_or_else(String::new, |r| {
            format!(
                " · Reference: <code>{0}</code> (admins: <a href=\"/settings/audit?ref={0}\">details in the audit log</a>)",
                esc(r)
            )
        });
        let admin = match self.admin_hint.as_deref() {
            Some(h) => format!(
                "<div class=\"hint\"><p><strong>For your administrator:</strong> {}</p></div>",
                esc(h)
            ),
            None => String::new(),
        };
        let body = format!(
            "<p>{}</p><p>{what_to_do}</p>{admin}<p><small>Code: <code>{}</code>{reference}</small></p>\
             <p><a href=\"/login\">Back to sign-in</a></p>",
            esc(&self.message),
            esc(&self.code)
        );
        (self.status, page(self.title, &body)).into_response()
    }
}

/// Redirects with 303 (after a POST) or 302.
#[must_use]
pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// Renders a service error as a page.
#[must_use]
pub fn error_page(e: &Error) -> Response {
    let status = match e {
        Error::NotFound(_) => StatusCode::NOT_FOUND,
        Error::Invalid(_) => StatusCode::BAD_REQUEST,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    if status == StatusCode::INTERNAL_SERVER_ERROR {
        tracing::error!(error = %e, "request failed");
    }
    let text = match e {
        Error::NotFound(_) | Error::Invalid(_) => e.to_string(),
        _ => "Something went wrong on the server.".to_owned(),
    };
    (status, page("Error", &format!("<p>{}</p>", esc(&text)))).into_response()
}

/// Is `target` a same-origin path or URL of the app (safe to redirect to)?
#[must_use]
pub fn safe_return_to(state: &AppState, target: &str) -> Option<String> {
    // Browsers drop tabs and newlines inside URLs ("/\t/evil" becomes "//evil") and treat "\\" like "/".
    if target
        .chars()
        .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
    {
        return None;
    }
    if target.starts_with('/') && !target.starts_with("//") {
        return Some(target.to_owned());
    }
    for base in [&state.config.public_url, &state.config.auth_url] {
        if let (Ok(t), Ok(b)) = (url::Url::parse(target), url::Url::parse(base))
            && t.origin() == b.origin()
            && t.username().is_empty()
            && t.password().is_none()
        {
            return Some(t.to_string());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    async fn state() -> AppState {
        let dir = std::env::temp_dir().join(format!(
            "gatehouse-web-{}-{}",
            std::process::id(),
            crate::crypto::random_token(6).unwrap()
        ));
        let pool = crate::db::open(&format!("{}.db", dir.display()))
            .await
            .unwrap();
        let mut config = crate::Config::new("https://app.example.com");
        config.auth_url = "https://auth.example.com".into();
        AppState::with_parts(
            config,
            pool,
            crate::crypto::MasterKey::from_bytes(&[1; 32]).unwrap(),
        )
        .unwrap()
    }

    #[tokio::test]
    async fn return_targets_are_same_origin_only() {
        let s = state().await;
        let cases = [
            ("/settings/tokens", Some("/settings/tokens")),
            (
                "https://app.example.com/x?y=1",
                Some("https://app.example.com/x?y=1"),
            ),
            (
                "https://auth.example.com/",
                Some("https://auth.example.com/"),
            ),
            ("//evil.example/", None),
            ("/\\evil.example", None),
            ("/\t/evil.example", None),
            ("/\n/evil.example", None),
            ("/ /evil.example", None),
            ("https://evil.example/", None),
            ("https://app.example.com.evil.example/", None),
            ("https://user@app.example.com/", None),
            ("http://app.example.com/", None),
            ("https://app.example.com:8443/", None),
            ("javascript:alert(1)", None),
            ("", None),
        ];
        for (input, want) in cases {
            assert_eq!(safe_return_to(&s, input).as_deref(), want, "{input:?}");
        }
    }

    #[test]
    fn return_targets_never_leave_the_app_for_any_input() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let s = rt.block_on(state());
        let app = url::Url::parse("https://app.example.com/")
            .unwrap()
            .origin();
        let auth = url::Url::parse("https://auth.example.com/")
            .unwrap()
            .origin();
        proptest!(|(input in "(https?://[a-z.@:0-9]{0,30})?[/\\\\a-z.?#@%:\t\n ]{0,30}")| {
            if let Some(t) = safe_return_to(&s, &input) {
                if t.starts_with('/') {
                    prop_assert!(!t.starts_with("//") && !t.chars().any(|c| c == '\\' || c.is_whitespace()), "{t}");
                    // A browser resolves it against the app's origin.
                    let resolved = url::Url::parse("https://app.example.com/").unwrap().join(&t).unwrap();
                    prop_assert_eq!(resolved.origin(), app.clone());
                } else {
                    let u = url::Url::parse(&t).unwrap();
                    prop_assert!(u.origin() == app || u.origin() == auth, "{t}");
                }
            }
        });
    }

    #[test]
    fn cookies_are_found_by_exact_name() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("gh_session_x=1; gh_session=abc; other=2"),
        );
        assert_eq!(cookie(&h, "gh_session"), Some("abc"));
        assert_eq!(cookie(&h, "gh_sess"), None);
        assert!(esc("<a href=\"x\">'&") == "&lt;a href=&quot;x&quot;&gt;&#39;&amp;");
    }
}
