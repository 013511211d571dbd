#!/usr/bin/env bash
# ci/remote-cache/check.sh: proves that `./pants package ::` is remote-cacheable across machines.
#
# Starts a local BuildGrid (buildgrid.sh), then, with the CI profile (pants.ci.toml):
#   machine A: a copy of HEAD at one path, with its own empty local store, named caches, TMPDIR,
#              HOME, user name and an extra PATH entry, builds every package; the cache fills.
#   machine B: a copy of HEAD at a different path, with all of those different and empty again,
#              builds again. It must complete none of our processes (Resolving/Installing/Zipping/Verifying)
#              locally: every cacheable process must come from the remote cache, and its zips must
#              be byte-identical to A's. The only process allowed to complete locally is
#              interpreter discovery, which Pants never caches (see docs/monorepo-ci.md).
#   no cache:  the server is stopped and A builds once more with an empty local store: the build
#              must still succeed and give the same zips, with exactly one warning about the
#              failed cache lookups (and one about the failed uploads: see below).
# The server is stopped by its PID on every exit path.
#
# What stays shared between the machines is what CI machines must share too: the Pants
# bootstrap (PANTS_BOOTSTRAP_CACHE, whose venv's python is Pants' own interpreter), the pyenv
# root (PYENV_ROOT) and its interpreters, and the CA bundle.
#
# Skips (exit 0) only when CPython 3.13, which BuildGrid needs, is not installed.

set -euo pipefail
cd "$(dirname "$0")/../.."
readonly ROOT="${PWD}"
readonly BUILDGRID="${ROOT}/ci/remote-cache/buildgrid.sh"

say() {
  echo "remote-cache check: $*" >&2
}

fail() {
  echo "remote-cache check: FAILED: $*" >&2
  exit 1
}

if ! PYTHON="$("${BUILDGRID}" python)"; then
  say "SKIPPED: BuildGrid needs CPython 3.13, which is not installed here (e.g. \`pyenv install 3.13\`)."
  exit 0
fi
if [[ -n "$(git status --porcelain --untracked-files=no)" ]]; then
  say "note: this checks the committed tree (HEAD); uncommitted changes are not part of it."
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/remote-cache-check.XXXXXX")"
readonly WORK
# shellcheck source=ci/remote-cache/private.sh
source "${ROOT}/ci/remote-cache/private.sh"
use_private_buildgrid "${WORK}" "${PYTHON}"
export PYENV_ROOT="${PYENV_ROOT:-${HOME}/.pyenv}"
unset XDG_CACHE_HOME

readonly MACHINE_A="${WORK}/a"
readonly MACHINE_B="${WORK}/b"
readonly REPO_A="${MACHINE_A}/src/monorepo"
readonly REPO_B="${MACHINE_B}/checkouts/elsewhere/lambdas"

