#!/usr/bin/env bash
# Regenerates testdata/xmlenc/: EncryptedAssertion variants of the SAML accept case, encrypted to ../keys/sp.crt.
# Input: the idp-signed Assertion of ../saml/accept-assertion-signed/response.xml (run ../saml/make.sh first if it
# is missing). Order: the Assertion is signed FIRST (by xmlsec1, in ../saml), then encrypted, then wrapped in
# saml2:EncryptedAssertion inside a Response that is either unsigned or signed afterwards by idp.
#
# Tools: xmlsec1 1.2.37 (--encrypt/--decrypt/--sign/--verify), openssl (pkeyutl, for the one key transport
# xmlsec1 1.2.37 lacks: xmlenc11 rsa-oaep with SHA-256 + MGF1-SHA256), python3 for string edits and hashlib only.
# Intermediate files go to build/ (git-ignored: they are random and regenerated on every run).
# Every command is echoed with "+ "; every hand edit is an edit(...) call and is described in the case's note.
# Ciphertexts are random (session keys, IVs, OAEP seeds), so each run gives different bytes that decrypt the same.
# The script fails loudly if an accept case does not decrypt with xmlsec1 (or openssl) to the signed assertion,
# if the decrypted assertion does not pass xmlsec1 --verify, or if a signed Response does not verify.
set -euo pipefail
cd "$(dirname "$0")"
exec python3 - "$@" <<'PY'
import base64, hashlib, json, os, re, shutil, subprocess, sys

KEYS = "../keys"
NS_P = "urn:oasis:names:tc:SAML:2.0:protocol"
NS_A = "urn:oasis:names:tc:SAML:2.0:assertion"
DS = "http://www.w3.org/2000/09/xmldsig#"
XENC = "http://www.w3.org/2001/04/xmlenc#"
XENC11 = "http://www.w3.org/2009/xmlenc11#"
ID_ATTRS = ["--id-attr:ID", NS_P + ":Response", "--id-attr:ID", NS_A + ":Assertion"]
NOW = "2026-01-15T10:00:00Z"
IDP = "http://www.okta.com/exk1abcdEXAMPLE"
SP = "urn:auth0:layer-stack-app:acme"
ACS = "https://auth.app.layer.ai/login/callback?connection=acme"
REQ = "_req-7f3c2a"
RESP_ID = "id4725913068152746311052817"

CONTENT = {  # name: (URI, xmlsec1 --session-key, key bytes)
    "aes128-cbc": (XENC + "aes128-cbc", "aes-128", 16),
    "aes192-cbc": (XENC + "aes192-cbc", "aes-192", 24),
    "aes256-cbc": (XENC + "aes256-cbc", "aes-256", 32),
    "aes128-gcm": (XENC11 + "aes128-gcm", "aes-128", 16),
    "aes192-gcm": (XENC11 + "aes192-gcm", "aes-192", 24),
    "aes256-gcm": (XENC11 + "aes256-gcm", "aes-256", 32),
    "tripledes-cbc": (XENC + "tripledes-cbc", "des-192", 24),
}
KT = {
    "rsa-oaep-mgf1p": XENC + "rsa-oaep-mgf1p",
    "rsa-oaep": XENC11 + "rsa-oaep",
    "rsa-1_5": XENC + "rsa-1_5",
}
SHA1 = DS + "sha1"
SHA256 = XENC + "sha256"
MGF1SHA256 = XENC11 + "mgf1sha256"

def run(cmd, check=True):
    print("+ " + " ".join(("'%s'" % c) if any(x in c for x in " ()?[") else c for c in cmd), flush=True)
    p = subprocess.run(cmd, capture_output=True)
    if check and p.returncode != 0:
        sys.stderr.write((p.stdout + p.stderr).decode(errors="replace"))
        sys.exit("FAILED: " + " ".join(cmd))
    return p

def edit(s, old, new, count=1):
    n = s.count(old)
    if n != count:
        sys.exit("edit: expected %d occurrence(s) of %r, found %d" % (count, old[:80], n))
    return s.replace(old, new)

def between(s, start, end):
    i = s.index(start)
    return s[i:s.index(end, i) + len(end)]

def read(p):
    with open(p) as f:
        return f.read()

def write(p, s):
    with open(p, "w") as f:
        f.write(s)

