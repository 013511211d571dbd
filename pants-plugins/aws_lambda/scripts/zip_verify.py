"""Find what would stop a Lambda zip (or an unzipped tree) from loading on its runtime.

Stdlib only: it runs inside a Pants sandbox under any CPython >= 3.9:

    python -m aws_lambda.scripts.zip_verify --python-version 3.11 --glibc 2.26 \
        --machine x86_64 [--prefix python/] [--json] ZIP_OR_DIR ...

It exits 0 when every input is clean and 1, printing one problem a line, when one is not.
"""

from __future__ import annotations

import argparse
import enum
import json
import os
import re
import stat
import sys
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Optional, Union

from aws_lambda.scripts.elf import BinaryFormat, BinaryParseError, inspect_binary
from aws_lambda.scripts.shared import (
    InvalidPrefixError,
    UnreadableTreeError,
    major_minor,
    normalize_prefix,
    record_hash,
    record_rows,
    walk_tree,
)

if TYPE_CHECKING:
    # Only for type checking: `runtimes` needs `packaging`, which a sandbox may not have.
    from aws_lambda.runtimes import LambdaPlatform

StrPath = Union[str, "os.PathLike[str]"]


@dataclass(frozen=True)
class RuntimePlatform:
    """What a Lambda runtime runs on: the CPython version, glibc version and Linux machine."""

    python_version: tuple[int, int]
    glibc_version: tuple[int, int]
    machine: str  # As `uname -m` says: "x86_64" or "aarch64".

    @classmethod
    def of(cls, platform: LambdaPlatform) -> RuntimePlatform:
        runtime = platform.runtime
        return cls(runtime.python_version, runtime.glibc_version, platform.architecture.machine)

    @property
    def extension_tag(self) -> str:
        """The tag in the file names of extensions built for this platform only."""
        major, minor = self.python_version
        return f"cpython-{major}{minor}-{self.machine}-linux-gnu"

    @property
    def description(self) -> str:
        return (
            f"CPython {_dotted(self.python_version)} on Linux {self.machine} "
            f"with glibc {_dotted(self.glibc_version)}"
        )

    def cli_args(self) -> tuple[str, ...]:
        """The `main()` arguments that select this platform."""
        return (
            "--python-version",
            _dotted(self.python_version),
            "--glibc",
            _dotted(self.glibc_version),
            "--machine",
            self.machine,
        )


class ProblemKind(enum.Enum):
    """What is wrong, in the order `verify` lists one path's problems."""

    NOT_LINUX_BINARY = "not-linux-binary"
    CORRUPT_BINARY = "corrupt-binary"
    WRONG_MACHINE = "wrong-machine"
    WRONG_EXTENSION_TAG = "wrong-extension-tag"
    GLIBC_TOO_NEW = "glibc-too-new"
    NOT_WORLD_READABLE = "not-world-readable"
    COLLISION = "collision"


@dataclass(frozen=True)
class Problem:
    """One reason the zip would fail on Lambda.

    `reason` and `hint` are sentences that follow the path (and its distribution, if known).
    """

    path: str
    kind: ProblemKind
    reason: str
    hint: str
    distribution: Optional[str] = None  # E.g. "msgspec 0.22.0", from its RECORD.

    @property
    def message(self) -> str:
        owner = f" (from {self.distribution})" if self.distribution else ""
        return f"{self.path}{owner} {self.reason} {self.hint}"

    def to_json_dict(self) -> dict[str, Optional[str]]:
        return {
            "path": self.path,
            "kind": self.kind.value,
            "distribution": self.distribution,
            "reason": self.reason,
            "hint": self.hint,
            "message": self.message,
        }


def verify(
    source: StrPath, platform: RuntimePlatform, prefix: str = "", check_records: bool = True
) -> list[Problem]:
    """Problems of a Lambda zip file, or of a directory holding an unzipped one.

    `prefix` is the folder that Lambda puts on `sys.path`: "" for a function, "python/" for a
    layer. Native files are checked wherever they are; distribution files only under `prefix`.
    Without `check_records`, files are not hashed against their RECORD rows: in the zip of one
    distribution, written from its own install, nothing can have replaced them.
    """
    with _load(source, prefix) as contents:
        problems = [
            *_duplicate_problems(contents),
            *_mode_problems(contents),
            *_native_problems(contents, platform),
            *_distribution_collisions(contents),
            *(_replaced_file_problems(contents) if check_records else ()),
        ]
    return sorted(
        problems, key=lambda problem: (problem.path, list(ProblemKind).index(problem.kind))
    )


