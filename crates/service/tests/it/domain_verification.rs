//! Domain verification by DNS TXT record (`/settings/domains`, `gatehouse_service::domains`) against an in-memory
//! resolver: the record named in the module documentation verifies, anything else is refused with the record to
//! publish; consumer domains and domains of another workspace cannot be claimed; discovery and the JIT policy's
//! verified-domain list change only when a domain is verified, never for a pending claim.

use std::sync::Arc;

use gatehouse_service::domains::{self, MemoryResolver};
use gatehouse_service::{AppState, login, model};

use crate::harness::{Browser, Page, TempFiles, demo_state, last_audit, saml_login};

struct Dns {
    base: String,
    state: AppState,
    dns: Arc<MemoryResolver>,
    _files: TempFiles,
}

/// The demo service with an in-memory resolver.
async fn start() -> Dns {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (mut state, _token, files) = demo_state(&base).await;
    let dns = Arc::new(MemoryResolver::new());
    state.dns = dns.clone();
    let app = gatehouse_service::router(state.clone());
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Dns {
        base,
        state,
        dns,
        _files: files,
    }
}

async fn ws(state: &AppState, name: &str) -> model::Workspace {
    model::workspace_by_name(state, name)
        .await
        .unwrap()
        .unwrap()
}

/// The domains the login's JIT policy trusts for the demo SAML connection.
async fn jit_domains(state: &AppState) -> Vec<String> {
    let ctx = model::login_context(state, "demo-saml")
        .await
        .unwrap()
        .unwrap();
    login::policy_for(&ctx.domains, &ctx.connection)
        .verified_domains
        .iter()
        .map(|d| d.as_str().to_owned())
        .collect()
}

/// Posts the sign-in form for `email` (connection picked when the workspace has several): 303 to an IdP when
/// discovery routes the address, 404 when no workspace verified its domain.
async fn discover(b: &mut Browser, email: &str) -> Page {
    crate::harness::start_login(b, email, "demo-saml").await
}

fn form_for(page: &Page, action: &str, domain: &str) -> (String, Vec<(String, String)>) {
    crate::harness::forms(&page.body)
        .into_iter()
        .find(|(a, f)| a == action && f.iter().any(|(k, v)| k == "domain" && v == domain))
        .unwrap_or_else(|| panic!("no {action} form for {domain} in {}", page.body))
}

