#!/usr/bin/env bash
# Regenerates every fixture in testdata/saml/ from the templates this script writes to templates/.
# Tools: xmlsec1 1.2.37 (Debian package `xmlsec1`, OpenSSL backend) and python3 (string edits only — no
# XML library, no crypto: every signature and ciphertext comes from xmlsec1). Keys: ../keys (never regenerated).
#
# Every command run is echoed with a leading "+ " (run it with `bash make.sh 2>&1 | tee log` to keep a record).
# Every hand edit of a signed document is python string surgery written out below (edit(...), between(...),
# slicing and concatenation of the xmlsec1 output), and the same words are in the case's
# params.json "note". Determinism: IDs and instants are fixed and RSA PKCS#1 v1.5 signatures are deterministic,
# so rerunning reproduces the RSA-signed files byte for byte. ECDSA signatures (random nonce) and XML-Enc
# ciphertexts (random session key, IV and OAEP seed) differ on each run; they stay valid.
#
# The script fails loudly (non-zero exit) if any accept fixture does not pass `xmlsec1 --verify`, or if any
# recorded xmlsec1 verdict changes from what the case declares.
set -euo pipefail
cd "$(dirname "$0")"
exec python3 - "$@" <<'PY'
import json, os, re, shutil, subprocess, sys

KEYS = "../keys"
NS_P = "urn:oasis:names:tc:SAML:2.0:protocol"
NS_A = "urn:oasis:names:tc:SAML:2.0:assertion"
DS = "http://www.w3.org/2000/09/xmldsig#"
ID_ATTRS = ["--id-attr:ID", NS_P + ":Response", "--id-attr:ID", NS_A + ":Assertion"]

NOW = "2026-01-15T10:00:00Z"
IDP = "http://www.okta.com/exk1abcdEXAMPLE"
SP = "urn:auth0:layer-stack-app:acme"
ACS = "https://auth.app.layer.ai/login/callback?connection=acme"
REQ = "_req-7f3c2a"
RESP_ID = "id4725913068152746311052817"
ASSERT_ID = "id4725913068193405127983446"
OTHER_ASSERT_ID = "id4725913068211937650284113"
EVIL_ID = "_evil-assertion"
T = dict(issue="2026-01-15T09:59:59.512Z", nb="2026-01-15T09:54:59.512Z", nooa="2026-01-15T10:04:59.512Z",
         authn="2026-01-15T09:59:30.000Z")

SIG = {"rsa-sha1": "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
       "rsa-sha256": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
       "rsa-sha384": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
       "rsa-sha512": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
       "ecdsa-sha256": "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
       "ecdsa-sha384": "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384"}
DIG = {"sha1": "http://www.w3.org/2000/09/xmldsig#sha1",
       "sha256": "http://www.w3.org/2001/04/xmlenc#sha256",
       "sha384": "http://www.w3.org/2001/04/xmldsig-more#sha384",
       "sha512": "http://www.w3.org/2001/04/xmlenc#sha512"}
ATTRS = [("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress", "urn:oasis:names:tc:SAML:2.0:attrname-format:uri", ["jane.doe@acme.com"]),
         ("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name", "urn:oasis:names:tc:SAML:2.0:attrname-format:uri", ["Jane Doe"]),
         ("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname", "urn:oasis:names:tc:SAML:2.0:attrname-format:uri", ["Jane"]),
         ("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname", "urn:oasis:names:tc:SAML:2.0:attrname-format:uri", ["Doe"]),
         ("email_verified", "urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified", ["true"])]
GROUPS = ("groups", "urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified",
          ["Acme Corporation - Engineering Platform Team %02d" % i for i in range(95)])

def run(cmd, check=True, quiet=False):
    print("+ " + " ".join(("'%s'" % c) if (" " in c or "(" in c or "?" in c) else c for c in cmd), flush=True)
    p = subprocess.run(cmd, capture_output=True, text=True)
    if check and p.returncode != 0:
        sys.stderr.write(p.stdout + p.stderr)
        sys.exit("FAILED: " + " ".join(cmd))
    return p

def edit(s, old, new, count=1):
    """A hand edit: replace `old` by `new`, requiring exactly `count` occurrences."""
    n = s.count(old)
    if n != count:
        sys.exit("edit: expected %d occurrence(s) of %r, found %d" % (count, old[:80], n))
    return s.replace(old, new)

def between(s, start, end):
    """The substring from the first `start` to the first following `end`, both included."""
    i = s.index(start)
    j = s.index(end, i) + len(end)
    return s[i:j]

def sig_tpl(ref, alg="rsa-sha256", dig="sha256"):
    return ('<ds:Signature xmlns:ds="%s"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>'
            '<ds:SignatureMethod Algorithm="%s"/><ds:Reference URI="%s"><ds:Transforms>'
            '<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>'
            '<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>'
            '<ds:DigestMethod Algorithm="%s"/><ds:DigestValue></ds:DigestValue></ds:Reference></ds:SignedInfo>'
            '<ds:SignatureValue></ds:SignatureValue><ds:KeyInfo><ds:X509Data><ds:X509Certificate></ds:X509Certificate>'
            '</ds:X509Data></ds:KeyInfo></ds:Signature>') % (DS, SIG[alg], ref, DIG[dig])

def attr_xml(attrs):
    out = []
    for name, fmt, values in attrs:
        out.append('<saml2:Attribute Name="%s" NameFormat="%s">' % (name, fmt))
        for v in values:
            out.append('<saml2:AttributeValue xmlns:xs="http://www.w3.org/2001/XMLSchema" '
                       'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string">%s</saml2:AttributeValue>' % v)
        out.append('</saml2:Attribute>')
    return "".join(out)

def assertion(aid=ASSERT_ID, sign=None, issuer=IDP, nameid="jane.doe@acme.com", irt=REQ, recipient=ACS,
              audience=SP, t=T, attrs=ATTRS, session="id1768471199512.428613905"):
    """An Okta-shaped saml2:Assertion. sign=(alg, digest) puts a signature skeleton after the Issuer."""
    A = 'xmlns:saml2="%s"' % NS_A
    irt_attr = ' InResponseTo="%s"' % irt if irt else ""
    return ('<saml2:Assertion ID="%s" IssueInstant="%s" Version="2.0" %s>' % (aid, t["issue"], A)
            + '<saml2:Issuer Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity" %s>%s</saml2:Issuer>' % (A, issuer)
            + (sig_tpl("#" + aid, *sign) if sign else "")
            + '<saml2:Subject %s><saml2:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">%s</saml2:NameID>' % (A, nameid)
            + '<saml2:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml2:SubjectConfirmationData%s NotOnOrAfter="%s" Recipient="%s"/>' % (irt_attr, t["nooa"], recipient)
            + '</saml2:SubjectConfirmation></saml2:Subject>'
            + '<saml2:Conditions NotBefore="%s" NotOnOrAfter="%s" %s><saml2:AudienceRestriction><saml2:Audience>%s</saml2:Audience></saml2:AudienceRestriction></saml2:Conditions>' % (t["nb"], t["nooa"], A, audience)
            + '<saml2:AuthnStatement AuthnInstant="%s" SessionIndex="%s" %s><saml2:AuthnContext><saml2:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml2:AuthnContextClassRef></saml2:AuthnContext></saml2:AuthnStatement>' % (t["authn"], session, A)
            + '<saml2:AttributeStatement %s>%s</saml2:AttributeStatement>' % (A, attr_xml(attrs))
            + '</saml2:Assertion>')

SUCCESS = '<saml2p:Status xmlns:saml2p="%s"><saml2p:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></saml2p:Status>' % NS_P

def response(body, sign=None, rid=RESP_ID, destination=ACS, irt=REQ, issuer=IDP, t=T, status=SUCCESS):
    irt_attr = ' InResponseTo="%s"' % irt if irt else ""
    return ('<?xml version="1.0" encoding="UTF-8"?><saml2p:Response Destination="%s" ID="%s"%s IssueInstant="%s" Version="2.0" xmlns:saml2p="%s">'
            % (destination, rid, irt_attr, t["issue"], NS_P)
            + '<saml2:Issuer Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity" xmlns:saml2="%s">%s</saml2:Issuer>' % (NS_A, issuer)
            + (sig_tpl("#" + rid, *sign) if sign else "") + status + body + '</saml2p:Response>')