def xmlsec_verdict(p):
    lines = (p.stdout + p.stderr).decode(errors="replace").splitlines()
    for v in ("OK", "FAIL", "ERROR"):
        if v in lines:
            return v
    return "ERROR"

def verify(path, cert="idp.crt"):
    return xmlsec_verdict(run(["xmlsec1", "--verify", "--pubkey-cert-pem", KEYS + "/" + cert, "--enabled-reference-uris",
                               "same-doc"] + ID_ATTRS + [path], check=False))

for d in ["templates", "build"]:
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
for d in os.listdir("."):
    if os.path.isdir(d) and (d.startswith("accept-") or d.startswith("reject-")):
        shutil.rmtree(d)

# ------------------------------------------------------------------ the signed assertion and the Response shell
src = read("../saml/accept-assertion-signed/response.xml")
SIGNED_A = between(src, "<saml2:Assertion ", "</saml2:Assertion>")
write("build/assertion-signed.xml", '<?xml version="1.0" encoding="UTF-8"?>\n' + SIGNED_A)
if verify("build/assertion-signed.xml") != "OK":
    sys.exit("the signed assertion taken from ../saml does not verify on its own")
UNSIGNED_A = edit(SIGNED_A, between(SIGNED_A, "<ds:Signature", "</ds:Signature>"), "")
write("build/assertion-unsigned.xml", '<?xml version="1.0" encoding="UTF-8"?>\n' + UNSIGNED_A)
# Response shell: the saml Response with its Assertion replaced by a placeholder.
SHELL = edit(src, SIGNED_A, "@@BODY@@")
RSIG_TPL = ('<ds:Signature xmlns:ds="%s"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>'
            '<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><ds:Reference URI="#%s"><ds:Transforms>'
            '<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>'
            '<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>'
            '<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue></ds:DigestValue></ds:Reference></ds:SignedInfo>'
            '<ds:SignatureValue></ds:SignatureValue><ds:KeyInfo><ds:X509Data><ds:X509Certificate></ds:X509Certificate>'
            '</ds:X509Data></ds:KeyInfo></ds:Signature>') % (DS, RESP_ID)
ISSUER_END = '</saml2:Issuer><saml2p:Status'

def enc_template(content, kt, inline_key=True, key_name=None):
    """EncryptedData template. Key transport inside KeyInfo/EncryptedKey (xmlsec1 fills both CipherValues), or a
    KeyName for a session key loaded with --aeskey/--deskey (then the EncryptedKey is added by hand later)."""
    if key_name:
        ki = '<ds:KeyInfo xmlns:ds="%s"><ds:KeyName>%s</ds:KeyName></ds:KeyInfo>' % (DS, key_name)
    else:
        dm = '<ds:DigestMethod Algorithm="%s"/>' % SHA1 if kt == "rsa-oaep-mgf1p" else ""
        ki = ('<ds:KeyInfo xmlns:ds="%s"><xenc:EncryptedKey><xenc:EncryptionMethod Algorithm="%s">%s</xenc:EncryptionMethod>'
              '<xenc:CipherData><xenc:CipherValue></xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo>') % (DS, KT[kt], dm)
    return ('<xenc:EncryptedData xmlns:xenc="%s" Id="_enc-assertion" Type="%sElement"><xenc:EncryptionMethod Algorithm="%s"/>%s'
            '<xenc:CipherData><xenc:CipherValue></xenc:CipherValue></xenc:CipherData></xenc:EncryptedData>') % (XENC, XENC, CONTENT[content][0], ki)

def session_key(content):
    """A fixed session key for the openssl-wrapped cases: the first N bytes of SHA-256('gatehouse xmlenc <alg>')."""
    return hashlib.sha256(("gatehouse xmlenc " + content).encode()).digest()[:CONTENT[content][2]]

