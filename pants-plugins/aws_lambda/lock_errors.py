"""Explain a failed platform lock in terms of distributions and Lambda platforms."""

from __future__ import annotations

import re
from typing import Mapping

_DOWNLOAD_DEST = re.compile(r"download --dest \S*/(?P<tag>[^/\s]+)\s")
_NO_MATCH = re.compile(r"No matching distribution found for (?P<requirement>\S+)")


def describe_lock_failure(resolve: str, stderr: str, platforms: Mapping[str, str]) -> str:
    """Turn Pex's `lock create` stderr into a message naming each distribution and platform.

    `platforms` maps the tag Pex names a platform by (`cp311-cp311-manylinux_2_26_x86_64`) to
    how users know it (`python3.11 x86_64`).
    """
    problems = []
    for match in _NO_MATCH.finditer(stderr):
        requirement = match.group("requirement")
        dest = None
        for dest_match in _DOWNLOAD_DEST.finditer(stderr[: match.start()]):
            dest = dest_match.group("tag")
        platform = platforms.get(dest, dest) if dest else "one of the Lambda platforms"
        problems.append(f"- `{requirement}` has no wheel for {platform} ({dest or 'unknown tag'}).")
    if not problems:
        return f"Generating the lockfile for the resolve `{resolve}` failed:\n\n{stderr}"
    return "\n".join(
        [
            f"Cannot lock the resolve `{resolve}` for its Lambda platforms: Lambda zips hold "
            "wheels only, and no version of these distributions has a wheel that runs there:",
            *problems,
            "",
            "Use a version or an alternative that publishes manylinux wheels for that Python "
            "version and architecture, or move the lambda to a runtime that has them.",
            "",
            "Pex said:",
            stderr.strip(),
        ]
    )