SIG_XPATH = "(//*[local-name()='Signature' and namespace-uri()='%s'])[%d]"
def n_sigs(s):
    return len(re.findall(r"<ds:Signature[ >]", s))

def sign_file(path, key, index=1):
    """xmlsec1 --sign of the index-th ds:Signature skeleton (document order), in place."""
    run(["xmlsec1", "--sign", "--privkey-pem", "%s/%s.key,%s/%s.crt" % (KEYS, key, KEYS, key)] + ID_ATTRS
        + ["--node-xpath", SIG_XPATH % (DS, index), "--output", path, path])

def verify(path, cert, index=1):
    """Returns what xmlsec1 printed for the index-th ds:Signature: OK, FAIL or ERROR (+ its first error line).
    `--enabled-reference-uris same-doc` as the brief asks; `empty` is added only for a document whose
    Reference is URI="" (otherwise xmlsec1 refuses the URI type outright and the case would test nothing)."""
    with open(path) as f:
        uris = "empty,same-doc" if 'URI=""' in f.read() else "same-doc"
    p = run(["xmlsec1", "--verify", "--pubkey-cert-pem", "%s/%s" % (KEYS, cert), "--enabled-reference-uris", uris]
            + ID_ATTRS + ["--node-xpath", SIG_XPATH % (DS, index), path], check=False)
    lines = (p.stdout + p.stderr).splitlines()   # xmlsec1 prints its verdict (OK / FAIL / ERROR) on stderr
    for verdict in ("OK", "FAIL", "ERROR"):
        if verdict in lines:
            break
    else:
        verdict = "ERROR"
    why = [l for l in lines if ("error=" in l and "x509" not in l.lower() and "library function failed" not in l)
           or l.startswith("Error: duplicate") or l.startswith("C14N error")]
    return verdict, (re.sub(r"^func=[^:]*:file=[^:]*:line=\d+:", "", why[0]) if why else "")

def verify_any_pinned(path, certs, index):
    """A signature counts as valid (OK) if it verifies under one of the pinned certificates."""
    results = [verify(path, c, index) for c in certs]
    for want in ("OK", "FAIL", "ERROR"):
        for r in results:
            if r[0] == want:
                return r

MANIFEST = []
def emit(case, doc, expect, reason, note, xmlsec1, pinned=("idp.crt",), request_id=REQ, policy=None,
         template=None, extra=None):
    """Write <case>/response.xml + params.json, run xmlsec1 --verify on every ds:Signature and check the verdict."""
    os.makedirs(case, exist_ok=True)
    path = case + "/response.xml"
    if doc is not None:
        with open(path, "w") as f:
            f.write(doc)
    with open(path) as f:
        doc = f.read()
    results = [verify_any_pinned(path, list(pinned), i + 1) for i in range(n_sigs(doc))]
    per_sig = [r[0] for r in results]
    errors = [r[1] for r in results if r[1]]
    if not per_sig:
        got = "n/a"
    elif all(v == "OK" for v in per_sig):
        got = "valid"
    else:
        got = "invalid"
    if got != xmlsec1 and os.environ.get("DISCOVER"):
        print("DISCOVER %s: xmlsec1 says %s %s" % (case, got, per_sig)); xmlsec1 = got
    if got != xmlsec1:
        sys.exit("%s: xmlsec1 said %s (per signature %s), the case declares %s" % (case, got, per_sig, xmlsec1))
    if expect == "accept" and xmlsec1 != "valid":
        sys.exit("%s: an accept case must verify under xmlsec1" % case)
    pol = {"allow_unsolicited": False, "allow_sha1": False, "require_assertion_signed": False}
    pol.update(policy or {})
    params = {"now": NOW, "sp_entity_id": SP, "acs_url": ACS, "idp_entity_id": IDP, "request_id": request_id,
              "pinned_certs": list(pinned), "policy": pol, "clock_skew_seconds": 180, "expect": expect, "reason": reason, "note": note,
              "xmlsec1": xmlsec1, "xmlsec1_per_signature": per_sig}
    if errors:
        params["xmlsec1_message"] = errors[0]
    if extra:
        params.update(extra)
    with open(case + "/params.json", "w") as f:
        json.dump(params, f, indent=2)
        f.write("\n")
    entry = {"case": case, "file": path, "bytes": len(doc.encode()), "template": template}
    entry.update({k: params[k] for k in ("expect", "reason", "xmlsec1", "xmlsec1_per_signature", "pinned_certs", "request_id", "policy", "note") if k in params})
    MANIFEST.append(entry)

def make(name, doc_tpl, signs):
    """Write templates/<name>.xml and sign its skeletons with xmlsec1; signs = [(index, key), ...] in order.
    Returns the signed text (kept in build/<name>.xml)."""
    tpl = "templates/%s.xml" % name
    with open(tpl, "w") as f:
        f.write(doc_tpl)
    out = "build/%s.xml" % name
    shutil.copy(tpl, out)
    for index, key in signs:
        sign_file(out, key, index)
    with open(out) as f:
        return f.read()

for d in ["templates", "build"]:
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
for d in os.listdir("."):
    if os.path.isdir(d) and (d.startswith("accept-") or d.startswith("reject-")):
        shutil.rmtree(d)

RS = ("rsa-sha256", "sha256")
A_SIGNED = assertion(sign=RS)
A_PLAIN = assertion()

# ---------------------------------------------------------------- accept cases
base = make("assertion-signed", response(A_SIGNED), [(1, "idp")])
emit("accept-assertion-signed", base, "accept", "ok", "Okta default shape: Assertion signed (rsa-sha256, exc-c14n), Response unsigned. The main bench fixture.", "valid", template="templates/assertion-signed.xml")

both = make("both-signed", response(A_SIGNED, sign=RS), [(2, "idp"), (1, "idp")])
emit("accept-both-signed", both, "accept", "ok", "Response and Assertion both signed by idp (assertion signed first, then the Response).", "valid", template="templates/both-signed.xml")

resp_only = make("response-signed", response(A_PLAIN, sign=RS), [(1, "idp")])
emit("accept-response-signed", resp_only, "accept", "ok", "Only the Response is signed; the assertion is covered by the Response signature. Refused where the connection requires the assertion itself to be signed (see reject-response-signed-require-assertion-signed).", "valid", template="templates/response-signed.xml")
emit("reject-response-signed-require-assertion-signed", resp_only, "reject", "assertion_not_signed", "Same bytes as accept-response-signed, but the policy requires the assertion itself to be signed.", "valid", policy={"require_assertion_signed": True}, template="templates/response-signed.xml")

big = make("assertion-signed-100-values", response(assertion(sign=RS, attrs=ATTRS + [GROUPS])), [(1, "idp")])
emit("accept-assertion-signed-100-values", big, "accept", "ok", "As accept-assertion-signed plus a `groups` attribute with 95 values (100 attribute values in all). The 26 KB bench fixture.", "valid", template="templates/assertion-signed-100-values.xml")
big2 = make("response-signed-100-values", response(assertion(attrs=ATTRS + [GROUPS]), sign=RS), [(1, "idp")])
emit("accept-response-signed-100-values", big2, "accept", "ok", "As accept-response-signed with 100 attribute values.", "valid", template="templates/response-signed-100-values.xml")
big3 = make("both-signed-100-values", response(assertion(sign=RS, attrs=ATTRS + [GROUPS]), sign=RS), [(2, "idp"), (1, "idp")])
emit("accept-both-signed-100-values", big3, "accept", "ok", "As accept-both-signed with 100 attribute values.", "valid", template="templates/both-signed-100-values.xml")

