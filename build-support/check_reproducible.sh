#!/usr/bin/env bash
# Builds every package twice, the second time re-running every process (no local cache), and
# fails unless both builds are byte-for-byte identical.
set -euo pipefail
cd "$(dirname "$0")/.."

first="dist/reproducible/first"
second="dist/reproducible/second"
rm -rf dist/reproducible

./pants --pants-distdir="${first}" package ::
./pants --no-pantsd --no-local-cache --pants-distdir="${second}" package ::

checksums() { (cd "$1" && find . \( -name '*.zip' -o -name '*.zip.metadata.json' \) | sort | xargs sha256sum); }
if ! diff -u <(checksums "${first}") <(checksums "${second}"); then
  echo "Two clean builds of the same sources gave different zips." >&2
  exit 1
fi
echo "Reproducible: these zips were byte-identical across two clean builds:"
checksums "${first}"
rm -rf dist/reproducible
