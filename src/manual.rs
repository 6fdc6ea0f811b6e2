//! The Gatehouse manual: the attacks the libraries are built against, and the design decision that
//! answers each. Nothing here is code; it is the "why" behind the types.
//!
//! # XML signature wrapping (XSW 1–8)
//!
//! A SAML response is signed over one element, found by its `ID`. Classic SPs verified the signature
//! with one lookup and then read the assertion with another ("the first `Assertion`", an XPath), so an
//! attacker could keep the signed element somewhere harmless (inside `Extensions`, an `Object`, a wrapper)
//! and put a forged assertion where the reader looks. Somorovsky et al. (2012) catalogued eight layouts.
//!
//! Gatehouse has no second lookup to fool. [`crate::xml::verify_enveloped`] takes the element that holds the
//! signature, requires the one `Reference` to point at that very element, and returns a
//! [`crate::xml::VerifiedElement`] — a read-only, downward-only handle to the covered subtree. The SAML layer reads
//! the assertion *only* through that handle, and before that it refuses any document with more than one
//! `Assertion`/`EncryptedAssertion` or with a `Signature` anywhere other than directly in the `Response`
//! or the `Assertion`. All eight layouts fail at one of these points (`testdata/saml/reject-xsw*`).
//!
//! # Comment and text splitting (CVE-2017-11427 and relatives)
//!
//! `<NameID>admin@acme.com<!---->.evil.io</NameID>` canonicalizes (comments dropped) to the same bytes as
//! `admin@acme.com.evil.io`, so the signature holds; libraries that returned the *first text node* gave
//! the application `admin@acme.com`. In Gatehouse an element's text is all of its text nodes joined
//! ([`crate::xml::Element::text`]), so the application sees exactly what was signed. Comments inside the
//! signature itself (a favourite for truncating `DigestValue`) are refused outright.
//!
//! # Parser differentials and DTDs (CVE-2025-25291/25292, XXE, entity expansion)
//!
//! When the signature checker and the reader use two parsers, any disagreement — entities, namespaces,
//! duplicate attributes — is an exploit. Gatehouse parses once ([`crate::xml::Document::parse`]) and everything
//! reads that tree. The parser refuses what has no business in SAML: any DOCTYPE, entities other than the
//! five predefined ones, non-UTF-8 input, unbound prefixes, duplicate attributes and duplicate `ID` values
//! (the set-up for wrapping), with limits on size, depth, attributes, nodes, names and namespaces.
//!
//! # Canonicalization pitfalls
//!
//! Exclusive c14n renders a namespace where it is *visibly used*, inclusive c14n everywhere it is in scope;
//! `#WithComments` keeps comments only where the node-set has them (a `#id` reference drops them); attribute
//! values are normalized before escaping; C14N 1.1 treats `xml:base` specially. Gatehouse canonicalizes whole
//! subtrees only — no XPath node-sets, so there is no way to sign a subset that excludes what the
//! application later reads — and checks its output against the W3C and Santuario vectors and, differentially,
//! against `xmlsec1` on more than a hundred documents.
//!
//! # Trust: pinned keys, not `KeyInfo`
//!
//! A certificate in the signature's `KeyInfo` is attacker-controlled. Some verifiers used it (or an inline
//! `RSAKeyValue`) to check the signature — the test suite found that `xmlsec1` still does when given a
//! `KeyValue`. In Gatehouse keys come only from certificates pinned on the connection
//! ([`crate::xml::PinnedKeys`], several at once for rotation); a `KeyInfo` certificate can only *select* among them,
//! and an unpinned one is reported with its fingerprint so an admin can spot a rotation. SHA-1 and RSA keys
//! under 2048 bits need an explicit per-connection opt-in; DSA and HMAC signatures never pass.
//!
//! # Encrypted assertions and oracles
//!
//! Anyone can encrypt to the SP's public key, so encryption proves nothing: the decrypted assertion must
//! itself be signed, or sit inside a signed response (whose signature covers the ciphertext). RSA PKCS#1 v1.5
//! key transport and 3DES are refused; every failure after the algorithms are read — wrong key, bad padding,
//! bad tag, unparsable plaintext — is the same opaque error, so a tampered ciphertext cannot be used as a
//! padding or parse oracle (Jager and Somorovsky, 2011).
//!
//! # Replay and request binding
//!
//! A valid response stolen from a log or a proxy could be posted again. Every accepted assertion ID is
//! recorded until its deadline plus skew, and an `InResponseTo` must name a request this SP sent *for the same
//! connection* and has not yet seen answered; both are consumed atomically by the host's stores
//! ([`crate::saml::CheckedResponse::finish`]). Unsolicited (IdP-initiated) responses are accepted only where the
//! connection allows them. `Destination`, `Recipient` and `Audience` must equal the connection's values
//! exactly, so a response minted for another SP — or another connection of the same SP — is refused.
//!
//! # JWT algorithm confusion (OIDC)
//!
//! A token's `alg` header is attacker-controlled: `none`, or `HS256` keyed with the RSA public key, has
//! broken many libraries. In Gatehouse the algorithm is fixed by the key from the JWKS, never read from the
//! header alone; `none` never passes; HMAC is only possible with the client secret and only when the
//! connection enables it. Claims are only reachable from a verified ID token that passed every check.
//!
//! # Account takeover through linking (JIT)
//!
//! The classic JIT bug links an SSO login to an existing account because the emails match — with an email
//! the IdP never verified, or from a second IdP that may assert any address. [`crate::jit::decide`] links by email
//! only when the policy allows it, the domain is verified for the workspace and the email is trusted, and
//! otherwise refuses rather than creating a duplicate. A user that SCIM deactivated is never recreated or
//! reactivated by a login.