for alg, dig, key, cert in [("rsa-sha384", "sha384", "idp", "idp.crt"), ("rsa-sha512", "sha512", "idp", "idp.crt"),
                            ("ecdsa-sha256", "sha256", "idp-p256", "idp-p256.crt"), ("ecdsa-sha384", "sha384", "idp-p384", "idp-p384.crt")]:
    name = "assertion-signed-" + alg + ("-p256" if key == "idp-p256" else "-p384" if key == "idp-p384" else "")
    doc = make(name, response(assertion(sign=(alg, dig))), [(1, key)])
    emit("accept-" + name, doc, "accept", "ok", "Assertion signed with %s, digest %s, key %s." % (alg, dig, key), "valid", pinned=(cert,), template="templates/%s.xml" % name)

nxt = make("assertion-signed-idp-next", response(A_SIGNED), [(1, "idp-next")])
emit("accept-rotation-idp-next", nxt, "accept", "ok", "Signed with idp-next while both idp.crt and idp-next.crt are pinned (certificate rotation).", "valid", pinned=("idp.crt", "idp-next.crt"), template="templates/assertion-signed-idp-next.xml")

unsol = make("unsolicited", response(assertion(sign=RS, irt=None), irt=None), [(1, "idp")])
emit("accept-unsolicited", unsol, "accept", "ok", "IdP-initiated: no InResponseTo on Response or SubjectConfirmationData, no request outstanding; the connection allows unsolicited responses.", "valid", request_id=None, policy={"allow_unsolicited": True}, template="templates/unsolicited.xml")
emit("reject-unsolicited-not-allowed", unsol, "reject", "unsolicited_not_allowed", "Same bytes as accept-unsolicited, but the connection does not allow IdP-initiated SSO.", "valid", request_id=None, template="templates/unsolicited.xml")
emit("reject-missing-in-response-to", unsol, "reject", "missing_in_response_to",
     "Policy-dependent. Same bytes as accept-unsolicited (no InResponseTo) while request _req-7f3c2a is outstanding. Under the default policy (unsolicited not allowed) it must be refused; a connection that allows IdP-initiated SSO may accept it as unsolicited, and then the outstanding request stays unconsumed.",
     "valid", extra={"policy_dependent": True, "accept_when": {"allow_unsolicited": True}}, template="templates/unsolicited.xml")

split = make("comment-split-nameid", response(assertion(sign=RS, nameid="admin@acme.com<!---->.evil.io")), [(1, "idp")])
emit("accept-comment-split-nameid", split, "accept", "ok",
     "CVE-2017-11427 shape: the template's NameID is `admin@acme.com<!---->.evil.io` and xmlsec1 signed it AFTER the comment was inserted (exc-c14n drops comments), so the signature is VALID. Must accept, and the NameID must come out whole as `admin@acme.com.evil.io`, never `admin@acme.com`.",
     "valid", extra={"expected_name_id": "admin@acme.com.evil.io"}, template="templates/comment-split-nameid.xml")

emit("reject-replay", base, "reject", "replay",
     "Byte-identical to accept-assertion-signed. Submit it twice to the same SP (same replay cache): the first is accepted, the second refused because the assertion ID was already consumed (and the request ID too).",
     "valid", extra={"replay_of": "accept-assertion-signed", "submit_times": 2})

# ---------------------------------------------------------------- XSW 1-8 (Somorovsky et al. 2012)
ASIG = between(base, '<ds:Signature', '</ds:Signature>')          # the signed assertion's Signature
ORIG_A = between(base, '<saml2:Assertion ', '</saml2:Assertion>')   # the signed assertion
ORIG_A_NOSIG = edit(ORIG_A, ASIG, "")                               # the same without its Signature
EVIL_A = edit(edit(ORIG_A_NOSIG, 'ID="%s"' % ASSERT_ID, 'ID="%s"' % EVIL_ID), ">jane.doe@acme.com</saml2:NameID>", ">ceo@acme.com</saml2:NameID>")

RSIG = between(resp_only, '<ds:Signature', '</ds:Signature>')      # the Response's Signature (response-only signed)
ORIG_R = between(resp_only, '<saml2p:Response ', '</saml2p:Response>')
ORIG_R_NOSIG = edit(ORIG_R, RSIG, "")
R_A = between(resp_only, '<saml2:Assertion ', '</saml2:Assertion>')
EVIL_A_R = edit(edit(R_A, 'ID="%s"' % ASSERT_ID, 'ID="%s"' % EVIL_ID), ">jane.doe@acme.com</saml2:NameID>", ">ceo@acme.com</saml2:NameID>")
EVIL_R_OPEN = edit(ORIG_R[:ORIG_R.index(">") + 1], 'ID="%s"' % RESP_ID, 'ID="_evil-response"')
ISSUER_R = between(resp_only, '<saml2:Issuer ', '</saml2:Issuer>')
XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n'
EVIL_NOTE = "The evil assertion is a copy of the original without its Signature, ID changed to `_evil-assertion` and NameID changed from jane.doe@acme.com to ceo@acme.com."

xsw1 = XML_DECL + EVIL_R_OPEN + ISSUER_R + edit(RSIG, "</ds:Signature>", ORIG_R_NOSIG + "</ds:Signature>") + SUCCESS + EVIL_A_R + "</saml2p:Response>"
emit("reject-xsw1", xsw1, "reject", "signature_wrapping",
     "XSW1 (Response signature). Start: accept-response-signed. New root saml2p:Response with ID `_evil-response` = [its Issuer, the ORIGINAL ds:Signature (Reference still #%s), Status, evil assertion]; the original Response, with its Signature removed, is appended as the last child of that ds:Signature (after KeyInfo). %s The signature still digests the original Response, now hidden inside the Signature. xmlsec1 refuses it: a Response is not an allowed child of ds:Signature (and the enveloped-signature transform would remove the referenced node, which lies inside the Signature)." % (RESP_ID, EVIL_NOTE), "invalid")
xsw2 = XML_DECL + EVIL_R_OPEN + ISSUER_R + ORIG_R_NOSIG + RSIG + SUCCESS + EVIL_A_R + "</saml2p:Response>"
emit("reject-xsw2", xsw2, "reject", "signature_wrapping",
     "XSW2 (Response signature, detached). Start: accept-response-signed. New root saml2p:Response `_evil-response` = [Issuer, the original Response without its Signature, the ORIGINAL ds:Signature (Reference #%s) as a sibling right after it, Status, evil assertion]. %s" % (RESP_ID, EVIL_NOTE), "valid")

pre, post = base.split(ORIG_A)
xsw3 = pre + EVIL_A + ORIG_A + post
emit("reject-xsw3", xsw3, "reject", "signature_wrapping",
     "XSW3 (Assertion signature). Start: accept-assertion-signed. An evil assertion is inserted as a sibling BEFORE the original signed assertion (right after Status). %s The original signed assertion is untouched." % EVIL_NOTE, "valid")
xsw4 = pre + edit(EVIL_A, "</saml2:Assertion>", ORIG_A + "</saml2:Assertion>") + post
emit("reject-xsw4", xsw4, "reject", "signature_wrapping",
     "XSW4. Start: accept-assertion-signed. The original signed assertion is replaced by the evil assertion, and the original (with its Signature) is moved INSIDE the evil assertion as its last child (after AttributeStatement). %s" % EVIL_NOTE, "valid")
EVIL_A_WITH_SIG = edit(EVIL_A, '</saml2:Issuer>', '</saml2:Issuer>' + ASIG)
xsw5 = pre + EVIL_A_WITH_SIG + edit(post, "</saml2p:Response>", ORIG_A_NOSIG + "</saml2p:Response>")
emit("reject-xsw5", xsw5, "reject", "signature_wrapping",
     "XSW5. Start: accept-assertion-signed. The original ds:Signature (Reference #%s) is moved into the evil assertion (after its Issuer), the evil assertion takes the original's place, and a copy of the original assertion WITHOUT its Signature is appended as the last child of the Response. %s" % (ASSERT_ID, EVIL_NOTE), "valid")
