#!/usr/bin/env bash
# Install a CPython that pyenv cannot install here, from Debian sid's binary packages.
#
#   build-support/cpython/install.sh 3.14
#
# Why this route: this machine reaches only package registries. pyenv cannot download new
# CPythons, and Debian's source packages for sid are not served (only bookworm's), so nothing
# can be built. Sid's binary .debs are served, but they need a newer glibc than the system's
# (bookworm, 2.36), and the system glibc must not be upgraded. So this script unpacks sid's
# python3.X with its own library closure, glibc included, into a private root beside the
# system's, and points the interpreter's ELF at it: PT_INTERP at the private ld.so and a DT_RPATH
# (which, unlike DT_RUNPATH, also covers dlopen'ed extension modules) at the private lib dirs.
# Every .deb is checked against the SHA-256 in sid's Packages index, and that index against
# the suite's InRelease, signed by the Debian archive keys that bookworm ships.
#
# Result: $PYENV_ROOT/versions/<version>/bin/python3.X (bin -> usr/bin), where pyenv and
# Pants' `<PYENV>` search find it. It is the patched binary itself, not a wrapper, so
# `sys.executable` re-executes correctly (Pex does that). It does nothing if an installed
# 3.X already runs.
set -euo pipefail

minor="${1:?usage: $0 MAJOR.MINOR (e.g. 3.14)}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
suite="${DEBIAN_SUITE:-sid}"
pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"
arch="$(dpkg --print-architecture)"
smoke="import ssl, sqlite3, zlib, lzma, bz2, ctypes, decimal, json"

# Fast path: any installed $minor.* that imports the smoke-test modules.
for python in "$pyenv_root/versions/$minor".*/bin/"python$minor"; do
  # (In a subshell, so that a crash of a broken install is silent too.)
  if [[ -x "$python" ]] && ("$python" -c "$smoke") >/dev/null 2>&1; then
    echo "CPython $("$python" -c 'import platform; print(platform.python_version())') is already installed at ${python%/bin/*}."
    exit 0
  fi
done

work="$(mktemp -d)"
stage=""
trap 'rm -rf "$work" ${stage:+"$stage"}' EXIT

# The index, checked against the suite's Release file as signed by Debian's archive keys.
keyring="${DEBIAN_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}"
index="main/binary-$arch/Packages.xz"
curl -fsS --retry 3 -o "$work/InRelease" "$mirror/dists/$suite/InRelease"
gpgv --keyring "$keyring" --status-fd 3 --output "$work/Release" "$work/InRelease" \
  3>"$work/gpgv.status" 2>/dev/null || true
if ! grep -q '^\[GNUPG:\] VALIDSIG' "$work/gpgv.status" || grep -q '^\[GNUPG:\] BADSIG' "$work/gpgv.status"; then
  echo "Debian $suite's InRelease has no valid signature from $keyring." >&2
  exit 1