def encrypt(name, content, kt, plain="build/assertion-signed.xml", recipient="sp.crt"):
    """Returns the EncryptedData element text (no XML declaration)."""
    out = "build/%s.encrypted.xml" % name
    if kt == "rsa-oaep":
        # xmlsec1 1.2.37 has no xmlenc11 rsa-oaep: xmlsec1 encrypts the content under a fixed session key named
        # `session`, openssl wraps that key with OAEP(SHA-256, MGF1-SHA256), and the KeyName is replaced by
        # the EncryptedKey (hand edit below).
        tpl = "templates/%s.xml" % name
        write(tpl, enc_template(content, kt, key_name="session"))
        keyfile = "build/%s.session-key.bin" % name
        with open(keyfile, "wb") as f:
            f.write(session_key(content))
        keyopt = "--deskey:session" if content == "tripledes-cbc" else "--aeskey:session"
        run(["xmlsec1", "--encrypt", keyopt, keyfile, "--xml-data", plain, "--node-xpath", "/*", "--output", out + ".keyname", tpl])
        # check the content decrypts with the session key alone
        run(["xmlsec1", "--decrypt", keyopt, keyfile, "--output", "build/%s.decrypted-by-session-key.xml" % name, out + ".keyname"])
        if plain == "build/assertion-signed.xml" and verify("build/%s.decrypted-by-session-key.xml" % name) != "OK":
            sys.exit(name + ": the content decrypted with the session key does not verify")
        run(["openssl", "pkeyutl", "-encrypt", "-certin", "-inkey", KEYS + "/" + recipient, "-pkeyopt", "rsa_padding_mode:oaep",
             "-pkeyopt", "rsa_oaep_md:sha256", "-pkeyopt", "rsa_mgf1_md:sha256", "-in", keyfile, "-out", keyfile + ".oaep"])
        with open(keyfile + ".oaep", "rb") as f:
            wrapped = base64.b64encode(f.read()).decode()
        ek = ('<ds:KeyInfo xmlns:ds="%s"><xenc:EncryptedKey><xenc:EncryptionMethod Algorithm="%s"><ds:DigestMethod Algorithm="%s"/>'
              '<xenc11:MGF xmlns:xenc11="%s" Algorithm="%s"/></xenc:EncryptionMethod><xenc:CipherData><xenc:CipherValue>%s</xenc:CipherValue>'
              '</xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo>') % (DS, KT["rsa-oaep"], SHA256, XENC11, MGF1SHA256, wrapped)
        doc = edit(read(out + ".keyname"), '<ds:KeyInfo xmlns:ds="%s"><ds:KeyName>session</ds:KeyName></ds:KeyInfo>' % DS, ek)
        write(out, doc)
        if recipient == "sp.crt":
            p = run(["openssl", "pkeyutl", "-decrypt", "-inkey", KEYS + "/sp.key", "-pkeyopt", "rsa_padding_mode:oaep",
                     "-pkeyopt", "rsa_oaep_md:sha256", "-pkeyopt", "rsa_mgf1_md:sha256", "-in", keyfile + ".oaep"])
            if p.stdout != session_key(content):
                sys.exit("openssl OAEP-SHA256 round trip failed")
    else:
        tpl = "templates/%s.xml" % name
        write(tpl, enc_template(content, kt))
        run(["xmlsec1", "--encrypt", "--pubkey-cert-pem", KEYS + "/" + recipient, "--session-key", CONTENT[content][1],
             "--xml-data", plain, "--node-xpath", "/*", "--output", out, tpl])
    return read(out).split("?>", 1)[1].strip()

def wrap(ed, signed):
    body = '<saml2:EncryptedAssertion xmlns:saml2="%s">%s</saml2:EncryptedAssertion>' % (NS_A, ed)
    doc = edit(SHELL, "@@BODY@@", body)
    if signed:
        doc = edit(doc, ISSUER_END, '</saml2:Issuer>' + RSIG_TPL + '<saml2p:Status')
    return doc

