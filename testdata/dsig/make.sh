#!/usr/bin/env bash
# Regenerates testdata/dsig/: small XML-DSig documents for the differential test of gatehouse-xml's verifier
# against `xmlsec1 --verify` with a pinned key. Tools: xmlsec1 1.2.37 (OpenSSL backend), python3 for string edits.
#
# For every case: the template is written to templates/<case>.xml, xmlsec1 signs it (key and options in the
# case), the listed hand edits (if any) are applied with python str.replace and written down in the manifest's
# "edits", and the exact xmlsec1 verification command (stored as "xmlsec1_argv", run from this directory) is
# executed; what it printed (OK / FAIL / ERROR) is RECORDED in the manifest, never assumed. make.sh fails if a
# case declared as a valid signing result does not verify. verify-with-xmlsec1.sh FILE re-runs the stored command.
#
# Determinism: fixed IDs, RSA PKCS#1 v1.5 and HMAC signatures are deterministic; ECDSA ones change every run.
set -euo pipefail
cd "$(dirname "$0")"
exec python3 - "$@" <<'PY'
import json, os, re, shutil, subprocess, sys

KEYS = "../keys"
G = "urn:example:gatehouse"
DS = "http://www.w3.org/2000/09/xmldsig#"
EXC = "http://www.w3.org/2001/10/xml-exc-c14n#"
EXC_C = EXC + "WithComments"
C10 = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
C10_C = C10 + "#WithComments"
C11 = "http://www.w3.org/2006/12/xml-c14n11"
C11_C = C11 + "#WithComments"
ENV = DS + "enveloped-signature"
XPATH = "http://www.w3.org/TR/1999/REC-xpath-19991116"
XPATH2 = "http://www.w3.org/2002/06/xmldsig-filter2"
XSLT = "http://www.w3.org/TR/1999/REC-xslt-19991116"
B64 = DS + "base64"
SIG = {"rsa-sha1": DS + "rsa-sha1", "rsa-sha256": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
       "rsa-sha384": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384", "rsa-sha512": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
       "ecdsa-sha256": "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256", "ecdsa-sha384": "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
       "ecdsa-sha512": "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512", "hmac-sha256": "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256"}
DIG = {"sha1": DS + "sha1", "sha256": "http://www.w3.org/2001/04/xmlenc#sha256",
       "sha384": "http://www.w3.org/2001/04/xmldsig-more#sha384", "sha512": "http://www.w3.org/2001/04/xmlenc#sha512"}
IDS = [G + ":Root", G + ":Item", G + ":Evil"]

def run(cmd, check=True):
    print("+ " + " ".join(("'%s'" % c) if any(x in c for x in " ()?[*'") else c for c in cmd), flush=True)
    p = subprocess.run(cmd, capture_output=True)
    if check and p.returncode != 0:
        sys.stderr.write((p.stdout + p.stderr).decode(errors="replace"))
        sys.exit("FAILED: " + " ".join(cmd))
    return p

def read(p):
    with open(p, newline="") as f:
        return f.read()

def write(p, s):
    with open(p, "w", newline="") as f:
        f.write(s)

def between(s, start, end):
    i = s.index(start)
    return s[i:s.index(end, i) + len(end)]

def sig(ref="#item-1", c14n=EXC, alg="rsa-sha256", dig="sha256", transforms=None, keyinfo="x509", refs_extra="",
        objects="", si_c14n_inner="", pretty=False, p="ds"):
    """A ds:Signature skeleton for xmlsec1 --sign. transforms: list of (Algorithm, inner XML)."""
    if transforms is None:
        transforms = [(ENV, ""), (EXC, "")]
    tr = "".join('<%s:Transform Algorithm="%s"%s' % (p, a, (">%s</%s:Transform>" % (inner, p)) if inner else "/>") for a, inner in transforms)
    tr = "<%s:Transforms>%s</%s:Transforms>" % (p, tr, p) if transforms else ""
    ki = {"x509": "<{p}:KeyInfo><{p}:X509Data><{p}:X509Certificate/></{p}:X509Data></{p}:KeyInfo>",
          "none": "", "keyvalue": "<{p}:KeyInfo><{p}:KeyValue/></{p}:KeyInfo>",
          "keyname": "<{p}:KeyInfo><{p}:KeyName>hmac</{p}:KeyName></{p}:KeyInfo>"}[keyinfo].format(p=p)
    nl = "\n    " if pretty else ""
    cm = ('<%s:CanonicalizationMethod Algorithm="%s">%s</%s:CanonicalizationMethod>' % (p, c14n, si_c14n_inner, p)) if si_c14n_inner else '<%s:CanonicalizationMethod Algorithm="%s"/>' % (p, c14n)
    return ('<{p}:Signature xmlns:{p}="%s"><{p}:SignedInfo>%s%s%s<{p}:SignatureMethod Algorithm="%s"/>%s<{p}:Reference URI="%s">%s%s<{p}:DigestMethod Algorithm="%s"/>%s'
            '<{p}:DigestValue></{p}:DigestValue>%s</{p}:Reference>%s%s</{p}:SignedInfo><{p}:SignatureValue/>%s%s</{p}:Signature>').format(p=p) % (
        DS, nl, cm, nl, SIG[alg], nl, ref, nl + tr if tr else "", nl, DIG[dig], nl, nl, refs_extra, nl and "\n", ki, objects)

def item(s, attrs="", before="<g:Name>Jane Doe</g:Name>", after="<g:Email>jane@acme.test</g:Email>", iid="item-1", el="g:Item"):
    return '<%s ID="%s"%s>%s%s%s</%s>' % (el, iid, attrs, before, s, after, el)

def root(inner, attrs="", decl=True):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' if decl else "") + '<g:Root xmlns:g="%s" ID="root-1"%s>%s</g:Root>\n' % (G, attrs, inner)

def std(**kw):
    return root(item(sig(**kw)))

for d in ["templates", "build"]:
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
for f in os.listdir("."):
    if f.endswith(".xml"):
        os.remove(f)

MANIFEST = []
CERTS = {"idp": "idp.crt", "attacker": "attacker.crt", "weak": "weak.crt", "idp-p256": "idp-p256.crt", "idp-p384": "idp-p384.crt"}

def verify_argv(path, cert, ids, uris):
    argv = ["xmlsec1", "--verify", "--pubkey-cert-pem", "%s/%s" % (KEYS, cert), "--enabled-reference-uris", uris]
    for i in ids:
        argv += ["--id-attr:ID", i]
    return argv + [path]

