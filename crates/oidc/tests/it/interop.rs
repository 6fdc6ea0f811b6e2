//! Interop against a real OpenID Provider: node `oidc-provider` (OpenID-certified), started from
//! `tests/op/server.mjs` on 127.0.0.1 with a random port. Runs only under `GATEHOUSE_INTEROP=1`, and then fails
//! if node or the npm package is missing (install with `npm ci --prefix crates/oidc/tests/op`).
//!
//! It completes discovery, the code flow with PKCE (client_secret_basic; client_secret_post with
//! response_mode=form_post; private_key_jwt), ID token validation, userinfo, RP-initiated logout, and a key rotation (the OP restarted on the same port signing with a new key: one JWKS
//! refetch once the cooldown allows it).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use gatehouse_oidc::{
    AuthorizationRequest, Callback, ClientAssertionKey, ClientAuthMethod, ClientSecret, Error,
    HttpClient, HttpRequest, HttpResponse, JwksCache, Method, OidcConnection, RefetchDecision,
    ResponseMode, complete_login, complete_login_async, fetch_metadata, logout_url, refresh_jwks,
};

fn op_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/op"))
}

/// The node process, killed when dropped (also on a failing assertion).
struct Op {
    child: Child,
    port: u16,
}

impl Op {
    fn start(port: u16, keyset: &str) -> Self {
        let mut child = Command::new("node")
            .arg(op_dir().join("server.mjs"))
            .arg(port.to_string())
            .arg(keyset)
            .current_dir(op_dir())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node starts (GATEHOUSE_INTEROP=1 needs Node.js on PATH)");
        let mut line = String::new();
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        stdout.read_line(&mut line).expect("READY line");
        // Keep draining stdout so the OP never writes into a closed pipe.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        let port = line
            .trim()
            .strip_prefix("READY ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| {
                let _ = child.kill();
                panic!("oidc-provider did not start: {line:?}")
            });
        Self { child, port }
    }
}

impl Drop for Op {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal HTTP/1.0 client for 127.0.0.1 (no chunked encoding with 1.0), with a cookie jar for the
/// browser part of the flow.
#[derive(Default)]
struct LoopbackHttp {
    cookies: std::cell::RefCell<Vec<(String, String)>>,
}

impl HttpClient for LoopbackHttp {
    fn execute(&self, request: HttpRequest) -> Result<HttpResponse, String> {
        let url = &request.url;
        let addr = format!(
            "{}:{}",
            url.host_str().ok_or("host")?,
            url.port_or_known_default().ok_or("port")?
        );
        let mut stream = TcpStream::connect(addr).map_err(|e| e.to_string())?;
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .map_err(|e| e.to_string())?;
        let target = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        };
        let method = match request.method {
            Method::Get => "GET",
            Method::Post => "POST",
            _ => return Err("method".into()),
        };
        let mut head = format!(
            "{method} {target} HTTP/1.0\r\nHost: {}\r\n",
            url.authority()
        );
        for (name, value) in &request.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        let cookies = self.cookies.borrow();
        if !cookies.is_empty() {
            let jar: Vec<String> = cookies.iter().map(|(n, v)| format!("{n}={v}")).collect();
            head.push_str(&format!("Cookie: {}\r\n", jar.join("; ")));
        }
        drop(cookies);
        head.push_str(&format!("Content-Length: {}\r\n\r\n", request.body.len()));
        stream
            .write_all(head.as_bytes())
            .map_err(|e| e.to_string())?;
        stream.write_all(&request.body).map_err(|e| e.to_string())?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).map_err(|e| e.to_string())?;
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .ok_or("no header end")?;
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let body = raw[split + 4..].to_vec();
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .ok_or("status")?;
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
            .collect();
        for (name, value) in &headers {
            if name.eq_ignore_ascii_case("set-cookie")
                && let Some((n, v)) = value.split(';').next().and_then(|c| c.split_once('='))
            {
                let mut jar = self.cookies.borrow_mut();
                jar.retain(|(existing, _)| existing != n);
                jar.push((n.to_owned(), v.to_owned()));
            }
        }
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }
}

/// The loopback client as an async one for `complete_login_async` (it answers before the future is polled).
impl gatehouse_oidc::AsyncHttpClient for LoopbackHttp {
    fn execute(
        &self,
        request: HttpRequest,
    ) -> impl Future<Output = Result<HttpResponse, String>> + Send {
        std::future::ready(HttpClient::execute(self, request))
    }
}