MANIFEST = []
def emit(case, doc, content, kt, signed, expect, reason, note, decrypt_key="sp.key", check_decrypt=True, extra=None,
         kt_digest=None, kt_mgf=None, policy=None, inner_signed=True):
    os.makedirs(case, exist_ok=True)
    path = case + "/response.xml"
    write(path, doc)
    if signed:
        run(["xmlsec1", "--sign", "--privkey-pem", "%s/idp.key,%s/idp.crt" % (KEYS, KEYS)] + ID_ATTRS + ["--output", path, path])
        doc = read(path)
    resp_sig = verify(path) if signed else "n/a"
    if signed and resp_sig != "OK":
        sys.exit(case + ": the Response signature does not verify")
    dec = None
    inner = "n/a"
    if check_decrypt:
        ed = '<?xml version="1.0" encoding="UTF-8"?>\n' + between(doc, "<xenc:EncryptedData", "</xenc:EncryptedData>")
        write("build/%s.ed.xml" % case, ed)
        if kt == "rsa-oaep":   # xmlsec1 cannot unwrap xmlenc11 rsa-oaep; the content was checked with the session key
            dec = "openssl+session-key"
            inner = "OK (decrypted with the session key)" if inner_signed else "n/a"
        else:
            p = run(["xmlsec1", "--decrypt", "--privkey-pem", KEYS + "/" + decrypt_key, "--output", "build/%s.decrypted.xml" % case,
                     "build/%s.ed.xml" % case], check=False)
            dec = "ok" if p.returncode == 0 else "failed"
            if dec == "ok" and inner_signed:
                if verify("build/%s.decrypted.xml" % case) != "OK":
                    sys.exit(case + ": the decrypted assertion does not verify")
                inner = "OK"
        if expect == "accept" and dec == "failed":
            sys.exit(case + ": accept case does not decrypt with xmlsec1")
    pol = {"allow_unsolicited": False, "allow_sha1": False, "require_assertion_signed": True}
    pol.update(policy or {})
    params = {"now": NOW, "sp_entity_id": SP, "acs_url": ACS, "idp_entity_id": IDP, "request_id": REQ,
              "pinned_certs": ["idp.crt"], "decryption_key": "sp.key", "policy": pol, "expect": expect, "reason": reason,
              "note": note, "xmlsec1": "valid" if signed else "n/a",
              "algorithms": {"content": CONTENT[content][0] if content else None, "key_transport": KT[kt] if kt else None,
                             "key_transport_digest": kt_digest, "key_transport_mgf": kt_mgf},
              "response_signed": signed, "xmlsec1_decrypt": dec, "inner_assertion_signed": inner_signed,
              "xmlsec1_inner_assertion": inner}
    if extra:
        params.update(extra)
    write(case + "/params.json", json.dumps(params, indent=2) + "\n")
    MANIFEST.append(dict(case=case, file=path, bytes=len(doc.encode()), expect=expect, reason=reason,
                         algorithms=params["algorithms"], response_signed=signed, xmlsec1_response_signature=resp_sig,
                         xmlsec1_decrypt=dec, xmlsec1_inner_assertion=inner, note=note))

# ------------------------------------------------------------------ accept matrix
for kt in ["rsa-oaep-mgf1p", "rsa-oaep"]:
    for content in ["aes128-cbc", "aes192-cbc", "aes256-cbc", "aes128-gcm", "aes192-gcm", "aes256-gcm"]:
        name = "%s-%s" % (kt, content)
        ed = encrypt(name, content, kt)
        dig = SHA1 if kt == "rsa-oaep-mgf1p" else SHA256
        mgf = None if kt == "rsa-oaep-mgf1p" else MGF1SHA256
        how = ("xmlsec1 --encrypt (session key %s, key transport rsa-oaep-mgf1p with SHA-1 digest and MGF1-SHA1, as Okta sends)" % CONTENT[content][1]
               if kt == "rsa-oaep-mgf1p" else
               "xmlsec1 --encrypt under the fixed session key SHA-256('gatehouse xmlenc %s')[:%d] named `session`; openssl pkeyutl wrapped that key "
               "with xmlenc11 rsa-oaep, DigestMethod sha256, MGF mgf1sha256 (xmlsec1 1.2.37 cannot), and the KeyName was replaced by hand with that "
               "EncryptedKey" % (content, CONTENT[content][2]))
        for signed in [False, True]:
            case = "accept-%s-%s-response-%s" % (kt, content, "signed" if signed else "unsigned")
            emit(case, wrap(ed, signed), content, kt, signed, "accept", "ok",
                 "The idp-signed assertion of ../saml/accept-assertion-signed, content %s, encrypted to sp.crt by %s; wrapped in saml2:EncryptedAssertion inside a Response that is %s."
                 % (content, how, "then signed by idp (rsa-sha256, exc-c14n)" if signed else "unsigned"),
                 kt_digest=dig, kt_mgf=mgf)

# Okta's own shape: EncryptedKey as a sibling of EncryptedData, referenced by ds:RetrievalMethod.
ed = encrypt("okta-retrievalmethod", "aes256-cbc", "rsa-oaep-mgf1p")
EK = between(ed, "<xenc:EncryptedKey>", "</xenc:EncryptedKey>")
ed2 = edit(ed, '<ds:KeyInfo xmlns:ds="%s">%s</ds:KeyInfo>' % (DS, EK),
           '<ds:KeyInfo xmlns:ds="%s"><ds:RetrievalMethod Type="%sEncryptedKey" URI="#_enc-key"/></ds:KeyInfo>' % (DS, XENC))