xsw6 = pre + edit(EVIL_A, '</saml2:Issuer>', '</saml2:Issuer>' + edit(ASIG, "</ds:Signature>", ORIG_A_NOSIG + "</ds:Signature>")) + post
emit("reject-xsw6", xsw6, "reject", "signature_wrapping",
     "XSW6. Start: accept-assertion-signed. The evil assertion takes the original's place and carries the original ds:Signature (after its Issuer); the original assertion WITHOUT its Signature is placed inside that ds:Signature as its last child (after KeyInfo). %s xmlsec1 refuses it: an Assertion is not an allowed child of ds:Signature." % EVIL_NOTE, "invalid")
xsw7 = edit(pre, SUCCESS, '<saml2p:Extensions>' + EVIL_A + '</saml2p:Extensions>' + SUCCESS) + ORIG_A + post
emit("reject-xsw7", xsw7, "reject", "signature_wrapping",
     "XSW7. Start: accept-assertion-signed. A saml2p:Extensions element holding the evil (unsigned) assertion is inserted between the Response's Issuer and Status (its schema position); the original signed assertion stays in place after Status. %s A reader taking the first Assertion in document order gets the evil one." % EVIL_NOTE, "valid")
xsw7b = edit(pre, SUCCESS, '<saml2p:Extensions>' + ORIG_A + '</saml2p:Extensions>' + SUCCESS) + EVIL_A + post
emit("reject-xsw7-signed-in-extensions", xsw7b, "reject", "signature_wrapping",
     "XSW7 variant. Start: accept-assertion-signed. A saml2p:Extensions element is inserted between the Response's Issuer and Status and the original signed assertion (with its Signature) is moved into it; the evil (unsigned) assertion takes the original's place after Status. %s" % EVIL_NOTE, "valid")
xsw8 = pre + edit(EVIL_A, '</saml2:Issuer>', '</saml2:Issuer>' + edit(ASIG, "</ds:Signature>", "<ds:Object>" + ORIG_A_NOSIG + "</ds:Object></ds:Signature>")) + post
emit("reject-xsw8", xsw8, "reject", "signature_wrapping",
     "XSW8. Start: accept-assertion-signed. The evil assertion takes the original's place and carries the original ds:Signature (after its Issuer); a ds:Object holding the original assertion WITHOUT its Signature is appended inside that ds:Signature (after KeyInfo). %s xmlsec1 says FAIL: the referenced node lies inside the Signature, which the enveloped-signature transform removes, so the digest is over an empty node set." % EVIL_NOTE, "invalid")

# ---------------------------------------------------------------- other structural attacks
two = edit(base, "</saml2p:Response>", EVIL_A + "</saml2p:Response>")
emit("reject-two-assertions-one-signed", two, "reject", "multiple_assertions",
     "Start: accept-assertion-signed. The evil assertion (%s) is appended after the signed assertion as a second child Assertion of the Response." % EVIL_NOTE, "valid")

dup = pre + edit(EVIL_A, 'ID="%s"' % EVIL_ID, 'ID="%s"' % ASSERT_ID) + ORIG_A + post
emit("reject-duplicate-id", dup, "reject", "duplicate_id",
     "Start: accept-assertion-signed. An evil assertion with the SAME ID as the signed one (%s, NameID ceo@acme.com, no Signature) is inserted before the signed assertion: two elements carry ID=%s." % (ASSERT_ID, ASSERT_ID), "invalid")

# Signed Response whose assertion was swapped for another assertion that is itself validly signed by idp.
other = make("other-assertion-signed", response(assertion(aid=OTHER_ASSERT_ID, sign=RS, nameid="ceo@acme.com", session="id1768471199777.100200300")), [(1, "idp")])
OTHER_A = between(other, '<saml2:Assertion ', '</saml2:Assertion>')
BOTH_A = between(both, '<saml2:Assertion ', '</saml2:Assertion>')
swapped = edit(both, BOTH_A, OTHER_A)
emit("reject-swapped-assertion", swapped, "reject", "signature_invalid",
     "Start: accept-both-signed. Its assertion (%s, jane.doe@acme.com) is replaced by a different assertion (%s, NameID ceo@acme.com) that idp signed on its own (taken from build/other-assertion-signed.xml). The assertion's own signature is valid, the Response signature is not (digest mismatch): every signature present must verify." % (ASSERT_ID, OTHER_ASSERT_ID),
     "invalid")

att = make("attacker-signed", response(A_SIGNED), [(1, "attacker")])
emit("reject-attacker-keyinfo", att, "reject", "untrusted_key",
     "The assertion template signed by `attacker` (xmlsec1 put attacker.crt in KeyInfo/X509Data). Only idp.crt is pinned: a certificate in KeyInfo must never add trust.", "invalid",
     template="templates/assertion-signed.xml")

att_kv_tpl = edit(response(A_SIGNED), '<ds:KeyInfo><ds:X509Data><ds:X509Certificate></ds:X509Certificate></ds:X509Data></ds:KeyInfo>', '<ds:KeyInfo><ds:KeyValue/></ds:KeyInfo>')
att_kv = make("attacker-signed-keyvalue", att_kv_tpl, [(1, "attacker")])
emit("reject-attacker-keyvalue", att_kv, "reject", "untrusted_key",
     "The assertion template with `<ds:KeyInfo><ds:KeyValue/></ds:KeyInfo>` signed by `attacker` (xmlsec1 filled in attacker's RSAKeyValue). Only idp.crt is pinned. SURPRISE: `xmlsec1 --verify --pubkey-cert-pem idp.crt` prints OK, because xmlsec1 takes the key from KeyValue (with `--enabled-key-data x509` added it prints FAIL). A verifier must take keys from pinned certificates only.",
     "valid", template="templates/attacker-signed-keyvalue.xml")

# DOCTYPE family: edits of the signed base document. The entity expands to the text it replaces, so a
# DTD-processing verifier still computes a valid signature; the parser must refuse any DOCTYPE.
dt_int = edit(edit(base, '<saml2p:Response ', '<!DOCTYPE saml2p:Response [\n<!ENTITY user "jane.doe@acme.com">\n]>\n<saml2p:Response '),
              '>jane.doe@acme.com</saml2:NameID>', '>&user;</saml2:NameID>')
emit("reject-doctype-internal-entity", dt_int, "reject", "doctype",
     "Start: accept-assertion-signed. Inserted before the root: `<!DOCTYPE saml2p:Response [<!ENTITY user \"jane.doe@acme.com\">]>`; the NameID text jane.doe@acme.com replaced by `&user;` (expands to the same text, so xmlsec1, which expands entities, still verifies). Any DOCTYPE must be refused.",
     "invalid")
dt_ext = edit(edit(base, '<saml2p:Response ', '<!DOCTYPE saml2p:Response [\n<!ENTITY xxe SYSTEM "file:///etc/hostname">\n]>\n<saml2p:Response '),
              '>Jane Doe</saml2:AttributeValue>', '>&xxe;</saml2:AttributeValue>')
emit("reject-doctype-xxe", dt_ext, "reject", "doctype",
     "Start: accept-assertion-signed. Inserted before the root: `<!DOCTYPE saml2p:Response [<!ENTITY xxe SYSTEM \"file:///etc/hostname\">]>`; the `name` attribute value `Jane Doe` replaced by `&xxe;` (external entity, XXE). Must be refused before any entity is resolved.",
     "invalid")
lol = "".join('<!ENTITY lol%d "%s">\n' % (i, ("&lol%d;" % (i - 1)) * 10) for i in range(1, 10))
dt_lol = edit(edit(base, '<saml2p:Response ', '<!DOCTYPE saml2p:Response [\n<!ENTITY lol0 "lol">\n' + lol + ']>\n<saml2p:Response '),
              '>Jane Doe</saml2:AttributeValue>', '>&lol9;</saml2:AttributeValue>')
