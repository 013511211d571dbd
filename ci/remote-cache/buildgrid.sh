#!/usr/bin/env bash
# ci/remote-cache/buildgrid.sh: a local BuildGrid 0.9.1 REAPI cache (CAS, ByteStream and
# ActionCache, instance "main") on 127.0.0.1, for development and tests.
#
#   buildgrid.sh start     install BuildGrid if needed, start it, wait until it answers
#   buildgrid.sh stop      stop it (by the PID recorded at start)
#   buildgrid.sh status    say whether it runs and answers; exit 0 only if it does
#   buildgrid.sh install   only install BuildGrid into its cached venv
#   buildgrid.sh python    print the CPython 3.13 it would use; exit 1 if there is none
#
# Environment knobs:
#   BUILDGRID_PORT      port on 127.0.0.1 (default 50051)
#   BUILDGRID_DIR       state: config, PID file, log and the on-disk CAS
#                       (default ${XDG_CACHE_HOME:-~/.cache}/buildgrid/server-$BUILDGRID_PORT)
#   BUILDGRID_PYTHON    CPython 3.13 to install it with (else python3.13 on PATH, else pyenv)
#   BUILDGRID_CACHE     where its venv is kept (default ${XDG_CACHE_HOME:-~/.cache}/buildgrid)
#   BUILDGRID_INDEX_URL index for the install (default PyPI)
#
# The action cache is in memory (LRU), so it is emptied by a restart while the CAS on disk is
# kept; see docs/monorepo-ci.md for a Redis-backed action cache that survives restarts.

set -euo pipefail

readonly BUILDGRID_VERSION=0.9.1
HERE="$(cd -P -- "$(dirname -- "$0")" && pwd)"
readonly HERE
readonly CONSTRAINTS="${HERE}/constraints.txt"
readonly PORT="${BUILDGRID_PORT:-50051}"
readonly CACHE="${BUILDGRID_CACHE:-${XDG_CACHE_HOME:-${HOME}/.cache}/buildgrid}"
readonly STATE="${BUILDGRID_DIR:-${CACHE}/server-${PORT}}"
readonly ADDRESS="127.0.0.1:${PORT}"
readonly INSTANCE=main

die() {
  echo "buildgrid: ERROR: $*" >&2
  exit 1
}

say() {
  echo "buildgrid: $*" >&2
}

find_python() {
  local c pyenv_root="${PYENV_ROOT:-${HOME}/.pyenv}"
  local candidates=()
  [[ -n "${BUILDGRID_PYTHON:-}" ]] && candidates+=("${BUILDGRID_PYTHON}")
  c="$(command -v python3.13 2>/dev/null)" && candidates+=("${c}")
  for c in "${pyenv_root}"/versions/3.13*/bin/python3.13; do
    [[ -x "${c}" ]] && candidates+=("${c}")
  done
  for c in ${candidates[@]+"${candidates[@]}"}; do
    if "${c}" -I -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null; then
      "${c}" -I -c 'import sys; print(sys.executable)'
      return 0
    fi
  done
  return 1
}

# The venv's name changes with the interpreter and the pinned versions, so an upgrade of
# either installs a new one beside the old.
venv_path() {
  local python="$1" key
  key="$("${python}" -I -c '
import hashlib, sys
h = hashlib.sha256(open(sys.argv[1], "rb").read())
h.update(sys.executable.encode() + sys.version.encode())
print(h.hexdigest()[:16])
' "${CONSTRAINTS}")"
  echo "${CACHE}/venv-${BUILDGRID_VERSION}-${key}"
}

VENV=""
install() {
  local python
  python="$(find_python)" || die "BuildGrid ${BUILDGRID_VERSION} needs CPython 3.13, and none \
was found (BUILDGRID_PYTHON, python3.13 on PATH, pyenv). Install it, e.g. \`pyenv install 3.13\`."
  VENV="$(venv_path "${python}")"
  [[ -f "${VENV}/.complete" ]] && return 0
  mkdir -p "${CACHE}"
  exec 8>"${CACHE}/.install.lock"
  flock 8
  if [[ ! -f "${VENV}/.complete" ]]; then
    rm -rf "${VENV}" "${VENV}.tmp"
    say "installing BuildGrid ${BUILDGRID_VERSION} into ${VENV} ..."
    local cert_args=() ca
    for ca in "${SSL_CERT_FILE:-}" "${REQUESTS_CA_BUNDLE:-}"; do
      if [[ -n "${ca}" && -f "${ca}" ]]; then
        cert_args=(--cert "${ca}")
        break
      fi
    done
    local log="${CACHE}/install.log"
    # Machine and user pip configuration is ignored (as by ./pants), the versions are pinned.
    if ! {
      "${python}" -I -m venv "${VENV}.tmp" \
        && PIP_CONFIG_FILE=/dev/null "${VENV}.tmp/bin/python" -I -m pip install --isolated \
          --disable-pip-version-check --no-input ${cert_args[@]+"${cert_args[@]}"} \
          --index-url "${BUILDGRID_INDEX_URL:-https://pypi.org/simple}" \
          --constraint "${CONSTRAINTS}" "buildgrid==${BUILDGRID_VERSION}"
    } >"${log}" 2>&1; then
      tail -n 30 "${log}" >&2
      die "installing BuildGrid failed; the full log is ${log}"
    fi
    # Scripts in bin/ keep the temporary path in their shebangs; we only run bin/python.
    mv "${VENV}.tmp" "${VENV}"
    touch "${VENV}/.complete"
  fi
  exec 8>&-
}

