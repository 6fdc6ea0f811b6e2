//! The machinery of the browser tests: the service in demo mode on a free loopback port, chromedriver on another,
//! one headless Chromium session per test with a fresh profile, and a screenshot when a flow fails.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use gatehouse_service::{AppState, Config, cli};

/// What a flow returns: any error becomes a failed test (with a screenshot).
pub(crate) type Outcome = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// How long one page may take to show what a step waits for.
const STEP: Duration = Duration::from_secs(20);
/// How long a whole flow may take.
const FLOW: Duration = Duration::from_secs(120);

/// Two browsers at a time: the machine has two cores, and each Chromium starts several processes.
static SLOTS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);
static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique(what: &str) -> PathBuf {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    std::env::temp_dir().join(format!("gatehouse-e2e-{}-{what}-{n}", std::process::id()))
}

fn interop() -> bool {
    std::env::var("GATEHOUSE_INTEROP").is_ok_and(|v| v == "1")
}

/// Chromium and chromedriver: Debian's paths, or `GATEHOUSE_CHROMIUM` / `GATEHOUSE_CHROMEDRIVER`.
fn tools() -> Result<(PathBuf, PathBuf), String> {
    let pick = |var: &str, default: &str| {
        std::env::var_os(var).map_or_else(|| PathBuf::from(default), PathBuf::from)
    };
    let chromium = pick("GATEHOUSE_CHROMIUM", "/usr/bin/chromium");
    let driver = pick("GATEHOUSE_CHROMEDRIVER", "/usr/bin/chromedriver");
    for p in [&chromium, &driver] {
        if !p.is_file() {
            return Err(format!(
                "{} is missing: install Debian's `chromium` and `chromium-driver` \
                 (apt-get install -y chromium chromium-driver)",
                p.display()
            ));
        }
    }
    Ok((chromium, driver))
}

/// Where failure screenshots go: `<target>/e2e-screenshots/`.
fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"),
        PathBuf::from,
    );
    let dir = target.join("e2e-screenshots");
    let _ = std::fs::create_dir_all(&dir);
    dir.canonicalize().unwrap_or(dir)
}

/// Saves the page as `<target>/e2e-screenshots/<file>.png`; says where, or why not.
async fn save_screenshot(client: &Client, file: &str) -> String {
    match client.screenshot().await {
        Ok(png) => {
            let path = screenshot_dir().join(format!("{file}.png"));
            match std::fs::write(&path, png) {
                Ok(()) => format!("screenshot {}", path.display()),
                Err(e) => format!("screenshot not saved: {e}"),
            }
        }
        Err(e) => format!("no screenshot: {e}"),
    }
}

/// The service with the demo seeded (demo IdP mounted), served on a free loopback port like the service's own
/// integration tests do; the database and key are removed on drop.
struct Service {
    base: String,
    state: AppState,
    prefix: PathBuf,
}

impl Drop for Service {
    fn drop(&mut self) {
        for suffix in ["db", "db-wal", "db-shm", "key"] {
            let _ = std::fs::remove_file(format!("{}.{suffix}", self.prefix.display()));
        }
    }
}

async fn start_service() -> Service {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let prefix = unique("db");
    let db = format!("{}.db", prefix.display());
    let key = format!("{}.key", prefix.display());
    let mut state = AppState::open(Config::new(&base), &db, &key, true)
        .await
        .unwrap();
    let (idp, _banner) = cli::seed_demo(&state).await.unwrap();
    state.demo = Some(idp);
    let app = gatehouse_service::router(state.clone());
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Service {
        base,
        state,
        prefix,
    }
}

/// A chromedriver process on a free port, and the Chromium profile directory; both go away on drop.
struct Driver {
    child: Child,
    url: String,
    profile: PathBuf,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Driver {
    async fn start(chromedriver: &Path) -> Self {
        let port = free_port();
        let child = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", chromedriver.display()));
        let profile = unique("profile");
        std::fs::create_dir_all(&profile).unwrap();
        let driver = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
            profile,
        };
        // Ready when /status says so.
        let http = reqwest::Client::new();
        let deadline = Instant::now() + STEP;
        loop {
            let ready = http
                .get(format!("{}/status", driver.url))
                .send()
                .await
                .ok()
                .filter(|r| r.status().is_success());
            if let Some(r) = ready {
                let status: serde_json::Value = r.json().await.unwrap_or_default();
                if status["value"]["ready"] == serde_json::json!(true) {
                    return driver;
                }
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver did not become ready on {}",
                driver.url
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A headless Chromium session. Without the background-networking flags Chromium's own connections are
    /// refused by a closed network and slow everything down; no download of any browser ever happens.
    async fn session(&self, chromium: &Path) -> Client {
        let args = [
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--window-size=1024,900".to_owned(),
            format!("--user-data-dir={}", self.profile.display()),
        ];
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), "chrome".into());
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({ "binary": chromium.display().to_string(), "args": args }),
        );
        ClientBuilder::rustls()
            .unwrap()
            .capabilities(caps)
            .connect(&self.url)
            .await
            .unwrap_or_else(|e| panic!("no browser session from chromedriver: {e}"))
    }
}