#[tokio::test]
async fn an_admin_proves_a_domain_with_the_txt_record_and_only_then_it_routes() {
    let s = start().await;
    let mut admin = Browser::new(&s.base);
    saml_login(&mut admin, "ada@demo.example", "0").await;
    let mut visitor = Browser::new(&s.base);
    let domain = "demo-corp.example";
    let name = "_gatehouse-challenge.demo-corp.example";

    // Before: not routed.
    assert_eq!(
        discover(&mut visitor, "someone@demo-corp.example")
            .await
            .status,
        404
    );

    let page = admin.get("/settings/domains").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("demo.example"),
        "lists the seeded domain"
    );
    let added = admin
        .submit(
            &page,
            Some(("domain", "")),
            &[("domain", " Demo-Corp.Example ")],
        )
        .await;
    assert_eq!(added.status, 200, "{}", added.body);
    let demo = ws(&s.state, "demo").await;
    let pending = domains::challenges(&s.state, &demo.id).await.unwrap();
    assert_eq!(pending.len(), 1);
    let token = pending[0].token.clone();
    assert_eq!(pending[0].domain, domain);
    assert!(token.len() >= 32, "a random token: {token}");
    let value = format!("gatehouse-domain-verification={token}");
    // The page shows exactly what to publish, in click-to-select blocks.
    assert!(
        added
            .body
            .contains(&format!("<code class=\"copy\">{name}</code>")),
        "{}",
        added.body
    );
    assert!(
        added
            .body
            .contains(&format!("<code class=\"copy\">{value}</code>")),
        "{}",
        added.body
    );
    // Adding it again keeps the token (the admin may already have published it).
    let again = admin
        .submit(&added, Some(("domain", "")), &[("domain", domain)])
        .await;
    assert_eq!(again.status, 200);
    assert_eq!(
        domains::challenges(&s.state, &demo.id).await.unwrap()[0].token,
        token
    );

    // (published records, expected status, expected text)
    let failing: &[(Option<&[&str]>, &str)] = &[
        (
            None,
            "no TXT record found at _gatehouse-challenge.demo-corp.example; publish",
        ),
        (
            Some(&["v=spf1 -all", "gatehouse-domain-verification=stale"]),
            "found TXT records [&quot;v=spf1 -all&quot;, &quot;gatehouse-domain-verification=stale&quot;] at _gatehouse-challenge.demo-corp.example but none matches",
        ),
        (Some(&[token.as_str()]), "but none matches"),
    ];
    for (records, want) in failing {
        match records {
            Some(r) => s.dns.set(name, r),
            None => s.dns.set(name, &[]),
        }
        let before = admin.get("/settings/domains").await;
        let (action, fields) = form_for(&before, "/settings/domains/verify", domain);
        let r = admin.post(&action, &fields).await;
        assert_eq!(r.status, 400, "{records:?}: {}", r.body);
        assert!(r.body.contains(want), "{records:?}: {}", r.body);
        assert!(
            r.body.contains(&value),
            "names the value to publish: {}",
            r.body
        );
        // Still pending, and a pending claim counts nowhere.
        assert!(
            !model::verified_domains(&s.state, &demo.id)
                .await
                .unwrap()
                .contains(&domain.to_owned())
        );
        assert!(!jit_domains(&s.state).await.contains(&domain.to_owned()));
        assert!(
            model::workspace_for_email(&s.state, "x@demo-corp.example")
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(
            discover(&mut visitor, "someone@demo-corp.example")
                .await
                .status,
            404
        );
    }
    let checked = &domains::challenges(&s.state, &demo.id).await.unwrap()[0];
    assert!(checked.last_checked_at.is_some());
    assert!(
        checked
            .last_result
            .as_deref()
            .unwrap()
            .contains("none matches")
    );

    // A failed lookup says so and changes nothing.
    s.dns.fail(name, "SERVFAIL");
    let before = admin.get("/settings/domains").await;
    let (action, fields) = form_for(&before, "/settings/domains/verify", domain);
    let r = admin.post(&action, &fields).await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("SERVFAIL"), "{}", r.body);

    // The right record (quoted, as some DNS panels store it, next to an SPF record) verifies.
    let quoted = format!("\"{value}\"");
    s.dns.set(name, &["v=spf1 -all", &quoted]);
    let (action, fields) = form_for(&before, "/settings/domains/verify", domain);
    let ok = admin.post(&action, &fields).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert!(
        ok.body.contains("demo-corp.example is verified"),
        "{}",
        ok.body
    );
    assert!(
        domains::challenges(&s.state, &demo.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        model::verified_domains(&s.state, &demo.id).await.unwrap(),
        vec!["demo-corp.example".to_owned(), "demo.example".to_owned()]
    );
    assert!(jit_domains(&s.state).await.contains(&domain.to_owned()));
    let (outcome, reason) = last_audit(&s.state).await;
    assert_eq!(outcome, "domain-verified");
    assert!(reason.contains(name), "{reason}");
    let routed = discover(&mut visitor, "someone@demo-corp.example").await;
    assert_eq!(routed.status, 303, "{}", routed.body);
    assert!(
        routed.location().unwrap().contains("/_demo-idp/saml/sso"),
        "{:?}",
        routed.location()
    );

    // Removing it from the page stops the routing and the JIT trust.
    let listed = admin.get("/settings/domains").await;
    let (action, fields) = form_for(&listed, "/settings/domains/remove", domain);
    let removed = admin.post(&action, &fields).await;
    assert_eq!(removed.status, 200, "{}", removed.body);
    assert_eq!(last_audit(&s.state).await.0, "domain-removed");
    assert!(!jit_domains(&s.state).await.contains(&domain.to_owned()));
    assert_eq!(
        discover(&mut visitor, "someone@demo-corp.example")
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn claims_that_cannot_be_made_are_refused_with_what_to_do() {
    let s = start().await;
    let demo = ws(&s.state, "demo").await;
    // (typed domain, what the error must say)
    let cases = [
        ("gmail.com", "consumer mail domain"),
        ("eu.outlook.com", "consumer mail domain"),
        ("starter.example", "already verified by another workspace"),
        ("starter.example", "contact support"),
        ("demo.example", "already verified for this workspace"),
        ("ada@acme.example", "enter the part after the @"),
        ("acme", "at least two labels"),
    ];
    for (domain, want) in cases {
        let e = domains::create_challenge(&s.state, &demo, domain)
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains(want), "{domain}: {e}");
    }
    assert!(
        domains::challenges(&s.state, &demo.id)
            .await
            .unwrap()
            .is_empty(),
        "nothing was created"
    );

    // The page shows the refusal on the page itself.
    let mut admin = Browser::new(&s.base);
    saml_login(&mut admin, "ada@demo.example", "0").await;
    let page = admin.get("/settings/domains").await;
    let r = admin
        .submit(&page, Some(("domain", "")), &[("domain", "gmail.com")])
        .await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("consumer mail domain"), "{}", r.body);
    // Without the CSRF token nothing happens.
    let forged = admin
        .post(
            "/settings/domains",
            &[("domain".into(), "forged.example".into())],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert!(
        domains::challenges(&s.state, &demo.id)
            .await
            .unwrap()
            .is_empty()
    );
    // Signed out: to the sign-in page.
    let mut anonymous = Browser::new(&s.base);
    assert_eq!(anonymous.get("/settings/domains").await.status, 303);
}

#[tokio::test]
async fn two_workspaces_claim_one_domain_and_only_the_first_proven_wins() {
    let s = start().await;
    let demo = ws(&s.state, "demo").await;
    let other = model::create_workspace(&s.state, "other", "enterprise")
        .await
        .unwrap();
    let a = domains::create_challenge(&s.state, &demo, "shared.example")
        .await
        .unwrap();
    let b = domains::create_challenge(&s.state, &other, "shared.example")
        .await
        .unwrap();
    assert_ne!(a.token, b.token, "each claim has its own token");
    let name = domains::record_name("shared.example");
    // Workspace B's record does not prove workspace A's claim.
    s.dns.set(&name, &[&b.record_value()]);
    let e = domains::verify(&s.state, &demo, "shared.example")
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("none matches"), "{e}");
    domains::verify(&s.state, &other, "shared.example")
        .await
        .unwrap();
    // Now A cannot verify even with its own record published, nor claim again.
    s.dns.set(&name, &[&a.record_value(), &b.record_value()]);
    let e = domains::verify(&s.state, &demo, "shared.example")
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("already verified by another workspace"), "{e}");
    let e = domains::create_challenge(&s.state, &demo, "shared.example")
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("contact support"), "{e}");
    assert_eq!(
        model::workspace_for_email(&s.state, "x@shared.example")
            .await
            .unwrap()
            .unwrap()
            .id,
        other.id
    );
    assert!(
        !model::verified_domains(&s.state, &demo.id)
            .await
            .unwrap()
            .contains(&"shared.example".to_owned())
    );
    // A workspace cannot remove another's domain.
    assert!(
        !model::remove_verified_domain(&s.state, &demo, "shared.example")
            .await
            .unwrap()
    );
    assert!(
        model::workspace_for_email(&s.state, "x@shared.example")
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn the_operator_path_verifies_directly_and_clears_a_pending_claim() {
    let s = start().await;
    let demo = ws(&s.state, "demo").await;
    domains::create_challenge(&s.state, &demo, "ops.example")
        .await
        .unwrap();
    assert!(
        !jit_domains(&s.state)
            .await
            .contains(&"ops.example".to_owned())
    );
    model::add_verified_domain(&s.state, &demo, "ops.example")
        .await
        .unwrap();
    assert!(
        domains::challenges(&s.state, &demo.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        jit_domains(&s.state)
            .await
            .contains(&"ops.example".to_owned())
    );
}

/// A tiny authoritative DNS responder on a loopback UDP port (RFC 1035 §4.1 message layout) answering TXT
/// queries from a table: name → (RCODE, records, each a list of character-strings).
async fn dns_server(
    table: Vec<(&'static str, u8, Vec<Vec<&'static str>>)>,
) -> std::net::SocketAddr {
    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    tokio::spawn(async move {
        let mut buf = [0u8; 1500];
        loop {
            let (n, peer) = socket.recv_from(&mut buf).await.unwrap();
            let q = &buf[..n];
            // QNAME: length-prefixed labels up to the zero byte, then QTYPE and QCLASS.
            let mut i = 12;
            let mut labels = Vec::new();
            while q[i] != 0 {
                let len = q[i] as usize;
                labels.push(String::from_utf8_lossy(&q[i + 1..i + 1 + len]).to_ascii_lowercase());
                i += 1 + len;
            }
            let question_end = i + 5;
            let qtype = u16::from_be_bytes([q[i + 1], q[i + 2]]);
            let name = labels.join(".");
            let (rcode, records) = table.iter().find(|(n, _, _)| *n == name).map_or(
                (3, Vec::new()),
                |(_, rcode, records)| {
                    (
                        *rcode,
                        if qtype == 16 {
                            records.clone()
                        } else {
                            Vec::new()
                        },
                    )
                },
            );
            let mut r = Vec::new();
            r.extend_from_slice(&q[..2]); // ID
            r.extend_from_slice(&[0x81, 0x80 | rcode]); // QR, RD, RA, RCODE
            r.extend_from_slice(&[0, 1]); // QDCOUNT
            r.extend_from_slice(&u16::try_from(records.len()).unwrap().to_be_bytes()); // ANCOUNT
            r.extend_from_slice(&[0, 0, 0, 0]); // NSCOUNT, ARCOUNT
            r.extend_from_slice(&q[12..question_end]);
            for strings in &records {
                let rdata: Vec<u8> = strings
                    .iter()
                    .flat_map(|s| std::iter::once(u8::try_from(s.len()).unwrap()).chain(s.bytes()))
                    .collect();
                r.extend_from_slice(&[0xC0, 0x0C, 0, 16, 0, 1, 0, 0, 0, 60]); // name → question, TXT, IN, TTL 60
                r.extend_from_slice(&u16::try_from(rdata.len()).unwrap().to_be_bytes());
                r.extend_from_slice(&rdata);
            }
            socket.send_to(&r, peer).await.unwrap();
        }
    });
    addr
}

#[tokio::test]
async fn the_real_resolver_reads_txt_records_from_a_name_server() {
    use gatehouse_service::domains::{DnsResolver as _, SystemResolver};

    let server = dns_server(vec![
        (
            "_gatehouse-challenge.split.example",
            0,
            // One record split into two character-strings (as providers do past 255 bytes), and an SPF record.
            vec![
                vec!["gatehouse-domain-", "verification=abc"],
                vec!["v=spf1 -all"],
            ],
        ),
        ("_gatehouse-challenge.empty.example", 0, vec![]),
        ("_gatehouse-challenge.broken.example", 2, vec![]),
    ])
    .await;
    let resolver = SystemResolver::with_name_servers(&[server]);
    // (name, Ok(records) or Err(text the error must hold))
    let cases: &[(&str, Result<&[&str], &str>)] = &[
        (
            "_gatehouse-challenge.split.example",
            Ok(&["gatehouse-domain-verification=abc", "v=spf1 -all"]),
        ),
        ("_gatehouse-challenge.empty.example", Ok(&[])),
        ("_gatehouse-challenge.missing.example", Ok(&[])),
        (
            "_gatehouse-challenge.broken.example",
            Err("the DNS lookup of the TXT record at _gatehouse-challenge.broken.example failed"),
        ),
    ];
    for (name, want) in cases {
        let got = resolver.txt(name).await;
        match (want, got) {
            (Ok(want), Ok(got)) => assert_eq!(got, want.to_vec(), "{name}"),
            (Err(want), Err(e)) => assert!(e.to_string().contains(want), "{name}: {e}"),
            (want, got) => panic!("{name}: want {want:?}, got {got:?}"),
        }
    }
}

#[tokio::test]
async fn a_domain_is_verified_through_the_real_resolver() {
    let (mut state, _token, _files) = demo_state("http://127.0.0.1:9").await;
    let demo = ws(&state, "demo").await;
    let c = domains::create_challenge(&state, &demo, "real.example")
        .await
        .unwrap();
    // The table needs 'static strings: the test leaks the one record it publishes.
    let value: &'static str = Box::leak(c.record_value().into_boxed_str());
    let server = dns_server(vec![(
        "_gatehouse-challenge.real.example",
        0,
        vec![vec![value]],
    )])
    .await;
    state.dns = Arc::new(domains::SystemResolver::with_name_servers(&[server]));
    domains::verify(&state, &demo, "real.example")
        .await
        .unwrap();
    assert!(
        model::verified_domains(&state, &demo.id)
            .await
            .unwrap()
            .contains(&"real.example".to_owned())
    );
}

/// A challenge lasts seven days: afterwards even the right record proves nothing, adding the domain again gives a new
/// token, and the sweeper deletes what is left.
#[tokio::test]
async fn an_expired_challenge_cannot_be_verified_and_is_swept() {
    let s = start().await;
    let demo = ws(&s.state, "demo").await;
    let old = domains::create_challenge(&s.state, &demo, "expired.example")
        .await
        .unwrap();
    s.dns.set(&old.record_name(), &[&old.record_value()]);
    // Eight days pass (the row's creation time moves back instead).
    let eight_days_ago = s.state.now().timestamp() - 8 * 86_400;
    sqlx::query("UPDATE domain_challenges SET created_at = $1 WHERE domain = 'expired.example'")
        .bind(eight_days_ago)
        .execute(&s.state.pool)
        .await
        .unwrap();
    assert!(
        domains::challenges(&s.state, &demo.id)
            .await
            .unwrap()
            .is_empty()
    );
    let err = domains::verify(&s.state, &demo, "expired.example")
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("pending domain expired.example"), "{err}");
    assert!(
        !model::verified_domains(&s.state, &demo.id)
            .await
            .unwrap()
            .contains(&"expired.example".to_owned())
    );
    // Adding it again gives a new token; the old record no longer matches it.
    let new = domains::create_challenge(&s.state, &demo, "expired.example")
        .await
        .unwrap();
    assert_ne!(new.token, old.token);
    assert!(
        domains::verify(&s.state, &demo, "expired.example")
            .await
            .is_err()
    );
    // The sweeper removes challenges older than the lifetime, not the fresh one.
    let gone = domains::create_challenge(&s.state, &demo, "stale.example")
        .await
        .unwrap();
    sqlx::query("UPDATE domain_challenges SET created_at = $1 WHERE domain = $2")
        .bind(eight_days_ago)
        .bind(&gone.domain)
        .execute(&s.state.pool)
        .await
        .unwrap();
    gatehouse_service::db::sweep(&s.state.pool, s.state.now().timestamp())
        .await
        .unwrap();
    let left: Vec<String> = sqlx::query("SELECT domain FROM domain_challenges")
        .fetch_all(&s.state.pool)
        .await
        .unwrap()
        .iter()
        .map(|r| sqlx::Row::try_get(r, "domain").unwrap())
        .collect();
    assert_eq!(left, vec!["expired.example".to_owned()]);
}
