//! The JIT preview: gatehouse-jit's `decide` on a read-only snapshot of the accounts; nothing is applied.

use crate::AppState;
use crate::error::Result;
use crate::model::Workspace;
use gatehouse_jit::{Decision, Policy};

use super::report::JitPreview;

/// What JIT would decide for `claims` on `conn`, without writing anything.
pub async fn preview_jit(
    state: &AppState,
    ws: &Workspace,
    policy: &Policy,
    mapping: &gatehouse_jit::Mapping,
    claims: &gatehouse_jit::Claims,
) -> Result<JitPreview> {
    let identity = match mapping.map(claims) {
        Ok(i) => i,
        Err(e) => {
            return Ok(JitPreview {
                decision: "Deny".into(),
                rule: "claims".into(),
                description: e.to_string(),
                admin_hint: e.admin_hint(),
                details: Vec::new(),
            });
        }
    };
    let existing = crate::jit_store::existing_snapshot(state, &ws.id, &identity, policy).await?;
    let decision = gatehouse_jit::decide(&identity, &existing, policy);
    let rule = decision.rule();
    let (name, details) = match &decision {
        Decision::Create { user, .. } => (
            "Create",
            vec![
                format!(
                    "new user: email {}, name {}, role {}",
                    user.email.as_ref().map_or("(none)", |e| e.as_str()),
                    user.profile.display_name.as_deref().unwrap_or("(none)"),
                    user.role.as_ref().map_or("(none)", |r| r.0.as_str())
                ),
                format!(
                    "linked to connection {} subject {}",
                    user.link.connection.0, user.link.subject.0
                ),
            ],
        ),
        Decision::Update { user, changes, .. } => (
            "Update",
            std::iter::once(format!("user {}", user.0))
                .chain(changes.iter().map(change_text))
                .collect(),
        ),
        Decision::Link {
            user,
            link,
            changes,
            ..
        } => (
            "Link",
            std::iter::once(format!(
                "user {} gets the link connection {} subject {}",
                user.0, link.connection.0, link.subject.0
            ))
            .chain(changes.iter().map(change_text))
            .collect(),
        ),
        Decision::SignIn { user, .. } => ("SignIn", vec![format!("user {}", user.0)]),
        Decision::Deny { .. } => ("Deny", Vec::new()),
    };
    Ok(JitPreview {
        decision: name.into(),
        rule: rule.code().into(),
        description: rule.description().into(),
        admin_hint: rule.admin_hint().map(str::to_owned),
        details,
    })
}

fn change_text(c: &gatehouse_jit::Change) -> String {
    format!(
        "{:?}: {} → {}",
        c.field,
        c.old.as_deref().unwrap_or("(none)"),
        c.new.as_deref().unwrap_or("(none)")
    )
}
