//! Scheduled IdP metadata refetch (`gatehouse_service::metadata_refresh`) against metadata served from a local
//! listener whose document the test changes: a certificate published ahead of a rotation is added, the old one is
//! removed only while another pinned one is still published, a new entity ID or a document sharing no pinned
//! certificate is reported and not applied, and a failed fetch is recorded without touching the configuration.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use gatehouse_service::metadata_refresh::{
    self, REFRESH_INTERVAL_SECS, RETRY_SECS, metadata_status, record_source, refresh_due,
    refresh_now,
};
use gatehouse_service::{AppState, model};

use crate::harness::{TempFiles, count, demo_state, last_audit};

/// What the fake IdP serves at /metadata: status and body.
type Served = Arc<Mutex<(StatusCode, String)>>;

struct Idp {
    url: String,
    served: Served,
}

impl Idp {
    async fn start() -> Self {
        let served: Served = Arc::new(Mutex::new((StatusCode::OK, String::new())));
        let s = served.clone();
        let app = axum::Router::new().route(
            "/metadata",
            axum::routing::get(move || {
                let s = s.clone();
                async move { s.lock().unwrap().clone() }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/metadata", listener.local_addr().unwrap());
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self { url, served }
    }

    fn serve(&self, status: StatusCode, body: &str) {
        *self.served.lock().unwrap() = (status, body.to_owned());
    }
}

const ENTITY: &str = "http://idp.example/exk123";
const SSO: &str = "https://idp.example/app/sso/saml";

/// IdP metadata in the shape Okta publishes, with one signing KeyDescriptor per certificate.
fn metadata(entity_id: &str, sso: &str, certs: &[&str]) -> String {
    let keys: String = certs
        .iter()
        .map(|pem| {
            let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
            format!(
                "<md:KeyDescriptor use=\"signing\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{b64}\
                 </ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
            )
        })
        .collect();
    format!(
        "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" \
         entityID=\"{entity_id}\"><md:IDPSSODescriptor WantAuthnRequestsSigned=\"false\" \
         protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">{keys}\
         <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>\
         <md:SingleSignOnService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect\" Location=\"{sso}\"/>\
         </md:IDPSSODescriptor></md:EntityDescriptor>"
    )
}

/// SHA-256 fingerprint of a PEM certificate, as the settings page and the library print it.
fn fp(pem: &str) -> String {
    gatehouse_xml::PinnedKeys::from_pem(pem).unwrap().keys()[0].fingerprint_hex()
}

struct Setup {
    state: AppState,
    idp: Idp,
    conn: model::Connection,
    certs: Vec<String>,
    /// The scheduler's "now", advanced one refresh interval and an hour per [`Setup::tick`].
    now: DateTime<Utc>,
    _files: TempFiles,
}

impl Setup {
    /// A SAML connection created from the fake IdP's metadata URL with certificate 0 pinned.
    async fn new() -> Self {
        let (state, _token, files) = demo_state("http://127.0.0.1:9").await;
        let idp = Idp::start().await;
        let certs: Vec<String> = (0..3)
            .map(|i| {
                gatehouse_service::crypto::generate_rsa_cert(&format!("IdP key {i}"))
                    .unwrap()
                    .cert_pem
            })
            .collect();
        idp.serve(StatusCode::OK, &metadata(ENTITY, SSO, &[&certs[0]]));
        let xml = gatehouse_service::settings::fetch_metadata(&state, &idp.url)
            .await
            .unwrap();
        let settings =
            gatehouse_service::settings::saml_settings_from_metadata(&xml, state.now(), false)
                .unwrap();
        let ws = model::workspace_by_name(&state, "demo")
            .await
            .unwrap()
            .unwrap();
        let conn = model::add_saml_connection(&state, &ws, "okta-rotating", &settings)
            .await
            .unwrap();
        record_source(&state, &conn.id, &idp.url).await.unwrap();
        Self {
            now: state.now(),
            state,
            idp,
            conn,
            certs,
            _files: files,
        }
    }

    /// Runs the scheduler once, one day (and an hour) later; returns how many sources it fetched.
    async fn tick(&mut self) -> usize {
        self.now += Duration::seconds(REFRESH_INTERVAL_SECS + 3600);
        refresh_due(&self.state, self.now).await.unwrap()
    }

    async fn stored(&self) -> model::SamlSettings {
        model::connection_by_name(&self.state, &self.conn.name)
            .await
            .unwrap()
            .unwrap()
            .saml_settings()
            .unwrap()
    }

    async fn pinned(&self) -> BTreeSet<String> {
        self.stored()
            .await
            .idp
            .certificates
            .keys()
            .iter()
            .map(|k| k.fingerprint_hex())
            .collect()
    }

    fn fps(&self, which: &[usize]) -> BTreeSet<String> {
        which.iter().map(|&i| fp(&self.certs[i])).collect()
    }

    async fn status(&self) -> metadata_refresh::MetadataStatus {
        metadata_status(&self.state, &self.conn.id)
            .await
            .unwrap()
            .unwrap()
    }
}

#[tokio::test]
async fn a_rotation_published_ahead_is_followed_without_an_admin() {
    let mut s = Setup::new().await;
    let first = s.status().await;
    assert_eq!(first.url, s.idp.url);
    assert_eq!(
        first.next_fetch_at,
        first.fetched_at.unwrap() + REFRESH_INTERVAL_SECS
    );
    // Not due before the interval.
    assert_eq!(refresh_due(&s.state, s.now).await.unwrap(), 0);
    // Unchanged metadata: fetched, nothing recorded.
    assert_eq!(s.tick().await, 1);
    assert_eq!(s.status().await.last_change, None);
    assert_eq!(s.status().await.fetched_at, Some(s.now.timestamp()));
    assert_eq!(
        s.status().await.next_fetch_at,
        s.now.timestamp() + REFRESH_INTERVAL_SECS
    );

    // The IdP publishes its next certificate ahead of the switch: added, the current one kept.
    s.idp.serve(
        StatusCode::OK,
        &metadata(ENTITY, SSO, &[&s.certs[0], &s.certs[1]]),
    );
    assert_eq!(s.tick().await, 1);
    assert_eq!(s.pinned().await, s.fps(&[0, 1]));
    let st = s.status().await;
    assert!(
        st.last_change
            .as_deref()
            .unwrap()
            .starts_with(&format!("added certificate {}", fp(&s.certs[1]))),
        "{st:?}"
    );
    assert_eq!(st.last_change_at, Some(s.now.timestamp()));
    let (outcome, reason) = last_audit(&s.state).await;
    assert_eq!(outcome, "metadata-updated");
    assert!(reason.contains(&fp(&s.certs[1])), "{reason}");

    // After the switch the old certificate is gone from the metadata; the new one is pinned and published: removed.
    s.idp
        .serve(StatusCode::OK, &metadata(ENTITY, SSO, &[&s.certs[1]]));
    assert_eq!(s.tick().await, 1);
    assert_eq!(s.pinned().await, s.fps(&[1]));
    assert!(
        s.status()
            .await
            .last_change
            .as_deref()
            .unwrap()
            .starts_with(&format!("removed certificate {}", fp(&s.certs[0]))),
        "{:?}",
        s.status().await
    );

    // A moved SSO URL is applied.
    s.idp.serve(
        StatusCode::OK,
        &metadata(ENTITY, "https://idp.example/sso/v2", &[&s.certs[1]]),
    );
    s.tick().await;
    assert_eq!(s.stored().await.idp.sso_url, "https://idp.example/sso/v2");
    assert!(s.status().await.last_change.unwrap().contains(
        "SSO URL changed from https://idp.example/app/sso/saml to https://idp.example/sso/v2"
    ));
}

#[tokio::test]
async fn changes_that_are_not_safe_are_reported_and_not_applied() {
    // (published entity ID, published certificates by index, what last_change must say)
    let cases: &[(&str, &[usize], &str)] = &[
        (
            "http://idp.example/another-app",
            &[0, 1],
            "the metadata's entity ID is \"http://idp.example/another-app\" but the connection expects \"http://idp.example/exk123\"",
        ),
        (ENTITY, &[2], "none of the pinned ones"),
    ];
    for (entity, published, want) in cases {
        let mut s = Setup::new().await;
        let before = s.stored().await;
        let certs: Vec<&str> = published.iter().map(|&i| s.certs[i].as_str()).collect();
        s.idp.serve(
            StatusCode::OK,
            &metadata(entity, "https://elsewhere.example/sso", &certs),
        );
        assert_eq!(s.tick().await, 1);
        let after = s.stored().await;
        assert_eq!(after.idp.entity_id, ENTITY, "{entity}");
        assert_eq!(after.idp.sso_url, before.idp.sso_url, "{entity}");
        assert_eq!(
            s.pinned().await,
            s.fps(&[0]),
            "{entity}: nothing added or removed"
        );
        let st = s.status().await;
        let change = st.last_change.unwrap();
        assert!(change.starts_with("not applied: "), "{change}");
        assert!(change.contains(want), "{change}");
        assert_eq!(st.last_error, None);
        assert_eq!(last_audit(&s.state).await.0, "metadata-change-held");
        // The same difference on the next day is not audited again.
        let held = count(
            &s.state,
            "SELECT COUNT(*) AS n FROM audit_log WHERE outcome = $1",
            "metadata-change-held",
        )
        .await;
        s.tick().await;
        assert_eq!(
            count(
                &s.state,
                "SELECT COUNT(*) AS n FROM audit_log WHERE outcome = $1",
                "metadata-change-held"
            )
            .await,
            held
        );
        assert_eq!(
            s.pinned().await,
            s.fps(&[0]),
            "{entity}: still nothing applied the next day"
        );
    }
}

#[tokio::test]
async fn a_failed_fetch_is_recorded_and_the_configuration_is_kept() {
    let mut s = Setup::new().await;
    let config = model::connection_by_name(&s.state, &s.conn.name)
        .await
        .unwrap()
        .unwrap()
        .config;
    // (status, body, what last_error must say)
    let cases = [
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            "oops".to_owned(),
            "HTTP 500",
        ),
        (
            StatusCode::OK,
            "<html>maintenance</html>".to_owned(),
            "IdP metadata",
        ),
        (StatusCode::OK, metadata(ENTITY, SSO, &[]), "IdP metadata"),
    ];
    for (status, body, want) in &cases {
        s.idp.serve(*status, body);
        assert_eq!(s.tick().await, 1);
        let st = s.status().await;
        let error = st.last_error.clone().unwrap_or_default();
        assert!(error.contains(want), "{status} {body}: {error}");
        assert_eq!(
            st.next_fetch_at,
            s.now.timestamp() + RETRY_SECS,
            "retried within the hour"
        );
        assert_ne!(
            st.fetched_at,
            Some(s.now.timestamp()),
            "fetched_at is the last success"
        );
        assert_eq!(
            model::connection_by_name(&s.state, &s.conn.name)
                .await
                .unwrap()
                .unwrap()
                .config,
            config,
            "{want}: configuration untouched"
        );
    }
    assert_eq!(last_audit(&s.state).await.0, "metadata-refresh-failed");
    // A fetch that works again clears the error; refresh_now does it without waiting.
    s.idp.serve(
        StatusCode::OK,
        &metadata(ENTITY, SSO, &[&s.certs[0], &s.certs[2]]),
    );
    let st = refresh_now(&s.state, &s.conn.id).await.unwrap().unwrap();
    assert_eq!(st.last_error, None);
    assert_eq!(s.pinned().await, s.fps(&[0, 2]));
    // A connection that was not created from a URL has no status and nothing to refresh.
    let demo = model::connection_by_name(&s.state, "demo-saml")
        .await
        .unwrap()
        .unwrap();
    assert!(metadata_status(&s.state, &demo.id).await.unwrap().is_none());
    assert!(refresh_now(&s.state, &demo.id).await.unwrap().is_none());
}

#[tokio::test]
async fn the_admin_cli_records_a_metadata_url_for_refetching() {
    use clap::Parser as _;
    use gatehouse_service::cli::{Cli, run};

    let idp = Idp::start().await;
    let cert = gatehouse_service::crypto::generate_rsa_cert("IdP cli")
        .unwrap()
        .cert_pem;
    let xml = metadata(ENTITY, SSO, &[&cert]);
    idp.serve(StatusCode::OK, &xml);
    let prefix = crate::harness::temp_prefix();
    let _files = TempFiles(prefix.clone());
    let db = format!("{}.db", prefix.display());
    let key = format!("{}.key", prefix.display());
    let file = format!("{}.xml", prefix.display());
    std::fs::write(&key, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").unwrap();
    std::fs::write(&file, &xml).unwrap();
    let base = [
        "login_service",
        "--database",
        &db,
        "--master-key-file",
        &key,
    ];
    let with = |extra: &[&str]| Cli::parse_from(base.iter().chain(extra.iter()).copied());
    run(with(&["workspace", "create", "--name", "acme"]))
        .await
        .unwrap();
    for (name, source) in [("by-url", "--metadata-url"), ("by-file", "--metadata-file")] {
        let from = if name == "by-url" {
            idp.url.as_str()
        } else {
            file.as_str()
        };
        run(with(&[
            "connection",
            "add-saml",
            "--workspace",
            "acme",
            "--name",
            name,
            source,
            from,
        ]))
        .await
        .unwrap();
    }
    let state = AppState::open(
        gatehouse_service::Config::new("http://127.0.0.1:8080"),
        &db,
        &key,
        false,
    )
    .await
    .unwrap();
    let by_url = model::connection_by_name(&state, "by-url")
        .await
        .unwrap()
        .unwrap();
    let st = metadata_status(&state, &by_url.id).await.unwrap().unwrap();
    assert_eq!(st.url, idp.url);
    assert_eq!(
        st.next_fetch_at,
        st.fetched_at.unwrap() + REFRESH_INTERVAL_SECS
    );
    let by_file = model::connection_by_name(&state, "by-file")
        .await
        .unwrap()
        .unwrap();
    assert!(
        metadata_status(&state, &by_file.id)
            .await
            .unwrap()
            .is_none(),
        "a file has nothing to refetch"
    );
}