def printed(p):
    lines = (p.stdout + p.stderr).decode(errors="replace").splitlines()
    for v in ("OK", "FAIL", "ERROR"):
        if v in lines:
            why = [l for l in lines if ("error=" in l and "x509" not in l.lower() and "library function failed" not in l)
                   or l.startswith("Error: duplicate") or "C14N error" in l or "parser error" in l]
            why = why or [l for l in lines if "error=" in l and "x509" not in l.lower()]
            return v, (re.sub(r"^func=[^:]*:file=[^:]*:line=\d+:", "", why[0]) if why else "")
    return "ERROR", "no verdict printed (exit %d)" % p.returncode

def case(name, tpl, key="idp", edits=(), ours=None, why=None, note="", ids=IDS, cert=None, uris="same-doc",
         sign_steps=None, expect_signing_valid=True, hmac=False, group="valid"):
    """Sign templates/<name>.xml with xmlsec1, apply `edits` (list of (old, new, description) or callables
    doc -> (doc, description)), write <name>.xml, run the xmlsec1 verify command and record its verdict."""
    cert = cert or CERTS.get(key, "idp.crt")
    write("templates/%s.xml" % name, tpl)
    out = "build/%s.signed.xml" % name
    idargs = sum([["--id-attr:ID", i] for i in ids], [])
    if hmac:
        run(["xmlsec1", "--sign", "--hmackey:hmac", "build/hmac-key-is-idp.crt.bin"] + idargs + ["--output", out, "templates/%s.xml" % name])
    else:
        steps = sign_steps or [None]
        src = "templates/%s.xml" % name
        for xp in steps:
            run(["xmlsec1", "--sign", "--privkey-pem", "%s/%s.key,%s/%s.crt" % (KEYS, key, KEYS, key)] + idargs
                + (["--node-xpath", xp] if xp else []) + ["--output", out, src])
            src = out
    doc = read(out)
    descr = []
    for e in edits:
        if callable(e):
            doc, d = e(doc)
        else:
            old, new, d = e
            if doc.count(old) != 1:
                sys.exit("%s: edit target %r found %d times" % (name, old[:60], doc.count(old)))
            doc = doc.replace(old, new)
        descr.append(d)
    path = name + ".xml"
    write(path, doc)
    argv = verify_argv(path, cert, ids, uris)
    verdict, msg = printed(run(argv, check=False))
    xv = "valid" if verdict == "OK" else "invalid"
    if not edits and expect_signing_valid and not hmac and cert == CERTS.get(key) and verdict != "OK":
        sys.exit("%s: a freshly signed document does not verify (%s %s)" % (name, verdict, msg))
    if ours is None:
        ours = xv
    entry = {"file": path, "group": group, "template": "templates/%s.xml" % name, "signed_with": "hmac" if hmac else key,
             "pinned_cert": cert, "id_attr": ["--id-attr:ID " + i for i in ids], "enabled_reference_uris": uris,
             "xmlsec1_argv": argv, "xmlsec1_printed": verdict, "xmlsec1": xv, "ours": ours,
             "same_verdict_expected": ours == xv or (ours == "reject-shape" and xv == "invalid"), "note": note, "edits": descr}
    if msg:
        entry["xmlsec1_message"] = msg
    if why:
        entry["ours_reason"] = why
    MANIFEST.append(entry)

with open("build/hmac-key-is-idp.crt.bin", "wb") as f:
    f.write(open(KEYS + "/idp.crt", "rb").read())

# ==================================================================== valid (algorithms)
case("rsa-sha256", std(), note="Baseline: Signature inside g:Item (after g:Name), Reference #item-1, enveloped + exc-c14n, rsa-sha256/sha256, idp cert in KeyInfo.")
case("rsa-sha384", std(alg="rsa-sha384", dig="sha384"), note="rsa-sha384 with a sha384 digest.")
case("rsa-sha512", std(alg="rsa-sha512", dig="sha512"), note="rsa-sha512 with a sha512 digest.")
case("rsa-sha256-digest-sha512", std(dig="sha512"), note="rsa-sha256 signature over a SignedInfo whose Reference uses a sha512 digest.")
case("ecdsa-p256-sha256", std(alg="ecdsa-sha256"), key="idp-p256", note="ECDSA P-256 with SHA-256 (SignatureValue is r||s, 64 bytes).")
case("ecdsa-p384-sha384", std(alg="ecdsa-sha384", dig="sha384"), key="idp-p384", note="ECDSA P-384 with SHA-384 (r||s, 96 bytes).")
case("ecdsa-p384-sha512", std(alg="ecdsa-sha512", dig="sha512"), key="idp-p384", ours="reject-shape",
     why="ecdsa-sha512 is not in the allowed algorithm list (ecdsa-sha256/384 only)", note="ECDSA P-384 with SHA-512.")
case("rsa-sha1", std(alg="rsa-sha1", dig="sha1"), ours="reject-shape", why="SHA-1 needs the explicit allow_sha1 policy (refused by default)",
     note="rsa-sha1 signature with a sha1 digest.")
case("rsa-1024", std(), key="weak", ours="reject-shape", why="RSA key < 2048 bits needs the allow_sha1/weak-key policy (refused by default)",
     note="rsa-sha256 by the RSA-1024 key `weak`, weak.crt pinned.")
def ecdsa_to_der(d):
    import base64
    m = re.search(r"<ds:SignatureValue>([^<]*)</ds:SignatureValue>", d)
    raw = base64.b64decode(m.group(1))
    half = len(raw) // 2
    def der_int(b):
        b = b.lstrip(b"\0") or b"\0"
        if b[0] & 0x80:
            b = b"\0" + b
        return b"\x02" + bytes([len(b)]) + b
    body = der_int(raw[:half]) + der_int(raw[half:])
    der = b"\x30" + bytes([len(body)]) + body
    return d.replace(m.group(0), "<ds:SignatureValue>%s</ds:SignatureValue>" % base64.b64encode(der).decode()), \
        "SignatureValue re-encoded from the XML-DSig r||s form (64 bytes) to an ASN.1 DER ECDSA-Sig-Value (same r and s)"
case("ecdsa-p256-der-signaturevalue", std(alg="ecdsa-sha256"), key="idp-p256", edits=[ecdsa_to_der], group="invalid",
     note="XML-DSig 1.1 requires r||s for ECDSA; a DER-encoded value (as some libraries emit) must not verify.")