# Reading a zip or a tree into one shape.


@dataclass(frozen=True)
class _Entry:
    path: str  # "/"-separated, relative to the zip root; folders end with "/".
    mode: Optional[int]  # Unix mode, or None when the zip did not record one.
    read: Callable[[], bytes]

    @property
    def is_dir(self) -> bool:
        return self.path.endswith("/")


@dataclass(frozen=True)
class _Owner:
    distribution: str  # "name version"
    sha256: Optional[str]  # urlsafe base64 digest without padding, as in RECORD.


@dataclass(frozen=True)
class _Contents:
    entries: tuple[_Entry, ...]
    prefix: str
    # Paths relative to `prefix`.
    files: dict[str, _Entry]
    owners: dict[str, tuple[_Owner, ...]]

    def distribution_of(self, path: str) -> Optional[str]:
        if not path.startswith(self.prefix):
            return None
        owners = self.owners.get(path[len(self.prefix) :], ())
        return _owner_names(owners) if owners else None


@contextmanager
def _load(source: StrPath, prefix: str) -> Iterator[_Contents]:
    source = Path(source)
    with ExitStack() as stack:
        if source.is_dir():
            entries = _tree_entries(source)
        else:
            entries = _zip_entries(stack.enter_context(zipfile.ZipFile(source)))
        yield _index(entries, normalize_prefix(prefix))


def _index(entries: list[_Entry], prefix: str) -> _Contents:
    files = {
        entry.path[len(prefix) :]: entry
        for entry in entries
        if entry.path.startswith(prefix) and not entry.is_dir
    }
    owners: defaultdict[str, list[_Owner]] = defaultdict(list)
    for path, entry in sorted(files.items()):
        match = _RECORD_PATH.fullmatch(path)
        if match:
            distribution = _distribution_name(match.group(1))
            for owned_path, sha256 in record_rows(entry.read()):
                owners[owned_path].append(_Owner(distribution, sha256))
    return _Contents(
        entries=tuple(entries),
        prefix=prefix,
        files=files,
        owners={path: tuple(owned) for path, owned in owners.items()},
    )


def _zip_entries(archive: zipfile.ZipFile) -> list[_Entry]:
    return [
        _Entry(
            path=info.filename,
            mode=(info.external_attr >> 16) if info.create_system == _UNIX_CREATE_SYSTEM else None,
            read=partial(archive.read, info),
        )
        for info in archive.infolist()
    ]


def _tree_entries(root: Path) -> list[_Entry]:
    return [
        _Entry(entry.relative_path, entry.path.stat().st_mode, entry.path.read_bytes)
        for entry in walk_tree(root)
    ]


_UNIX_CREATE_SYSTEM = 3
_RECORD_PATH = re.compile(r"([^/]+)\.dist-info/RECORD")


def _distribution_name(dist_info_stem: str) -> str:
    name, _, version = dist_info_stem.rpartition("-")
    return f"{name} {version}" if name else dist_info_stem


def _owner_names(owners: Iterable[_Owner]) -> str:
    names = sorted({owner.distribution for owner in owners})
    return " and ".join(names)


# The checks.


def _duplicate_problems(contents: _Contents) -> list[Problem]:
    counts = Counter(entry.path for entry in contents.entries)
    return [
        Problem(
            path=path,
            kind=ProblemKind.COLLISION,
            reason=f"is in the zip {count} times; unzipping keeps only one of them.",
            hint="Build the zip so that each path is written once: two of its inputs (e.g. a "
            "first-party file and a dependency) put a file at this path.",
            distribution=contents.distribution_of(path),
        )
        for path, count in counts.items()
        if count > 1
    ]


