#!/usr/bin/env bash
# Tests for the ./pants bootstrap script.
#
#   build-support/bootstrap/test_bootstrap.sh [--keep]
#
# Works on a scratch copy (temp dir: ./pants, build-support/bootstrap/*.txt, its own minimal
# pants.toml and a few targets) with a fresh bootstrap cache, so it never touches this checkout's
# pants.toml/.pants.d or your ~/.cache. Needs PyPI (fresh bootstrap, black for `fmt`); takes a few
# minutes. Stops the pantsd it started (by pid) and deletes the temp dir unless --keep.
#
# Checks: fresh cache + two concurrent `./pants --version` both succeed (one venv, verified PEX);
# a warm run prints nothing but Pants' output; warm overhead of the script (printed, < 50 ms);
# missing-interpreter message; a damaged bin/pants is rebuilt; native client vs Python launcher give identical stdout, stderr
# and exit codes (--version, bad address, unknown goal, failing fmt, run with stdin/args/env/exit
# code); fallback to the Python launcher when no pantsd is running; no re-run of the command on a
# closed output pipe or a second Ctrl-C.

set -euo pipefail

REPO="$(cd "$(dirname "$0")/../.." && pwd)"
KEEP=""
[[ "${1:-}" == "--keep" ]] && KEEP=1

WORK="$(mktemp -d "${TMPDIR:-/tmp}/pants-bootstrap-test.XXXXXX")"
WORK="$(cd "${WORK}" && pwd -P)"
SCRATCH="${WORK}/repo"
export PANTS_BOOTSTRAP_CACHE="${WORK}/cache"
unset PANTS_NO_NATIVE_CLIENT PANTS_BOOTSTRAP_VERBOSE

PASSED=0
FAILED=0
pass() {
  PASSED=$((PASSED + 1))
  echo "PASS: $*"
}
fail() {
  FAILED=$((FAILED + 1))
  echo "FAIL: $*"
}
note() { echo "      $*"; }

