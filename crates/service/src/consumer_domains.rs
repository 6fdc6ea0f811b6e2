//! Consumer mail domains: domains where anyone can get an address (Gmail, Outlook.com, Yahoo, iCloud, Proton…).
//! No workspace can claim one as a verified domain — home-realm discovery would otherwise send every user of that
//! provider to one company's IdP, and the JIT "verified domain" rule would trust addresses anyone can register.
//!
//! [`CONSUMER_MAIL_DOMAINS`] is a short list of the large providers, not a complete registry: it stops the common
//! mistake (an admin typing the domain of their own mailbox). A listed domain and every subdomain of it are refused
//! when claimed ([`check_claimable`]), ignored by discovery and left out of a workspace's verified domains even if a
//! row for one already exists in the database.

use crate::error::{Error, Result};

/// The consumer mail domains no workspace can claim (lower case, no trailing dot).
pub const CONSUMER_MAIL_DOMAINS: &[&str] = &[
    // Google
    "gmail.com",
    "googlemail.com",
    // Microsoft
    "outlook.com",
    "hotmail.com",
    "hotmail.co.uk",
    "hotmail.fr",
    "live.com",
    "msn.com",
    // Yahoo / AOL
    "yahoo.com",
    "yahoo.co.uk",
    "yahoo.fr",
    "ymail.com",
    "aol.com",
    // Apple
    "icloud.com",
    "me.com",
    "mac.com",
    // Proton
    "proton.me",
    "protonmail.com",
    "pm.me",
    // Others with many users
    "gmx.com",
    "gmx.de",
    "gmx.net",
    "web.de",
    "mail.com",
    "zoho.com",
    "yandex.com",
    "yandex.ru",
    "mail.ru",
    "qq.com",
    "163.com",
    "126.com",
    "fastmail.com",
    "tutanota.com",
    "hey.com",
];

/// Whether `domain` (any case, optional trailing dot) is a consumer mail domain or a subdomain of one.
#[must_use]
pub fn is_consumer_mail_domain(domain: &str) -> bool {
    let d = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    CONSUMER_MAIL_DOMAINS
        .iter()
        .any(|c| d == *c || d.strip_suffix(c).is_some_and(|head| head.ends_with('.')))
}

/// Refuses a consumer mail domain as a workspace's verified domain, with an error that says why and what to do.
pub fn check_claimable(domain: &str) -> Result<()> {
    if is_consumer_mail_domain(domain) {
        return Err(Error::Invalid(format!(
            "{domain} is a consumer mail domain (anyone can get an address there), so no workspace can claim it: \
             verify a domain your organisation owns instead"
        )));
    }
    Ok(())
}