/// What a flow gets: the browser, the service's base URL and state.
#[derive(Clone)]
pub(crate) struct Ctx {
    name: String,
    pub(crate) client: Client,
    pub(crate) base: String,
    pub(crate) state: AppState,
}

/// Runs `flow` in a real browser against a fresh demo service. Skips (with a message) unless
/// `GATEHOUSE_INTEROP=1`; under it, a missing Chromium or chromedriver fails. On failure (an error or a panic in
/// the flow, or the time limit) the page is saved as `target/e2e-screenshots/<name>.png`.
pub(crate) async fn e2e<F, Fut>(name: &str, flow: F)
where
    F: FnOnce(Ctx) -> Fut,
    Fut: Future<Output = Outcome> + Send + 'static,
{
    if !interop() {
        eprintln!(
            "skipping browser test {name}: set GATEHOUSE_INTEROP=1 (needs Debian's chromium and chromium-driver)"
        );
        return;
    }
    let (chromium, chromedriver) = tools().unwrap_or_else(|e| panic!("{name}: {e}"));
    let _slot = SLOTS.acquire().await.unwrap();
    let service = start_service().await;
    let driver = Driver::start(&chromedriver).await;
    let client = driver.session(&chromium).await;
    let ctx = Ctx {
        name: name.to_owned(),
        client: client.clone(),
        base: service.base.clone(),
        state: service.state.clone(),
    };
    let started = Instant::now();
    let failure = match tokio::time::timeout(FLOW, tokio::spawn(flow(ctx))).await {
        Ok(Ok(Ok(()))) => None,
        Ok(Ok(Err(e))) => Some(e.to_string()),
        Ok(Err(join)) => {
            let panic = join.into_panic();
            Some(
                panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_else(|| "the flow panicked".to_owned()),
            )
        }
        Err(_) => Some(format!("the flow took longer than {FLOW:?}")),
    };
    let report = match &failure {
        None => {
            // A screenshot left by an earlier failed run would mislead.
            let _ = std::fs::remove_file(screenshot_dir().join(format!("{name}.png")));
            String::new()
        }
        Some(_) => {
            let url = client
                .current_url()
                .await
                .map_or_else(|e| format!("(no URL: {e})"), |u| u.to_string());
            let shot = save_screenshot(&client, name).await;
            format!("at {url}; {shot}")
        }
    };
    let _ = client.close().await;
    drop(driver);
    drop(service);
    if let Some(msg) = failure {
        panic!("browser test {name} failed: {msg}\n({report})");
    }
    eprintln!("browser test {name}: passed in {:?}", started.elapsed());
}

/// A failed step, as an error with a message.
pub(crate) fn fail(msg: impl Into<String>) -> Box<dyn std::error::Error + Send + Sync> {
    msg.into().into()
}

/// XPath string literal for `s` (no quotes of both kinds in our needles).
fn xpath_lit(s: &str) -> String {
    if s.contains('\'') {
        format!("\"{s}\"")
    } else {
        format!("'{s}'")
    }
}

impl Ctx {
    /// With `GATEHOUSE_E2E_SCREENSHOTS=all`, saves the page as `<test>-<label>.png` (for looking at the pages;
    /// failures are saved regardless).
    pub(crate) async fn shot(&self, label: &str) {
        if std::env::var("GATEHOUSE_E2E_SCREENSHOTS").is_ok_and(|v| v == "all") {
            save_screenshot(&self.client, &format!("{}-{label}", self.name)).await;
        }
    }

