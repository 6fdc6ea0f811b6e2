//! Outgoing HTTP to identity providers, guarded against server-side request forgery.
//!
//! The service fetches URLs that admins type (an OIDC issuer, a SAML metadata URL) and URLs that an IdP's discovery
//! document names (JWKS, token and userinfo endpoints). Left unguarded, either lets whoever controls them make the
//! service call its own network: a cloud metadata endpoint, an admin port on 10.x, a database on localhost. So,
//! unless the operator allows private addresses (a self-hosted IdP on the internal network; and the demo, which
//! serves everything on loopback):
//!
//! - a URL whose host is an IP literal must name a public address ([`check_url`]);
//! - a host name resolves through [`GuardedResolver`], which drops every non-public address *at connection time*
//!   (so a name that resolves to a public address when saved and to 127.0.0.1 later — DNS rebinding — still cannot
//!   reach loopback), and fails when none is left;
//! - redirects are never followed (the client is built without them), so a public URL cannot bounce inwards.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use gatehouse_oidc::{HttpRequest, HttpResponse};

/// Is `ip` a public unicast address (not loopback, private, link-local, shared, documentation, multicast, reserved,
/// unspecified; an IPv4 address embedded in IPv6 is judged as IPv4)?
#[must_use]
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let s = v6.segments();
            // NAT64 (64:ff9b::/96) carries an IPv4 address in the low 32 bits.
            if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                let [.., a, b, c, d] = v6.octets();
                return is_public_v4(Ipv4Addr::new(a, b, c, d));
            }
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (s[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated) fec0::/10
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation 2001:db8::/32
                || s[0] == 0x2002 // 6to4: embeds an IPv4 address; refuse rather than decode
                || s[..5] == [0, 0, 0, 0, 0]) // IPv4-compatible (deprecated) ::/80 and the like
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_unspecified()
        || ip.is_multicast()
        || a == 0 // "this network" 0.0.0.0/8
        || (a == 100 && (b & 0xc0) == 64) // shared address space 100.64.0.0/10
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments 192.0.0.0/24
        || (a == 198 && (b & 0xfe) == 18) // benchmarking 198.18.0.0/15
        || a >= 240) // reserved 240.0.0.0/4
}

/// Refuses a URL whose host is a non-public IP literal or `localhost` (unless `allow_private`). Host names are
/// checked when they are resolved ([`GuardedResolver`]).
pub fn check_url(url: &url::Url, allow_private: bool) -> Result<(), String> {
    if allow_private {
        return Ok(());
    }
    let private = match url.host() {
        Some(url::Host::Ipv4(ip)) => !is_public(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => !is_public(IpAddr::V6(ip)),
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        None => true,
    };
    if private {
        return Err(format!(
            "{} is not a public address; the service only calls identity providers on the public internet \
             (an operator can allow private addresses with --allow-private-idp-addresses)",
            url.host_str().unwrap_or("the URL's host")
        ));
    }
    Ok(())
}

/// A DNS resolver for the HTTP client that keeps only public addresses (all of them when `allow_private`).
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver {
    /// Keep private addresses too.
    pub allow_private: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let kept: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|a| allow_private || is_public(a.ip()))
                .collect();
            if kept.is_empty() {
                let err: Box<dyn std::error::Error + Send + Sync> = if found.is_empty() {
                    format!("{host} does not resolve").into()
                } else {
                    format!(
                        "{host} resolves only to non-public addresses; the service only calls identity providers \
                         on the public internet (an operator can allow private addresses with \
                         --allow-private-idp-addresses)"
                    )
                    .into()
                };
                return Err(err);
            }
            let addrs: reqwest::dns::Addrs = Box::new(kept.into_iter());
            Ok(addrs)
        })
    }
}

/// The HTTP client for IdP calls: guarded resolver, no redirects, 10 s timeout.
pub fn client(allow_private: bool) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(10))
        .dns_resolver(std::sync::Arc::new(GuardedResolver { allow_private }))
        .build()
}