case("no-keyinfo", std(keyinfo="none"), note="No KeyInfo at all: the key comes from the pinned certificate only.")
case("ds-prefix-dsig", std(p="dsig"), note="The XML-DSig namespace bound to prefix `dsig` instead of `ds`.")
case("ds-default-namespace", root(item(sig(p="ds").replace("ds:", "").replace('xmlns:ds=', 'xmlns='))),
     note="The Signature and its children use the DSig namespace as the default namespace (no prefix); the signed g:Item content is prefixed, so nothing else changes namespace.")

# ==================================================================== valid (canonicalization)
XS = 'xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
typed = '<g:Name xsi:type="xs:string">Jane Doe</g:Name>'
case("exc-c14n-prefixlist", root(item(sig(transforms=[(ENV, ""), (EXC, '<ec:InclusiveNamespaces xmlns:ec="%s" PrefixList="xs"/>' % EXC)]), before=typed), attrs=" " + XS),
     note="xs and xsi declared on g:Root (outside the signed g:Item); g:Name has xsi:type=\"xs:string\" (xs is used only inside an attribute value), so the Reference's exc-c14n transform carries InclusiveNamespaces PrefixList=\"xs\".")
case("exc-c14n-no-prefixlist-qname-in-content", root(item(sig(), before=typed), attrs=" " + XS),
     note="As exc-c14n-prefixlist but WITHOUT PrefixList: exc-c14n drops the unused-looking xs declaration (it only appears in an attribute value). Still a valid signature; see exc-c14n-no-prefixlist-xs-rebound for why PrefixList matters.")
case("exc-c14n-no-prefixlist-xs-rebound", root(item(sig(), before=typed), attrs=" " + XS),
     edits=[('xmlns:xs="http://www.w3.org/2001/XMLSchema"', 'xmlns:xs="urn:example:not-xml-schema"', "the xs prefix on g:Root (outside the signed element) rebound to urn:example:not-xml-schema")],
     note="Signed like exc-c14n-no-prefixlist-qname-in-content, then xs (used only inside xsi:type's value) rebound on the ancestor. exc-c14n without PrefixList does not see it, so the signature stays valid although the meaning of xsi:type changed.")
case("exc-c14n-prefixlist-xs-rebound", root(item(sig(transforms=[(ENV, ""), (EXC, '<ec:InclusiveNamespaces xmlns:ec="%s" PrefixList="xs"/>' % EXC)]), before=typed), attrs=" " + XS),
     edits=[('xmlns:xs="http://www.w3.org/2001/XMLSchema"', 'xmlns:xs="urn:example:not-xml-schema"', "the xs prefix on g:Root (outside the signed element) rebound to urn:example:not-xml-schema")],
     note="As exc-c14n-prefixlist, then xs rebound on the ancestor: PrefixList=\"xs\" puts xs into the canonical form, so the digest must break.")
case("exc-c14n-signedinfo-prefixlist", std(si_c14n_inner='<ec:InclusiveNamespaces xmlns:ec="%s" PrefixList="g"/>' % EXC),
     note="SignedInfo's CanonicalizationMethod (exc-c14n) carries InclusiveNamespaces PrefixList=\"g\": the g namespace (declared on g:Root) is rendered on SignedInfo.")
case("c14n10-signedinfo", std(c14n=C10), note="Inclusive c14n 1.0 as SignedInfo's CanonicalizationMethod (the ancestors' namespaces, here g, are rendered on SignedInfo); Reference transforms enveloped + exc-c14n.")
case("c14n10-transform", std(transforms=[(ENV, ""), (C10, "")]), note="Inclusive c14n 1.0 as the Reference transform (after enveloped-signature); SignedInfo exc-c14n.")
case("c14n11-signedinfo", std(c14n=C11), note="Inclusive c14n 1.1 as SignedInfo's CanonicalizationMethod.")
case("c14n11-transform", std(transforms=[(ENV, ""), (C11, "")]), note="Inclusive c14n 1.1 as the Reference transform.")
case("c14n10-both", std(c14n=C10, transforms=[(ENV, ""), (C10, "")]), note="Inclusive c14n 1.0 for both SignedInfo and the Reference.")
case("c14n10-transform-unused-ancestor-ns", std(transforms=[(ENV, ""), (C10, "")]).replace('ID="root-1"', 'ID="root-1" xmlns:u="urn:example:unused"'),
     note="Inclusive c14n 1.0 transform with an unused namespace u declared on g:Root: inclusive c14n renders it on g:Item, so it is part of the digest.")
case("c14n10-transform-unused-ancestor-ns-changed", std(transforms=[(ENV, ""), (C10, "")]).replace('ID="root-1"', 'ID="root-1" xmlns:u="urn:example:unused"'),
     edits=[('xmlns:u="urn:example:unused"', 'xmlns:u="urn:example:changed"', "the unused ancestor declaration xmlns:u changed to urn:example:changed")],
     note="As c14n10-transform-unused-ancestor-ns, then the unused ancestor namespace changed: inclusive c14n must see it (invalid).")
case("exc-c14n-unused-ancestor-ns-changed", std().replace('ID="root-1"', 'ID="root-1" xmlns:u="urn:example:unused"'),
     edits=[('xmlns:u="urn:example:unused"', 'xmlns:u="urn:example:changed"', "the unused ancestor declaration xmlns:u changed to urn:example:changed")],
     note="Same edit as c14n10-transform-unused-ancestor-ns-changed under exc-c14n, which ignores unused ancestor namespaces: still valid.")
case("exc-c14n-with-comments-transform", root(item(sig(transforms=[(ENV, ""), (EXC_C, "")]), before="<g:Name>Jane<!-- middle -->Doe</g:Name>")),
     note="Reference transform exc-c14n#WithComments over #item-1 whose g:Name contains a comment. A bare-name `#id` reference removes comments before the transform (XMLDSig 4.4.3.3), so the comment is not signed.")
case("exc-c14n-with-comments-comment-changed", root(item(sig(transforms=[(ENV, ""), (EXC_C, "")]), before="<g:Name>Jane<!-- middle -->Doe</g:Name>")),
     edits=[("<!-- middle -->", "<!-- changed -->", "the comment text inside g:Name changed from ` middle ` to ` changed `")],
     note="As exc-c14n-with-comments-transform, then the comment changed. Per XMLDSig a `#id` URI drops comments, so this stays valid; a verifier that keeps comments for WithComments would call it invalid.")
