//! Pages readable on a phone (issue 10, item 6): one small stylesheet in which tables scroll inside their own box,
//! long values wrap anywhere and form fields never exceed their container; every visible form field has a label.
//! The browser measurement at 390 px is in `tests/e2e.rs` (`settings_pages_fit_a_phone_screen`).

use crate::harness::{Browser, saml_login, start};

/// The pages a person sees, by who sees them.
const SIGNED_OUT: &[&str] = &["/", "/login", "/login/recovery"];
const ADMIN: &[&str] = &[
    "/",
    "/settings/tokens",
    "/settings/sso",
    "/settings/members",
    "/settings/audit",
    "/settings/scim",
    "/settings/domains",
    "/settings/sso/new/oidc",
    "/settings/sso/new/saml",
    "/settings/sso/new/saml?name=acme-okta",
];

/// A CSS rule: its selector list and its (property, value) declarations.
type Rule = (Vec<String>, Vec<(String, String)>);

/// The rules of the page's `<style>` element: (selector list, declarations), whitespace removed.
fn style_rules(html: &str) -> Vec<Rule> {
    let css = html
        .split_once("<style>")
        .and_then(|(_, rest)| rest.split_once("</style>"))
        .map(|(css, _)| css)
        .unwrap_or_else(|| panic!("no <style> element in:\n{html}"));
    css.split('}')
        .filter_map(|rule| rule.split_once('{'))
        .map(|(sel, decls)| {
            let sels = sel.split(',').map(|s| s.trim().to_owned()).collect();
            let decls = decls
                .split(';')
                .filter_map(|d| d.split_once(':'))
                .map(|(p, v)| (p.trim().to_owned(), v.trim().to_owned()))
                .collect();
            (sels, decls)
        })
        .collect()
}

/// The value of `property` for an element matched by the plain selector `selector` (last rule wins).
fn computed(rules: &[Rule], selector: &str, property: &str) -> Option<String> {
    rules
        .iter()
        .filter(|(sels, _)| sels.iter().any(|s| s == selector || s == "*"))
        .flat_map(|(_, decls)| decls.iter())
        .filter(|(p, _)| p == property)
        .map(|(_, v)| v.clone())
        .next_back()
}

/// Visible form fields (input other than hidden, textarea, select) that are not inside a `<label>` with text of
/// its own and carry no `aria-label`.
fn unlabelled_fields(html: &str) -> Vec<String> {
    let mut bad = Vec::new();
    for (at, _) in html.match_indices('<') {
        let rest = &html[at..];
        let is_field = ["<input", "<textarea", "<select"]
            .iter()
            .any(|t| rest.starts_with(t));
        if !is_field {
            continue;
        }
        let tag = &rest[..rest.find('>').unwrap() + 1];
        if tag.contains("type=\"hidden\"") || tag.contains("aria-label=\"") {
            continue;
        }
        let before = &html[..at];
        let open = before.rfind("<label");
        let close = before.rfind("</label>");
        let inside = match (open, close) {
            (Some(o), Some(c)) => o > c,
            (Some(_), None) => true,
            _ => false,
        };
        // The label's text: what it holds besides tags, before and after the field.
        let label_text = open.filter(|_| inside).map(|o| {
            let end = html[at..].find("</label>").map_or(html.len(), |e| at + e);
            let mut text = String::new();
            let mut in_tag = false;
            for c in html[o..end].chars() {
                match c {
                    '<' => in_tag = true,
                    '>' => in_tag = false,
                    c if !in_tag => text.push(c),
                    _ => {}
                }
            }
            text.trim().to_owned()
        });
        if label_text.is_none_or(|t| t.is_empty()) {
            bad.push(tag.to_owned());
        }
    }
    bad
}

fn check_page(path: &str, html: &str) {
    assert!(
        html.contains("<meta name=\"viewport\" content=\"width=device-width"),
        "{path}: no viewport meta:\n{html}"
    );
    assert_eq!(html.matches("<style").count(), 1, "{path}: one stylesheet");
    assert!(!html.contains("<link rel=\"stylesheet\""), "{path}");
    // JavaScript only adds conveniences: one external script (no inline code), and what it drives — copy buttons,
    // the metadata file picker — is hidden until it runs, so nothing on the page depends on it.
    assert_eq!(
        html.matches("<script").count(),
        1,
        "{path}: only the shared script"
    );
    assert!(
        html.contains("<script src=\"/static/gatehouse.js\" defer></script>"),
        "{path}"
    );
    for enhanced in html
        .split('<')
        .filter(|t| t.contains("data-copy=") || t.contains("data-into="))
    {
        let tag = enhanced.split('>').next().unwrap_or_default();
        assert!(
            tag.contains(" hidden"),
            "{path}: {tag} is shown without JavaScript"
        );
    }
    let rules = style_rules(html);
    let cases: &[(&str, &str, &str)] = &[
        // Tables scroll inside their own box instead of widening the page.
        ("table", "display", "block"),
        ("table", "overflow-x", "auto"),
        ("table", "max-width", "100%"),
        // Long URLs, fingerprints, tokens and certificates wrap.
        ("code", "overflow-wrap", "anywhere"),
        ("pre", "overflow-wrap", "anywhere"),
        ("pre", "white-space", "pre-wrap"),
        ("body", "overflow-wrap", "break-word"),
        // Fields are never wider than their container (and padding counts inside that width).
        ("input", "max-width", "100%"),
        ("textarea", "max-width", "100%"),
        ("select", "max-width", "100%"),
        ("input", "box-sizing", "border-box"),
    ];
    for (sel, prop, want) in cases {
        assert_eq!(
            computed(&rules, sel, prop).as_deref(),
            Some(*want),
            "{path}: `{sel} {{ {prop} }}`"
        );
    }
    let bad = unlabelled_fields(html);
    assert!(bad.is_empty(), "{path}: fields without a label: {bad:?}");
}

#[test]
fn the_label_checker_finds_unlabelled_fields() {
    // Hand-written cases, so the page test below cannot pass by a checker that accepts everything.
    let cases: &[(&str, usize)] = &[
        ("<label>Name <input name=\"a\"></label>", 0),
        (
            "<label><input type=\"checkbox\" name=\"a\"> remove</label>",
            0,
        ),
        ("<input type=\"hidden\" name=\"csrf\">", 0),
        ("<input name=\"q\" aria-label=\"Search\">", 0),
        ("<input name=\"a\">", 1),
        ("<label>Name</label><input name=\"a\">", 1),
        ("<label><input name=\"a\"></label>", 1),
        (
            "<label>Cert<br><textarea name=\"c\"></textarea></label><select name=\"s\"></select>",
            1,
        ),
    ];
    for (html, want) in cases {
        assert_eq!(unlabelled_fields(html).len(), *want, "{html}");
    }
}

#[tokio::test]
async fn every_page_has_the_phone_stylesheet_and_labelled_fields() {
    let s = start().await;
    let mut anon = Browser::new(&s.base);
    for path in SIGNED_OUT {
        let page = anon.get(path).await;
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        check_page(path, &page.body);
    }
    let mut ada = Browser::new(&s.base);
    saml_login(&mut ada, "ada@demo.example", "0").await;
    for path in ADMIN {
        let page = ada.get(path).await;
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        check_page(path, &page.body);
    }
    // The page that shows a new token once: the token sits in a <pre> that wraps.
    let tokens = ada.get("/settings/tokens").await;
    let created = ada
        .submit(&tokens, Some(("name", "SCIM")), &[("name", "phone")])
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    assert!(created.body.contains("<pre>gh_pat_"), "{}", created.body);
    check_page("/settings/tokens (created)", &created.body);
}