    /// Opens `path` on the service (or an absolute URL).
    pub(crate) async fn go(&self, path: &str) -> Outcome {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        };
        self.client.goto(&url).await?;
        Ok(())
    }

    /// The visible text of the page.
    pub(crate) async fn text(&self) -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
        Ok(self.client.find(Locator::Css("body")).await?.text().await?)
    }

    /// The path (and query) of the current page.
    pub(crate) async fn path(&self) -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
        let url = self.client.current_url().await?;
        Ok(match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        })
    }

    /// Waits until the page's visible text contains `needle`; returns that text.
    pub(crate) async fn wait_text(
        &self,
        needle: &str,
    ) -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
        let deadline = Instant::now() + STEP;
        loop {
            // Mid-navigation the body may be gone: try again.
            let text = self.text().await.unwrap_or_default();
            if text.contains(needle) {
                return Ok(text);
            }
            if Instant::now() > deadline {
                let path = self.path().await.unwrap_or_default();
                return Err(fail(format!(
                    "waited {STEP:?} for {needle:?} on {path}; the page says:\n{text}"
                )));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Clicks the first button whose text contains `label` and waits for the next page.
    pub(crate) async fn click_button(&self, label: &str) -> Outcome {
        let xpath = format!(
            "//button[contains(normalize-space(.), {})]",
            xpath_lit(label)
        );
        self.follow(Locator::XPath(&xpath), label).await
    }

    /// Clicks the first link whose text contains `label` and waits for the next page.
    pub(crate) async fn click_link(&self, label: &str) -> Outcome {
        let xpath = format!("//a[contains(normalize-space(.), {})]", xpath_lit(label));
        self.follow(Locator::XPath(&xpath), label).await
    }

    /// Clicks the button or link found by `css` and waits for the next page.
    pub(crate) async fn submit_css(&self, css: &str) -> Outcome {
        self.follow(Locator::Css(css), css).await
    }

    /// Clicks the button or link found by `xpath` and waits for the next page.
    pub(crate) async fn click_xpath(&self, xpath: &str) -> Outcome {
        self.follow(Locator::XPath(xpath), xpath).await
    }

    /// Clicks the element found by `css` (a checkbox: no navigation).
    pub(crate) async fn click_css(&self, css: &str) -> Outcome {
        self.click(Locator::Css(css), css).await
    }

    async fn click(&self, locator: Locator<'_>, what: &str) -> Outcome {
        let el = self
            .client
            .wait()
            .at_most(STEP)
            .for_element(locator)
            .await
            .map_err(|e| fail(format!("no {what:?} to click: {e}")))?;
        el.click().await?;
        Ok(())
    }

    /// Clicks, then waits until a new document has replaced the current one and finished loading, so that what
    /// the next step reads is never the page it came from.
    async fn follow(&self, locator: Locator<'_>, what: &str) -> Outcome {
        self.client
            .execute("window.__gatehouseE2eOld = true;", vec![])
            .await?;
        self.click(locator, what).await?;
        let deadline = Instant::now() + STEP;
        loop {
            // Errors mid-navigation (no document yet) mean "not yet".
            let loaded = self
                .client
                .execute(
                    "return window.__gatehouseE2eOld === undefined && document.readyState === 'complete';",
                    vec![],
                )
                .await
                .ok();
            if loaded == Some(serde_json::Value::Bool(true)) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(fail(format!(
                    "clicking {what:?} led to no new page within {STEP:?}"
                )));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Types `value` into the (cleared) field found by `css`.
    pub(crate) async fn fill(&self, css: &str, value: &str) -> Outcome {
        let el = self
            .client
            .wait()
            .at_most(STEP)
            .for_element(Locator::Css(css))
            .await
            .map_err(|e| fail(format!("no field {css:?}: {e}")))?;
        el.clear().await?;
        el.send_keys(value).await?;
        Ok(())
    }

    /// The value of the session cookie, if the browser holds one.
    pub(crate) async fn session_cookie(
        &self,
    ) -> Result<
        Option<fantoccini::cookies::Cookie<'static>>,
        Box<dyn std::error::Error + Send + Sync>,
    > {
        Ok(self
            .client
            .get_all_cookies()
            .await?
            .into_iter()
            .find(|c| c.name() == "gh_session"))
    }

    /// SP-initiated sign-in from `/login`: types `email`, picks `connection` when the workspace offers several,
    /// and signs in at the demo IdP as the user with that email. Returns the landing page's text.
    pub(crate) async fn sign_in(
        &self,
        email: &str,
        connection: &str,
    ) -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
        self.go("/login").await?;
        self.fill("input[name=email]", email).await?;
        self.click_button("Continue").await?;
        self.wait_text("several sign-in options").await?;
        self.click_button(&format!("Continue with {connection} "))
            .await?;
        self.wait_text("Sign in as").await?;
        self.click_button(&format!("({email})")).await?;
        self.wait_text("Signed in as").await
    }
}
