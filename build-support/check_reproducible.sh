#!/usr/bin/env bash
# Builds every package twice, the second time re-running every process (no local cache), and
# fails unless both builds are byte-for-byte identical.
set -euo pipefail
cd "$(dirname "$0")/.."

first="$(mktemp -d)"
second="$(mktemp -d)"
trap 'rm -rf "${first}" "${second}"' EXIT

./pants --pants-distdir="${first}" package ::
./pants --no-pantsd --no-local-cache --pants-distdir="${second}" package ::

(cd "${first}" && find . -name '*.zip' | sort | xargs sha256sum) >"${first}.sha256"
(cd "${second}" && find . -name '*.zip' | sort | xargs sha256sum) >"${second}.sha256"
if ! diff -u "${first}.sha256" "${second}.sha256"; then
  echo "Two clean builds of the same sources gave different zips." >&2
  exit 1
fi
echo "Reproducible: $(wc -l <"${first}.sha256") zips identical across two clean builds."
cat "${first}.sha256"
rm -f "${first}.sha256" "${second}.sha256"