bgd() {
  "${VENV}/bin/python" -I -c \
    'import sys; from buildgrid.server.app import cli; sys.argv[0] = "bgd"; sys.exit(cli())' "$@"
}

write_config() {
  mkdir -p "${STATE}/cas"
  cat >"${STATE}/config.yml" <<EOF
# Written by ci/remote-cache/buildgrid.sh.
description: Local REAPI cache for Pants (no remote execution).
server:
  - !channel
    address: "${ADDRESS}"
    insecure-mode: true
storages:
  - !disk-storage &cas
    path: "${STATE}/cas"
caches:
  - !lru-action-cache &action-cache
    storage: *cas
    max-cached-refs: 100000
    allow-updates: true
    cache-failed-actions: false
# Pants keeps up to [GLOBAL].remote_store_rpc_concurrency + remote_cache_rpc_concurrency
# (128 + 128) RPCs in flight; the default limit (5 per core) refuses most of them with
# "ResourceExhausted: Concurrent RPC limit exceeded!". Queue them instead.
thread-pool-size: 32
maximum-concurrent-rpcs: 512
instances:
  - name: ${INSTANCE}
    services:
      - !action-cache
        cache: *action-cache
      - !cas
        storage: *cas
      - !bytestream
        storage: *cas
EOF
}

# The PID recorded at start, if that process is still our server.
running_pid() {
  local pid
  [[ -f "${STATE}/pid" ]] || return 1
  pid="$(cat "${STATE}/pid")"
  [[ "${pid}" =~ ^[0-9]+$ ]] || return 1
  kill -0 "${pid}" 2>/dev/null || return 1
  # Not a recycled PID: its command line names our config.
  tr '\0' ' ' <"/proc/${pid}/cmdline" 2>/dev/null | grep -qF "${STATE}/config.yml" || return 1
  echo "${pid}"
}

answers() {
  bgd capabilities --remote "http://${ADDRESS}" --instance-name "${INSTANCE}" >/dev/null 2>&1
}

start() {
  install
  local pid
  if pid="$(running_pid)"; then
    say "already running (PID ${pid}) on grpc://${ADDRESS}, instance ${INSTANCE}"
    return 0
  fi
  write_config
  say "starting on grpc://${ADDRESS}, instance ${INSTANCE}; state in ${STATE}"
  # Its own session, so that the terminal's Ctrl-C does not reach it; stdin closed.
  setsid "${VENV}/bin/python" -I -c \
    'import sys; from buildgrid.server.app import cli; sys.argv[0] = "bgd"; sys.exit(cli())' \
    server start "${STATE}/config.yml" </dev/null >"${STATE}/server.log" 2>&1 &
  pid=$!
  echo "${pid}" >"${STATE}/pid"
  local i
  for ((i = 0; i < 120; i++)); do
    if ! kill -0 "${pid}" 2>/dev/null; then
      rm -f "${STATE}/pid"
      tail -n 30 "${STATE}/server.log" >&2 || true
      die "the server exited during start-up; log: ${STATE}/server.log"
    fi
    if answers; then
      say "ready (PID ${pid})"
      echo "grpc://${ADDRESS}"
      return 0
    fi
    sleep 0.5
  done
  kill "${pid}" 2>/dev/null || true
  rm -f "${STATE}/pid"
  die "the server did not answer on ${ADDRESS} within 60 s; log: ${STATE}/server.log"
}

stop() {
  local pid i
  if ! pid="$(running_pid)"; then
    rm -f "${STATE}/pid"
    say "not running"
    return 0
  fi
  kill "${pid}"
  for ((i = 0; i < 40; i++)); do
    kill -0 "${pid}" 2>/dev/null || break
    sleep 0.25
  done
  if kill -0 "${pid}" 2>/dev/null; then
    say "PID ${pid} ignored SIGTERM for 10 s; sending SIGKILL"
    kill -9 "${pid}" 2>/dev/null || true
  fi
  rm -f "${STATE}/pid"
  say "stopped (PID ${pid})"
}

status() {
  local pid
  if ! pid="$(running_pid)"; then
    say "not running (state in ${STATE})"
    return 1
  fi
  install
  if answers; then
    say "running (PID ${pid}) and answering on grpc://${ADDRESS}, instance ${INSTANCE}"
    return 0
  fi
  say "running (PID ${pid}) but not answering on ${ADDRESS}; log: ${STATE}/server.log"
  return 1
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  install) install && echo "${VENV}" ;;
  python) find_python ;;
  *)
    echo "usage: $0 start|stop|status|install|python   (BUILDGRID_PORT, BUILDGRID_DIR: see the header)" >&2
    exit 2
    ;;
esac