pantsd_pid() {
  local f pid
  for f in "${SCRATCH}"/.pids/*/pantsd/pid; do
    [[ -f "${f}" ]] || continue
    pid="$(cat "${f}")"
    # Only ever a pantsd of the scratch repo, i.e. one this test started.
    if kill -0 "${pid}" 2>/dev/null && ps -o args= -p "${pid}" 2>/dev/null | grep -qF "pantsd [${SCRATCH}]"; then
      echo "${pid}"
      return 0
    fi
  done
  return 1
}

stop_pantsd() {
  local pid i
  if pid="$(pantsd_pid)"; then
    kill "${pid}" 2>/dev/null || true
    for i in $(seq 50); do
      kill -0 "${pid}" 2>/dev/null || return 0
      sleep 0.2
    done
    kill -9 "${pid}" 2>/dev/null || true
  fi
}

cleanup() {
  stop_pantsd || true
  if [[ -n "${KEEP}" ]]; then
    echo "kept ${WORK}"
  else
    rm -rf "${WORK}"
  fi
}
trap cleanup EXIT

# --------------------------------------------------------------------------------------------
# Scratch repo.

mkdir -p "${SCRATCH}/build-support/bootstrap" "${SCRATCH}/src" "${SCRATCH}/bad"
cp "${REPO}/pants" "${SCRATCH}/pants"
cp "${REPO}"/build-support/bootstrap/*.txt "${SCRATCH}/build-support/bootstrap/"
PEX_LINE_SHA="$(sed -n 's/^readonly PEX_SHA256=//p' "${REPO}/pants")"
PEX_LINE_SIZE="$(sed -n 's/^readonly PEX_SIZE=//p' "${REPO}/pants")"

write_pants_toml() { # write_pants_toml BACKENDS EXTRA
  {
    printf '[GLOBAL]\npants_version = "2.17.1"\nbackend_packages = [%s]\n\n' "$1"
    printf '%s\n' "$2"
    printf '[pex-cli]\nversion = "v2.105.2"\nknown_versions = [\n'
    for plat in linux_arm64 linux_x86_64 macos_arm64 macos_x86_64; do
      printf '  "v2.105.2|%s|%s|%s",\n' "${plat}" "${PEX_LINE_SHA}" "${PEX_LINE_SIZE}"
    done
    printf ']\n'
  } >"${SCRATCH}/pants.toml"
}
write_pants_toml "" ""

cat >"${SCRATCH}/src/BUILD" <<'EOF'
python_sources(name="lib")
pex_binary(name="echo", entry_point="echo_stdin.py")
pex_binary(name="counter", entry_point="counter.py")
pex_binary(name="sleeper", entry_point="sleeper.py")
EOF
cat >"${SCRATCH}/src/echo_stdin.py" <<'EOF'
import os, sys
print("stdin=%r" % sys.stdin.read())
print("argv=%r" % sys.argv[1:])
print("FOO=%r" % os.environ.get("FOO"))
print("to-stderr", file=sys.stderr)
sys.exit(int(os.environ.get("EXIT", "0")))
EOF
cat >"${SCRATCH}/src/counter.py" <<EOF
import time
time.sleep(1.5)  # the pipe closes well after the native client connected
open("${WORK}/counter.count", "a").write("x\n")
for i in range(200000):
    print("line", i)
EOF
cat >"${SCRATCH}/src/sleeper.py" <<EOF
import signal, time
signal.signal(signal.SIGINT, signal.SIG_IGN)
open("${WORK}/sleeper.count", "a").write("x\n")
print("sleeper start", flush=True)
time.sleep(6)
print("sleeper done")
EOF
echo 'python_sources()' >"${SCRATCH}/bad/BUILD"
printf 'x = (1,\n' >"${SCRATCH}/bad/broken.py"
cd "${SCRATCH}"

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  else
    shasum -a 256 "$1" | cut -d' ' -f1
  fi
}

# --------------------------------------------------------------------------------------------
echo "== 1. fresh cache: two concurrent ./pants --version"

for i in 1 2; do
  (
    set +e
    ./pants --version >"${WORK}/c${i}.out" 2>"${WORK}/c${i}.err"
    echo $? >"${WORK}/c${i}.rc"
  ) &
done
wait
for i in 1 2; do
  if [[ "$(cat "${WORK}/c${i}.rc")" == 0 && "$(cat "${WORK}/c${i}.out")" == "2.17.1" ]]; then
    pass "concurrent run ${i} exited 0 and printed 2.17.1"
  else
    fail "concurrent run ${i}: rc=$(cat "${WORK}/c${i}.rc") stdout=$(cat "${WORK}/c${i}.out")"
    sed 's/^/      | /' "${WORK}/c${i}.err" | tail -20
  fi
  if grep -E "ERROR|Traceback" "${WORK}/c${i}.err" >/dev/null; then
    fail "concurrent run ${i} printed errors"
  fi
done
venvs=("${PANTS_BOOTSTRAP_CACHE}"/venvs/*)
leftovers=("${PANTS_BOOTSTRAP_CACHE}"/venvs/.tmp* "${PANTS_BOOTSTRAP_CACHE}"/pex-cli/.tmp*)
if [[ ${#venvs[@]} == 1 && -x "${venvs[0]}/bin/pants" && ! -e "${leftovers[0]}" && ! -e "${leftovers[1]}" ]]; then
  pass "exactly one venv, no temporary leftovers"
else
  fail "cache layout: venvs=${venvs[*]} leftovers=${leftovers[*]}"
fi
PEX_FILE=("${PANTS_BOOTSTRAP_CACHE}"/pex-cli/pex-*.pex)
if [[ -f "${PEX_FILE[0]}" && "$(sha256_of "${PEX_FILE[0]}")" == "${PEX_LINE_SHA}" &&
  "$(wc -c <"${PEX_FILE[0]}" | tr -d ' ')" == "${PEX_LINE_SIZE}" ]]; then
  pass "PEX CLI sha256/size ${PEX_LINE_SHA} ${PEX_LINE_SIZE}"
else
  fail "PEX CLI missing or wrong: ${PEX_FILE[*]}"
fi
if [[ -x "${venvs[0]}/lib/python3.9/site-packages/pants/bin/native_client" ]]; then
  pass "native client is executable"
else
  fail "native client missing or not executable"
fi
BOOT_PY="$(sed -n 's/^python=//p' "${venvs[0]}/.pants-bootstrap")"

# --------------------------------------------------------------------------------------------
echo "== 2. warm run is quiet"

./pants --version >/dev/null 2>&1 || true # pantsd is up after this
out="$(./pants --version 2>"${WORK}/warm.err")"
if [[ "${out}" == "2.17.1" && ! -s "${WORK}/warm.err" ]]; then
  pass "warm ./pants --version prints only 2.17.1"
else
  fail "warm run: stdout=${out}"
  sed 's/^/      | /' "${WORK}/warm.err"
fi

# --------------------------------------------------------------------------------------------
echo "== 3. warm overhead"

# Same script, same directory (same memo), but exec'ing `true` instead of Pants.
# shellcheck disable=SC2016
sed -e 's|^  exec "${MEMO_VENV}/lib/python3.9/site-packages/pants/bin/native_client" "\$@"$|  exec true|' \
  -e 's|^exec "${MEMO_VENV}/bin/pants" "\$@"$|exec true|' ./pants >./.pants-overhead
chmod +x ./.pants-overhead
if [[ "$(grep -c '^ *exec true$' ./.pants-overhead)" != 2 ]]; then
  fail "could not build the overhead probe"
else
  if command -v hyperfine >/dev/null 2>&1; then
    hyperfine -N --warmup 5 --runs 100 --export-json "${WORK}/hf.json" \
      './.pants-overhead --version' >/dev/null 2>&1
    ms="$("${BOOT_PY}" -c 'import json,sys; print("%.1f" % (json.load(open(sys.argv[1]))["results"][0]["mean"] * 1000))' "${WORK}/hf.json")"
    how="hyperfine mean of 100"
  else
    runs=50
    start="$("${BOOT_PY}" -c 'import time; print(time.time())')"
    for _ in $(seq "${runs}"); do ./.pants-overhead --version; done
    ms="$("${BOOT_PY}" -c 'import sys,time; print("%.1f" % ((time.time() - float(sys.argv[1])) * 1000 / int(sys.argv[2])))' "${start}" "${runs}")"
    how="mean of ${runs} sequential runs"
  fi
  note "warm overhead (bash start + script, up to exec): ${ms} ms (${how})"
  if "${BOOT_PY}" -c 'import sys; sys.exit(0 if float(sys.argv[1]) < 50 else 1)' "${ms}"; then
    pass "warm overhead ${ms} ms < 50 ms"
  else
    fail "warm overhead ${ms} ms >= 50 ms"
  fi
fi
rm -f ./.pants-overhead

# --------------------------------------------------------------------------------------------
echo "== 4. missing interpreter"

mkdir -p "${WORK}/bin" "${WORK}/home"
for tool in bash env sort ps readlink mkdir mktemp mv rm chmod cat tail flock; do
  if p="$(command -v "${tool}")"; then ln -sf "${p}" "${WORK}/bin/${tool}"; fi
done
set +e
env -i HOME="${WORK}/home" PATH="${WORK}/bin" PANTS_PYTHON=/nonexistent \
  PYENV_ROOT="${WORK}/no-pyenv" PANTS_BOOTSTRAP_CACHE="${WORK}/cache-nopy" \
  "${WORK}/bin/bash" ./pants --version >"${WORK}/nopy.out" 2>"${WORK}/nopy.err"
rc=$?
set -e
if [[ ${rc} != 0 ]] && grep -q "pyenv install 3.9" "${WORK}/nopy.err" &&
  grep -q "PANTS_PYTHON" "${WORK}/nopy.err" && [[ ! -s "${WORK}/nopy.out" ]]; then
  pass "no CPython 3.9: exit ${rc} with install hint"
else
  fail "missing-interpreter: rc=${rc}"
  sed 's/^/      | /' "${WORK}/nopy.err"
fi

# --------------------------------------------------------------------------------------------
echo "== 4b. damaged launcher"

stop_pantsd
printf 'import sys\nsys.exit(3)\n' >"${venvs[0]}/bin/pants"
set +e
out="$(./pants --version 2>"${WORK}/damaged.err")"
rc=$?
set -e
if [[ ${rc} == 0 && "${out}" == "2.17.1" ]] && grep -q "is damaged" "${WORK}/damaged.err"; then
  pass "a damaged bin/pants is noticed and the venv rebuilt"
else
  fail "damaged launcher: rc=${rc} stdout=${out}"
  sed 's/^/      | /' "${WORK}/damaged.err" | tail -20
fi
out="$(./pants --version 2>"${WORK}/repaired.err")"
if [[ "${out}" == "2.17.1" && ! -s "${WORK}/repaired.err" ]]; then
  pass "the next run is warm and quiet again"
else
  fail "after the repair: stdout=${out}"
  sed 's/^/      | /' "${WORK}/repaired.err"
fi

# --------------------------------------------------------------------------------------------
echo "== 5. native client vs Python launcher"

write_pants_toml '"pants.backend.python", "pants.backend.python.lint.black"' "$(
  cat <<EOF
[python]
interpreter_constraints = ["CPython==3.9.*"]

[python-bootstrap]
search_path = ["$(dirname "${BOOT_PY}")", "<PYENV>", "<PATH>"]

[python-infer]
use_rust_parser = true
EOF
)"

settle() { # a healthy pantsd for the current pants.toml, whatever the previous run did to it
  local i
  for i in 1 2 3 4 5; do
    PANTS_NO_NATIVE_CLIENT=1 ./pants --version >/dev/null 2>&1 || true
    sleep 1
    if pantsd_pid >/dev/null; then return 0; fi
  done
  return 1
}
settle
# Warm up what `run` and `fmt` need (PEX CLI via file:// URL, black) outside the comparison.
./pants run src:echo </dev/null >/dev/null 2>&1 || true
./pants fmt bad:: >/dev/null 2>&1 || true

normalize() {
  sed -E -e '/^pants bootstrap: /d' -e 's/^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{2} //' \
    -e 's/[0-9]+\.[0-9]+s/Ns/g' -e 's#pants-sandbox-[A-Za-z0-9]+#pants-sandbox-X#g' "$1"
}

compare() { # compare STDIN_FILE ARGS...: same stdout/stderr/exit code both ways
  local stdin="$1" mode rc_native rc_python
  shift
  for mode in native python; do
    settle || true
    set +e
    if [[ ${mode} == native ]]; then
      PANTS_BOOTSTRAP_VERBOSE=1 ./pants "$@" <"${stdin}" >"${WORK}/${mode}.out" 2>"${WORK}/${mode}.err"
    else
      PANTS_BOOTSTRAP_VERBOSE=1 PANTS_NO_NATIVE_CLIENT=1 ./pants "$@" <"${stdin}" \
        >"${WORK}/${mode}.out" 2>"${WORK}/${mode}.err"
    fi
    eval "rc_${mode}=$?"
    set -e
  done
  if ! grep -q "via the native client" "${WORK}/native.err" ||
    grep -q "using the Python launcher" "${WORK}/native.err"; then
    fail "native client was not what ran: ./pants $*"
    return
  fi
  if [[ "${rc_native}" == "${rc_python}" ]] &&
    diff <(normalize "${WORK}/native.out") <(normalize "${WORK}/python.out") >/dev/null &&
    diff <(normalize "${WORK}/native.err") <(normalize "${WORK}/python.err") >/dev/null; then
    pass "identical (exit ${rc_native}, $(wc -c <"${WORK}/native.out" | tr -d ' ') B stdout, $(wc -c <"${WORK}/native.err" | tr -d ' ') B stderr): ./pants $*"
  else
    fail "differs: ./pants $* (native exit ${rc_native}, python exit ${rc_python})"
    diff <(normalize "${WORK}/native.out") <(normalize "${WORK}/python.out") | sed 's/^/      out| /' | head -20
    diff <(normalize "${WORK}/native.err") <(normalize "${WORK}/python.err") | sed 's/^/      err| /' | head -20
  fi
}

printf 'hello\nworld' >"${WORK}/stdin.txt"
compare /dev/null --version
compare /dev/null list nonexistent:target
compare /dev/null nosuchgoal
compare /dev/null fmt bad::
compare /dev/null list src:: --filter-target-type=pex_binary
FOO="x y" compare "${WORK}/stdin.txt" run src:echo -- --flag "a b" ""
EXIT=3 compare /dev/null run src:echo

# --------------------------------------------------------------------------------------------
echo "== 6. fallback and no re-runs"

stop_pantsd
out="$(PANTS_BOOTSTRAP_VERBOSE=1 ./pants --version 2>"${WORK}/fb.err")" && rc=0 || rc=$?
if [[ ${rc} == 0 && "${out}" == "2.17.1" ]] && grep -q "via the Python launcher" "${WORK}/fb.err"; then
  pass "no live pantsd: straight to the Python launcher (which starts pantsd)"
else
  fail "no live pantsd: rc=${rc} out=${out}"
fi
# A daemon option that differs from the running pantsd's: the native client hands over.
out="$(PANTS_BOOTSTRAP_VERBOSE=1 ./pants --show-log-target --version 2>"${WORK}/fp.err")" &&
  rc=0 || rc=$?
if [[ ${rc} == 0 && "${out}" == "2.17.1" ]] && grep -q "using the Python launcher" "${WORK}/fp.err"; then
  pass "pantsd with other options: native client hands over to the Python launcher"
else
  fail "fingerprint mismatch: rc=${rc} out=${out}"
fi
out="$(PANTS_BOOTSTRAP_VERBOSE=1 ./pants --no-pantsd --version 2>"${WORK}/np.err")" || true
if [[ "${out}" == "2.17.1" ]] && grep -q "via the Python launcher" "${WORK}/np.err"; then
  pass "--no-pantsd goes straight to the Python launcher"
else
  fail "--no-pantsd: out=${out}"
fi

settle || true
./pants package src:counter src:sleeper >/dev/null 2>&1 || true
rm -f "${WORK}/counter.count"
./pants run src:counter 2>/dev/null | head -1 >/dev/null || true
count="$(wc -l <"${WORK}/counter.count" | tr -d ' ')"
if [[ "${count}" == 1 ]]; then
  pass "closed output pipe (| head -1): command ran once"
else
  fail "closed output pipe: command ran ${count} times"
fi

if command -v setsid >/dev/null 2>&1; then
  settle || true
  rm -f "${WORK}/sleeper.count" "${WORK}/pgid"
  # shellcheck disable=SC2016
  setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "${WORK}/pgid" ./pants run src:sleeper \
    </dev/null >"${WORK}/int.out" 2>"${WORK}/int.err" &
  bg=$!
  for _ in $(seq 150); do [[ -f "${WORK}/sleeper.count" ]] && break; sleep 0.2; done
  pg="$(cat "${WORK}/pgid")"
  kill -INT -- "-${pg}" 2>/dev/null || true
  sleep 0.5
  kill -INT -- "-${pg}" 2>/dev/null || true # second Ctrl-C
  wait "${bg}" && rc=0 || rc=$?
  sleep 8 # a re-run would have started the sleeper again by now
  count="$(wc -l <"${WORK}/sleeper.count" | tr -d ' ')"
  if [[ ${rc} == 1 && "${count}" == 1 ]]; then
    pass "second Ctrl-C: exit 1, command not re-run"
  else
    fail "second Ctrl-C: exit ${rc}, command started ${count} times"
  fi
else
  note "setsid not available: skipped the Ctrl-C test"
fi

echo
echo "${PASSED} passed, ${FAILED} failed"
[[ ${FAILED} == 0 ]]