EK_SIB = edit(EK, "<xenc:EncryptedKey>", '<xenc:EncryptedKey xmlns:xenc="%s" Id="_enc-key">' % XENC)
EK_SIB = edit(EK_SIB, "<ds:DigestMethod ", '<ds:DigestMethod xmlns:ds="%s" ' % DS)
EK_SIB = edit(EK_SIB, "</xenc:CipherData></xenc:EncryptedKey>", '</xenc:CipherData><xenc:ReferenceList><xenc:DataReference URI="#_enc-assertion"/></xenc:ReferenceList></xenc:EncryptedKey>')
body = ed2 + EK_SIB
doc = edit(SHELL, "@@BODY@@", '<saml2:EncryptedAssertion xmlns:saml2="%s">%s</saml2:EncryptedAssertion>' % (NS_A, body))
emit("accept-okta-retrievalmethod-aes256-cbc-response-unsigned", doc, "aes256-cbc", "rsa-oaep-mgf1p", False, "accept", "ok",
     "Okta's layout (as in gosaml2's oktaenc response): xmlsec1 encrypted the signed assertion (aes256-cbc, rsa-oaep-mgf1p/SHA-1) with the "
     "EncryptedKey inline; then by hand the EncryptedKey was moved out of KeyInfo to be the next sibling of EncryptedData inside "
     "EncryptedAssertion, given Id=\"_enc-key\" and a ReferenceList/DataReference URI=\"#_enc-assertion\", and KeyInfo now holds "
     "<ds:RetrievalMethod Type=\"...#EncryptedKey\" URI=\"#_enc-key\"/>. xmlsec1 --decrypt (with --id-attr:Id xenc:EncryptedKey) decrypts the moved layout and the result verifies.",
     check_decrypt=False, kt_digest=SHA1, extra={"layout": "retrievalmethod"})
# check the moved layout itself: xmlsec1 follows the RetrievalMethod once the EncryptedKey Id is declared
write("build/okta-retrievalmethod.moved.xml", '<?xml version="1.0" encoding="UTF-8"?>\n' + between(doc, "<saml2:EncryptedAssertion", "</saml2:EncryptedAssertion>"))
run(["xmlsec1", "--decrypt", "--privkey-pem", KEYS + "/sp.key", "--id-attr:Id", XENC + ":EncryptedKey", "--id-attr:Id", XENC + ":EncryptedData",
     "--node-xpath", "//*[local-name()='EncryptedData']", "--output", "build/okta-retrievalmethod.decrypted.xml", "build/okta-retrievalmethod.moved.xml"])
write("build/okta-retrievalmethod.decrypted-assertion.xml", '<?xml version="1.0" encoding="UTF-8"?>\n' + between(read("build/okta-retrievalmethod.decrypted.xml"), "<saml2:Assertion ", "</saml2:Assertion>"))
if verify("build/okta-retrievalmethod.decrypted-assertion.xml") != "OK":
    sys.exit("okta-retrievalmethod: decrypted assertion does not verify")
MANIFEST[-1]["xmlsec1_decrypt"] = "ok"
MANIFEST[-1]["xmlsec1_inner_assertion"] = "OK"
p = json.load(open("accept-okta-retrievalmethod-aes256-cbc-response-unsigned/params.json"))
p["xmlsec1_decrypt"] = "ok"
p["xmlsec1_inner_assertion"] = "OK"
write("accept-okta-retrievalmethod-aes256-cbc-response-unsigned/params.json", json.dumps(p, indent=2) + "\n")

# ------------------------------------------------------------------ refused algorithms
ed = encrypt("rsa-1_5-aes256-cbc", "aes256-cbc", "rsa-1_5")
emit("reject-rsa-1_5-key-transport", wrap(ed, True), "aes256-cbc", "rsa-1_5", True, "reject", "unsupported_algorithm",
     "Signed assertion encrypted by xmlsec1 with aes256-cbc content and rsa-1_5 (PKCS#1 v1.5) key transport to sp.crt; Response signed by idp. "
     "xmlsec1 decrypts it; we must refuse rsa-1_5 with a clear error (Bleichenbacher).")