emit("reject-doctype-billion-laughs", dt_lol, "reject", "doctype",
     "Start: accept-assertion-signed. Inserted before the root: a DOCTYPE with the classic billion-laughs entities lol0..lol9 (each lolN = ten &lol(N-1);, 10^9 `lol`s); the `name` attribute value `Jane Doe` replaced by `&lol9;`. Must be refused at the DOCTYPE, in constant memory.",
     "invalid")

sha1 = make("assertion-signed-rsa-sha1", response(assertion(sign=("rsa-sha1", "sha1"))), [(1, "idp")])
emit("reject-sha1-without-opt-in", sha1, "reject", "weak_algorithm",
     "Assertion signed with rsa-sha1 and a sha1 digest by idp. The signature is valid; it must be refused unless the connection opts in to SHA-1 (accept-sha1-with-opt-in has the same bytes).", "valid", template="templates/assertion-signed-rsa-sha1.xml")
emit("accept-sha1-with-opt-in", sha1, "accept", "ok", "Same bytes as reject-sha1-without-opt-in; the connection policy allows SHA-1.", "valid", policy={"allow_sha1": True}, template="templates/assertion-signed-rsa-sha1.xml")

weak = make("assertion-signed-weak", response(A_SIGNED), [(1, "weak")])
emit("reject-rsa-1024", weak, "reject", "weak_key",
     "Assertion signed (rsa-sha256) by `weak`, an RSA-1024 key, with weak.crt pinned. The signature is valid; RSA < 2048 must be refused unless the policy opts in.", "valid", pinned=("weak.crt",), template="templates/assertion-signed.xml")

SI = between(base, '<ds:SignedInfo>', '</ds:SignedInfo>')
dup_si = edit(base, SI, SI + SI)
emit("reject-duplicate-signedinfo", dup_si, "reject", "malformed_signature",
     "Start: accept-assertion-signed. The ds:SignedInfo element is duplicated: an exact copy is inserted right after it (before SignatureValue). CVE-2020-15216 shape.", "invalid")

DV = re.search(r'<ds:DigestValue>([^<]*)</ds:DigestValue>', base).group(1)
dv_comment = edit(base, '<ds:DigestValue>%s</ds:DigestValue>' % DV, '<ds:DigestValue>%s<!-- x -->%s</ds:DigestValue>' % (DV[:20], DV[20:]))
emit("reject-comment-in-digestvalue", dv_comment, "reject", "malformed_signature",
     "Start: accept-assertion-signed. The DigestValue text is split by a comment after its 20th character: `%s<!-- x -->%s`. Content untouched, so the joined text is still the right digest; a strict verifier refuses comments inside signature elements (CVE-2025-29775 class: a reader taking only the first text node sees a different value). xmlsec1 joins the text." % (DV[:20], DV[20:]),
     "valid")

evil_nameid = edit(base, '>jane.doe@acme.com</saml2:NameID>', '>ceo@acme.com</saml2:NameID>')
evil_signed = make("evil-nameid-attacker-signed", edit(response(A_SIGNED), '>jane.doe@acme.com</saml2:NameID>', '>ceo@acme.com</saml2:NameID>'), [(1, "attacker")])
EVIL_DV = re.search(r'<ds:DigestValue>([^<]*)</ds:DigestValue>', evil_signed).group(1)
two_dv = edit(evil_nameid, '<ds:DigestValue>%s</ds:DigestValue>' % DV, '<ds:DigestValue>%s</ds:DigestValue><ds:DigestValue>%s</ds:DigestValue>' % (DV, EVIL_DV))
emit("reject-second-digestvalue", two_dv, "reject", "malformed_signature",
     "Start: accept-assertion-signed. NameID changed to ceo@acme.com, and a second ds:DigestValue holding the correct digest of that tampered assertion (%s, taken from build/evil-nameid-attacker-signed.xml, which xmlsec1 signed with attacker) is inserted right after the original DigestValue. A verifier that checks the last DigestValue against the content and the SignatureValue against a SignedInfo without it would pass." % EVIL_DV,
     "invalid")

uri_empty_tpl = edit(response(A_PLAIN, sign=RS), 'URI="#%s"' % RESP_ID, 'URI=""')
uri_empty = make("response-signed-uri-empty", uri_empty_tpl, [(1, "idp")])
RSIG_E = between(uri_empty, '<ds:Signature', '</ds:Signature>')
wrapped = edit(uri_empty, RSIG_E, edit(RSIG_E, '</ds:Signature>', '<ds:Object>' + EVIL_A_R + '</ds:Object></ds:Signature>'))
emit("reject-uri-empty-wrapped-assertion", wrapped, "reject", "signature_wrapping",
     "Start: build/response-signed-uri-empty.xml (Response signed with Reference URI=\"\", the whole document, by idp). A ds:Object holding the evil assertion (copy of the assertion, ID `_evil-assertion`, NameID ceo@acme.com) is appended inside the Response's ds:Signature after KeyInfo. The enveloped-signature transform removes the whole Signature, so the digest still matches: the wrapped assertion is unsigned and must never be read.",
     "valid", template="templates/response-signed-uri-empty.xml")

tampered = edit(base, '>Jane Doe</saml2:AttributeValue>', '>Jane Admin</saml2:AttributeValue>')
emit("reject-digest-tampered", tampered, "reject", "signature_invalid",
     "Start: accept-assertion-signed. After signing, the `name` attribute value `Jane Doe` was changed to `Jane Admin` (digest mismatch).", "invalid")
SV = re.search(r'<ds:SignatureValue>([^<]*)</ds:SignatureValue>', base).group(1)
flip = "B" if SV[10] != "B" else "C"
sv_t = edit(base, SV, SV[:10] + flip + SV[11:])
emit("reject-signature-value-tampered", sv_t, "reject", "signature_invalid",
     "Start: accept-assertion-signed. The 11th base64 character of SignatureValue was changed from `%s` to `%s`." % (SV[10], flip), "invalid")

# ---------------------------------------------------------------- more shapes: c14n variants, PrefixList, missing pieces
C10 = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
C11 = "http://www.w3.org/2006/12/xml-c14n11"
EXC_URI = "http://www.w3.org/2001/10/xml-exc-c14n#"
for cname, curi in [("c14n10", C10), ("c14n11", C11)]:
    tpl = response(A_PLAIN, sign=RS).replace('<ds:CanonicalizationMethod Algorithm="%s"/>' % EXC_URI, '<ds:CanonicalizationMethod Algorithm="%s"/>' % curi, 1) \
                                     .replace('<ds:Transform Algorithm="%s"/>' % EXC_URI, '<ds:Transform Algorithm="%s"/>' % curi, 1)
    doc = make("response-signed-" + cname, tpl, [(1, "idp")])
    emit("accept-response-signed-" + cname, doc, "accept", "ok",
         "Response-only signed with inclusive %s as both SignedInfo CanonicalizationMethod and Reference transform (after enveloped-signature), as gosaml2's saml.oktadev.com scenarios (Okta's SAML test tool) do with c14n 1.1. A verifier that supports only exclusive c14n must refuse it as unsupported, never accept it unchecked." % curi,
         "valid", template="templates/response-signed-%s.xml" % cname)

XS_DECL = ' xmlns:xs="http://www.w3.org/2001/XMLSchema"'
pl_tpl = response(A_PLAIN, sign=RS).replace('Version="2.0" xmlns:saml2p="%s">' % NS_P, 'Version="2.0" xmlns:saml2p="%s"%s>' % (NS_P, XS_DECL), 1) \
    .replace('<ds:Transform Algorithm="%s"/></ds:Transforms>' % EXC_URI,
             '<ds:Transform Algorithm="%s"><ec:InclusiveNamespaces xmlns:ec="%s" PrefixList="xs"/></ds:Transform></ds:Transforms>' % (EXC_URI, EXC_URI), 1)
pl = make("response-signed-prefixlist-xs", pl_tpl, [(1, "idp")])
emit("accept-response-signed-prefixlist-xs", pl, "accept", "ok",
     "The 2016 Okta shape of gosaml2's okta_response.xml: xmlns:xs declared on the Response too, and the Response signature's exc-c14n transform carries InclusiveNamespaces PrefixList=\"xs\".",
     "valid", template="templates/response-signed-prefixlist-xs.xml")

