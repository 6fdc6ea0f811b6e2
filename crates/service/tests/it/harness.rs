//! A running service (random loopback port, temp database, demo seed) and a tiny cookie-keeping browser.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use gatehouse_service::{AppState, Config, cli};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A fresh temp path prefix.
pub(crate) fn temp_prefix() -> std::path::PathBuf {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    std::env::temp_dir().join(format!("gatehouse-it-{}-{n}", std::process::id()))
}

/// Removes a test database and key when dropped.
pub(crate) struct TempFiles(pub(crate) std::path::PathBuf);

impl Drop for TempFiles {
    fn drop(&mut self) {
        for suffix in ["db", "db-wal", "db-shm", "key", "secret", "xml", "wrong"] {
            let _ = std::fs::remove_file(format!("{}.{suffix}", self.0.display()));
        }
    }
}

pub(crate) struct Server {
    pub(crate) base: String,
    pub(crate) state: AppState,
    /// The demo workspace's SCIM token.
    pub(crate) token: String,
    _files: TempFiles,
}

/// Seeds the demo into a fresh database and returns the state (demo IdP mounted), without serving. The database
/// is a temp SQLite file, or, when `GATEHOUSE_TEST_POSTGRES_URL` names a PostgreSQL server, a fresh database
/// there (so the whole suite runs on PostgreSQL).
pub(crate) async fn demo_state(base: &str) -> (AppState, String, TempFiles) {
    let prefix = temp_prefix();
    let db = match crate::pg::server_database().await {
        Some(url) => url,
        None => format!("{}.db", prefix.display()),
    };
    let key = format!("{}.key", prefix.display());
    let mut state = AppState::open(Config::new(base), &db, &key, true)
        .await
        .unwrap();
    let (idp, banner) = cli::seed_demo(&state).await.unwrap();
    state.demo = Some(idp);
    let token = banner
        .split_whitespace()
        .find(|w| w.starts_with("gh_pat_"))
        .unwrap()
        .to_owned();
    (state, token, TempFiles(prefix))
}

/// Starts the service with the demo on a random port.
pub(crate) async fn start() -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (state, token, files) = demo_state(&base).await;
    let app = gatehouse_service::router(state.clone());
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Server {
        base,
        state,
        token,
        _files: files,
    }
}

pub(crate) struct Page {
    pub(crate) status: u16,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) body: String,
}

impl Page {
    pub(crate) fn location(&self) -> Option<String> {
        self.headers
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned())
    }
}

/// A browser: keeps cookies, follows no redirects by itself.
pub(crate) struct Browser {
    client: reqwest::Client,
    pub(crate) cookies: HashMap<String, String>,
    pub(crate) base: String,
}

impl Browser {
    pub(crate) fn new(base: &str) -> Self {
        Self {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: HashMap::new(),
            base: base.to_owned(),
        }
    }

    fn url(&self, url: &str) -> String {
        if url.starts_with("http") {
            url.to_owned()
        } else {
            format!("{}{url}", self.base)
        }
    }

    async fn send(&mut self, rb: reqwest::RequestBuilder) -> Page {
        let cookie = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let rb = if cookie.is_empty() {
            rb
        } else {
            rb.header("cookie", cookie)
        };
        let resp = rb.send().await.unwrap();
        for c in resp.headers().get_all("set-cookie") {
            let c = c.to_str().unwrap();
            let (kv, attrs) = c.split_once(';').unwrap_or((c, ""));
            let (k, v) = kv.split_once('=').unwrap();
            if attrs.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_owned(), v.to_owned());
            }
        }
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.text().await.unwrap();
        Page {
            status,
            headers,
            body,
        }
    }

    pub(crate) async fn get(&mut self, url: &str) -> Page {
        let rb = self.client.get(self.url(url));
        self.send(rb).await
    }

    pub(crate) async fn post(&mut self, url: &str, form: &[(String, String)]) -> Page {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let rb = self
            .client
            .post(self.url(url))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        self.send(rb).await
    }

    /// Submits the first form of `page` whose fields include `name=value` (or the first form when `None`),
    /// with `extra` fields added or replaced.
    pub(crate) async fn submit(
        &mut self,
        page: &Page,
        pick: Option<(&str, &str)>,
        extra: &[(&str, &str)],
    ) -> Page {
        let forms = forms(&page.body);
        let (action, mut fields) = forms
            .into_iter()
            .find(|(_, f)| pick.is_none_or(|(n, v)| f.iter().any(|(k, x)| k == n && x == v)))
            .unwrap_or_else(|| panic!("no such form in {}", page.body));
        for (k, v) in extra {
            fields.retain(|(n, _)| n != k);
            fields.push(((*k).to_owned(), (*v).to_owned()));
        }
        self.post(&action, &fields).await
    }

    /// A fresh CSRF token (from the login page).
    pub(crate) async fn csrf(&mut self) -> String {
        let page = self.get("/login").await;
        field(&page.body, "csrf").unwrap()
    }
}

