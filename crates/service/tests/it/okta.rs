//! The SAML connection page shows what to paste into Okta, as the integration guide
//! (`shared/seed/okta-integration.txt`, "For SAML Integration") lists it: Single sign-on URL, Audience URI, the
//! attribute statements and the request-signing certificate link.

use crate::harness::{Browser, saml_login, start, unescape};

/// The guide's attribute statements, copied by hand from the guide (name, value).
const GUIDE_ATTRIBUTES: &[(&str, &str)] = &[
    (
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
        "user.email",
    ),
    (
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
        "user.name",
    ),
    (
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
        "user.given_name",
    ),
    (
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
        "user.family_name",
    ),
    ("email_verified", "true"),
];

/// The contents of the `<code class="copy">` elements in `html`, in order.
pub(crate) fn copy_values(html: &str) -> Vec<String> {
    html.split("<code class=\"copy\">")
        .skip(1)
        .filter_map(|rest| rest.split_once("</code>").map(|(v, _)| unescape(v)))
        .collect()
}

#[tokio::test]
async fn the_saml_connection_lists_the_values_to_paste_into_okta() {
    let s = start().await;
    let mut ada = Browser::new(&s.base);
    saml_login(&mut ada, "ada@demo.example", "0").await;
    let page = ada.get("/settings/sso").await;
    assert_eq!(page.status, 200, "{}", page.body);
    // The demo-saml connection's block: from its Single sign-on URL to its edit form.
    let auth = &s.state.config.auth_url;
    let acs = format!("{auth}/login/callback?connection=demo-saml");
    let audience = format!("urn:auth0:{}:demo-saml", s.state.config.tenant);
    let start_at = page.body.find("Paste into Okta").expect("an Okta section");
    let block = &page.body[start_at..];
    let block = &block[..block.find("/settings/sso/saml/edit").unwrap()];
    let mut want = vec![acs.clone(), audience];
    for (n, v) in GUIDE_ATTRIBUTES {
        want.push((*n).to_owned());
        want.push((*v).to_owned());
    }
    want.push(format!("{auth}/pem?cert=demo-saml"));
    let mut got = copy_values(block);
    // The /pem link text is not a copy block; read it from the link.
    let pem_href = block
        .split("<a href=\"")
        .nth(1)
        .and_then(|h| h.split('"').next())
        .map(unescape)
        .unwrap();
    got.push(format!("{auth}{pem_href}"));
    assert_eq!(got, want);
    assert!(block.contains("Single sign-on URL") && block.contains("Audience URI (SP Entity ID)"));
    assert!(block.contains("Recipient URL") && block.contains("Destination URL"));
    // The link serves the SP's certificate.
    let pem = reqwest::get(format!("{}{pem_href}", s.base)).await.unwrap();
    assert_eq!(pem.status(), 200);
    assert!(
        pem.text()
            .await
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE-----")
    );
    // One click selects a whole value (no JavaScript needed).
    assert!(page.body.contains("code.copy{user-select:all"));
}