def _mode_problems(contents: _Contents) -> list[Problem]:
    problems = []
    for entry in contents.entries:
        if entry.mode is None:
            continue
        if entry.is_dir:
            needed, what = stat.S_IROTH | stat.S_IXOTH, "is a folder that not everyone can list"
        else:
            needed, what = stat.S_IROTH, "is a file that not everyone can read"
        if entry.mode & needed == needed:
            continue
        problems.append(
            Problem(
                path=entry.path,
                kind=ProblemKind.NOT_WORLD_READABLE,
                reason=f"{what} (mode {stat.S_IMODE(entry.mode):04o}); Lambda runs the function "
                "as a user that does not own its files, so this fails with 'Permission denied'.",
                hint="Give files mode 0644 and folders 0755 before zipping (e.g. `chmod -R o+rX`), "
                "or write the zip with the aws_lambda backend, which normalises modes.",
                distribution=contents.distribution_of(entry.path),
            )
        )
    return problems


_NATIVE_SUFFIX = re.compile(r"\.(so(\.\d+)*|pyd|dylib|dll)$")
_TAGGED_EXTENSION = re.compile(r"[^.]+\.([^.]+)\.so")
_INTERPRETER_TAG = re.compile(r"(cpython|pypy|graalpy)")


def _is_native_candidate(path: str) -> bool:
    *folders, name = path.split("/")
    return bool(_NATIVE_SUFFIX.search(name)) or any(
        folder.endswith((".libs", ".dylibs")) for folder in folders
    )


def _native_problems(contents: _Contents, platform: RuntimePlatform) -> list[Problem]:
    problems = []
    for entry in contents.entries:
        if entry.is_dir or not _is_native_candidate(entry.path):
            continue
        distribution = contents.distribution_of(entry.path)
        tag_problem = _extension_tag_problem(entry.path, platform)
        if tag_problem:
            problems.append(
                Problem(entry.path, ProblemKind.WRONG_EXTENSION_TAG, *tag_problem, distribution)
            )
        binary_problem = _binary_problem(entry, platform)
        if binary_problem:
            kind, reason, hint = binary_problem
            problems.append(Problem(entry.path, kind, reason, hint, distribution))
    return problems


def _extension_tag_problem(path: str, platform: RuntimePlatform) -> Optional[tuple[str, str]]:
    match = _TAGGED_EXTENSION.fullmatch(path.rsplit("/", 1)[-1])
    if not match:
        return None
    tag = match.group(1)
    if tag in ("abi3", platform.extension_tag) or not _INTERPRETER_TAG.match(tag):
        return None
    return (
        f"has the extension tag '{tag}', but {platform.description} imports only extensions "
        f"tagged '{platform.extension_tag}' or 'abi3' (or untagged), so importing it fails "
        "with ModuleNotFoundError.",
        f"Install the distribution's wheel for {_wheel_platform(platform)} instead.",
    )


def _binary_problem(
    entry: _Entry, platform: RuntimePlatform
) -> Optional[tuple[ProblemKind, str, str]]:
    try:
        info = inspect_binary(entry.read())
    except BinaryParseError as error:
        return (
            ProblemKind.CORRUPT_BINARY,
            f"cannot be read as a native binary: {error}",
            "Rebuild the zip from the distribution's original wheel.",
        )
    rebuild = f"Build the zip for the Lambda platform, {_wheel_platform(platform)}"
    if info.format is BinaryFormat.UNKNOWN:
        if not _NATIVE_SUFFIX.search(entry.path):
            return None  # Not every file in a `.libs/` folder is a library.
        return (
            ProblemKind.NOT_LINUX_BINARY,
            "is not an ELF binary, which is all that Linux can load as native code.",
            f"{rebuild}, from the distribution's wheel.",
        )
    if info.format is not BinaryFormat.ELF:
        return (
            ProblemKind.NOT_LINUX_BINARY,
            f"is a {info.description}; Lambda runs Linux, which loads only ELF binaries.",
            f"{rebuild}, not for the machine that ran the build.",
        )
    if info.machine != platform.machine:
        return (
            ProblemKind.WRONG_MACHINE,
            f"is an ELF binary for {info.machine}, but the function runs on {platform.machine}.",
            f"{rebuild}: use the distribution's {platform.machine} wheel.",
        )
    if info.max_glibc and info.max_glibc > platform.glibc_version:
        needed, runtime = _dotted(info.max_glibc), _dotted(platform.glibc_version)
        return (
            ProblemKind.GLIBC_TOO_NEW,
            f"needs glibc {needed} (symbol version GLIBC_{needed}), but the runtime has glibc "
            f'{runtime}, so loading it fails with "version `GLIBC_{needed}\' not found".',
            f"Use a release of the distribution that has a manylinux_{runtime.replace('.', '_')}"
            f"_{platform.machine} (or older) wheel, e.g. pin an older version, or choose a "
            "runtime with a newer glibc.",
        )
    return None