case("c14n10-with-comments-signedinfo", std(c14n=C10_C).replace("<ds:SignatureMethod", "<!-- in SignedInfo --><ds:SignatureMethod"),
     ours="reject-shape", why="Gatehouse refuses comments and processing instructions anywhere inside ds:Signature (one rule instead of reasoning per element about which comments are signed); no IdP emits them.",
     note="SignedInfo canonicalized with c14n 1.0 #WithComments and a comment inside SignedInfo (before SignatureMethod), which is therefore signed.")
case("c14n10-with-comments-signedinfo-comment-changed", std(c14n=C10_C).replace("<ds:SignatureMethod", "<!-- in SignedInfo --><ds:SignatureMethod"),
     edits=[("<!-- in SignedInfo -->", "<!-- tampered -->", "the comment inside SignedInfo changed")],
     note="As c14n10-with-comments-signedinfo, then that comment changed: SignedInfo's canonical form changes, so the SignatureValue fails.")
case("c14n10-with-comments-transform", root(item(sig(transforms=[(ENV, ""), (C10_C, "")]), before="<g:Name>Jane<!-- middle -->Doe</g:Name>")),
     note="Inclusive c14n 1.0 #WithComments as the Reference transform over #item-1 with a comment in g:Name (a `#id` URI removes comments first, XMLDSig 4.4.3.3).")
case("c14n11-with-comments-transform", root(item(sig(transforms=[(ENV, ""), (C11_C, "")]), before="<g:Name>Jane<!-- middle -->Doe</g:Name>")),
     note="Inclusive c14n 1.1 #WithComments as the Reference transform, same document.")
case("c14n11-with-comments-signedinfo", std(c14n=C11_C), note="Inclusive c14n 1.1 #WithComments as SignedInfo's CanonicalizationMethod.")
case("exc-c14n11-mix", std(c14n=C11, transforms=[(ENV, ""), (EXC_C, "")]), note="c14n 1.1 for SignedInfo, exc-c14n#WithComments for the Reference.")

# ==================================================================== valid (document shapes)
case("ancestor-namespaces", root(item(sig(), before="<p:Name xmlns:p2=\"urn:example:p2\">Jane <p:b>Doe</p:b></p:Name>"), attrs=' xmlns:p="urn:example:p"'),
     note="Prefix p is declared on g:Root (outside the signed element) and used inside g:Item; exc-c14n must render it on the first element that uses it.")
case("default-ns-undeclared", '<?xml version="1.0" encoding="UTF-8"?>\n<Root xmlns="urn:example:default" ID="root-1"><Item xmlns="" ID="item-1"><Name>Jane Doe</Name>%s<Email>jane@acme.test</Email></Item></Root>\n' % sig(),
     ids=["urn:example:default:Root", "Item"], note="g:Root-like Root in a default namespace; the signed Item undeclares it with xmlns=\"\" (no-namespace elements). xmlsec1 needs --id-attr:ID Item (no namespace).")
case("default-ns-inherited", '<?xml version="1.0" encoding="UTF-8"?>\n<Root xmlns="urn:example:default" ID="root-1"><Item ID="item-1"><Name>Jane Doe</Name>%s<Email>jane@acme.test</Email></Item></Root>\n' % sig(),
     ids=["urn:example:default:Root", "urn:example:default:Item"], note="The default namespace declared on Root only; the signed Item inherits it, so exc-c14n renders xmlns=\"urn:example:default\" on Item.")
case("attr-escaping", root(item(sig(), attrs=' g:label="a &amp; b &lt; c &gt; d &quot;q&quot; \'s\' tab&#9;lf&#10;cr&#13;end"')),
     note="An attribute needing every escape: &amp; &lt; &gt; &quot;, a literal apostrophe and tab/LF/CR character references (canonical form writes &amp; &lt; > &quot; &#x9; &#xA; &#xD;).")
case("text-escaping", root(item(sig(), before="<g:Name>a &amp; b &lt; c &gt; d \"q\" &#13; cr-ref</g:Name>")),
     note="Text with &amp; &lt; &gt; quotes and a &#13; character reference (canonical form: &amp; &lt; &gt; \" &#xD;).")
case("cdata", root(item(sig(), before="<g:Name><![CDATA[<Jane> & \"Doe\"]]></g:Name>")),
     note="A CDATA section in the signed content (canonical form replaces it by escaped text: &lt;Jane&gt; &amp; \"Doe\").")
case("cdata-replaced-by-escaped-text", root(item(sig(), before="<g:Name><![CDATA[<Jane> & \"Doe\"]]></g:Name>")),
     edits=[(lambda d: (d.replace("<![CDATA[<Jane> & \"Doe\"]]>", "&lt;Jane&gt; &amp; \"Doe\""), "the CDATA section replaced by the equivalent escaped text &lt;Jane&gt; &amp; \"Doe\""))],
     note="Signed like cdata, then the CDATA section replaced by equivalent escaped text: same canonical form, still valid.")
case("crlf", root(item(sig(), before="<g:Name>Jane\nDoe</g:Name>\n", after="\n<g:Email>jane@acme.test</g:Email>\n")),
     edits=[(lambda d: (d.replace("\n", "\r\n"), "every LF in the signed file replaced by CR LF (line ends, and the newline inside g:Name's text)"))],
     note="Signed with LF line ends (line breaks inside text and between elements), then converted to CRLF. An XML parser normalizes CRLF to LF, so the signature stays valid.")
case("non-ascii", root(item(sig(), attrs=' g:city="Zürich"', before="<g:Name>Zoë Ünïcødé — 日本語 🙂</g:Name>")),
     note="UTF-8 non-ASCII text (Latin-1 range, em dash, CJK, an astral-plane emoji) and a non-ASCII attribute value.")
case("non-ascii-as-char-refs", root(item(sig(), attrs=' g:city="Zürich"', before="<g:Name>Zoë Ünïcødé — 日本語 🙂</g:Name>")),
     edits=[("Zoë", "Zo&#xEB;", "`ë` in g:Name written as the character reference &#xEB;"), ("🙂", "&#128578;", "the emoji written as &#128578;")],
     note="Signed like non-ascii, then two characters replaced by equivalent character references: same canonical form, valid.")
case("uri-empty-root", root(sig(ref="")).replace('<g:Root xmlns:g="%s" ID="root-1">' % G, '<g:Root xmlns:g="%s" ID="root-1"><g:Name>Jane Doe</g:Name>' % G),
     uris="empty,same-doc", note="Reference URI=\"\" (the whole document) with the Signature a direct child of the root g:Root. Verified with --enabled-reference-uris empty,same-doc.")
