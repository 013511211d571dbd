"""Write byte-for-byte reproducible zip files for AWS Lambda.

Stdlib only: it runs inside a Pants sandbox under any CPython >= 3.9 (for bytecode, the one it
compiles for):

    python -m aws_lambda.scripts.zip_writer --output out.zip --root DIR [--prefix python/] \
        [--base numpy.zip --base six.zip ...] [--compile-for 3.11 [--sourceless]] \
        [--slim [--slim-keep PATTERN ...] [--slim-drop PATTERN ...]] \
        [--first-party 3.11 [--check-imports] [--provided-module boto3 ...]]

With `--base`, the entries of existing zips are copied as they are, still compressed, and the
tree is added after them: each dependency is deflated once and reused by every zip. With
`--slim`, a distribution's tree first loses what no import needs (see `slim`). With
`--compile-for`, every `.py` file of the tree also gets its `__pycache__` bytecode, compiled by
this interpreter (which must be that CPython version) as PEP 552 hash-based `.pyc` files:
valid whatever mtimes extraction gives the files, and reproducible; with `--sourceless`, the
`.pyc` replaces the `.py` instead. With `--first-party`, the tree is first-party code: its
bytecode is checked-hash, so that an edit to a source in place takes effect, and it must compile
for that Python version and, with `--check-imports`, import only modules of the zip, of
`--provided-module`s or of the standard library (see `source_check`); otherwise the problems are
printed as JSON and the exit code is 3.
"""

from __future__ import annotations

import argparse
import base64
import copy
import dataclasses
import enum
import hashlib
import importlib.util
import json
import os
import py_compile
import stat
import struct
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import BinaryIO, Optional

from aws_lambda.scripts.shared import (
    InvalidPrefixError,
    UnreadableTreeError,
    major_minor,
    normalize_prefix,
    walk_tree,
)
from aws_lambda.scripts.slim import SlimPatterns, apply_slim, plan_slim, rewrite_records
from aws_lambda.scripts.source_check import SourceProblem, import_problems, syntax_problems

FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)
COMPRESS_LEVEL = 6
DIRECTORY_MODE = 0o755
EXECUTABLE_FILE_MODE = 0o755
REGULAR_FILE_MODE = 0o644
_UNIX_CREATE_SYSTEM = 3
_MSDOS_DIRECTORY_FLAG = 0x10
_ANY_EXECUTE_BITS = stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH
_LOCAL_HEADER = struct.Struct("<4s22xHH")
_LOCAL_HEADER_SIGNATURE = b"PK\x03\x04"
_DATA_DESCRIPTOR_FLAG = 0x08
FIRST_PARTY_PROBLEMS_EXIT_CODE = 3


class ZipWriterError(ValueError):
    """Raised when the input tree or the arguments cannot be zipped."""