/// Performs an IdP request (OIDC discovery, JWKS, token, userinfo) after [`check_url`].
pub async fn execute(
    state: &crate::AppState,
    request: HttpRequest,
) -> Result<HttpResponse, String> {
    check_url(&request.url, state.config.allow_private_idp_addresses)?;
    gatehouse_oidc::execute_async(&state.http, request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_and_non_public_addresses() {
        // (address, public?) — ranges from the IANA special-purpose registries (RFC 6890 and updates).
        let cases: &[(&str, bool)] = &[
            ("8.8.8.8", true),
            ("1.1.1.1", true),
            ("93.184.216.34", true),
            ("127.0.0.1", false),
            ("127.255.0.9", false),
            ("10.1.2.3", false),
            ("172.16.0.1", false),
            ("172.31.255.255", false),
            ("172.32.0.1", true),
            ("192.168.1.1", false),
            ("169.254.169.254", false), // cloud metadata
            ("100.64.0.1", false),
            ("100.128.0.1", true),
            ("0.0.0.0", false),
            ("0.1.2.3", false),
            ("192.0.0.8", false),
            ("192.0.2.1", false),
            ("198.18.0.1", false),
            ("198.20.0.1", true),
            ("224.0.0.1", false),
            ("240.0.0.1", false),
            ("255.255.255.255", false),
            ("2606:4700:4700::1111", true),
            ("::1", false),
            ("::", false),
            ("fe80::1", false),
            ("fc00::1", false),
            ("fd12:3456::1", false),
            ("ff02::1", false),
            ("2001:db8::1", false),
            ("::ffff:127.0.0.1", false),
            ("::ffff:8.8.8.8", true),
            ("64:ff9b::a9fe:a9fe", false), // NAT64 of 169.254.169.254
            ("64:ff9b::808:808", true),    // NAT64 of 8.8.8.8
            ("2002:7f00:1::", false),
            ("::127.0.0.1", false),
        ];
        for (ip, want) in cases {
            let parsed: IpAddr = ip.parse().unwrap();
            assert_eq!(is_public(parsed), *want, "{ip}");
        }
    }

    #[test]
    fn urls_with_private_literals_are_refused_unless_allowed() {
        for (u, ok) in [
            ("https://acme.okta.com/", true),
            ("https://8.8.8.8/x", true),
            ("https://127.0.0.1/", false),
            ("https://[::1]:8443/", false),
            ("https://169.254.169.254/latest/meta-data", false),
            ("https://localhost/", false),
            ("https://LOCALHOST./", false),
            ("https://idp.localhost/", false),
            ("https://0x7f000001/", false), // the URL parser reads it as 127.0.0.1
        ] {
            let url = url::Url::parse(u).unwrap();
            assert_eq!(check_url(&url, false).is_ok(), ok, "{u}");
            assert!(
                check_url(&url, true).is_ok(),
                "{u} with private addresses allowed"
            );
        }
        let err = check_url(&url::Url::parse("https://10.0.0.1/").unwrap(), false).unwrap_err();
        assert!(err.contains("--allow-private-idp-addresses"), "{err}");
    }

    #[tokio::test]
    async fn the_resolver_drops_private_addresses() {
        use reqwest::dns::Resolve as _;
        let name: reqwest::dns::Name = "localhost".parse().unwrap();
        let guarded = GuardedResolver {
            allow_private: false,
        };
        let err = guarded.resolve(name).await.err().unwrap().to_string();
        assert!(
            err.contains("non-public") || err.contains("does not resolve"),
            "{err}"
        );
        let open = GuardedResolver {
            allow_private: true,
        };
        let name: reqwest::dns::Name = "localhost".parse().unwrap();
        let addrs: Vec<_> = open.resolve(name).await.unwrap().collect();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()) && !addrs.is_empty());
    }
}