case("uri-id-root", root(sig(ref="#root-1")).replace('<g:Root xmlns:g="%s" ID="root-1">' % G, '<g:Root xmlns:g="%s" ID="root-1"><g:Name>Jane Doe</g:Name>' % G),
     note="Reference URI=\"#root-1\" with the Signature a direct child of the root.")
case("pretty-signedinfo", std(pretty=True), note="SignedInfo pretty-printed (newlines and indentation between its children): the whitespace is part of the canonical SignedInfo.")
case("pretty-signedinfo-whitespace-changed", std(pretty=True),
     edits=[(lambda d: (d.replace("\n    <ds:SignatureMethod", "\n  <ds:SignatureMethod", 1), "the indentation before ds:SignatureMethod shortened from 4 to 2 spaces"))],
     note="As pretty-signedinfo, then whitespace inside SignedInfo changed: the canonical SignedInfo changes, so the SignatureValue fails.")

# ==================================================================== valid after canonically neutral edits
NEUTRAL = [
    ("neutral-attr-order", [("<g:Item ID=\"item-1\" g:a=\"1\" g:b=\"2\">", "<g:Item g:b=\"2\" g:a=\"1\" ID=\"item-1\">", "the attributes of g:Item reordered")], ' g:a="1" g:b="2"', None),
    ("neutral-single-quotes", [("<g:Item ID=\"item-1\" g:a=\"1\" g:b=\"2\">", "<g:Item ID='item-1' g:a='1' g:b='2'>", "g:Item's attribute values written with single quotes")], ' g:a="1" g:b="2"', None),
    ("neutral-empty-element-form", [("<g:Empty/>", "<g:Empty></g:Empty>", "<g:Empty/> written as <g:Empty></g:Empty>")], "", "<g:Name>Jane Doe</g:Name><g:Empty/>"),
    ("neutral-start-tag-whitespace", [("<g:Email>", "<g:Email\n   >", "whitespace added inside the g:Email start tag before `>`")], "", None),
    ("neutral-char-ref-text", [("<g:Name>Jane Doe</g:Name>", "<g:Name>&#74;ane&#x20;Doe</g:Name>", "`J` and the space in g:Name written as &#74; and &#x20;")], "", None),
    ("neutral-redundant-ns-redeclaration", [("<g:Email>", "<g:Email xmlns:g=\"%s\">" % G, "a redundant redeclaration xmlns:g (same URI) added on g:Email")], "", None),
    ("neutral-gt-escaped", [("<g:Name>a&gt;b</g:Name>", "<g:Name>a>b</g:Name>", "xmlsec1 wrote `>` in text as &gt;; changed to a literal `>`")], "", "<g:Name>a>b</g:Name>"),
    ("neutral-xml-declaration-removed", [(lambda d: (d.split("?>", 1)[1].lstrip("\n"), "the XML declaration removed"))], "", None),
    ("neutral-comment-outside-root", [("<g:Root ", "<!-- outside the root -->\n<g:Root ", "a comment inserted before the root element")], "", None),
    ("neutral-comment-in-text", [("<g:Name>Jane Doe</g:Name>", "<g:Name>Jane<!---->Doe</g:Name>".replace("Jane<!---->Doe", "Jane <!---->Doe"), "an empty comment inserted inside g:Name's text (`Jane <!---->Doe`): the text is unchanged, comments are not signed")], "", None),
    ("neutral-comment-between-elements", [("</g:Name>", "</g:Name><!-- injected -->", "a comment inserted between g:Name and the Signature")], "", None),
    ("neutral-base64-whitespace", [(lambda d: (re.sub(r"<ds:SignatureValue>([A-Za-z0-9+/=\n]+)</ds:SignatureValue>", lambda m: "<ds:SignatureValue>\n  " + m.group(1).replace("\n", "") [:40] + "\n  " + m.group(1).replace("\n", "")[40:] + "\n</ds:SignatureValue>", d),
                                        "SignatureValue re-wrapped: line breaks and indentation inside its base64 text (not part of SignedInfo)"))], "", None),
    ("neutral-digestvalue-whitespace", [(lambda d: (re.sub(r"<ds:DigestValue>([^<]+)</ds:DigestValue>", lambda m: "<ds:DigestValue>" + m.group(1)[:20] + "\n" + m.group(1)[20:] + "</ds:DigestValue>", d),
                                          "a line break inserted into the DigestValue text after 20 characters"))], "", None),
]
for name, edits, attrs, before in NEUTRAL:
    kw = {}
    if before:
        kw["before"] = before
    tpl = root(item(sig(), attrs=attrs, **kw))
    case(name, tpl, edits=edits, group="neutral-edit", note="Signed, then a canonically neutral edit (see edits)." + (
        " Note: the DigestValue is inside SignedInfo, so this edit changes the canonical SignedInfo and the SignatureValue must FAIL." if name == "neutral-digestvalue-whitespace" else ""))

# ==================================================================== invalid
case("tampered-text", std(), edits=[("<g:Name>Jane Doe</g:Name>", "<g:Name>Jane Admin</g:Name>", "g:Name text `Jane Doe` changed to `Jane Admin`")], group="invalid", note="Content tampered after signing.")
case("tampered-attribute", std(), edits=[('<g:Item ID="item-1">', '<g:Item ID="item-1" g:role="admin">', "attribute g:role=\"admin\" added to g:Item")], group="invalid", note="An attribute added to the signed element after signing.")
case("tampered-attribute-value", root(item(sig(), attrs=' g:role="user"')), edits=[('g:role="user"', 'g:role="admin"', "g:role changed from user to admin")], group="invalid", note="An attribute value changed after signing.")
case("tampered-element-removed", std(), edits=[("<g:Email>jane@acme.test</g:Email>", "", "g:Email removed")], group="invalid", note="A signed child element removed.")
case("tampered-digestvalue", std(), edits=[(lambda d: (re.sub(r"<ds:DigestValue>(.)", lambda m: "<ds:DigestValue>" + ("B" if m.group(1) != "B" else "C"), d, 1), "first character of DigestValue changed"))], group="invalid", note="DigestValue tampered.")
case("tampered-signaturevalue", std(), edits=[(lambda d: (re.sub(r"<ds:SignatureValue>(.)", lambda m: "<ds:SignatureValue>" + ("B" if m.group(1) != "B" else "C"), d, 1), "first character of SignatureValue changed"))], group="invalid", note="SignatureValue tampered.")
case("resigned-attacker", std(), key="attacker", cert="idp.crt", group="invalid", note="Signed by `attacker` (its cert in KeyInfo/X509Data); idp.crt pinned. xmlsec1 ignores the untrusted KeyInfo certificate and uses the pinned key.")
case("resigned-attacker-keyvalue", std(keyinfo="keyvalue"), key="attacker", cert="idp.crt", group="invalid", ours="invalid",
     why="The key must come from the pinned certificate only; an RSAKeyValue in KeyInfo never adds trust",
     note="Signed by `attacker` with its public key as ds:KeyValue/RSAKeyValue in KeyInfo; only idp.crt is pinned (--pubkey-cert-pem). xmlsec1 prints OK: it verifies with the inline KeyValue key instead of the pinned one (adding --enabled-key-data x509 makes it print FAIL). We must refuse: keys come from pinned certificates only.")
