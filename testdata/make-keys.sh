#!/usr/bin/env bash
# Regenerates the test keys and certificates in testdata/keys with openssl (never with our own code).
# The committed files are what the tests use; rerunning this changes them, so re-sign the fixtures after.
set -euo pipefail
cd "$(dirname "$0")/keys"
subj() { echo "/CN=$1/O=Gatehouse test fixtures"; }
rsa() { # name bits cn
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:"$2" -out "$1.key"
  openssl req -new -x509 -key "$1.key" -out "$1.crt" -days 36500 -sha256 -subj "$(subj "$3")"
}
ec() { # name curve cn
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:"$2" -out "$1.key"
  openssl req -new -x509 -key "$1.key" -out "$1.crt" -days 36500 -sha256 -subj "$(subj "$3")"
}
rsa idp 2048 "idp.example.test"            # the IdP's signing key, pinned by the tests
rsa idp-next 2048 "idp.example.test next"  # the IdP's next key (rotation: both pinned at once)
rsa attacker 2048 "attacker.example.test"  # never pinned: signatures by it must be refused
rsa weak 1024 "weak.example.test"          # RSA-1024: refused unless a policy opts in
rsa sp 2048 "sp.example.test"              # the SP's key: signs AuthnRequests, decrypts assertions
ec idp-p256 P-256 "idp p256.example.test"
ec idp-p384 P-384 "idp p384.example.test"
for f in *.crt; do openssl x509 -in "$f" -outform DER -out "${f%.crt}.der"; done