def _distribution_collisions(contents: _Contents) -> list[Problem]:
    problems = []
    for path, owners in sorted(contents.owners.items()):
        distributions = {owner.distribution for owner in owners}
        if len(distributions) < 2 or len({owner.sha256 for owner in owners}) < 2:
            continue  # Owned once, or the same bytes (e.g. a shared namespace `__init__.py`).
        problems.append(
            Problem(
                path=contents.prefix + path,
                kind=ProblemKind.COLLISION,
                reason=f"is installed, with different contents, by both {_owner_names(owners)}; "
                "the zip can hold only one of them.",
                hint="Keep only one of these distributions in the function's dependencies (as "
                "with opencv-python and opencv-python-headless, which ship the same files).",
            )
        )
    return problems


def _replaced_file_problems(contents: _Contents) -> list[Problem]:
    """Files whose bytes differ from their distribution's RECORD: something overwrote them."""
    problems = []
    for path, owners in sorted(contents.owners.items()):
        entry = contents.files.get(path)
        recorded = {owner.sha256 for owner in owners if owner.sha256}
        if entry is None or not recorded:
            continue
        if record_hash(entry.read()) in recorded:
            continue
        problems.append(
            Problem(
                path=entry.path,
                kind=ProblemKind.COLLISION,
                reason=f"does not hold the bytes that {_owner_names(owners)} installed there: "
                "another file, first-party or from another distribution, replaced it.",
                hint="Rename or move the other file so that each path in the zip comes from "
                "one place.",
            )
        )
    return problems


def _wheel_platform(platform: RuntimePlatform) -> str:
    major, minor = platform.python_version
    glibc = "_".join(map(str, platform.glibc_version))
    return f"CPython {major}.{minor} (cp{major}{minor}) on manylinux_{glibc}_{platform.machine}"


def _dotted(version: tuple[int, int]) -> str:
    return ".".join(map(str, version))


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Command line entry point: 0 when every input is clean, 1 when one is not, 2 on errors."""
    parser = argparse.ArgumentParser(
        prog="python -m aws_lambda.scripts.zip_verify", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--python-version", type=major_minor, required=True, help="E.g. 3.11.")
    parser.add_argument("--glibc", type=major_minor, required=True, help="E.g. 2.26.")
    parser.add_argument("--machine", required=True, help="x86_64 or aarch64.")
    parser.add_argument("--prefix", default="", help="Folder on sys.path, e.g. python/.")
    parser.add_argument("--json", action="store_true", help="Print the problems as JSON.")
    parser.add_argument(
        "--no-record-check",
        dest="check_records",
        action="store_false",
        help="Do not hash files against their RECORD (for the zip of one distribution).",
    )
    parser.add_argument("inputs", nargs="+", metavar="ZIP_OR_DIR")
    args = parser.parse_args(argv)
    try:
        normalize_prefix(args.prefix)
    except InvalidPrefixError as error:
        parser.error(str(error))
    platform = RuntimePlatform(args.python_version, args.glibc, args.machine)
    problems = []
    for source in args.inputs:
        try:
            problems.extend(verify(source, platform, args.prefix, args.check_records))
        except (OSError, zipfile.BadZipFile, UnreadableTreeError) as error:
            print(f"zip_verify: error: cannot read {source}: {error}", file=sys.stderr)
            return 2
    if args.json:
        print(json.dumps([problem.to_json_dict() for problem in problems], indent=2))
    else:
        for problem in problems:
            print(problem.message)
        if problems:
            print(f"{len(problems)} problem(s) for {platform.description}.")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
