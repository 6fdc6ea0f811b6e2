//! `/settings/domains`: the workspace's verified domains (which email addresses sign in through its IdP) and its
//! pending DNS claims, with the TXT record to publish for each ([`crate::domains`]).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::{Gate, admin_post, gate, time};
use crate::AppState;
use crate::domains;
use crate::error::{Error, Result};
use crate::model::{self, Workspace};
use crate::web::{self, esc, page};

/// A message above the lists: what the last action did, or why it failed.
enum Notice {
    Done(String),
    Failed(String),
}

async fn render(
    state: &AppState,
    headers: &HeaderMap,
    ws: &Workspace,
    notice: Option<Notice>,
) -> Result<Response> {
    let (csrf, cookie) = web::csrf_token(state, headers)?;
    let c = web::csrf_input(&csrf);
    let mut body = String::new();
    let status = match &notice {
        Some(Notice::Done(text)) => {
            body.push_str(&format!("<div class=\"hint\"><p>{}</p></div>", esc(text)));
            StatusCode::OK
        }
        Some(Notice::Failed(text)) => {
            body.push_str(&format!(
                "<div class=\"hint error\" role=\"alert\"><p><strong>Not verified:</strong> {}</p></div>",
                esc(text)
            ));
            StatusCode::BAD_REQUEST
        }
        None => StatusCode::OK,
    };
    body.push_str(
        "<p>Sign-ins of email addresses in a verified domain go to this workspace's single sign-on, and new users \
         with such an address may be linked to existing accounts. A domain counts only once it is verified.</p>\
         <h2>Verified domains</h2>",
    );
    let verified = model::verified_domains(state, &ws.id).await?;
    if verified.is_empty() {
        body.push_str("<p>None yet.</p>");
    } else {
        body.push_str("<table><tr><th>Domain</th><th></th></tr>");
        for d in &verified {
            body.push_str(&format!(
                "<tr><td>{d}</td><td><form method=\"post\" action=\"/settings/domains/remove\">{c}\
                 <input type=\"hidden\" name=\"domain\" value=\"{d}\"><button>Remove</button></form></td></tr>",
                d = esc(d)
            ));
        }
        body.push_str("</table>");
    }
    let pending = domains::challenges(state, &ws.id).await?;
    if !pending.is_empty() {
        body.push_str("<h2>Waiting for verification</h2>");
    }
    for ch in &pending {
        let last = match (&ch.last_checked_at, &ch.last_result) {
            (Some(at), Some(result)) => {
                format!("<p>Last checked {}: {}</p>", time(*at), esc(result))
            }
            _ => String::new(),
        };
        body.push_str(&format!(
            "<section aria-label=\"{d}\"><h3>{d}</h3><p>Publish this TXT record in the DNS of <strong>{d}</strong> \
             (a click selects a whole value):</p>\
             <table><tr><th>Type</th><th>Name</th><th>Value</th></tr>\
             <tr><td><code>TXT</code></td><td>{name}</td><td>{value}</td></tr></table>\
             <p><small>Some DNS providers want the name without the domain: {label}. \
             Added {created}; verify by {expires}, or add the domain again for a new token.</small></p>{last}\
             <form method=\"post\" action=\"/settings/domains/verify\">{c}<input type=\"hidden\" name=\"domain\" value=\"{d}\">\
             <button>Verify</button></form> \
             <form method=\"post\" action=\"/settings/domains/cancel\">{c}<input type=\"hidden\" name=\"domain\" value=\"{d}\">\
             <button>Cancel</button></form></section>",
            d = esc(&ch.domain),
            name = web::copyable(&ch.record_name()),
            value = web::copyable(&ch.record_value()),
            label = web::copyable(domains::CHALLENGE_LABEL),
            created = time(ch.created_at),
            expires = time(ch.created_at.saturating_add(domains::CHALLENGE_TTL_SECS)),
        ));
    }
    body.push_str(&format!(
        "<h2>Add a domain</h2><form method=\"post\" action=\"/settings/domains\">{c}\
         <p><label>Domain of your users' email addresses <input name=\"domain\" placeholder=\"acme.com\" required \
         autocomplete=\"off\"></label></p><button>Add a domain</button></form>\
         <p>Consumer mail domains (gmail.com, outlook.com…) cannot be added. A domain another workspace verified \
         can be moved only by the operator of this service.</p><p><a href=\"/settings/sso\">SSO connections</a> · \
         <a href=\"/\">Home</a></p>"
    ));
    Ok(web::with_cookie(
        (status, page(&format!("Domains · {}", ws.name), &body)).into_response(),
        cookie,
    ))
}

pub(super) async fn domains_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let r = async {
        match gate(&state, &headers).await? {
            Gate::Stop(r) => Ok(r),
            Gate::Ok(ws) => render(&state, &headers, &ws, None).await,
        }
    }
    .await;
    r.unwrap_or_else(|e| web::error_page(&e))
}

/// Runs one form action; an `Invalid`/`NotFound` error (the admin can fix it) is shown on the page, anything else
/// is an error page.
async fn act<F, Fut>(state: AppState, headers: HeaderMap, body: Bytes, action: F) -> Response
where
    F: FnOnce(AppState, Workspace, String) -> Fut,
    Fut: Future<Output = Result<String>>,
{
    let (ws, f) = match admin_post(&state, &headers, &body).await {
        Ok(admitted) => admitted,
        Err(stop) => return stop,
    };
    let domain = f.get("domain").map_or("", |d| d.trim()).to_owned();
    let r = async {
        let notice = match action(state.clone(), ws.clone(), domain).await {
            Ok(done) => Notice::Done(done),
            Err(e @ (Error::Invalid(_) | Error::NotFound(_))) => Notice::Failed(e.to_string()),
            Err(e) => return Err(e),
        };
        render(&state, &headers, &ws, Some(notice)).await
    }
    .await;
    r.unwrap_or_else(|e| web::error_page(&e))
}

pub(super) async fn domains_add(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    act(state, headers, body, |state, ws, domain| async move {
        let c = domains::create_challenge(&state, &ws, &domain).await?;
        Ok(format!(
            "Publish the TXT record below for {}, then press Verify.",
            c.domain
        ))
    })
    .await
}

pub(super) async fn domains_verify(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    act(state, headers, body, |state, ws, domain| async move {
        domains::verify(&state, &ws, &domain).await?;
        Ok(format!(
            "{} is verified: sign-ins of its addresses now go to this workspace's single sign-on. The TXT record \
             may be removed.",
            domains::normalise(&domain)?
        ))
    })
    .await
}

pub(super) async fn domains_cancel(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    act(state, headers, body, |state, ws, domain| async move {
        if !domains::remove_challenge(&state, &ws, &domain).await? {
            return Err(Error::NotFound(format!("pending domain {domain:?}")));
        }
        Ok(format!("The claim of {domain} was withdrawn."))
    })
    .await
}

pub(super) async fn domains_remove(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    act(state, headers, body, |state, ws, domain| async move {
        if !model::remove_verified_domain(&state, &ws, &domain).await? {
            return Err(Error::NotFound(format!("verified domain {domain:?}")));
        }
        Ok(format!(
            "{domain} was removed: its addresses no longer sign in through this workspace."
        ))
    })
    .await
}
