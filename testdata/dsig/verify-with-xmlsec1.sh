#!/usr/bin/env bash
# Usage: testdata/dsig/verify-with-xmlsec1.sh FILE
# Runs, from testdata/dsig/, the exact `xmlsec1 --verify ...` command that manifest.json records for FILE
# (matched by base name, e.g. rsa-sha256.xml), with the pinned certificate and --id-attr declarations of that
# entry. xmlsec1's own output goes to stderr. stdout gets exactly one word:
#   valid    xmlsec1 printed OK
#   invalid  xmlsec1 printed FAIL or ERROR (ERROR: it refused the document/signature before or while comparing)
# Exit status: 0 when a verdict was obtained (valid or invalid), 2 on usage error, unknown file or missing xmlsec1.
set -euo pipefail
if [ $# -ne 1 ]; then echo "usage: $0 FILE" >&2; exit 2; fi
command -v xmlsec1 >/dev/null || { echo "xmlsec1 not found" >&2; exit 2; }
cd "$(dirname "$0")"
name="$(basename "$1")"
mapfile -t argv < <(python3 -c '
import json, sys
for c in json.load(open("manifest.json"))["cases"]:
    if c["file"] == sys.argv[1]:
        print("\n".join(c["xmlsec1_argv"]))
        break
' "$name")
if [ ${#argv[@]} -eq 0 ]; then echo "$name: not in manifest.json" >&2; exit 2; fi
out="$("${argv[@]}" 2>&1 || true)"
printf '%s\n' "$out" >&2
if printf '%s\n' "$out" | grep -qx 'OK'; then echo valid; else echo invalid; fi