case("resigned-weak-pinned-idp", std(), key="weak", cert="idp.crt", group="invalid", note="Signed by `weak` (RSA-1024), idp.crt pinned.")
case("no-enveloped-transform", std(transforms=[(EXC, "")]), expect_signing_valid=False, group="invalid",
     note="The Reference lacks the enveloped-signature transform while the Signature sits inside the referenced element: xmlsec1 signed the digest over the element including the empty Signature template, which then gets filled in.")

# wrapping: the signed g:Item moved into a wrapper, an evil g:Item takes its place
def wrap_item(d):
    orig = between(d, '<g:Item ID="item-1">', "</g:Item>")
    evil = '<g:Item ID="evil-1"><g:Name>Mallory</g:Name><g:Email>mallory@evil.test</g:Email></g:Item>'
    return d.replace(orig, evil + '<g:Wrapper>' + orig + '</g:Wrapper>'), "an evil g:Item (ID evil-1, Name Mallory) inserted where the signed g:Item was; the signed g:Item moved unchanged into a new g:Wrapper element after it"
case("wrapped-moved-into-wrapper", std(), edits=[wrap_item], group="wrapping",
     note="XSW-style wrapping of a generic document. The signature still covers #item-1 (valid for xmlsec1); the first g:Item is the evil one. At the signature layer this is valid: the signature covers g:Item item-1, and the handle the verifier returns is that element (Jane Doe); the evil g:Item is unreachable through it. Refusing the document for where the signed element sits is the protocol layer's job (SAML: the Assertion must be a direct child of the Response).")
def wrap_into_evil(d):
    orig = between(d, '<g:Item ID="item-1">', "</g:Item>")
    return d.replace(orig, '<g:Evil ID="evil-1"><g:Name>Mallory</g:Name>' + orig + '</g:Evil>'), "the signed g:Item moved (unchanged) inside a new g:Evil element (ID evil-1, with a g:Name Mallory) that takes its place"
case("wrapped-inside-evil", std(), edits=[wrap_into_evil], group="wrapping", note="The signed element wrapped inside an evil element. At the signature layer this is valid: the verified handle is g:Item item-1 (Jane Doe) and the evil wrapper is unreachable through it; where the signed element may sit is the protocol layer's rule.")
def sig_to_root(d):
    s = between(d, "<ds:Signature", "</ds:Signature>")
    d = d.replace(s, "")
    return d.replace("</g:Root>", s + "</g:Root>"), "the whole ds:Signature moved from inside g:Item to be the last child of g:Root (Reference still #item-1)"
case("signature-not-child-of-referenced", std(), edits=[sig_to_root], group="wrapping", ours="reject-shape",
     why="The Signature must be a direct child of the element it signs",
     note="Signed enveloped, then the Signature moved out to g:Root: the enveloped transform has nothing to remove under #item-1, so the digest (computed without the signature) still matches.")
case("reference-to-sibling", root(item(sig(ref="#item-2", transforms=[(EXC, "")]), iid="item-1") + '<g:Item ID="item-2"><g:Name>Other</g:Name></g:Item>'),
     group="wrapping", ours="reject-shape", why="The Reference must point at the Signature's parent element",
     note="The Signature sits in g:Item item-1 but its Reference is #item-2 (a sibling), transform exc-c14n only.")
case("detached-sibling-signature", root(item("", iid="item-1") + sig(ref="#item-1", transforms=[(EXC, "")])),
     group="wrapping", ours="reject-shape", why="Detached signature: not a child of the element it signs",
     note="The Signature is a sibling of g:Item (child of g:Root), Reference #item-1 without enveloped transform.")

# comment injection
case("comment-injected-text-moved", std(), edits=[("<g:Name>Jane Doe</g:Name>", "<g:Name>Jane<!-- Doe --></g:Name>", "the text ` Doe` of g:Name moved into a comment: `Jane<!-- Doe -->`")],
     group="comment", note="Text moved into a comment changes the text node (`Jane Doe` -> `Jane`): invalid.")
case("comment-injected-split-nameid-signed-after", root(item(sig(), before="<g:Name>admin@acme.com<!---->.evil.io</g:Name>")), group="comment",
     note="The template already had `admin@acme.com<!---->.evil.io` when xmlsec1 signed it: valid. The text of g:Name is `admin@acme.com.evil.io` (all text nodes).")
case("comment-injected-split-nameid-after-signing", root(item(sig(), before="<g:Name>admin@acme.com.evil.io</g:Name>")), group="comment",
     edits=[("admin@acme.com.evil.io", "admin@acme.com<!---->.evil.io", "an empty comment inserted into g:Name after signing: `admin@acme.com<!---->.evil.io`")],
     note="CVE-2017-11427: a comment inserted after signing does not change the comment-less canonical form, so the signature stays valid; the reader must still see `admin@acme.com.evil.io`.")

# multiple signatures
def two_sigs_tpl():
    return root(item(sig(ref="#item-1"), iid="item-1") + item(sig(ref="#item-2"), iid="item-2", before="<g:Name>Second</g:Name>"))
SX = "(//*[local-name()='Signature'])[%d]"
case("multiple-signatures-both-valid", two_sigs_tpl(), sign_steps=[SX % 1, SX % 2], group="multiple",
     note="Two g:Item elements, each with its own valid enveloped Signature (both by idp). xmlsec1 --verify checks only the FIRST Signature in document order. Each g:Item is verified on its own and both hold: valid at the signature layer (a protocol such as SAML decides how many signed elements it accepts).")
