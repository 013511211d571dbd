#!/usr/bin/env bash
# bench/remote_cache.sh: what a shared remote cache saves on `./pants --no-pantsd package ::`.
#
# Three measured runs, each on a copy of HEAD with its own local store, named caches and TMPDIR:
#   1. cold machine, no remote cache          (pants.toml only)
#   2. cold machine, warm remote cache        (pants.ci.toml; a local BuildGrid that an
#                                              unmeasured run on a third copy filled first)
#   3. warm local cache                       (run 1's machine again, pants.toml only)
# Prints a markdown table: wall time, processes started locally, processes that completed
# locally, packaging processes (Resolving/Installing/Zipping/Verifying/Building) that completed locally,
# and cache hits. Pants 2.17 starts every cacheable process locally while it asks the remote
# cache and cancels it on a hit, so "started" counts those speculative starts too.
# Needs CPython 3.13 for BuildGrid (ci/remote-cache/buildgrid.sh).

set -euo pipefail
cd "$(dirname "$0")/.."
readonly ROOT="${PWD}"
readonly BUILDGRID="${ROOT}/ci/remote-cache/buildgrid.sh"

PYTHON="$("${BUILDGRID}" python)" || {
  echo "bench: BuildGrid needs CPython 3.13, which is not installed." >&2
  exit 1
}
WORK="$(mktemp -d "${TMPDIR:-/tmp}/remote-cache-bench.XXXXXX")"
readonly WORK
# shellcheck source=ci/remote-cache/private.sh
source "${ROOT}/ci/remote-cache/private.sh"
use_private_buildgrid "${WORK}" "${PYTHON}"

MACHINES=()
cleanup() {
  local status=$? m
  "${BUILDGRID}" stop 2>/dev/null || true
  for m in ${MACHINES[@]+"${MACHINES[@]}"}; do
    rm -f "${PANTS_BOOTSTRAP_CACHE}/memo/${m//[^A-Za-z0-9._-]/_}"
  done
  rm -rf "${WORK}"
  exit "${status}"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

new_machine() {
  mkdir -p "$1/tmp" "$1/repo"
  git archive HEAD | tar -x -C "$1/repo"
  MACHINES+=("$1/repo")
}

ROWS=()
# run MACHINE LABEL [CONFIG_FILES...]: one timed `./pants --no-pantsd package ::`.
run() {
  local machine="$1" label="$2" config_args=() f
  shift 2
  for f in "$@"; do
    config_args+=("--pants-config-files=${f}")
  done
  local log="${machine}/${label// /_}.err" t0 t1
  echo "bench: ${label} ..." >&2
  t0="$(date +%s.%N)"
  (
    cd "${machine}/repo"
    TMPDIR="${machine}/tmp" ./pants --no-pantsd --no-dynamic-ui ${config_args[@]+"${config_args[@]}"} \
      --local-store-dir="${machine}/lmdb_store" --named-caches-dir="${machine}/named_caches" \
      --local-execution-root-dir="${machine}/tmp" --keep-sandboxes=always --stats-log \
      package ::
  ) >/dev/null 2>"${log}" || {
    tail -n 30 "${log}" >&2
    echo "bench: ${label} failed" >&2
    exit 1
  }
  t1="$(date +%s.%N)"
  rm -rf "${machine}"/tmp/pants-sandbox-*
  local started canceled completed packaging counters
  started="$(sed -n 's/.* Preserving local process execution dir [^ ]* for //p' "${log}" | LC_ALL=C sort)"
  canceled="$(sed -n 's/.* \[INFO\] Canceled: //p' "${log}" | LC_ALL=C sort)"
  completed="$(LC_ALL=C comm -23 <(echo "${started}") <(echo "${canceled}") | sed '/^$/d')"
  packaging="$(echo "${completed}" | grep -c -E '^(Resolving|Installing|Zipping|Verifying|Building) ' || true)"
  counter() { sed -n "s/^  $1: \([0-9]*\)$/\1/p" "${log}" | tail -n 1; }
  ROWS+=("| ${label} | $("${PYTHON}" -I -c "print(f'{${t1} - ${t0}:.1f}')") s \
| $(printf '%s' "${started}" | grep -c '^' || true) \
| $(printf '%s' "${completed}" | grep -c '^' || true) | ${packaging} \
| $(counter remote_cache_requests_cached)/$(counter remote_cache_requests) \
| $(counter local_cache_requests_cached)/$(counter local_cache_requests) |")
  if [[ -n "${completed}" ]]; then
    echo "bench: ${label}: completed locally:" >&2
    echo "${completed}" | sed 's/^/    /' >&2
  fi
}

"${BUILDGRID}" start >/dev/null
new_machine "${WORK}/warmup"
new_machine "${WORK}/x"
new_machine "${WORK}/y"
run "${WORK}/warmup" "warm-up (fills the remote cache, not measured)" pants.ci.toml
unset 'ROWS[0]'
run "${WORK}/x" "cold machine, no remote cache"
run "${WORK}/y" "cold machine, warm remote cache" pants.ci.toml
run "${WORK}/x" "warm local cache"

echo
echo "| run | wall time | processes started locally | completed locally | packaging processes completed locally | remote cache hits | local cache hits |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