fi
curl -fsS --retry 3 -o "$work/Packages.xz" "$mirror/dists/$suite/$index"
index_sha="$(awk -v f="$index" '/^SHA256:/ { s = 1; next } /^[^ ]/ { s = 0 } s && $3 == f { print $1 }' "$work/Release")"
echo "$index_sha  $work/Packages.xz" | sha256sum --check --quiet || { echo "Bad SHA-256 for $index" >&2; exit 1; }
# One tab-separated line per package: name, version, filename, sha256, dependency names
# (Pre-Depends and Depends; first alternative; versions dropped); plus "provides" lines.
xz -dc "$work/Packages.xz" | awk '
  function flush() {
    if (p != "") print "pkg", p, v, f, s, d
    p = v = f = s = d = ""
  }
  function names(list,   n, i, parts, alt) {
    n = split(list, parts, /, */)
    for (i = 1; i <= n; i++) {
      split(parts[i], alt, / *\| */)
      sub(/[ (:].*/, "", alt[1])
      out = out (out == "" ? "" : ",") alt[1]
    }
  }
  BEGIN { OFS = "\t" }
  /^$/ { flush(); next }
  /^Package: / { p = $2 }
  /^Version: / { v = $2 }
  /^Filename: / { f = $2 }
  /^SHA256: / { s = $2 }
  /^(Pre-)?Depends: / { out = d; names(substr($0, index($0, " ") + 1)); d = out }
  /^Provides: / {
    n = split(substr($0, 11), pr, /, */)
    for (i = 1; i <= n; i++) { sub(/[ (].*/, "", pr[i]); print "provides", pr[i], p }
  }
  END { flush() }' >"$work/index.tsv"

# Resolve the closure of the interpreter's packages. Data-only and config packages that
# python3.X runs without (the system's /usr/share/zoneinfo etc. still apply) are skipped.
skip=" media-types mime-support tzdata netbase readline-common debconf libc-gconv-modules-extra "
# libstdc++6: manylinux wheels (numpy, ...) may assume it; it must not come from the system.
wanted=("python$minor" "python$minor-minimal" "libpython$minor-minimal" "libpython$minor-stdlib" libstdc++6)
declare -A seen=()
packages=()
while ((${#wanted[@]})); do
  name="${wanted[0]}"
  wanted=("${wanted[@]:1}")
  [[ -z "$name" || -n "${seen[$name]:-}" || "$skip" == *" $name "* ]] && continue
  seen[$name]=1
  line="$(awk -F'\t' -v n="$name" '$1 == "pkg" && $2 == n { print; exit }' "$work/index.tsv")"
  if [[ -z "$line" ]]; then # A virtual package: take its first provider.
    real="$(awk -F'\t' -v n="$name" '$1 == "provides" && $2 == n { print $3; exit }' "$work/index.tsv")"
    [[ -n "$real" ]] || { echo "Debian $suite has no package $name for $arch." >&2; exit 1; }
    wanted+=("$real")
    continue
  fi
  packages+=("$line")
  IFS=, read -r -a deps <<<"$(cut -f6 <<<"$line")"
  wanted+=("${deps[@]}")
done

python_line="$(printf '%s\n' "${packages[@]}" | awk -F'\t' -v n="python$minor" '$2 == n')"
[[ -n "$python_line" ]] || { echo "No python$minor in Debian $suite for $arch." >&2; exit 1; }
version="$(cut -f3 <<<"$python_line")"
version="${version#*:}"
version="${version%-*}"
prefix="$pyenv_root/versions/$version"
stage="$prefix.partial"
rm -rf "$stage" && mkdir -p "$stage" "$work/debs" "$work/tools"

echo "Installing CPython $version from Debian $suite ($arch): ${#packages[@]} packages into $prefix"
printf '%s\n' "${packages[@]}" | cut -f2,3 | tr '\t' = | paste -sd' ' | fold -sw 96 | sed 's/^/  /'
fetch() { # name version filename sha256 destdir
  local deb="$work/debs/${3##*/}"
  curl -fsS --retry 3 -o "$deb" "$mirror/$3"
  echo "$4  $deb" | sha256sum --check --quiet || { echo "Bad SHA-256 for $3" >&2; exit 1; }
  dpkg-deb -x "$deb" "$5"
}
for line in "${packages[@]}"; do
  IFS=$'\t' read -r _ name ver file sha _ <<<"$line"
  fetch "$name" "$ver" "$file" "$sha" "$stage"
done
# Sid's patchelf goes to a scratch dir, run by the private ld.so (it needs sid's glibc).
IFS=$'\t' read -r _ _ ver file sha _ < <(awk -F'\t' '$1 == "pkg" && $2 == "patchelf"' "$work/index.tsv")
fetch patchelf "$ver" "$file" "$sha" "$work/tools"

# Private lib dirs (the multiarch and plain ones, Debian's merged /usr) and the loader.
libc="$(find "$stage/usr/lib" -name libc.so.6 -print -quit)"
triplet="$(basename "$(dirname "$libc")")"
loader="$(find "$stage/usr/lib" -maxdepth 2 -name 'ld-linux*.so.*' -print -quit)"
[[ -n "$libc" && -n "$loader" ]] || { echo "No glibc in the unpacked packages." >&2; exit 1; }
libdirs=("usr/lib/$triplet" "usr/lib")
final_rpath="$(printf '%s:' "${libdirs[@]/#/$prefix/}")"
patchelf() {
  "$loader" --library-path "$stage/usr/lib/$triplet" "$work/tools/usr/bin/patchelf" "$@"
}
binary="$stage/usr/bin/python$minor"
# Two runs, RPATH first: patchelf 0.18 doing both at once on this non-PIE binary writes
# overlapping LOAD segments (the result segfaults before main).
patchelf --force-rpath --set-rpath "${final_rpath%:}" "$binary"
patchelf --set-interpreter "$prefix/${loader#"$stage"/}" "$binary"

# pyenv's layout: bin/ and lib/ at the top (lib/ so getpath finds lib/python3.X/os.py from
# bin/, e.g. for venvs whose home is bin/). Debian's sitecustomize.py points into /etc, and
# its EXTERNALLY-MANAGED marker is for the system's python3, not a private interpreter.
ln -s usr/bin "$stage/bin"
ln -s usr/lib "$stage/lib"
ln -s "python$minor" "$stage/usr/bin/python3"
ln -s "python$minor" "$stage/usr/bin/python"
rm -f "$stage/usr/lib/python$minor/sitecustomize.py" "$stage/usr/lib/python$minor/EXTERNALLY-MANAGED"

rm -rf "$prefix"
mv "$stage" "$prefix"
stage="$prefix" # Removed again on exit unless it passes the checks below.

python="$prefix/bin/python$minor"
"$python" -c "$smoke"
"$python" -m venv --without-pip "$work/venv"
"$work/venv/bin/python" -c "$smoke"
# Every shared object the stdlib's extension modules load must come from the private root.
"$python" - "$prefix" <<'EOF'
import importlib, os, sys, sysconfig
dynload = os.path.join(sysconfig.get_path("platstdlib"), "lib-dynload")
skip = {"_tkinter", "_gdbm", "_dbm"}  # Tk and gdbm are not part of the closure.
for so in sorted(os.listdir(dynload)):
    name = so.split(".")[0]
    if name not in skip:
        importlib.import_module(name)
root = os.path.realpath(sys.argv[1])
with open("/proc/self/maps") as maps:
    paths = {line.split()[-1] for line in maps if ".so" in line}
outside = sorted(p for p in paths if not os.path.realpath(p).startswith(root + "/"))
if outside:
    sys.exit("Loaded from outside %s: %s" % (root, ", ".join(outside)))
assert sys.prefix == os.path.join(root, "usr") or os.path.realpath(sys.prefix).startswith(root), sys.prefix
EOF
stage=""
"$python" -c 'import sys; print("Installed CPython", sys.version.split()[0], "at", sys.prefix)'
