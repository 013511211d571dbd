#!/usr/bin/env python3
"""Regenerate the hash-pinned requirement files used by the `./pants` bootstrap script.

    python3 build-support/bootstrap/lock_pants_requirements.py            # rewrite both files
    python3 build-support/bootstrap/lock_pants_requirements.py --check    # exit 1 if stale

What it does:

1. Resolves the dependency closure of `pantsbuild.pants==PANTS_VERSION` for CPython 3.9 by
   `pip install`ing it into a throwaway venv (with all pip configuration ignored), then walking
   the installed distributions' `Requires-Dist` metadata from `pantsbuild.pants`. Markers are
   evaluated for Linux x86_64/aarch64 and macOS x86_64/arm64; if some target would need a
   distribution that the host resolve did not install, the script fails rather than write an
   incomplete lock.
2. For every pinned distribution, asks PyPI's PEP 691 JSON simple API for its files and records
   the sha256 of every CPython 3.9-compatible wheel for those four platforms (all manylinux /
   macosx variants, plus pure-Python wheels), and of the sdist when at least one of the four
   platforms has no wheel.

Only the standard library is used; run it with any Python >= 3.8. Nobody should hand-edit the
generated files.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

PANTS_VERSION = "2.17.1"
PEX_VERSION = "2.105.2"
PYTHON_MAJOR_MINOR = (3, 9)
PYTHON_VERSION = "{}.{}".format(*PYTHON_MAJOR_MINOR)
SIMPLE_INDEX = "https://pypi.org/simple"
# Pants 2.17's `packaging` 21.3 uses pyparsing names that pyparsing 3.1+ deprecates with a
# warning on every first import.
CONSTRAINTS = ("pyparsing<3.1",)

HERE = Path(__file__).resolve().parent
PANTS_REQUIREMENTS = HERE / "pants-requirements.txt"
PEX_REQUIREMENTS = HERE / "pex-requirements.txt"

# Marker environments for the platforms the lock must install on.
TARGETS = {
    "linux_x86_64": {
        "sys_platform": "linux",
        "platform_system": "Linux",
        "platform_machine": "x86_64",
    },
    "linux_aarch64": {
        "sys_platform": "linux",
        "platform_system": "Linux",
        "platform_machine": "aarch64",
    },
    "macos_x86_64": {
        "sys_platform": "darwin",
        "platform_system": "Darwin",
        "platform_machine": "x86_64",
    },
    "macos_arm64": {
        "sys_platform": "darwin",
        "platform_system": "Darwin",
        "platform_machine": "arm64",
    },
}

# Wheel platform tags accepted for each target (pip on that platform may pick any of them).
PLATFORM_TAG_RES = {
    "linux_x86_64": re.compile(
        r"^(manylinux1|manylinux2010|manylinux2014|manylinux_\d+_\d+)_x86_64$"
    ),
    "linux_aarch64": re.compile(r"^(manylinux2014|manylinux_\d+_\d+)_aarch64$"),
    "macos_x86_64": re.compile(r"^macosx_\d+_\d+_(x86_64|intel|fat64|fat3|universal|universal2)$"),
    "macos_arm64": re.compile(r"^macosx_\d+_\d+_(arm64|universal2)$"),
}

# Environment that makes pip ignore every piece of machine/user configuration.
_PIP_ENV_DROP = re.compile(r"^(PIP_|PYTHONPATH$|PYTHONHOME$|PYTHONUSERBASE$|VIRTUAL_ENV$)")


def log(msg: str) -> None:
    print(msg, file=sys.stderr)


def clean_pip_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not _PIP_ENV_DROP.match(k)}
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_INPUT"] = "1"
    return env


def ca_bundle() -> str | None:
    for var in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"):
        path = os.environ.get(var)
        if path and os.path.isfile(path):
            return path
    return None


def canonicalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def find_python39() -> str:
    candidates = []
    if os.environ.get("PANTS_PYTHON"):
        candidates.append(os.environ["PANTS_PYTHON"])
    candidates.append(shutil.which("python3.9") or "")
    pyenv_root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    candidates.extend(
        sorted(
            glob.glob(os.path.join(pyenv_root, "versions", "3.9*", "bin", "python3.9")),
            reverse=True,
        )
    )
    for candidate in filter(None, candidates):
        try:
            out = subprocess.run(
                [
                    candidate,
                    "-c",
                    "import sys; print('%d.%d' % sys.version_info[:2], sys.implementation.name)",
                ],
                capture_output=True,
                text=True,
                timeout=30,
            )
        except (OSError, subprocess.SubprocessError):
            continue
        if out.returncode == 0 and out.stdout.split() == [PYTHON_VERSION, "cpython"]:
            return candidate
    sys.exit(
        "No CPython 3.9 found: set PANTS_PYTHON or pass --python (e.g. after `pyenv install 3.9`)."
    )


# Runs inside the throwaway venv: walks Requires-Dist from the root distribution.
_WALK_SCRIPT = r"""
import json, sys
from importlib import metadata
from pip._vendor.packaging.requirements import Requirement
from pip._vendor.packaging.utils import canonicalize_name

