#!/bin/sh
# Test keys for gatehouse-oidc's mock OP. Regenerate with: sh make.sh (from this directory).
# Private keys are test-only (never used outside tests); PKCS#8 PEM, which jsonwebtoken's encoder reads.
set -eu
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa-2048-a.pem
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa-2048-b.pem
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out rsa-1024-weak.pem
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec-p256.pem
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out ec-p384.pem
openssl genpkey -algorithm ED25519 -out ed25519.pem
# Public halves, for reference and for tools (the tests derive JWKs from the private keys).
for k in rsa-2048-a rsa-2048-b rsa-1024-weak ec-p256 ec-p384 ed25519; do
  openssl pkey -in "$k.pem" -pubout -out "$k.pub.pem"
done
# The weak key's modulus in hex (the JWKS tests build a 1024-bit RSA JWK from it; encoders refuse such keys).
openssl rsa -in rsa-1024-weak.pem -modulus -noout | cut -d= -f2 > rsa-1024-weak.modulus.hex