/// Undoes the HTML escaping of attribute values (`&amp; &lt; &gt; &quot; &#39;`).
fn html_unescape(value: &str) -> String {
    value
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Plays the browser: follows the OP's redirects from the authorization URL until they reach our callback,
/// either as a redirect (response mode `query`) or as an auto-submitted form (`form_post`).
fn browse_to_callback(http: &LoopbackHttp, start: url::Url, redirect_uri: &str) -> Callback {
    let mut url = start;
    for _ in 0..10 {
        let response = http
            .execute(HttpRequest::get(url.clone(), "text/html"))
            .expect("OP reachable");
        let body = String::from_utf8_lossy(&response.body).into_owned();
        let Some(location) = response.header("location") else {
            // form_post: <form method="post" action="…"><input type="hidden" name="…" value="…"/>…
            assert!(
                body.contains(&format!("action=\"{redirect_uri}\"")),
                "no redirect from {url}: {body}"
            );
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            for input in body.split("<input type=\"hidden\" name=\"").skip(1) {
                let (name, rest) = input.split_once("\" value=\"").expect("value");
                let value = rest.split_once('"').expect("end of value").0;
                form.append_pair(name, &html_unescape(value));
            }
            return Callback::from_form_post(form.finish().as_bytes()).expect("callback");
        };
        let next = url.join(location).expect("location URL");
        if next.as_str().starts_with(redirect_uri) {
            return Callback::from_query(next.query().unwrap_or_default()).expect("callback");
        }
        url = next;
    }
    panic!("too many redirects");
}

fn login(
    http: &LoopbackHttp,
    conn: &OidcConnection,
    metadata: &gatehouse_oidc::ProviderMetadata,
    jwks: &mut JwksCache,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<gatehouse_oidc::LoginOutcome, Error> {
    login_as(http, conn, metadata, jwks, now, ResponseMode::Query)
}

fn login_as(
    http: &LoopbackHttp,
    conn: &OidcConnection,
    metadata: &gatehouse_oidc::ProviderMetadata,
    jwks: &mut JwksCache,
    now: chrono::DateTime<chrono::Utc>,
    mode: ResponseMode,
) -> Result<gatehouse_oidc::LoginOutcome, Error> {
    let (url, pending) = AuthorizationRequest::new(conn, metadata)
        .login_hint("ada")
        .response_mode(mode)
        .build(now)?;
    let callback = browse_to_callback(http, url, conn.redirect_uri.as_str());
    complete_login(http, conn, metadata, jwks, &pending, &callback, now)
}

/// The same login completed by the async driver.
fn login_async(
    http: &LoopbackHttp,
    conn: &OidcConnection,
    metadata: &gatehouse_oidc::ProviderMetadata,
    jwks: &mut JwksCache,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<gatehouse_oidc::LoginOutcome, Error> {
    let (url, pending) = AuthorizationRequest::new(conn, metadata).build(now)?;
    let callback = browse_to_callback(http, url, conn.redirect_uri.as_str());
    let login = complete_login_async(http, conn, metadata, jwks, &pending, &callback, now);
    crate::drivers::block_on(login)
}

/// The same login with the relying party's own calls (token, JWKS, userinfo) made by an async
/// `reqwest::Client` on a tokio runtime, discovery included.
#[cfg(feature = "reqwest")]
fn login_through_async_reqwest(
    conn: &OidcConnection,
    metadata: &gatehouse_oidc::ProviderMetadata,
    jwks: &mut JwksCache,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<gatehouse_oidc::LoginOutcome, Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let rp = gatehouse_oidc::reqwest_client().expect("reqwest client");
    let (url, pending) = AuthorizationRequest::new(conn, metadata).build(now)?;
    let callback = browse_to_callback(&LoopbackHttp::default(), url, conn.redirect_uri.as_str());
    runtime.block_on(async {
        let discovered = gatehouse_oidc::fetch_metadata_async(&rp, &conn.issuer).await?;
        assert_eq!(&discovered, metadata, "discovery through async reqwest");
        complete_login_async(&rp, conn, metadata, jwks, &pending, &callback, now).await
    })
}

/// The same login with the relying party's own calls (token, JWKS, userinfo) made through the reqwest adapter.
#[cfg(feature = "reqwest")]
fn login_through_reqwest(
    conn: &OidcConnection,
    metadata: &gatehouse_oidc::ProviderMetadata,
    jwks: &mut JwksCache,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<gatehouse_oidc::LoginOutcome, Error> {
    let rp = gatehouse_oidc::ReqwestBlocking::new().expect("reqwest client");
    assert_eq!(
        &fetch_metadata(&rp, &conn.issuer)?,
        metadata,
        "discovery through reqwest"
    );
    let (url, pending) = AuthorizationRequest::new(conn, metadata).build(now)?;
    let callback = browse_to_callback(&LoopbackHttp::default(), url, conn.redirect_uri.as_str());
    complete_login(&rp, conn, metadata, jwks, &pending, &callback, now)
}

#[test]
fn node_oidc_provider_code_flow_userinfo_logout_and_key_rotation() {
    if std::env::var("GATEHOUSE_INTEROP").as_deref() != Ok("1") {
        eprintln!("skipping: interop with node oidc-provider runs only under GATEHOUSE_INTEROP=1");
        return;
    }
    let version = Command::new("node").arg("--version").output();
    assert!(
        version.as_ref().is_ok_and(|o| o.status.success()),
        "GATEHOUSE_INTEROP=1 needs Node.js (node) on PATH: {version:?}"
    );
    assert!(
        op_dir()
            .join("node_modules/oidc-provider/package.json")
            .is_file(),
        "GATEHOUSE_INTEROP=1 needs the npm package: run `npm ci --prefix crates/oidc/tests/op`"
    );

    let op = Op::start(0, "a");
    let http = LoopbackHttp::default();
    let issuer = format!("http://127.0.0.1:{}", op.port);
    let conn = OidcConnection::new(
        &issuer,
        "gatehouse-rp",
        ClientSecret::new("interop-secret-0123456789abcdef0123456789abcdef"),
        "http://127.0.0.1/login/callback",
    )
    .expect("connection");
    let metadata = fetch_metadata(&http, &conn.issuer).expect("discovery with exact issuer");
    assert!(metadata.authorization_response_iss_parameter_supported());
    let mut jwks = JwksCache::new(60);
    let t0 = chrono::Utc::now();
    refresh_jwks(&http, &metadata, &mut jwks, t0).expect("JWKS");
    assert_eq!(jwks.key_ids().collect::<Vec<_>>(), vec![Some("interop-a")]);

    let outcome = login(&http, &conn, &metadata, &mut jwks, t0).expect("code flow with PKCE");
    assert_eq!(outcome.user.subject(), "ada");
    assert_eq!(
        outcome.user.string_claim("email"),
        Some("ada@acme.test"),
        "from userinfo"
    );
    assert_eq!(
        outcome.user.string_claim("name"),
        Some("Ada Lovelace"),
        "from userinfo"
    );
    assert_eq!(outcome.user.id_token().issuer(), issuer);

    let logout = logout_url(
        &conn,
        &metadata,
        Some(outcome.user.id_token().raw()),
        Some("http://127.0.0.1/"),
        Some("bye"),
    )
    .expect("end_session_endpoint");
    let response = http
        .execute(HttpRequest::get(logout, "text/html"))
        .expect("logout page");
    assert_eq!(
        response.status,
        200,
        "{}",
        String::from_utf8_lossy(&response.body)
    );

    #[cfg(feature = "reqwest")]
    {
        let outcome =
            login_through_reqwest(&conn, &metadata, &mut jwks, t0).expect("reqwest adapter");
        assert_eq!(outcome.user.string_claim("email"), Some("ada@acme.test"));
        let outcome = login_through_async_reqwest(&conn, &metadata, &mut jwks, t0)
            .expect("async reqwest client");
        assert_eq!(outcome.user.string_claim("email"), Some("ada@acme.test"));
    }

    // The async driver over the same OP gives the same user.
    let outcome = login_async(&LoopbackHttp::default(), &conn, &metadata, &mut jwks, t0)
        .expect("async driver");
    assert_eq!(outcome.user.subject(), "ada");
    assert_eq!(outcome.user.string_claim("name"), Some("Ada Lovelace"));

    // client_secret_post with response_mode=form_post.
    let mut post = conn.clone();
    post.client_id = "gatehouse-post".into();
    post.auth_method = ClientAuthMethod::ClientSecretPost;
    let outcome = login_as(
        &LoopbackHttp::default(),
        &post,
        &metadata,
        &mut jwks,
        t0,
        ResponseMode::FormPost,
    )
    .expect("client_secret_post + form_post");
    assert_eq!(outcome.user.subject(), "ada");

    // private_key_jwt (ES256 key registered with the OP as a JWK).
    let mut pkjwt = conn.clone();
    pkjwt.client_id = "gatehouse-pkjwt".into();
    pkjwt.auth_method = ClientAuthMethod::PrivateKeyJwt;
    let pem = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/ec-p256.pem"
    ))
    .unwrap();
    pkjwt.client_assertion_key = Some(
        ClientAssertionKey::from_pem(&pem, jsonwebtoken::Algorithm::ES256, Some("rp-key")).unwrap(),
    );
    let outcome =
        login(&LoopbackHttp::default(), &pkjwt, &metadata, &mut jwks, t0).expect("private_key_jwt");
    assert_eq!(outcome.user.subject(), "ada");

    // Key rotation: the OP comes back on the same port signing with a new key.
    let port = op.port;
    drop(op);
    let _op = Op::start(port, "b");
    let http = LoopbackHttp::default();
    let within_cooldown = chrono::Utc::now();
    let result = login(&http, &conn, &metadata, &mut jwks, within_cooldown.max(t0));
    if within_cooldown < t0 + chrono::TimeDelta::seconds(60) {
        assert!(
            matches!(&result, Err(Error::UnknownKeyId { kid, refetch: RefetchDecision::CoolingDown { .. } }) if kid == "interop-b"),
            "{:?}",
            result.as_ref().err()
        );
    }
    let after_cooldown = t0 + chrono::TimeDelta::seconds(61);
    let outcome = login(
        &http,
        &conn,
        &metadata,
        &mut jwks,
        after_cooldown.max(chrono::Utc::now()),
    )
    .expect("one refetch picks up the new key");
    assert_eq!(outcome.user.subject(), "ada");
    assert_eq!(
        jwks.key_ids().collect::<Vec<_>>(),
        vec![Some("interop-b"), Some("interop-a")]
    );
}