case("multiple-signatures-second-invalid", two_sigs_tpl(), sign_steps=[SX % 1, SX % 2], group="multiple", ours="reject-shape",
     edits=[("<g:Name>Second</g:Name>", "<g:Name>Tampered</g:Name>", "the second g:Item's Name changed after signing")],
     why="Every signature present must verify; xmlsec1 only checks the first one",
     note="As multiple-signatures-both-valid, then the SECOND signed element tampered. xmlsec1 checks the first Signature only, so its verdict says nothing about the second.")
case("multiple-signatures-first-invalid", two_sigs_tpl(), sign_steps=[SX % 1, SX % 2], group="multiple",
     edits=[("<g:Name>Jane Doe</g:Name>", "<g:Name>Tampered</g:Name>", "the first g:Item's Name changed after signing")], note="The FIRST signed element tampered.")
case("two-signatures-same-element", root(item(sig() + sig().replace("<ds:Signature xmlns", "<ds:Signature Id=\"second\" xmlns", 1))), sign_steps=[SX % 2, SX % 1], group="multiple", ours="reject-shape",
     why="More than one Signature child of the signed element",
     note="Two enveloped Signatures as children of the same g:Item. xmlsec1 signed the second one first (its digest therefore covers the FIRST Signature as an empty template), then the first one (its digest covers the filled second one). So the first verifies and the second is broken; xmlsec1 --verify checks only the first.")
case("two-references", std(refs_extra='<ds:Reference URI="#root-1"><ds:Transforms><ds:Transform Algorithm="%s"/></ds:Transforms><ds:DigestMethod Algorithm="%s"/><ds:DigestValue></ds:DigestValue></ds:Reference>' % (EXC, DIG["sha256"])),
     group="multiple", ours="reject-shape", why="Exactly one Reference is allowed", note="SignedInfo with two References (#item-1 enveloped and #root-1 exc-c14n only). The #root-1 Reference has no enveloped transform, so its digest covered the Signature template before signing and fails afterwards (xmlsec1 FAIL); the shape is refused anyway.", expect_signing_valid=False)
def dup_signedinfo(d):
    si = between(d, "<ds:SignedInfo>", "</ds:SignedInfo>")
    return d.replace(si, si + si), "ds:SignedInfo duplicated (an exact copy inserted right after it)"
case("duplicate-signedinfo", std(), edits=[dup_signedinfo], group="malformed", ours="reject-shape", why="Exactly one SignedInfo", note="CVE-2020-15216 shape.")
def second_dv(d):
    m = re.search(r"<ds:DigestValue>[^<]*</ds:DigestValue>", d).group(0)
    return d.replace(m, m + "<ds:DigestValue>AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=</ds:DigestValue>"), "a second ds:DigestValue (all-zero digest) inserted after the real one"
case("second-digestvalue", std(), edits=[second_dv], group="malformed", ours="reject-shape", why="Exactly one DigestValue per Reference", note="A stray extra DigestValue.")
def comment_in_dv(d):
    m = re.search(r"<ds:DigestValue>([^<]*)</ds:DigestValue>", d)
    v = m.group(1)
    return d.replace(m.group(0), "<ds:DigestValue>%s<!-- x -->%s</ds:DigestValue>" % (v[:20], v[20:])), "the DigestValue text split by a comment after its 20th character"
case("comment-in-digestvalue", std(), edits=[comment_in_dv], group="malformed", ours="reject-shape",
     why="Comments are not allowed inside signature elements (a reader taking the first text node sees a truncated value; CVE-2025-29775 class)",
     note="The joined text is the correct digest; but the comment sits inside SignedInfo, whose canonical form (without comments) is unchanged, so the SignatureValue also holds.")

# transforms and references we refuse
case("xpath-transform", std(transforms=[(XPATH, "<ds:XPath>not(ancestor-or-self::ds:Signature)</ds:XPath>"), (EXC, "")]), group="transform", ours="reject-shape",
     why="XPath transform not allowed", note="An XPath filter transform that removes the Signature (instead of enveloped-signature).")
case("xpath-transform-hides-content", std(transforms=[(XPATH, "<ds:XPath>not(ancestor-or-self::ds:Signature) and not(ancestor-or-self::g:Email)</ds:XPath>"), (EXC, "")]).replace("<ds:XPath>", '<ds:XPath xmlns:g="%s">' % G),
     edits=[("<g:Email>jane@acme.test</g:Email>", "<g:Email>ceo@acme.test</g:Email>", "g:Email changed to ceo@acme.test after signing")],
     group="transform", ours="reject-shape", why="XPath transform not allowed (here it excludes g:Email from the signature, so tampering it goes unnoticed)",
     note="An XPath filter that excludes g:Email from the digest; then g:Email was changed. xmlsec1 says valid: the XPath made that content unsigned.")
case("xpath2-transform", std(transforms=[(XPATH2, '<dsig-xpath:XPath xmlns:dsig-xpath="http://www.w3.org/2002/06/xmldsig-filter2" Filter="subtract">//ds:Signature</dsig-xpath:XPath>'), (EXC, "")]),
     group="transform", ours="reject-shape", why="XPath Filter 2.0 transform not allowed", note="XPath Filter 2.0 subtract //ds:Signature.")
XSL = ('<xsl:stylesheet xmlns:xsl="http://www.w3.org/1999/XSL/Transform" version="1.0"><xsl:output method="text"/>'
       '<xsl:template match="/"><xsl:value-of select="//*[local-name()=\'Name\']"/></xsl:template></xsl:stylesheet>')
case("xslt-transform", std(transforms=[(ENV, ""), (XSLT, XSL)]), group="transform", ours="reject-shape", why="XSLT transform not allowed",
     note="An XSLT transform that reduces the signed data to the text of g:Name.")
case("base64-transform", root(item(sig(ref="#blob-1", transforms=[(B64, "")]), before='<g:Blob ID="blob-1">SmFuZSBEb2U=</g:Blob>')),
     ids=IDS + [G + ":Blob"], group="transform", ours="reject-shape", why="base64 transform not allowed; and the Reference is not the parent",
     note="Reference #blob-1 with the base64 transform (digest over the decoded bytes `Jane Doe`).")
case("xpointer-id", std(ref="#xpointer(id('item-1'))"), group="transform", ours="reject-shape", why="XPointer references not allowed",
     note="Reference URI=\"#xpointer(id('item-1'))\" (keeps comments).")