pub(crate) fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The forms of a page: action and hidden/text fields with values.
pub(crate) fn forms(html: &str) -> Vec<(String, Vec<(String, String)>)> {
    html.split("<form")
        .skip(1)
        .map(|chunk| {
            let chunk = chunk.split("</form>").next().unwrap();
            let action = attr(chunk, "action").unwrap_or_default();
            let fields = chunk
                .split("<input")
                .skip(1)
                .filter_map(|i| Some((attr(i, "name")?, attr(i, "value").unwrap_or_default())))
                .collect();
            (unescape(&action), fields)
        })
        .collect()
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let tag = tag.split('>').next()?;
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let end = tag.get(start..)?.find('"')? + start;
    Some(unescape(tag.get(start..end)?))
}

/// The value of the first input called `name`.
pub(crate) fn field(html: &str, name: &str) -> Option<String> {
    forms(html)
        .into_iter()
        .flat_map(|(_, f)| f)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// Posts the sign-in form (with a fresh CSRF token) for `email`, choosing `connection`: the answer is a 303 to the
/// IdP when discovery routes the address there.
pub(crate) async fn start_login(b: &mut Browser, email: &str, connection: &str) -> Page {
    let csrf = b.csrf().await;
    b.post(
        "/login",
        &[
            ("csrf".into(), csrf),
            ("email".into(), email.into()),
            ("connection".into(), connection.into()),
        ],
    )
    .await
}

/// Signs in through SAML SP-initiated as the demo user `user` (0 ada, 1 grace, 2 linus) with `email`.
pub(crate) async fn saml_login(b: &mut Browser, email: &str, user: &str) -> Page {
    let to_idp = start_login(b, email, "demo-saml").await;
    assert_eq!(to_idp.status, 303, "{}", to_idp.body);
    let picker = b.get(&to_idp.location().unwrap()).await;
    assert_eq!(picker.status, 200, "{}", picker.body);
    let form = b.submit(&picker, Some(("user", user)), &[]).await;
    b.submit(&form, None, &[]).await
}

/// Signs in through OIDC SP-initiated as demo user `user`.
pub(crate) async fn oidc_login(b: &mut Browser, email: &str, user: &str) -> Page {
    let to_idp = start_login(b, email, "demo-oidc").await;
    assert_eq!(to_idp.status, 303, "{}", to_idp.body);
    let picker = b.get(&to_idp.location().unwrap()).await;
    assert_eq!(picker.status, 200, "{}", picker.body);
    let back = b.submit(&picker, Some(("user", user)), &[]).await;
    assert_eq!(back.status, 303, "{}", back.body);
    b.get(&back.location().unwrap()).await
}

/// Count rows of a query returning one integer column `n`.
pub(crate) async fn count(state: &AppState, sql: &str, bind: &str) -> i64 {
    use sqlx::Row as _;
    sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
        .bind(bind.to_owned())
        .fetch_one(&state.pool)
        .await
        .unwrap()
        .try_get("n")
        .unwrap()
}

/// The latest audit row: (outcome, reason).
pub(crate) async fn last_audit(state: &AppState) -> (String, String) {
    use sqlx::Row as _;
    // Insertion order within a second: the physical row order of this append-only table.
    let row = match state.dialect {
        gatehouse_service::db::Dialect::Postgres => "ctid",
        _ => "rowid",
    };
    let r = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT outcome, reason FROM audit_log ORDER BY at DESC, {row} DESC LIMIT 1"
    )))
    .fetch_one(&state.pool)
    .await
    .unwrap();
    (r.try_get("outcome").unwrap(), r.try_get("reason").unwrap())
}