ed = encrypt("rsa-oaep-mgf1p-tripledes-cbc", "tripledes-cbc", "rsa-oaep-mgf1p")
emit("reject-tripledes-cbc-content", wrap(ed, True), "tripledes-cbc", "rsa-oaep-mgf1p", True, "reject", "unsupported_algorithm",
     "Signed assertion encrypted by xmlsec1 with tripledes-cbc content (rsa-oaep-mgf1p key transport) to sp.crt; Response signed by idp. "
     "xmlsec1 decrypts it; we must refuse 3DES with a clear error.", kt_digest=SHA1)

# ------------------------------------------------------------------ decryption failures (must all look identical to the caller)
def corrupt_cipher(ed, which, pos_from_end=30):
    """Flip one base64 character of the content (which='data') or key (which='key') CipherValue."""
    cvs = list(re.finditer(r"<xenc:CipherValue>([^<]*)</xenc:CipherValue>", ed))
    m = cvs[-1] if which == "data" else cvs[0]
    v = m.group(1)
    i = len(v.rstrip("=\n")) - pos_from_end
    while v[i] == "\n":
        i -= 1
    c = "A" if v[i] != "A" else "B"
    return ed[:m.start(1) + i] + c + ed[m.start(1) + i + 1:], i, v[i], c

FAIL_NOTE = " All decryption-failure cases must produce the same error to the caller (no padding or key oracle)."
ed = encrypt("corrupt-cbc", "aes256-cbc", "rsa-oaep-mgf1p")
bad, i, a, b = corrupt_cipher(ed, "data")
emit("reject-corrupted-ciphertext-cbc", wrap(bad, True), "aes256-cbc", "rsa-oaep-mgf1p", True, "reject", "decryption_failed",
     "Encrypted like accept-rsa-oaep-mgf1p-aes256-cbc, then the base64 character at offset %d of the EncryptedData CipherValue (about 30 base64 characters from the end, i.e. in the second-to-last cipher block) changed from `%s` to `%s`; Response signed AFTER the edit (so only decryption can fail). In CBC this garbles that block's plaintext and flips one byte of the last block (not its padding-length byte), so the padding may still look valid and the failure shows up as unparseable plaintext: the caller must see the same error as for a bad key." % (i, a, b) + FAIL_NOTE,
     kt_digest=SHA1)
ed = encrypt("corrupt-gcm", "aes256-gcm", "rsa-oaep-mgf1p")
bad, i, a, b = corrupt_cipher(ed, "data")
emit("reject-corrupted-ciphertext-gcm", wrap(bad, True), "aes256-gcm", "rsa-oaep-mgf1p", True, "reject", "decryption_failed",
     "Encrypted like accept-rsa-oaep-mgf1p-aes256-gcm, then the base64 character at offset %d of the EncryptedData CipherValue changed from `%s` to `%s` (GCM tag check fails); Response signed after the edit." % (i, a, b) + FAIL_NOTE,
     kt_digest=SHA1)
ed = encrypt("corrupt-key", "aes256-cbc", "rsa-oaep-mgf1p")
bad, i, a, b = corrupt_cipher(ed, "key")
emit("reject-corrupted-encrypted-key", wrap(bad, True), "aes256-cbc", "rsa-oaep-mgf1p", True, "reject", "decryption_failed",
     "Encrypted like accept-rsa-oaep-mgf1p-aes256-cbc, then the base64 character at offset %d of the EncryptedKey CipherValue changed from `%s` to `%s` (OAEP unwrap fails); Response signed after the edit." % (i, a, b) + FAIL_NOTE,
     kt_digest=SHA1)
ed = encrypt("wrong-recipient", "aes256-cbc", "rsa-oaep-mgf1p", recipient="idp.crt")
emit("reject-wrong-recipient-key", wrap(ed, True), "aes256-cbc", "rsa-oaep-mgf1p", True, "reject", "decryption_failed",
     "Encrypted exactly like accept-rsa-oaep-mgf1p-aes256-cbc but to idp.crt instead of sp.crt; the SP holds only sp.key, so the key unwrap fails." + FAIL_NOTE,
     kt_digest=SHA1)
ed = encrypt("wrong-recipient-oaep256", "aes256-gcm", "rsa-oaep", recipient="idp.crt")
emit("reject-wrong-recipient-key-rsa-oaep-sha256", wrap(ed, True), "aes256-gcm", "rsa-oaep", True, "reject", "decryption_failed",
     "As accept-rsa-oaep-aes256-gcm (xmlenc11 rsa-oaep SHA-256/MGF1-SHA256 via openssl), but the session key wrapped to idp.crt instead of sp.crt." + FAIL_NOTE,
     check_decrypt=False, kt_digest=SHA256, kt_mgf=MGF1SHA256)

