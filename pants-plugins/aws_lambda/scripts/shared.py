"""What the zip writer and the verifier both read: archive prefixes, RECORD files and trees.

Stdlib only, like every module of `aws_lambda.scripts`.
"""

from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import io
import os
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Optional


class InvalidPrefixError(ValueError):
    """Raised for an archive prefix that is not a relative folder."""


class UnreadableTreeError(ValueError):
    """Raised for a tree entry that is neither a regular file nor a folder."""


def normalize_prefix(prefix: str) -> str:
    """The archive folder `prefix` as "python/" ("" for the root), e.g. from "./python"."""
    path = PurePosixPath(prefix)
    if path.is_absolute() or ".." in path.parts:
        raise InvalidPrefixError(
            f"Archive prefix {prefix!r} must be a relative folder without '..', e.g. 'python/'."
        )
    return "".join(f"{part}/" for part in path.parts if part != ".")


def record_rows(data: bytes) -> list[tuple[str, Optional[str]]]:
    """The (path, sha256) rows of a `.dist-info/RECORD` file, for paths under its root.

    Paths are normalised; the sha256 is the urlsafe base64 digest without padding that RECORD
    holds, or None. Rows for scripts and data installed outside the root (`../bin/...`) are left
    out.
    """
    rows = []
    for row in csv.reader(io.StringIO(data.decode("utf-8", errors="replace"))):
        if not row or not row[0]:
            continue
        path = posixpath.normpath(row[0])
        if path.startswith(("../", "/")) or path == "..":
            continue
        algorithm, _, value = (row[1] if len(row) > 1 else "").partition("=")
        rows.append((path, value if algorithm == "sha256" and value else None))
    return rows


def record_hash(data: bytes) -> str:
    """The sha256 of `data` as RECORD holds it: urlsafe base64 without padding."""
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


@dataclass(frozen=True)
class TreeEntry:
    """A folder or file of a tree on disk; `relative_path` uses "/" and ends in "/" for folders."""

    relative_path: str
    path: Path

    @property
    def is_dir(self) -> bool:
        return self.relative_path.endswith("/")


def walk_tree(root: Path, folder: str = "") -> Iterator[TreeEntry]:
    """Every folder and file under `root`, sorted by name within each folder.

    A symlink to a file counts as that file. Symlinks to folders are not followed: they, dangling
    symlinks and special files raise `UnreadableTreeError`.
    """
    with os.scandir(root) as scanned:
        children = sorted(scanned, key=lambda child: child.name)
    for child in children:
        path = Path(child.path)
        relative_path = folder + child.name
        if child.is_dir(follow_symlinks=False):
            yield TreeEntry(f"{relative_path}/", path)
            yield from walk_tree(path, f"{relative_path}/")
        elif child.is_file(follow_symlinks=True):
            yield TreeEntry(relative_path, path)
        elif child.is_symlink() and path.is_dir():
            raise UnreadableTreeError(
                f"{str(path)!r} is a symlink to a directory, which is not followed. "
                "Copy the directory into the tree instead."
            )
        elif child.is_symlink():
            raise UnreadableTreeError(
                f"{str(path)!r} is a dangling symlink to {os.readlink(path)!r}. "
                "Remove it or point it at an existing file."
            )
        else:
            raise UnreadableTreeError(
                f"{str(path)!r} is neither a regular file nor a directory. Remove it from the tree."
            )


_EXTENSION_MODULE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(\.[A-Za-z0-9_-]+)?\.(so|pyd)")


def top_level_module(path: str) -> Optional[str]:
    """The top-level module that a path under an import root provides, if any.

    `a` for `a/` (a package, or a namespace package's portion), `a/...`, `a.py` and extensions
    such as `a.cpython-311-x86_64-linux-gnu.so`; None for `a-1.0.dist-info/` or `README.txt`.
    """
    first, is_folder, _ = path.partition("/")
    if is_folder:
        return first if first.isidentifier() else None
    if first.endswith(".py"):
        return first[: -len(".py")] if first[: -len(".py")].isidentifier() else None
    match = _EXTENSION_MODULE.fullmatch(first)
    return match.group(1) if match else None


def module_name(path: str) -> Optional[str]:
    """The dotted module that the `.py` file at `path` under an import root is, if any.

    `a.b` for `a/b.py` and for `a/b/__init__.py`; None for `a-b/c.py` or `README.txt`.
    """
    parts = path.split("/")
    if not parts[-1].endswith(".py"):
        return None
    stem = parts[-1][: -len(".py")]
    names = parts[:-1] if stem == "__init__" else [*parts[:-1], stem]
    return ".".join(names) if names and all(name.isidentifier() for name in names) else None


def major_minor(text: str) -> tuple[int, int]:
    """An argparse type for a `MAJOR.MINOR` version such as `3.11`."""
    match = re.fullmatch(r"(\d+)\.(\d+)", text)
    if not match:
        raise argparse.ArgumentTypeError(f"expected MAJOR.MINOR, e.g. 3.11, not {text!r}")
    return int(match.group(1)), int(match.group(2))
