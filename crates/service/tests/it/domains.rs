//! Consumer mail domains (gmail.com and the like) can never be a workspace's verified domain: not through the
//! admin CLI, not through the model, and a row for one that got into the database is ignored by discovery and by
//! the JIT rule's domain list.

use clap::Parser as _;
use gatehouse_service::cli::{Cli, run};
use gatehouse_service::consumer_domains::{CONSUMER_MAIL_DOMAINS, is_consumer_mail_domain};
use gatehouse_service::model;

use crate::harness::{Browser, start, temp_prefix};

#[test]
fn consumer_domains_and_their_subdomains_are_recognised() {
    let cases: &[(&str, bool)] = &[
        ("gmail.com", true),
        ("GMail.COM", true),
        ("gmail.com.", true),
        ("googlemail.com", true),
        ("outlook.com", true),
        ("hotmail.com", true),
        ("yahoo.com", true),
        ("icloud.com", true),
        ("proton.me", true),
        ("mail.gmail.com", true),
        ("notgmail.com", false),
        ("gmail.com.acme.example", false),
        ("gmail.co", false),
        ("acme.com", false),
        ("demo.example", false),
        ("", false),
    ];
    for (domain, want) in cases {
        assert_eq!(is_consumer_mail_domain(domain), *want, "{domain:?}");
    }
    for d in CONSUMER_MAIL_DOMAINS {
        assert_eq!(*d, d.to_ascii_lowercase(), "the list is lower case");
        assert!(!d.ends_with('.') && d.contains('.'), "{d}");
    }
}

#[tokio::test]
async fn the_admin_cli_refuses_a_consumer_domain_and_creates_nothing() {
    let prefix = temp_prefix();
    let _files = crate::harness::TempFiles(prefix.clone());
    let db = format!("{}.db", prefix.display());
    let key = format!("{}.key", prefix.display());
    std::fs::write(&key, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").unwrap();
    let base = [
        "login_service",
        "--database",
        &db,
        "--master-key-file",
        &key,
    ];
    let with = |extra: &[&str]| Cli::parse_from(base.iter().chain(extra.iter()).copied());
    for domain in ["gmail.com", "Outlook.com", "proton.me"] {
        let err = run(with(&[
            "workspace",
            "create",
            "--name",
            "acme",
            "--plan",
            "enterprise",
            "--domain",
            "acme.example",
            "--domain",
            domain,
        ]))
        .await
        .unwrap_err()
        .to_string();
        assert!(err.contains("consumer mail domain"), "{domain}: {err}");
        assert!(err.contains(domain), "names the domain: {err}");
    }
    // Nothing was created: the name is still free, and acme.example was not claimed by a half-made workspace.
    run(with(&[
        "workspace",
        "create",
        "--name",
        "acme",
        "--domain",
        "acme.example",
    ]))
    .await
    .unwrap();
}

#[tokio::test]
async fn no_path_makes_a_consumer_domain_verified() {
    let s = start().await;
    let demo = model::workspace_by_name(&s.state, "demo")
        .await
        .unwrap()
        .unwrap();
    let err = model::add_verified_domain(&s.state, &demo, "hotmail.com")
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("consumer mail domain"), "{err}");
    // A row written around the model (an old database, a hand-made insert) is not trusted either.
    sqlx::query("INSERT INTO domains (domain, workspace_id, verified) VALUES ($1, $2, 1)")
        .bind("yahoo.com")
        .bind(&demo.id)
        .execute(&s.state.pool)
        .await
        .unwrap();
    assert!(
        model::workspace_for_email(&s.state, "someone@yahoo.com")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        model::verified_domains(&s.state, &demo.id).await.unwrap(),
        vec!["demo.example".to_owned()]
    );
    // The sign-in page does not route a yahoo.com address to the demo workspace's IdP.
    let mut b = Browser::new(&s.base);
    let login = b.get("/login").await;
    let routed = b
        .submit(&login, None, &[("email", "someone@yahoo.com")])
        .await;
    assert_eq!(routed.status, 404, "{}", routed.body);
    assert!(routed.location().is_none(), "{:?}", routed.location());
    assert!(
        routed
            .body
            .contains("No workspace has set up single sign-on"),
        "{}",
        routed.body
    );
    // While the workspace's own domain still is routed.
    assert!(
        model::workspace_for_email(&s.state, "ada@demo.example")
            .await
            .unwrap()
            .is_some()
    );
}
