//! URL rules shared by configuration, discovery and redirects: HTTPS everywhere except on loopback.

use url::Url;

use crate::Error;

/// True for hosts that never leave the machine (`localhost`, 127.0.0.0/8, `::1`), where plain HTTP is allowed.
pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Parses an absolute endpoint URL that must be `https` (or `http` on loopback), without userinfo or fragment.
pub(crate) fn endpoint(what: &'static str, raw: &str) -> Result<Url, Error> {
    let bad = |reason| Error::InvalidUrl {
        what,
        url: raw.to_owned(),
        reason,
    };
    let url = Url::parse(raw).map_err(|_| bad("not an absolute URL"))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        _ => return Err(bad("must use https")),
    }
    if url.host().is_none() {
        return Err(bad("has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("must not carry user information"));
    }
    if url.fragment().is_some() {
        return Err(bad("must not have a fragment"));
    }
    Ok(url)
}
