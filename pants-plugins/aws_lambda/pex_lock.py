"""Explain a failed platform lock in terms of distributions and Lambda platforms."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

_NO_MATCH = re.compile(r"No matching distribution found for (?P<requirement>\S+)")


def _last_platform_named(text: str, platforms: Mapping[str, str]) -> str | None:
    positions = {tag: text.rfind(tag) for tag in platforms}
    tag, position = max(positions.items(), key=lambda item: item[1], default=(None, -1))
    return tag if position >= 0 else None


def describe_lock_failure(resolve: str, stderr: str, platforms: Mapping[str, str]) -> str:
    """Turn Pex's `lock create` stderr into a message naming each distribution and platform.

    `platforms` maps the tag Pex names a platform by (`cp311-cp311-manylinux_2_26_x86_64`) to
    how users know it (`python3.11 x86_64`). Pex reports each failing pip run after the command
    line, which names the platform's tag.
    """
    problems = []
    for match in _NO_MATCH.finditer(stderr):
        tag = _last_platform_named(stderr[: match.start()], platforms)
        where = f"{platforms[tag]} ({tag})" if tag else "one of the resolve's Lambda platforms"
        problems.append(f"- `{match.group('requirement')}` has no wheel for {where}.")
    if not problems:
        return f"Generating the lockfile for the resolve `{resolve}` failed:\n\n{stderr}"
    return "\n".join(
        [
            f"Cannot lock the resolve `{resolve}` for its Lambda platforms. Lambda zips hold "
            "wheels only, and no version of these distributions has a wheel that runs there:",
            *problems,
            "",
            "Pin a version that publishes manylinux wheels for that Python version and "
            "architecture, use an alternative that does, or move the lambda to a runtime that "
            "has them.",
            "",
            "Pex said:",
            stderr.strip(),
        ]
    )


def locked_platform_tags(lockfile: str) -> frozenset[str] | None:
    """The platforms a Pex lockfile (with Pants' `//` header) has a locked resolve for.

    Returns `None` for a universal lock, which names no platforms.
    """
    lock = json.loads(
        "\n".join(line for line in lockfile.splitlines() if not line.startswith("//"))
    )
    if lock.get("style") != "strict":
        return None
    return frozenset("-".join(resolve["platform_tag"]) for resolve in lock["locked_resolves"])