case("xpointer-root", root(sig(ref="#xpointer(/)")).replace('<g:Root xmlns:g="%s" ID="root-1">' % G, '<g:Root xmlns:g="%s" ID="root-1"><g:Name>Jane Doe</g:Name>' % G),
     group="transform", ours="reject-shape", why="XPointer references not allowed", note="Reference URI=\"#xpointer(/)\" (whole document with comments).")
case("object-reference", root(item(sig(ref="#obj-1", transforms=[(EXC, "")], objects='<ds:Object Id="obj-1"><g:Claim xmlns:g="%s">admin</g:Claim></ds:Object>' % G))),
     group="transform", ours="reject-shape", why="A Reference to a ds:Object inside the Signature signs nothing of the document",
     note="The only Reference points at a ds:Object inside the Signature itself (Id=\"obj-1\"; xmlsec1 registers Id attributes inside ds:Signature by itself), transform exc-c14n only.")
case("hmac-keyed-with-public-cert", std(alg="hmac-sha256", keyinfo="keyname"), hmac=True, group="algorithm", ours="reject-shape",
     why="HMAC SignatureMethod never allowed (key-confusion: the HMAC key here is the public certificate's PEM bytes)",
     note="hmac-sha256 signature made by xmlsec1 with --hmackey set to the bytes of keys/idp.crt (build/hmac-key-is-idp.crt.bin), KeyInfo KeyName `hmac`.")
case("hmac-truncated-output", std(alg="hmac-sha256", keyinfo="keyname").replace('<ds:SignatureMethod Algorithm="%s"/>' % SIG["hmac-sha256"],
     '<ds:SignatureMethod Algorithm="%s"><ds:HMACOutputLength>128</ds:HMACOutputLength></ds:SignatureMethod>' % SIG["hmac-sha256"]),
     hmac=True, group="algorithm", ours="reject-shape", why="HMAC never allowed; truncated HMAC output (CVE-2009-0217)", note="hmac-sha256 with HMACOutputLength 128.")
def unknown(d, what, old, new):
    return d.replace(old, new, 1), what
case("unknown-signature-method", std(), edits=[lambda d: unknown(d, "SignatureMethod Algorithm changed to urn:example:unknown-signature", SIG["rsa-sha256"], "urn:example:unknown-signature")],
     group="algorithm", ours="reject-shape", why="Unknown SignatureMethod", note="Signed rsa-sha256, then the SignatureMethod URI replaced.")
case("unknown-digest-method", std(), edits=[lambda d: unknown(d, "DigestMethod Algorithm changed to urn:example:unknown-digest", DIG["sha256"], "urn:example:unknown-digest")],
     group="algorithm", ours="reject-shape", why="Unknown DigestMethod", note="Signed, then the DigestMethod URI replaced.")
case("unknown-transform", std(), edits=[lambda d: unknown(d, "the second Transform's Algorithm changed to urn:example:unknown-transform", '<ds:Transform Algorithm="%s"/></ds:Transforms>' % EXC, '<ds:Transform Algorithm="urn:example:unknown-transform"/></ds:Transforms>')],
     group="algorithm", ours="reject-shape", why="Unknown Transform", note="Signed, then the exc-c14n Transform URI replaced.")
case("unknown-c14n-method", std(), edits=[lambda d: unknown(d, "CanonicalizationMethod Algorithm changed to urn:example:unknown-c14n", '<ds:CanonicalizationMethod Algorithm="%s"/>' % EXC, '<ds:CanonicalizationMethod Algorithm="urn:example:unknown-c14n"/>')],
     group="algorithm", ours="reject-shape", why="Unknown CanonicalizationMethod", note="Signed, then the SignedInfo CanonicalizationMethod URI replaced.")
case("external-reference", std(ref="#item-1"), edits=[lambda d: unknown(d, "Reference URI changed to http://example.test/doc.xml", 'URI="#item-1"', 'URI="http://example.test/doc.xml"')],
     group="algorithm", ours="reject-shape", why="Only same-document references", note="Signed, then the Reference URI made external (xmlsec1 is run with --enabled-reference-uris same-doc).")
def dup_id(d):
    return d.replace("</g:Root>", '<g:Item ID="item-1"><g:Name>Mallory</g:Name></g:Item></g:Root>'), "a second g:Item with the same ID item-1 (Name Mallory) appended to g:Root"
case("duplicate-id", std(), edits=[dup_id], group="malformed", ours="reject-shape", why="Duplicate ID values in the document", note="Two elements carry ID=\"item-1\".")
case("doctype-attlist-id", std(), edits=[("<g:Root ", "<!DOCTYPE g:Root [<!ATTLIST g:Item ID ID #IMPLIED>]>\n<g:Root ", "a DOCTYPE declaring g:Item's ID attribute as type ID inserted before the root")],
     group="malformed", ours="reject-shape", why="Any DOCTYPE is refused", note="The signature is unchanged; only the DOCTYPE is new.")
case("doctype-entity-in-text", std(), edits=[("<g:Root ", "<!DOCTYPE g:Root [<!ENTITY n \"Jane Doe\">]>\n<g:Root ", "a DOCTYPE with the internal entity n = `Jane Doe` inserted before the root"),
                                               ("<g:Name>Jane Doe</g:Name>", "<g:Name>&n;</g:Name>", "g:Name's text replaced by &n;")],
     group="malformed", ours="reject-shape", why="Any DOCTYPE is refused", note="The entity expands to the original text.")

write("manifest.json", json.dumps({
    "description": "Differential XML-DSig set. For each file: the exact xmlsec1 command (xmlsec1_argv, run from testdata/dsig), what it printed "
                   "(xmlsec1_printed: OK / FAIL / ERROR; ERROR = refused before or while comparing), xmlsec1 = valid iff OK, and ours = the verdict "
                   "gatehouse-xml must give: valid / invalid, or reject-shape where we refuse by shape regardless of the signature (ours_reason). "
                   "same_verdict_expected is true where both refuse or both accept, false where ours differs from xmlsec1 (we refuse what it accepts). xmlsec1 --verify checks only the first ds:Signature in document order.",
    "xmlsec1_version": subprocess.run(["xmlsec1", "--version"], capture_output=True, text=True).stdout.strip(),
    "cases": MANIFEST}, indent=2, ensure_ascii=False) + "\n")
print("%d cases written" % len(MANIFEST))
PY