root, targets = sys.argv[1], json.loads(sys.argv[2])
dists = {canonicalize_name(d.metadata["Name"]): d for d in metadata.distributions()}
pins, missing, todo = {}, [], [(canonicalize_name(root), None)]
while todo:
    name, why = todo.pop()
    if name in pins:
        continue
    dist = dists.get(name)
    if dist is None:
        missing.append("%s (required by %s)" % (name, why))
        continue
    pins[name] = [dist.metadata["Name"], dist.version]
    for line in dist.requires or []:
        req = Requirement(line)
        if req.marker is not None and not any(
            req.marker.evaluate(dict(env, extra="")) for env in targets
        ):
            continue
        dep = canonicalize_name(req.name)
        if dep in dists and not req.specifier.contains(dists[dep].version, prereleases=True):
            missing.append("%s %s does not satisfy %s" % (dep, dists[dep].version, line))
        todo.append((dep, dist.metadata["Name"]))
json.dump({"pins": pins, "missing": missing}, sys.stdout)
"""


def resolve_closure(python: str, pants_version: str) -> list[tuple[str, str]]:
    env = clean_pip_env()
    cert = ca_bundle()
    with tempfile.TemporaryDirectory(prefix="lock-pants-") as tmp:
        venv = os.path.join(tmp, "venv")
        subprocess.run([python, "-m", "venv", venv], check=True, env=env)
        vpy = os.path.join(venv, "bin", "python")
        cmd = [
            vpy,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-cache-dir",
            "--isolated",
            "--disable-pip-version-check",
            "--index-url",
            SIMPLE_INDEX + "/",
            f"pantsbuild.pants=={pants_version}",
            *CONSTRAINTS,
        ]
        if cert:
            cmd[4:4] = ["--cert", cert]
        log(f"Resolving pantsbuild.pants=={pants_version} with {python} ...")
        subprocess.run(cmd, check=True, env=env)
        base = {
            "os_name": "posix",
            "implementation_name": "cpython",
            "platform_python_implementation": "CPython",
            "python_version": PYTHON_VERSION,
        }
        targets = [dict(base, **t) for t in TARGETS.values()]
        out = subprocess.run(
            [vpy, "-c", _WALK_SCRIPT, "pantsbuild.pants", json.dumps(targets)],
            check=True,
            env=env,
            capture_output=True,
            text=True,
        )
    result = json.loads(out.stdout)
    if result["missing"]:
        sys.exit(
            "Cannot lock: the host resolve does not cover every target platform:\n  "
            + "\n  ".join(result["missing"])
        )
    return sorted((tuple(v) for v in result["pins"].values()), key=lambda nv: canonicalize(nv[0]))


def fetch_files(name: str) -> list[dict]:
    ctx = ssl.create_default_context(cafile=ca_bundle())
    req = urllib.request.Request(
        f"{SIMPLE_INDEX}/{canonicalize(name)}/",
        headers={"Accept": "application/vnd.pypi.simple.v1+json"},
    )
    with urllib.request.urlopen(req, context=ctx, timeout=60) as resp:
        return json.load(resp)["files"]


def wheel_targets(filename: str) -> set[str]:
    """The targets (keys of TARGETS) on which CPython 3.9 could install this wheel."""
    parts = filename[: -len(".whl")].split("-")
    pythons, abis, plats = (p.split(".") for p in parts[-3:])
    minor = PYTHON_MAJOR_MINOR[1]

    def py_ok(py: str, abi: str) -> bool:
        m = re.fullmatch(r"(cp|py)3(\d*)", py)
        if not m:
            return False
        kind, py_minor = m.group(1), (int(m.group(2)) if m.group(2) else None)
        if abi == f"cp3{minor}":
            return kind == "cp" and py_minor == minor
        if abi == "abi3":
            return kind == "cp" and py_minor is not None and py_minor <= minor
        if abi == "none":
            if kind == "py":
                return py_minor is None or py_minor <= minor
            return py_minor == minor
        return False

    if not any(py_ok(py, abi) for py in pythons for abi in abis):
        return set()
    if "any" in plats:
        return set(TARGETS)
    return {t for t, rx in PLATFORM_TAG_RES.items() if any(rx.match(p) for p in plats)}


def dist_version(filename: str, canonical_name: str) -> str | None:
    if filename.endswith(".whl"):
        name, version = filename.split("-")[:2]
    else:
        m = re.fullmatch(r"(.+)-([^-]+)\.(tar\.gz|zip)", filename)
        if not m:
            return None
        name, version = m.group(1), m.group(2)
    return version if canonicalize(name) == canonical_name else None


def lock_entry(name: str, version: str) -> tuple[list[str], list[str]]:
    """Returns (comment lines, sha256 hashes) for one pinned distribution."""
    files = [
        f for f in fetch_files(name) if dist_version(f["filename"], canonicalize(name)) == version
    ]
    if not files:
        sys.exit(f"No files found on PyPI for {name}=={version}")
    chosen, covered, sdists = [], set(), []
    for f in files:
        if f["filename"].endswith(".whl"):
            targets = wheel_targets(f["filename"])
            if targets:
                chosen.append(f)
                covered |= targets
        else:
            sdists.append(f)
    uncovered = sorted(set(TARGETS) - covered)
    if uncovered:
        if not sdists:
            sys.exit(f"{name}=={version}: no wheel for {uncovered} and no sdist")
        chosen.extend(sdists)
    comments = [f"#   {f['filename']}" for f in sorted(chosen, key=lambda f: f["filename"])]
    if uncovered:
        comments.append(f"#   (sdist included: no cp39 wheel for {', '.join(uncovered)})")
    return comments, sorted({f["hashes"]["sha256"] for f in chosen})


def render(pins: list[tuple[str, str]], header: str) -> str:
    out = [header]
    for name, version in pins:
        comments, hashes = lock_entry(name, version)
        out.append(f"# {name}=={version}:")
        out.extend(comments)
        out.append(f"{name}=={version} \\")
        out.extend(
            f"    --hash=sha256:{h}" + (" \\" if i < len(hashes) - 1 else "")
            for i, h in enumerate(hashes)
        )
    return "\n".join(out) + "\n"


def pex_lock(pex_version: str) -> str:
    files = [
        f
        for f in fetch_files("pex")
        if f["filename"].endswith(".whl")
        and dist_version(f["filename"], "pex") == pex_version
        and f"py3{PYTHON_MAJOR_MINOR[1]}" in f["filename"].split("-")[2].split(".")
    ]
    if len(files) != 1:
        sys.exit(
            f"Expected exactly one py39-tagged universal wheel for pex=={pex_version}, got {files}"
        )
    return (
        "# Generated by build-support/bootstrap/lock_pants_requirements.py -- do not edit.\n"
        "# The pex CLI wheel that ./pants uses to build the PEX CLI handed to Pants ([pex-cli]).\n"
        f"#   {files[0]['filename']}\n"
        f"pex=={pex_version} \\\n    --hash=sha256:{files[0]['hashes']['sha256']}\n"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", help="CPython 3.9 used to resolve (default: autodetect)")
    parser.add_argument("--pants-version", default=PANTS_VERSION)
    parser.add_argument("--pex-version", default=PEX_VERSION)
    parser.add_argument("--check", action="store_true", help="exit 1 if the files are out of date")
    args = parser.parse_args()

    python = args.python or find_python39()
    pins = resolve_closure(python, args.pants_version)
    header = (
        "# Generated by build-support/bootstrap/lock_pants_requirements.py -- do not edit.\n"
        f"# pantsbuild.pants=={args.pants_version} and its dependency closure for CPython 3.9, "
        "hash-pinned for\n# `pip install --no-deps --require-hashes`: cp39 wheels for Linux "
        "x86_64/aarch64 and macOS\n# x86_64/arm64, plus the sdist where one of those has no "
        "wheel.\n"
    )
    outputs = {
        PANTS_REQUIREMENTS: render(pins, header),
        PEX_REQUIREMENTS: pex_lock(args.pex_version),
    }
    stale = [p for p, text in outputs.items() if not p.exists() or p.read_text() != text]
    if args.check:
        for p in stale:
            log(f"out of date: {p}")
        return 1 if stale else 0
    for p, text in outputs.items():
        p.write_text(text)
        log(f"wrote {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