nosig = make("unsigned", response(A_PLAIN), [])
emit("reject-no-signature", nosig, "reject", "signature_missing",
     "Neither the Response nor the Assertion is signed (the accept-assertion-signed document without its Signature template).", "n/a", template="templates/unsigned.xml")

both_att_tpl = response(A_SIGNED, sign=RS)
both_att = make("both-signed-assertion-by-attacker", both_att_tpl, [(2, "attacker"), (1, "idp")])
emit("reject-assertion-signature-by-attacker", both_att, "reject", "untrusted_key",
     "The assertion signed by `attacker` (attacker.crt in its KeyInfo), then the Response (covering it) signed by idp. The Response signature holds, the assertion's does not: a present signature that fails means tampering, even where another one holds.",
     "invalid", template="templates/both-signed-assertion-by-attacker.xml")

no_aud_tpl = edit(response(A_SIGNED), '<saml2:AudienceRestriction><saml2:Audience>%s</saml2:Audience></saml2:AudienceRestriction>' % SP, '')
no_aud = make("no-audience-restriction", no_aud_tpl, [(1, "idp")])
emit("reject-no-audience-restriction", no_aud, "reject", "audience_missing",
     "Assertion-signed template whose Conditions has no AudienceRestriction at all (an AudienceRestriction naming our SP entity ID is required).", "valid",
     template="templates/no-audience-restriction.xml")

for case, expect, reason, nooa, why in [
        ("accept-expired-within-skew", "accept", "ok", "2026-01-15T09:58:30.000Z", "90 s before now, inside the 180 s default skew"),
        ("reject-expired-beyond-skew", "reject", "expired", "2026-01-15T09:56:00.000Z", "240 s before now, beyond the 180 s default skew")]:
    tt = dict(issue="2026-01-15T09:53:30.000Z", nb="2026-01-15T09:48:30.000Z", nooa=nooa, authn="2026-01-15T09:53:00.000Z")
    doc = make(case[7:], response(assertion(sign=RS, t=tt), t=tt), [(1, "idp")])
    emit(case, doc, expect, reason, "Assertion-signed template whose Conditions and SubjectConfirmationData NotOnOrAfter are %s: %s (clock_skew_seconds 180)." % (nooa, why),
         "valid", template="templates/%s.xml" % case[7:])

# ---------------------------------------------------------------- validity-window, binding and status cases (all signed by idp)
T_EXP = dict(issue="2026-01-15T08:59:59.512Z", nb="2026-01-15T08:54:59.512Z", nooa="2026-01-15T09:04:59.512Z", authn="2026-01-15T08:59:30.000Z")
T_FUT = dict(issue="2026-01-15T10:15:00.000Z", nb="2026-01-15T10:10:00.000Z", nooa="2026-01-15T10:20:00.000Z", authn="2026-01-15T10:14:30.000Z")
for case, reason, tpl_name, doc_tpl, note in [
    ("reject-expired", "expired", "expired", response(assertion(sign=RS, t=T_EXP), t=T_EXP),
     "Assertion-signed template with every instant one hour earlier: Conditions and SubjectConfirmationData NotOnOrAfter 2026-01-15T09:04:59.512Z, 55 minutes before now (far outside the 180 s skew)."),
    ("reject-not-yet-valid", "not_yet_valid", "not-yet-valid", response(assertion(sign=RS, t=T_FUT), t=T_FUT),
     "Assertion-signed template with NotBefore 2026-01-15T10:10:00.000Z (10 minutes after now, outside the 180 s skew), IssueInstant 10:15:00.000Z."),
    ("reject-wrong-audience", "audience_mismatch", "wrong-audience", response(assertion(sign=RS, audience="urn:auth0:layer-stack-app:other")),
     "Assertion-signed template whose Audience is urn:auth0:layer-stack-app:other (SP is urn:auth0:layer-stack-app:acme)."),
    ("reject-wrong-recipient", "recipient_mismatch", "wrong-recipient", response(assertion(sign=RS, recipient="https://auth.app.layer.ai/login/callback")),
     "Assertion-signed template whose SubjectConfirmationData Recipient is https://auth.app.layer.ai/login/callback (the `?connection=acme` query is missing; must match the ACS URL exactly)."),
    ("reject-wrong-destination", "destination_mismatch", "wrong-destination", response(A_SIGNED, sign=RS, destination="https://auth.app.layer.ai/login/callback?connection=other"),
     "Both-signed template whose Response Destination is https://auth.app.layer.ai/login/callback?connection=other."),
    ("reject-wrong-issuer", "issuer_mismatch", "wrong-issuer", response(assertion(sign=RS, issuer="http://www.okta.com/exk9otherEXAMPLE"), issuer="http://www.okta.com/exk9otherEXAMPLE"),
     "Assertion-signed template whose Response and Assertion Issuer are http://www.okta.com/exk9otherEXAMPLE (signed by the pinned idp key, so only the Issuer check can catch it)."),
    ("reject-unknown-in-response-to", "in_response_to_mismatch", "unknown-in-response-to", response(assertion(sign=RS, irt="_req-unknown"), irt="_req-unknown"),
     "Assertion-signed template with InResponseTo `_req-unknown` on Response and SubjectConfirmationData, while the outstanding request is _req-7f3c2a."),
]:
    n = n_sigs(doc_tpl)
    doc = make(tpl_name, doc_tpl, [(2, "idp"), (1, "idp")] if n == 2 else [(1, "idp")])
    emit(case, doc, "reject", reason, note, "valid", template="templates/%s.xml" % tpl_name)

DENIED = ('<saml2p:Status xmlns:saml2p="%s"><saml2p:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Requester">'
          '<saml2p:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:RequestDenied"/></saml2p:StatusCode>'
          '<saml2p:StatusMessage>User is not assigned to this application</saml2p:StatusMessage></saml2p:Status>') % NS_P
den = make("status-request-denied", response("", sign=RS, status=DENIED), [(1, "idp")])
emit("reject-status-request-denied", den, "reject", "status_not_success",
     "Signed Response with top-level StatusCode Requester, second-level RequestDenied and StatusMessage `User is not assigned to this application`; no assertion at all. The error must carry both codes and the message.",
     "valid", template="templates/status-request-denied.xml",
     extra={"expected_status": ["urn:oasis:names:tc:SAML:2.0:status:Requester", "urn:oasis:names:tc:SAML:2.0:status:RequestDenied"], "expected_status_message": "User is not assigned to this application"})

# ---------------------------------------------------------------- encrypted assertion whose inner assertion is unsigned
ENC_TPL = ('<xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" Type="http://www.w3.org/2001/04/xmlenc#Element">'
           '<xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes256-cbc"/>'
           '<ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><xenc:EncryptedKey>'
           '<xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p">'
           '<ds:DigestMethod Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"/></xenc:EncryptionMethod>'
           '<xenc:CipherData><xenc:CipherValue/></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo>'
           '<xenc:CipherData><xenc:CipherValue/></xenc:CipherData></xenc:EncryptedData>')
with open("templates/enc-aes256-cbc-oaep.xml", "w") as f:
    f.write(ENC_TPL)
with open("build/inner-unsigned-assertion.xml", "w") as f:
    f.write('<?xml version="1.0" encoding="UTF-8"?>\n' + A_PLAIN)
run(["xmlsec1", "--encrypt", "--pubkey-cert-pem", KEYS + "/sp.crt", "--session-key", "aes-256", "--xml-data",
     "build/inner-unsigned-assertion.xml", "--node-xpath", "/*", "--output", "build/inner-unsigned-encrypted.xml",
     "templates/enc-aes256-cbc-oaep.xml"])
with open("build/inner-unsigned-encrypted.xml") as f:
    ed = f.read().split("?>", 1)[1].strip()
