#!/usr/bin/env bash
# Builds and runs the comparison twice (ours on aws-lc with every peer; ours on rust-crypto with the
# backend-dependent rows), then prints the merged Markdown table. Needs libxml2-dev, libxmlsec1-dev,
# pkg-config and libclang-dev (bindgen) for the samael/libxmlsec1 peers; set COMPARE_NO_XMLSEC=1 to run
# without them (their rows then say NOT BUILT).
# Environment passed through: COMPARE_ROUNDS (default 301), COMPARE_BATCH_MS (default 2), COMPARE_ONLY.
set -euo pipefail
cd "$(dirname "$0")"
out=target/compare
mkdir -p "$out"
peers=xmlsec-peers
if [[ "${COMPARE_NO_XMLSEC:-}" == 1 ]]; then peers=""; fi
nice -n 10 cargo bench --bench compare --no-run --features "aws-lc $peers"
nice -n 10 cargo bench --bench compare --no-run --no-default-features --features rust-crypto
echo "run 1/2: ours on aws-lc, all peers" >&2
COMPARE_OUT="$out/aws-lc.tsv" nice -n 10 cargo bench -q --bench compare --features "aws-lc $peers" >"$out/aws-lc.md"
echo "run 2/2: ours on rust-crypto" >&2
COMPARE_OUT="$out/rust-crypto.tsv" COMPARE_PREVIOUS="$out/aws-lc.tsv" \
  nice -n 10 cargo bench -q --bench compare --no-default-features --features rust-crypto >"$out/table.md"
cat "$out/table.md"