class FirstPartyProblems(Exception):
    """Raised, before anything is written, when first-party code would fail to load."""

    def __init__(self, problems: Sequence[SourceProblem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in first-party code")
        self.problems = tuple(problems)


@dataclass(frozen=True)
class FirstPartyCheck:
    """How to check a tree of first-party code before it is zipped."""

    python_version: tuple[int, int]
    check_imports: bool = False
    provided_modules: tuple[str, ...] = ()


class Bytecode(enum.Enum):
    """How a tree's `.py` files get their bytecode."""

    UNCHECKED = "unchecked"  # Beside the source, used without reading it.
    CHECKED = "checked"  # Beside the source, used only while it matches the source's hash.
    SOURCELESS = "sourceless"  # In the source's place.


@dataclass(frozen=True)
class CompiledBytecode:
    """The bytecode that `compile_bytecode` wrote, and the sources it stands for."""

    bytecode: dict[str, str]  # Each compiled source's path to its bytecode's.
    bytecode_bytes: int
    source_bytes: int  # Of the compiled sources, which sourceless bytecode removed.


@dataclass(frozen=True)
class TreeBytes:
    """Bytes of a tree by kind: enough to size its zip with and without bytecode or sources."""

    sources: int = 0  # `.py` files that have bytecode; not in the zip if it is sourceless.
    bytecode: int = 0
    other: int = 0


@dataclass(frozen=True)
class ZipSummary:
    """What went into a written zip, and what the options made of the tree."""

    file_count: int
    uncompressed_bytes: int
    zip_bytes: int
    sha256_base64: str
    tree: TreeBytes = TreeBytes()  # What the tree added, as opposed to the bases.
    slimmed_bytes: int = 0  # Left out by `--slim`.
    slimmable: TreeBytes = TreeBytes()  # What `--slim` would leave out, without it.
    kept_for_imports: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Entry:
    archive_path: str
    source: Optional[Path]  # None for directories.
    mode: int


def write_reproducible_zip(
    root: Path | str,
    output: Path | str,
    prefix: str = "",
    bases: Iterable[Path | str] = (),
    compile_for: tuple[int, int] | None = None,
    first_party: FirstPartyCheck | None = None,
    slim: SlimPatterns | None = None,
    sourceless: bool = False,
) -> ZipSummary:
    """Zip the tree under `root` into `output`, optionally under the archive folder `prefix`.

    With `bases`, `output` starts with their entries, copied still compressed, and the tree is
    appended. A folder may be in several; a file may be in several bases only with the same
    content (e.g. a shared namespace `__init__.py`), and never in a base and the tree. With
    `slim`, a distribution's tree is slimmed first (see `slim`); without, what slimming would
    leave out is measured. With `compile_for`, the tree's `.py` files are compiled to bytecode
    (see `compile_bytecode`). With `first_party`, the tree is checked first
    (`FirstPartyProblems`) and gets checked-hash bytecode. Symlinks to files are stored as
    regular files holding the target's content; symlinks to directories are rejected. `output`
    is replaced atomically and never left partially written.
    """
    root, output = Path(root), Path(output)
    if not root.is_dir():
        raise ZipWriterError(f"Zip root {str(root)!r} is not a directory. Pass an existing one.")
    if not output.parent.is_dir():
        raise ZipWriterError(
            f"Output folder {str(output.parent)!r} does not exist. Create it before writing."
        )
    if output.resolve().is_relative_to(root.resolve()):
        raise ZipWriterError(
            f"Output {str(output)!r} is inside the zip root {str(root)!r}. "
            "Write the zip outside the directory being zipped."
        )
    if sourceless and (compile_for is None or first_party is not None):
        raise ZipWriterError("Sourceless bytecode is for third-party trees with --compile-for.")
    prefix = normalize_prefix(prefix)
    base_paths = [Path(base) for base in bases]
    if first_party is not None:
        _check_first_party(root, prefix, base_paths, first_party)
    plan = plan_slim(root, slim or SlimPatterns()) if first_party is None else None
    slimmed_bytes = apply_slim(root, plan) if plan and slim is not None else 0
    compiled = CompiledBytecode({}, 0, 0)
    if compile_for is not None:
        mode = Bytecode.CHECKED if first_party else Bytecode.UNCHECKED
        compiled = compile_bytecode(
            root, compile_for, prefix, Bytecode.SOURCELESS if sourceless else mode
        )
    if slim is not None or sourceless:
        rewrite_records(root, compiled.bytecode)
    slimmable = _slimmable(root, plan.dropped, compiled) if plan and slim is None else TreeBytes()
    entries = sorted(
        (*_prefix_entries(prefix), *_tree_entries(root, prefix)),
        key=lambda entry: entry.archive_path,
    )
    fd, temp_name = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as temp_file, zipfile.ZipFile(temp_file, "w") as archive:
            origins: dict[str, str] = {}
            for base in base_paths:
                _copy_base(archive, base, origins)
            _add_entries(archive, entries, origins)
        os.chmod(temp_name, REGULAR_FILE_MODE)
        os.replace(temp_name, output)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    tree_bytes = sum(entry.source.stat().st_size for entry in entries if entry.source)
    in_zip_sources = 0 if sourceless else compiled.source_bytes
    return dataclasses.replace(
        summarize(output),
        tree=TreeBytes(
            compiled.source_bytes,
            compiled.bytecode_bytes,
            tree_bytes - compiled.bytecode_bytes - in_zip_sources,
        ),
        slimmed_bytes=slimmed_bytes,
        slimmable=slimmable,
        kept_for_imports=plan.kept_for_imports if plan else (),
    )


def _slimmable(root: Path, dropped: Iterable[str], compiled: CompiledBytecode) -> TreeBytes:
    """What leaving the `dropped` files out of `root` would save, with their bytecode."""
    ours = set(compiled.bytecode.values())
    sources = bytecode = other = 0
    for path in dropped:
        size = (root / path).stat().st_size
        if path in compiled.bytecode:
            sources += size
            bytecode += (root / compiled.bytecode[path]).stat().st_size
        elif path not in ours:
            other += size
    return TreeBytes(sources, bytecode, other)


def _check_first_party(
    root: Path, prefix: str, bases: Sequence[Path], check: FirstPartyCheck
) -> None:
    problems = syntax_problems(root, check.python_version)
    if check.check_imports:
        zipped: list[str] = []
        for base in bases:
            with zipfile.ZipFile(base) as base_archive:
                names = base_archive.namelist()
            zipped.extend(name[len(prefix) :] for name in names if name.startswith(prefix))
        problems.extend(import_problems(root, zipped, check.provided_modules))
    if problems:
        raise FirstPartyProblems(sorted(problems, key=lambda problem: (problem.path, problem.line)))


def compile_bytecode(
    root: Path,
    python_version: tuple[int, int],
    archive_prefix: str = "",
    mode: Bytecode = Bytecode.UNCHECKED,
) -> CompiledBytecode:
    """Write hash-based bytecode for every `.py` file under `root`, as `mode` says.

    Only this interpreter's bytecode can be written, so it must be CPython `python_version`.
    Code objects name their files by archive path, never by this sandbox's. A file that does not
    compile (e.g. Python 2 code some distributions still ship) gets no bytecode, as with
    `compileall`; Lambda could not import it either.
    """
    running = sys.version_info[:2]
    if sys.implementation.name != "cpython" or running != tuple(python_version):
        wanted = "{}.{}".format(*python_version)
        raise ZipWriterError(
            f"Bytecode for Python {wanted} must be compiled by CPython {wanted}, but this is "
            f"{sys.implementation.name} {sys.version.split()[0]}. Run the writer with CPython "
            f"{wanted}, or leave out --compile-for."
        )
    invalidation_mode = (
        py_compile.PycInvalidationMode.CHECKED_HASH
        if mode is Bytecode.CHECKED
        else py_compile.PycInvalidationMode.UNCHECKED_HASH
    )
    written = {}
    bytecode_bytes = source_bytes = 0
    for source in sorted(root.rglob("*.py")):
        relative_path = source.relative_to(root).as_posix()
        if "__pycache__" in source.relative_to(root).parts:
            continue
        sourceless = mode is Bytecode.SOURCELESS
        cfile = Path(f"{source}c" if sourceless else importlib.util.cache_from_source(str(source)))
        try:
            py_compile.compile(
                str(source),
                cfile=str(cfile),
                dfile=archive_prefix + relative_path,
                doraise=True,
                invalidation_mode=invalidation_mode,
            )
        except py_compile.PyCompileError:
            continue
        written[relative_path] = cfile.relative_to(root).as_posix()
        bytecode_bytes += cfile.stat().st_size
        source_bytes += source.stat().st_size
        if sourceless:
            source.unlink()
    return CompiledBytecode(written, bytecode_bytes, source_bytes)


def summarize(path: Path | str) -> ZipSummary:
    """Count and measure the files of a written zip, and hash it as AWS reports `CodeSha256`."""
    with zipfile.ZipFile(path) as archive:
        files = [info for info in archive.infolist() if not info.is_dir()]
    digest = hashlib.sha256(Path(path).read_bytes()).digest()
    return ZipSummary(
        file_count=len(files),
        uncompressed_bytes=sum(info.file_size for info in files),
        zip_bytes=Path(path).stat().st_size,
        sha256_base64=base64.b64encode(digest).decode("ascii"),
    )


def _copy_base(archive: zipfile.ZipFile, base: Path, origins: dict[str, str]) -> None:
    """Copy the entries of the zip `base` into `archive` without recompressing them."""
    with base.open("rb") as source, zipfile.ZipFile(source) as base_archive:
        for info in base_archive.infolist():
            if info.filename in origins:
                _check_same_entry(archive.getinfo(info.filename), info, origins, base)
                continue
            origins[info.filename] = base.name
            _copy_compressed(archive, source, info)


def _check_same_entry(
    existing: zipfile.ZipInfo, info: zipfile.ZipInfo, origins: dict[str, str], base: Path
) -> None:
    if info.is_dir() or (existing.CRC, existing.file_size) == (info.CRC, info.file_size):
        return
    raise ZipWriterError(
        f"{info.filename!r} is in both {origins[info.filename]!r} and {base.name!r}, with "
        "different contents, and the zip can hold only one of them. Keep only one of the two "
        "in the dependencies (as with opencv-python and opencv-python-headless)."
    )


def _copy_compressed(archive: zipfile.ZipFile, source: BinaryIO, info: zipfile.ZipInfo) -> None:
    source.seek(info.header_offset)
    signature, name_length, extra_length = _LOCAL_HEADER.unpack(source.read(_LOCAL_HEADER.size))
    if signature != _LOCAL_HEADER_SIGNATURE:
        raise ZipWriterError(f"The entry {info.filename!r} of a base zip has no local header.")
    source.seek(name_length + extra_length, os.SEEK_CUR)
    data = source.read(info.compress_size)
    # The sizes and CRC go in the local header, so no data descriptor follows the data.
    copied = copy.copy(info)
    copied.flag_bits &= ~_DATA_DESCRIPTOR_FLAG
    # The same bookkeeping as `ZipFile.write` does for a folder, which has no data to compress.
    assert archive.fp is not None
    copied.header_offset = archive.fp.tell()
    archive.fp.write(copied.FileHeader())
    archive.fp.write(data)
    archive.start_dir = archive.fp.tell()
    archive.filelist.append(copied)
    archive.NameToInfo[copied.filename] = copied


def _add_entries(
    archive: zipfile.ZipFile, entries: Sequence[_Entry], origins: dict[str, str]
) -> None:
    for entry in entries:
        if entry.archive_path not in origins:
            _write_entry(archive, entry)
        elif entry.source is not None:
            raise ZipWriterError(
                f"{entry.archive_path!r} is both in {origins[entry.archive_path]!r} and in the "
                "tree being added, so one would shadow the other. Rename or remove one of them."
            )


def _prefix_entries(prefix: str) -> tuple[_Entry, ...]:
    folders = prefix.split("/")[:-1]
    return tuple(
        _Entry("/".join(folders[: depth + 1]) + "/", None, DIRECTORY_MODE)
        for depth in range(len(folders))
    )


def _tree_entries(root: Path, prefix: str) -> list[_Entry]:
    entries = []
    for entry in walk_tree(root):
        if entry.is_dir:
            entries.append(_Entry(prefix + entry.relative_path, None, DIRECTORY_MODE))
            continue
        executable = entry.path.stat().st_mode & _ANY_EXECUTE_BITS
        mode = EXECUTABLE_FILE_MODE if executable else REGULAR_FILE_MODE
        entries.append(_Entry(prefix + entry.relative_path, entry.path, mode))
    return entries


def _write_entry(archive: zipfile.ZipFile, entry: _Entry) -> None:
    info = zipfile.ZipInfo(entry.archive_path, date_time=FIXED_DATE_TIME)
    info.create_system = _UNIX_CREATE_SYSTEM
    if entry.source is None:
        info.external_attr = (stat.S_IFDIR | entry.mode) << 16 | _MSDOS_DIRECTORY_FLAG
        archive.writestr(info, b"", compress_type=zipfile.ZIP_STORED)
        return
    info.external_attr = (stat.S_IFREG | entry.mode) << 16
    data = entry.source.read_bytes()
    archive.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Command line entry point; prints a JSON summary to stdout."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", required=True, help="Path of the zip file to write.")
    parser.add_argument("--root", required=True, help="Directory whose contents are zipped.")
    parser.add_argument("--prefix", default="", help="Archive folder to put everything under.")
    parser.add_argument(
        "--base",
        action="append",
        default=[],
        help="Existing zip whose entries come first, as they are (repeatable, in order).",
    )
    parser.add_argument(
        "--compile-for",
        type=major_minor,
        help="Add bytecode for this CPython version, e.g. 3.11 (run with it).",
    )
    parser.add_argument(
        "--sourceless",
        action="store_true",
        help="With --compile-for: the bytecode replaces each source instead of joining it.",
    )
    parser.add_argument(
        "--slim",
        action="store_true",
        help="Leave out of a distribution's tree what no import needs at run time.",
    )
    parser.add_argument(
        "--slim-keep",
        action="append",
        default=[],
        help="With --slim: a pattern of paths to keep all the same (repeatable).",
    )
    parser.add_argument(
        "--slim-drop",
        action="append",
        default=[],
        help="With --slim: a pattern of paths to leave out too (repeatable).",
    )
    parser.add_argument(
        "--first-party",
        type=major_minor,
        metavar="PYTHON_VERSION",
        help="The tree is first-party code for this Python version: check that it compiles.",
    )
    parser.add_argument(
        "--check-imports",
        action="store_true",
        help="With --first-party: check that its absolute imports resolve.",
    )
    parser.add_argument(
        "--provided-module",
        action="append",
        default=[],
        help="A top-level module that the runtime or a layer provides (repeatable).",
    )
    args = parser.parse_args(argv)
    first_party = (
        FirstPartyCheck(args.first_party, args.check_imports, tuple(args.provided_module))
        if args.first_party
        else None
    )
    slim = SlimPatterns(tuple(args.slim_keep), tuple(args.slim_drop)) if args.slim else None
    try:
        summary = write_reproducible_zip(
            args.root,
            args.output,
            args.prefix,
            args.base,
            args.compile_for,
            first_party,
            slim,
            args.sourceless,
        )
    except (ZipWriterError, InvalidPrefixError, UnreadableTreeError) as error:
        print(f"zip_writer: error: {error}", file=sys.stderr)
        return 1
    except FirstPartyProblems as problems:
        print(json.dumps([problem.to_json_dict() for problem in problems.problems]))
        return FIRST_PARTY_PROBLEMS_EXIT_CODE
    print(json.dumps(asdict(summary), sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