enc_tpl = response('<saml2:EncryptedAssertion xmlns:saml2="%s">%s</saml2:EncryptedAssertion>' % (NS_A, ed), sign=RS)
enc = make("encrypted-inner-unsigned", enc_tpl, [(1, "idp")])
run(["xmlsec1", "--decrypt", "--privkey-pem", KEYS + "/sp.key", "--output", "build/inner-unsigned-decrypted.xml", "build/inner-unsigned-encrypted.xml"])
emit("reject-encrypted-inner-unsigned", enc, "reject", "assertion_not_signed",
     "An UNSIGNED assertion (the accept-response-signed assertion) encrypted by xmlsec1 to sp.crt (aes256-cbc, rsa-oaep-mgf1p), wrapped in saml2:EncryptedAssertion, and the Response signed by idp. Under \"require assertion signed\" it must be refused after decryption (decrypt with sp.key). The ciphertext changes on every run.",
     "valid", policy={"require_assertion_signed": True}, template="templates/encrypted-inner-unsigned.xml",
     extra={"decrypt_with": "sp.key"})

with open("manifest.json", "w") as f:
    json.dump({"description": "Okta-shaped SAML 2.0 Responses made with xmlsec1 by make.sh. xmlsec1_per_signature = what xmlsec1 printed (OK / FAIL / ERROR) for each ds:Signature in document order; xmlsec1 = valid if all printed OK, else invalid (ERROR means xmlsec1 refused the document or signature shape before comparing digests). Command: `xmlsec1 --verify --pubkey-cert-pem <pinned> --enabled-reference-uris same-doc --id-attr:ID <Response> --id-attr:ID <Assertion> --node-xpath <n-th ds:Signature>` (empty,same-doc for the one URI=\"\" case).",
               "now": NOW, "sp_entity_id": SP, "acs_url": ACS, "idp_entity_id": IDP, "request_id": REQ,
               "cases": MANIFEST}, f, indent=2)
    f.write("\n")

# ---------------------------------------------------------------- IdP metadata (Okta shape, as ssoready's okta/metadata.xml)
NS_MD = "urn:oasis:names:tc:SAML:2.0:metadata"
SSO = "https://acme.okta.com/app/acme_layerstackapp_1/exk1abcdEXAMPLE/sso/saml"
os.makedirs("metadata", exist_ok=True)

def cert_b64(name):
    with open("%s/%s" % (KEYS, name)) as f:
        return "".join(l for l in f.read().splitlines() if l and not l.startswith("-----"))

def cert_facts(name):
    fp = run(["openssl", "x509", "-in", "%s/%s" % (KEYS, name), "-noout", "-fingerprint", "-sha256"]).stdout.strip()
    end = run(["openssl", "x509", "-in", "%s/%s" % (KEYS, name), "-noout", "-enddate"]).stdout.strip()
    return {"file": name, "sha256_fingerprint": fp.split("=", 1)[1], "not_after": end.split("=", 1)[1]}

def keydesc(name, use="signing"):
    u = ' use="%s"' % use if use else ""
    return ('<md:KeyDescriptor%s><ds:KeyInfo xmlns:ds="%s"><ds:X509Data><ds:X509Certificate>%s</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>'
            % (u, DS, cert_b64(name)))

def entity(entity_id, keys, want_signed="false", attrs="", sig=""):
    return ('<md:EntityDescriptor entityID="%s"%s xmlns:md="%s">%s<md:IDPSSODescriptor WantAuthnRequestsSigned="%s" protocolSupportEnumeration="%s">%s'
            '<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>'
            '<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified</md:NameIDFormat>'
            '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="%s"/>'
            '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="%s"/>'
            '</md:IDPSSODescriptor></md:EntityDescriptor>') % (entity_id, attrs, NS_MD, sig, want_signed, NS_P, "".join(keys), SSO, SSO)

DECL = '<?xml version="1.0" encoding="UTF-8"?>'
MD = []
def md_emit(name, doc, expect, note, signed_by=None):
    path = "metadata/%s.xml" % name
    with open(path, "w") as f:
        f.write(doc)
    verdict = "n/a"
    if signed_by:
        tpl = "templates/metadata-%s.xml" % name
        shutil.copy(path, tpl)
        run(["xmlsec1", "--sign", "--privkey-pem", "%s/%s.key,%s/%s.crt" % (KEYS, signed_by, KEYS, signed_by), "--id-attr:ID", NS_MD + ":EntityDescriptor",
             "--output", path, tpl])
        p = run(["xmlsec1", "--verify", "--pubkey-cert-pem", KEYS + "/idp.crt", "--enabled-reference-uris", "same-doc", "--id-attr:ID",
                 NS_MD + ":EntityDescriptor", path], check=False)
        lines = (p.stdout + p.stderr).splitlines()
        verdict = "OK" if "OK" in lines else "FAIL" if "FAIL" in lines else "ERROR"
        if signed_by == "idp" and verdict != "OK":
            sys.exit(path + ": signed metadata does not verify")
    entry = {"file": path, "note": note, "xmlsec1_with_idp_crt": verdict}
    entry.update(expect)
    MD.append(entry)

md_emit("okta-idp", DECL + entity(IDP, [keydesc("idp.crt")]),
        {"entity_id": IDP, "want_authn_requests_signed": False, "sso": {"HTTP-POST": SSO, "HTTP-Redirect": SSO},
         "signing_certs": [cert_facts("idp.crt")], "name_id_formats": ["urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress", "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"]},
        "Okta-shaped IdP metadata for the fixtures' IdP: one signing KeyDescriptor (idp.crt), SSO for HTTP-POST and HTTP-Redirect.")
md_emit("okta-idp-rotation", DECL + entity(IDP, [keydesc("idp.crt"), keydesc("idp-next.crt"), keydesc("sp.crt", use=None), keydesc("attacker.crt", use="encryption")], want_signed="true",
                                           attrs=' validUntil="2026-02-15T00:00:00Z" cacheDuration="PT48H"'),
        {"entity_id": IDP, "want_authn_requests_signed": True, "valid_until": "2026-02-15T00:00:00Z", "cache_duration_seconds": 172800,
         "sso": {"HTTP-POST": SSO, "HTTP-Redirect": SSO},
         "signing_certs": [cert_facts("idp.crt"), cert_facts("idp-next.crt"), cert_facts("sp.crt")],
         "not_signing_certs": [cert_facts("attacker.crt")]},
        "Rotation: signing KeyDescriptors for idp.crt and idp-next.crt, one KeyDescriptor WITHOUT `use` (sp.crt: counts for signing by the SAML metadata spec), and one use=\"encryption\" (attacker.crt: must NOT be pinned for signatures). WantAuthnRequestsSigned=true, validUntil 2026-02-15T00:00:00Z, cacheDuration PT48H.")
sig_md = sig_tpl("#_md-acme-1")
md_emit("okta-idp-signed", DECL + entity(IDP, [keydesc("idp.crt")], attrs=' ID="_md-acme-1" validUntil="2026-02-15T00:00:00Z"', sig=sig_md),
        {"entity_id": IDP, "want_authn_requests_signed": False, "valid_until": "2026-02-15T00:00:00Z", "sso": {"HTTP-POST": SSO, "HTTP-Redirect": SSO},
         "signing_certs": [cert_facts("idp.crt")], "metadata_signature": "valid with idp.crt pinned"},
        "The okta-idp metadata with ID=\"_md-acme-1\" and validUntil, signed by idp (enveloped exc-c14n rsa-sha256, Signature as the first child of EntityDescriptor). xmlsec1 needs --id-attr:ID urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor.",
        signed_by="idp")
md_emit("okta-idp-signed-by-attacker", DECL + entity(IDP, [keydesc("attacker.crt")], attrs=' ID="_md-acme-1" validUntil="2026-02-15T00:00:00Z"', sig=sig_md),
        {"entity_id": IDP, "metadata_signature": "invalid with idp.crt pinned"},
        "Metadata that swaps in attacker.crt as the signing certificate, signed by attacker: with idp.crt pinned for the metadata signature it must be refused.",
        signed_by="attacker")