# the SP key must not unwrap it (openssl is the only tool here that knows OAEP-SHA256)
p = run(["openssl", "pkeyutl", "-decrypt", "-inkey", KEYS + "/sp.key", "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256",
         "-pkeyopt", "rsa_mgf1_md:sha256", "-in", "build/wrong-recipient-oaep256.session-key.bin.oaep"], check=False)
if p.returncode == 0:
    sys.exit("wrong-recipient-oaep256: sp.key unexpectedly unwrapped the key")
MANIFEST[-1]["xmlsec1_decrypt"] = "not run (xmlsec1 lacks rsa-oaep); openssl pkeyutl -decrypt with sp.key fails"
p = json.load(open("reject-wrong-recipient-key-rsa-oaep-sha256/params.json"))
p["xmlsec1_decrypt"] = MANIFEST[-1]["xmlsec1_decrypt"]
write("reject-wrong-recipient-key-rsa-oaep-sha256/params.json", json.dumps(p, indent=2) + "\n")

# ------------------------------------------------------------------ inner assertion unsigned
ed = encrypt("inner-unsigned", "aes256-cbc", "rsa-oaep-mgf1p", plain="build/assertion-unsigned.xml")
emit("reject-inner-assertion-unsigned", wrap(ed, True), "aes256-cbc", "rsa-oaep-mgf1p", True, "reject", "assertion_not_signed",
     "The assertion WITHOUT its signature (Signature element removed by hand from the signed one) encrypted (aes256-cbc, rsa-oaep-mgf1p) to sp.crt; the Response is signed by idp. With require_assertion_signed (this family's default policy) it must be refused after decryption.",
     check_decrypt=True, kt_digest=SHA1, inner_signed=False)
if MANIFEST[-1]["xmlsec1_decrypt"] != "ok":
    sys.exit("inner-unsigned does not decrypt")
emit("accept-inner-assertion-unsigned-response-signed-policy-off", read("reject-inner-assertion-unsigned/response.xml"), "aes256-cbc", "rsa-oaep-mgf1p", False, "accept", "ok",
     "Same bytes as reject-inner-assertion-unsigned (already signed Response); the policy does not require the assertion itself to be signed, and the Response signature covers the EncryptedAssertion.",
     kt_digest=SHA1, policy={"require_assertion_signed": False}, inner_signed=False)
MANIFEST[-1]["response_signed"] = True
MANIFEST[-1]["xmlsec1_response_signature"] = verify("accept-inner-assertion-unsigned-response-signed-policy-off/response.xml")
p = json.load(open("accept-inner-assertion-unsigned-response-signed-policy-off/params.json"))
p["response_signed"] = True; p["xmlsec1"] = "valid"
write("accept-inner-assertion-unsigned-response-signed-policy-off/params.json", json.dumps(p, indent=2) + "\n")

write("manifest.json", json.dumps({
    "description": "EncryptedAssertion variants made by make.sh with xmlsec1 --encrypt (and openssl pkeyutl for xmlenc11 rsa-oaep SHA-256). "
                   "Decrypt with ../keys/sp.key; the decrypted Assertion is signed by idp (except the inner-unsigned cases). "
                   "xmlsec1_response_signature: what xmlsec1 --verify printed for the Response signature; xmlsec1_decrypt: xmlsec1 --decrypt "
                   "--privkey-pem sp.key on the EncryptedData alone; xmlsec1_inner_assertion: what xmlsec1 --verify printed for the decrypted assertion. Default policy here: require_assertion_signed = true.",
    "now": NOW, "sp_entity_id": SP, "acs_url": ACS, "idp_entity_id": IDP, "request_id": REQ,
    "xmlsec1_limits": ["xmlsec1 1.2.37 has no http://www.w3.org/2009/xmlenc11#rsa-oaep (only rsa-oaep-mgf1p with a SHA-1 digest: "
                       "it rejects DigestMethod sha256 with 'digest algorithm ... is not supported for rsa/oaep'); those cases wrap the session key with openssl pkeyutl."],
    "cases": MANIFEST}, indent=2) + "\n")
print("%d cases written" % len(MANIFEST))
PY
