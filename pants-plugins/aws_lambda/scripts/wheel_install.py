"""Download one locked wheel, check its hash, and unpack it as a flat install of its own.

Stdlib only: it runs inside a Pants sandbox under any CPython >= 3.9:

    python -m aws_lambda.scripts.wheel_install --url URL --algorithm sha256 --hash HEX \
        --dest DIR

The tree is what `pex3 venv create --layout=flat` installs for the wheel: its files at the
root, the `.data/` folders spread (`purelib` and `platlib` to the root, `scripts` to `bin/`,
`headers` to `include/site/pythonX.Y/<project>/`, `data` to the root), its bytecode left out,
and its RECORD listing what was installed. Exit codes: 0 installed; 2 the download does not
match the hash (stdout: a JSON object with `expected` and `actual`); 3 the download failed; 4
the wheel is not one (stdout says why).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import posixpath
import shutil
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Optional

HASH_MISMATCH_EXIT_CODE = 2
DOWNLOAD_FAILED_EXIT_CODE = 3
INVALID_WHEEL_EXIT_CODE = 4
_ATTEMPTS = 3
_CHUNK = 1 << 20


class DownloadError(Exception):
    pass


class HashMismatchError(Exception):
    def __init__(self, expected: str, actual: str) -> None:
        super().__init__(f"expected {expected}, got {actual}")
        self.expected = expected
        self.actual = actual


class InvalidWheelError(Exception):
    pass


def download(url: str, algorithm: str, expected: str, to: Path, attempts: int = _ATTEMPTS) -> None:
    """Fetch `url` into the file `to`, retrying transient failures, and check its hash."""
    for attempt in range(1, attempts + 1):
        try:
            digest = _fetch(url, algorithm, to)
            break
        except (OSError, urllib.error.URLError) as e:
            if attempt == attempts or (isinstance(e, urllib.error.HTTPError) and e.code < 500):
                raise DownloadError(f"{url}: {e}") from e
            time.sleep(attempt)
    if digest != expected:
        raise HashMismatchError(expected, digest)


def _fetch(url: str, algorithm: str, to: Path) -> str:
    hasher = hashlib.new(algorithm)
    with urllib.request.urlopen(url, timeout=60) as response, to.open("wb") as out:
        while True:
            chunk = response.read(_CHUNK)
            if not chunk:
                return hasher.hexdigest()
            hasher.update(chunk)
            out.write(chunk)


def install(wheel: Path, dest: Path) -> None:
    """Unpack `wheel` into `dest` as a flat install (see the module's docstring)."""
    with zipfile.ZipFile(wheel) as archive:
        infos = [info for info in archive.infolist() if not info.is_dir()]
        dist_info = _dist_info_folder(wheel.name, [info.filename for info in infos])
        data_folder = dist_info[: -len(".dist-info")] + ".data/"
        record_path = f"{dist_info}/RECORD"
        installed: dict[str, str] = {}
        for info in infos:
            name = info.filename
            if name == record_path or name.endswith(".pyc"):
                continue
            target = _install_path(name, data_folder, wheel.name)
            if target is None:
                continue
            installed[name] = target
            path = dest / target
            path.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as source, path.open("wb") as out:
                shutil.copyfileobj(source, out, _CHUNK)
            if (info.external_attr >> 16) & 0o111:
                path.chmod(0o755)
        record = archive.read(record_path) if record_path in archive.namelist() else b""
    (dest / record_path).write_bytes(_installed_record(record, installed, record_path))


def _dist_info_folder(filename: str, names: Sequence[str]) -> str:
    folders = {name.split("/", 1)[0] for name in names if name.count("/") == 1}
    found = sorted(f for f in folders if f.endswith(".dist-info") and f"{f}/METADATA" in names)
    if len(found) != 1:
        raise InvalidWheelError(
            f"{filename} has {len(found)} top-level .dist-info folders with a METADATA file, "
            "not one"
        )
    return found[0]


def _install_path(name: str, data_folder: str, filename: str) -> Optional[str]:
    """Where the wheel's member `name` is installed, relative to the tree; None to skip it."""
    path = posixpath.normpath(name)
    if path.startswith(("/", "../")) or path == ".." or "\\" in name:
        raise InvalidWheelError(f"{filename} has a member outside its root: {name!r}")
    if not path.startswith(data_folder):
        return path
    scheme, _, rest = path[len(data_folder) :].partition("/")
    if not rest:
        return None
    if scheme in ("purelib", "platlib", "data"):
        return rest
    if scheme == "scripts":
        return f"bin/{rest}"
    if scheme == "headers":
        return _headers_path(data_folder, filename, rest)
    raise InvalidWheelError(f"{filename} has an unknown .data folder: {name!r}")


def _headers_path(data_folder: str, filename: str, rest: str) -> str:
    # As pip (and Pex) do: `include/site/pythonX.Y/<project>/`, X.Y from the wheel's only tag.
    project = data_folder[: -len(".data/")].split("-")[0]
    python_tags = {tag for tag in filename[: -len(".whl")].split("-")[-3].split(".")}
    version = "X.Y"
    if len(python_tags) == 1:
        digits = next(iter(python_tags))[2:]
        if len(digits) >= 2 and digits.isdigit():
            version = f"{digits[0]}.{digits[1:]}"
    return f"include/site/python{version}/{project}/{rest}"


def _installed_record(record: bytes, installed: dict[str, str], record_path: str) -> bytes:
    """The wheel's RECORD in its order, as Pex writes it: each row at its installed path, only
    the installed files, and the RECORD's own row without a hash."""
    rows = []
    for row in csv.reader(io.StringIO(record.decode("utf-8", errors="replace"))):
        if row and row[0] in installed:
            rows.append([installed.pop(row[0]), *row[1:3]])
        elif row and row[0] == record_path:
            rows.append([record_path, "", ""])
    rows += [[path, "", ""] for path in installed.values()]  # Files the RECORD omitted.
    if [record_path, "", ""] not in rows:
        rows.append([record_path, "", ""])
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode()


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--algorithm", required=True, choices=sorted(hashlib.algorithms_available))
    parser.add_argument("--hash", required=True)
    parser.add_argument("--dest", type=Path, required=True)
    args = parser.parse_args(argv)
    filename = args.url.rsplit("/", 1)[-1].split("#")[0]
    with tempfile.TemporaryDirectory(dir=".") as tmp:
        wheel = Path(tmp, filename)
        try:
            download(args.url, args.algorithm, args.hash, wheel)
            args.dest.mkdir(parents=True, exist_ok=True)
            install(wheel, args.dest)
        except HashMismatchError as e:
            print(json.dumps({"expected": e.expected, "actual": e.actual}))
            return HASH_MISMATCH_EXIT_CODE
        except DownloadError as e:
            print(e)
            return DOWNLOAD_FAILED_EXIT_CODE
        except (InvalidWheelError, zipfile.BadZipFile) as e:
            print(f"{filename}: {e}")
            return INVALID_WHEEL_EXIT_CODE
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