cleanup() {
  local status=$?
  "${BUILDGRID}" stop 2>/dev/null || true
  # ./pants keeps one small memo per checkout path in its bootstrap cache.
  local repo
  for repo in "${REPO_A}" "${REPO_B}"; do
    rm -f "${PANTS_BOOTSTRAP_CACHE}/memo/${repo//[^A-Za-z0-9._-]/_}"
  done
  if ((status == 0)) || [[ -z "${KEEP_CHECK_DIR:-}" ]]; then
    rm -rf "${WORK}"
  else
    say "kept ${WORK} (KEEP_CHECK_DIR is set)"
  fi
  exit "${status}"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# new_machine DIR REPO: a copy of the committed tree at REPO, and empty per-machine state.
new_machine() {
  mkdir -p "$1/home" "$1/tmp" "$1/bin" "$2"
  git archive HEAD | tar -x -C "$2"
}

# run_pants MACHINE_DIR REPO LABEL STORE: `./pants package ::` as that machine, with the CI
# profile and the local process cache in STORE; output in MACHINE_DIR/LABEL.{out,err}.
run_pants() {
  local machine="$1" repo="$2" label="$3" store="$4" name
  name="$(basename "${machine}")"
  say "${label}: ./pants package :: in ${repo}"
  local start=${SECONDS} status=0
  (
    cd "${repo}"
    env HOME="${machine}/home" USER="ci-${name}" LOGNAME="ci-${name}" TMPDIR="${machine}/tmp" \
      PATH="${machine}/bin:${PATH}" \
      ./pants --no-pantsd --no-dynamic-ui --pants-config-files=pants.ci.toml \
      --local-store-dir="${store}" --named-caches-dir="${machine}/named_caches" \
      --local-execution-root-dir="${machine}/tmp" --keep-sandboxes=always --stats-log \
      package ::
  ) >"${machine}/${label}.out" 2>"${machine}/${label}.err" || status=$?
  if ((status != 0)); then
    tail -n 40 "${machine}/${label}.err" >&2
    fail "${label}: ./pants package :: exited with ${status}"
  fi
  say "${label}: done in $((SECONDS - start)) s"
}

# counter LOG NAME: a counter from the --stats-log report.
counter() {
  local value
  value="$(sed -n "s/^  $2: \([0-9]*\)$/\1/p" "$1" | tail -n 1)"
  [[ -n "${value}" ]] || fail "no counter $2 in $1"
  echo "${value}"
}

# local_processes LOG: the description of every process that ran locally (with
# --keep-sandboxes=always, Pants logs each local sandbox it keeps).
local_processes() {
  sed -n 's/.* Preserving local process execution dir [^ ]* for //p' "$1"
}

# zip_sums REPO: "sha256  path" for every zip, and its `.json` report, under REPO/dist.
zip_sums() {
  (cd "$1/dist" && find . \( -name '*.zip' -o -name '*.zip.metadata.json' \) -type f | LC_ALL=C sort | xargs sha256sum)
}

"${BUILDGRID}" start >/dev/null

# --- Machine A: fills the cache. -------------------------------------------------------------
new_machine "${MACHINE_A}" "${REPO_A}"
run_pants "${MACHINE_A}" "${REPO_A}" machine-a "${MACHINE_A}/lmdb_store"
log_a="${MACHINE_A}/machine-a.err"
if (($(counter "${log_a}" remote_cache_write_errors) != 0)); then
  grep -F '[WARN]' "${log_a}" >&2 || true
  fail "machine A could not write every result to the remote cache"
fi
if (($(counter "${log_a}" remote_cache_write_successes) == 0)); then
  fail "machine A wrote nothing to the remote cache: is pants.ci.toml read?"
fi
sums_a="$(zip_sums "${REPO_A}")"
[[ -n "${sums_a}" ]] || fail "machine A built no zip"

# --- Machine B: everything from the cache. --------------------------------------------------
new_machine "${MACHINE_B}" "${REPO_B}"
run_pants "${MACHINE_B}" "${REPO_B}" machine-b "${MACHINE_B}/lmdb_store"
log_b="${MACHINE_B}/machine-b.err"
requests="$(counter "${log_b}" remote_cache_requests)"
hits="$(counter "${log_b}" remote_cache_requests_cached)"
local_runs="$(local_processes "${log_b}" | grep -c '^' || true)"
say "machine B: ${hits} of ${requests} cacheable processes came from the remote cache;" \
  "${local_runs} process(es) started locally:"
local_processes "${log_b}" | sed 's/^/    /' >&2
((requests > 0)) || fail "machine B asked the remote cache for nothing"
if ((hits != requests)) || (($(counter "${log_b}" remote_cache_read_errors) != 0)); then
  fail "machine B missed the remote cache for $((requests - hits)) of ${requests} processes"
fi
if (($(counter "${log_b}" remote_cache_speculation_local_completed_first) != 0)); then
  fail "machine B: a local run finished before the remote cache answered"
fi
# Pants 2.17 starts a process locally at the same time as it asks the remote cache
# (Process.remote_cache_speculation_delay_millis defaults to 0) and cancels the local run when
# the cache answers with a hit. So every process that started locally must have been canceled,
# except interpreter discovery (`Find interpreter for constraints: ...` and `Find CPython X.Y
# ...`, for the zip writer's interpreter): its cache scope is PER_RESTART_SUCCESSFUL, so Pants
# never caches it, locally or remotely, because its answer is a path on this machine.
started="$(local_processes "${log_b}" | grep -v -e '^Find interpreter for constraints: ' \
  -e '^Find CPython ' | LC_ALL=C sort || true)"
canceled="$(sed -n 's/.* \[INFO\] Canceled: //p' "${log_b}" | LC_ALL=C sort)"
completed_locally="$(LC_ALL=C comm -23 <(echo "${started}") <(echo "${canceled}") | sed '/^$/d')"
if [[ -n "${completed_locally}" ]]; then
  fail "machine B ran these processes locally instead of taking them from the remote cache:
${completed_locally}"
fi
say "machine B: all $(printf '%s' "${started}" | grep -c '^' || true) speculative local starts of" \
  "cacheable processes were canceled by remote cache hits; none of them completed locally"
sums_b="$(zip_sums "${REPO_B}")"
if [[ "${sums_a}" != "${sums_b}" ]]; then
  diff -u <(echo "${sums_a}") <(echo "${sums_b}") >&2 || true
  fail "machine B's zips differ from machine A's"
fi
say "machine B: byte-identical zips:"
echo "${sums_b}" | sed 's/^/    /' >&2

# --- No cache: degrades to local builds with one warning per direction. ---------------------
# `remote_cache_warnings = "first_only"` logs the first failure of each kind: in Pants 2.17 that
# is one warning for the failed lookups and one for the failed uploads of the results, which a
# machine that both reads and writes makes with every process it runs.
"${BUILDGRID}" stop
rm -rf "${REPO_A}/dist"
run_pants "${MACHINE_A}" "${REPO_A}" no-cache "${MACHINE_A}/lmdb_store_no_cache"
log_c="${MACHINE_A}/no-cache.err"
remote_warnings="$(grep -F '[WARN]' "${log_c}" | grep -i 'remote' || true)"
read_warnings="$(echo "${remote_warnings}" | grep -c -F 'Failed to read from remote cache' || true)"
write_warnings="$(echo "${remote_warnings}" | grep -c -F 'Failed to write to remote cache' || true)"
other_warnings="$(echo "${remote_warnings}" | grep -v -F -e 'Failed to read from remote cache' \
  -e 'Failed to write to remote cache' | sed '/^$/d' || true)"
if ((read_warnings != 1 || write_warnings > 1)) || [[ -n "${other_warnings}" ]]; then
  echo "${remote_warnings}" >&2
  fail "without a cache server the build should log exactly one remote-cache read warning" \
    "(and at most one write warning), not the above"
fi
(($(counter "${log_c}" remote_cache_read_errors) > 0)) \
  || fail "the run without a server did not even try the remote cache"
say "no cache: $(counter "${log_c}" remote_cache_read_errors) failed lookups; one warning per kind:"
echo "${remote_warnings}" | sed 's/^[^[]*\[WARN\] /    /' >&2
if [[ "$(zip_sums "${REPO_A}")" != "${sums_a}" ]]; then
  fail "the zips built without the cache differ from the first ones"
fi

say "OK: B took all ${hits} cacheable processes from the cache and wrote A's zips byte for byte;" \
  "without the server the build succeeded with one warning per direction."