other = entity("http://www.okta.com/exk9otherEXAMPLE", [keydesc("attacker.crt")]).replace(' xmlns:md="%s"' % NS_MD, "")
ours = entity(IDP, [keydesc("idp.crt")]).replace(' xmlns:md="%s"' % NS_MD, "")
md_emit("entities", DECL + '<md:EntitiesDescriptor Name="acme-federation" xmlns:md="%s">%s%s</md:EntitiesDescriptor>' % (NS_MD, other, ours),
        {"entity_id": IDP, "sso": {"HTTP-POST": SSO, "HTTP-Redirect": SSO}, "signing_certs": [cert_facts("idp.crt")],
         "other_entity_ids": ["http://www.okta.com/exk9otherEXAMPLE"]},
        "EntitiesDescriptor with two IdPs; picking by entity ID %s must give idp.crt, never the other entity's attacker.crt." % IDP)
with open("metadata/manifest.json", "w") as f:
    json.dump({"description": "Okta-shaped IdP metadata. Expected parse results per file; fingerprints and not_after dates come from `openssl x509 -fingerprint -sha256` / `-enddate`.",
               "cases": MD}, f, indent=2)
    f.write("\n")

# ---------------------------------------------------------------- AuthnRequest: HTTP-Redirect (detached signature over query octets) and HTTP-POST (enveloped)
import base64, urllib.parse, zlib
os.makedirs("redirect", exist_ok=True)
AUTHN = ('<samlp:AuthnRequest xmlns:samlp="%s" xmlns:saml="%s" ID="%s" Version="2.0" IssueInstant="2026-01-15T09:59:50.000Z" '
         'Destination="%s" AssertionConsumerServiceURL="%s" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST">'
         '<saml:Issuer>%s</saml:Issuer><samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress" AllowCreate="true"/>'
         '</samlp:AuthnRequest>') % (NS_P, NS_A, REQ, SSO, ACS, SP)
with open("redirect/authnrequest.xml", "w") as f:
    f.write(AUTHN)
co = zlib.compressobj(9, zlib.DEFLATED, -15)          # raw DEFLATE (RFC 1951), no zlib header, as the binding requires
deflated = co.compress(AUTHN.encode()) + co.flush()
if zlib.decompress(deflated, -15) != AUTHN.encode():
    sys.exit("deflate round trip failed")
b64 = base64.b64encode(deflated).decode()
q = lambda v: urllib.parse.quote(v, safe="")         # upper-case %XX, space as %20
RELAY = "https://app.layer.ai/projects/42?tab=members&x=1"
RD = []
SIGALGS = {"rsa-sha256": ("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", "-sha256"),
           "rsa-sha1": ("http://www.w3.org/2000/09/xmldsig#rsa-sha1", "-sha1")}
def redirect_case(name, relay, alg, key, expect, reason, note, tamper=None):
    parts = ["SAMLRequest=" + q(b64)]
    if relay is not None:
        parts.append("RelayState=" + q(relay))
    if alg:
        parts.append("SigAlg=" + q(SIGALGS[alg][0]))
    signed_octets = "&".join(parts)
    entry = {"file": "redirect/%s.query" % name, "expect": expect, "reason": reason, "note": note,
             "saml_request_xml": "redirect/authnrequest.xml", "relay_state": relay, "sig_alg": SIGALGS[alg][0] if alg else None}
    query = signed_octets
    if alg:
        with open("build/%s.octets" % name, "w") as f:
            f.write(signed_octets)
        run(["openssl", "dgst", SIGALGS[alg][1], "-sign", "%s/%s.key" % (KEYS, key), "-out", "build/%s.sig" % name, "build/%s.octets" % name])
        run(["sh", "-c", "openssl x509 -in %s/%s.crt -noout -pubkey > build/%s.pub" % (KEYS, key, key)])
        run(["openssl", "dgst", SIGALGS[alg][1], "-verify", "build/%s.pub" % key, "-signature", "build/%s.sig" % name, "build/%s.octets" % name])
        with open("build/%s.sig" % name, "rb") as f:
            sigb64 = base64.b64encode(f.read()).decode()
        query = signed_octets + "&Signature=" + q(sigb64)
        entry.update({"signed_by": key + ".key", "verify_with": key + ".crt", "signed_octets": signed_octets})
    if tamper:
        query, d = tamper(query)
        entry["edit"] = d
    with open(entry["file"], "w") as f:
        f.write(query)
    RD.append(entry)

redirect_case("authnrequest-signed-rsa-sha256", RELAY, "rsa-sha256", "sp", "accept", "ok",
              "AuthnRequest (ID _req-7f3c2a) raw-DEFLATEd (python zlib, wbits -15, level 9), base64, URL-encoded; RelayState and SigAlg added; the exact octets `SAMLRequest=...&RelayState=...&SigAlg=...` signed with `openssl dgst -sha256 -sign sp.key` (PKCS#1 v1.5).")
redirect_case("authnrequest-signed-no-relaystate", None, "rsa-sha256", "sp", "accept", "ok", "As authnrequest-signed-rsa-sha256 without RelayState (signed octets `SAMLRequest=...&SigAlg=...`).")
redirect_case("authnrequest-unsigned", RELAY, None, None, "accept", "ok", "The same request without SigAlg/Signature (for IdPs that do not want signed requests).")
redirect_case("authnrequest-signed-rsa-sha1", RELAY, "rsa-sha1", "sp", "reject", "weak_algorithm", "Signed with rsa-sha1 (openssl dgst -sha1); refused unless SHA-1 is allowed.")
redirect_case("authnrequest-relaystate-tampered", RELAY, "rsa-sha256", "sp", "reject", "signature_invalid", "Signed like authnrequest-signed-rsa-sha256, then the RelayState value changed.",
              tamper=lambda qq: (qq.replace("RelayState=" + q(RELAY), "RelayState=" + q(RELAY.replace("42", "43"))), "RelayState projects/42 changed to projects/43 after signing"))
redirect_case("authnrequest-signed-by-attacker", RELAY, "rsa-sha256", "attacker", "reject", "signature_invalid", "Signed by attacker.key; verify with sp.crt must fail.")
RD[-1]["verify_with"] = "sp.crt"

post_tpl = AUTHN.replace("</saml:Issuer>", "</saml:Issuer>" + sig_tpl("#" + REQ).replace("ds:", "ds:"), 1)
with open("templates/authnrequest-post.xml", "w") as f:
    f.write('<?xml version="1.0" encoding="UTF-8"?>\n' + post_tpl)
run(["xmlsec1", "--sign", "--privkey-pem", "%s/sp.key,%s/sp.crt" % (KEYS, KEYS), "--id-attr:ID", NS_P + ":AuthnRequest", "--output",
     "redirect/authnrequest-post-signed.xml", "templates/authnrequest-post.xml"])
p = run(["xmlsec1", "--verify", "--pubkey-cert-pem", KEYS + "/sp.crt", "--enabled-reference-uris", "same-doc", "--id-attr:ID", NS_P + ":AuthnRequest",
         "redirect/authnrequest-post-signed.xml"], check=False)
if "OK" not in (p.stdout + p.stderr).splitlines():
    sys.exit("POST AuthnRequest does not verify")
RD.append({"file": "redirect/authnrequest-post-signed.xml", "expect": "accept", "reason": "ok", "signed_by": "sp.key", "verify_with": "sp.crt",
           "note": "The same AuthnRequest for the HTTP-POST binding: enveloped exc-c14n rsa-sha256 signature after Issuer, made by xmlsec1 with sp.key (--id-attr:ID urn:oasis:names:tc:SAML:2.0:protocol:AuthnRequest); a reference for our signer's output shape."})
with open("redirect/manifest.json", "w") as f:
    json.dump({"description": "SP AuthnRequests: HTTP-Redirect queries (*.query: the exact query string, no leading `?`) with detached signatures made by openssl over `signed_octets`, and one HTTP-POST enveloped signature by xmlsec1.",
               "sso_url": SSO, "cases": RD}, f, indent=2)
    f.write("\n")
print("%d cases written" % len(MANIFEST))
PY
