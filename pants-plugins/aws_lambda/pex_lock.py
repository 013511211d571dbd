"""Read Pex lockfiles and explain failed locks, in terms of distributions and Lambda platforms."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Optional

from packaging.version import Version

_NO_MATCH = re.compile(r"No matching distribution found for (?P<requirement>\S+)")
_HASH_MISMATCH = re.compile(
    r"(?m)^\d+\. (?P<project>\S+) (?P<version>\S+) from (?P<url>\S+)\n\s+Expected "
    r"(?P<algorithm>\w+) hash of (?P<expected>\w+) when downloading \S+ but hashed to "
    r"(?P<actual>\w+)\."
)


class InvalidLockfileError(ValueError):
    """Raised for a lockfile that is not valid JSON; the message says where."""


@dataclass(frozen=True)
class HashMismatch:
    """An artifact whose bytes do not match the hash a lockfile pins it to."""

    project: str
    version: str
    filename: str
    algorithm: str
    expected: str
    actual: str


@dataclass(frozen=True)
class UnlockableRequirement:
    requirement: str
    platform_tag: Optional[str]


def _last_platform_named(text: str, platform_tags: frozenset[str]) -> str | None:
    positions = {tag: text.rfind(tag) for tag in platform_tags}
    tag, position = max(positions.items(), key=lambda item: item[1], default=(None, -1))
    return tag if position >= 0 else None


def unlockable_requirements(
    stderr: str, platform_tags: frozenset[str]
) -> tuple[UnlockableRequirement, ...]:
    """The requirements pip found no wheel for, each with the platform it was resolving.

    Pex reports each failing pip run after its command line, which names the platform's tag.
    """
    return tuple(
        UnlockableRequirement(
            match.group("requirement"), _last_platform_named(stderr[: match.start()], platform_tags)
        )
        for match in _NO_MATCH.finditer(stderr)
    )


def newest_artifacts_summary(probe_lock: Mapping[str, Any]) -> str:
    """Describe the artifacts of the release a universal, non-transitive Pex lock picked."""
    (resolve,) = probe_lock["locked_resolves"]
    (locked,) = resolve["locked_requirements"]
    filenames = [artifact["url"].rsplit("/", 1)[-1] for artifact in locked["artifacts"]]
    wheel_tags = sorted(
        "-".join(filename[: -len(".whl")].split("-")[-3:])
        for filename in filenames
        if filename.endswith(".whl")
    )
    release = f"{locked['project_name']} {locked['version']}"
    if not wheel_tags:
        return f"its newest release, {release}, has no wheels, only: {', '.join(filenames)}"
    return f"its newest release, {release}, has wheels tagged: {', '.join(wheel_tags)}"


def describe_lock_failure(
    resolve: str,
    stderr: str,
    platforms: Mapping[str, str],
    newest_artifacts: Mapping[str, str],
) -> str:
    """Turn Pex's `lock create` stderr into a message naming each distribution and platform.

    `platforms` maps the tag Pex names a platform by (`cp311-cp311-manylinux_2_26_x86_64`) to
    how users know it (`python3.11 x86_64`); `newest_artifacts` maps a requirement to what its
    newest release does publish.
    """
    problems = []
    for unlockable in unlockable_requirements(stderr, frozenset(platforms)):
        tag = unlockable.platform_tag
        where = f"{platforms[tag]} ({tag})" if tag else "one of the resolve's Lambda platforms"
        found = newest_artifacts.get(unlockable.requirement)
        problems.append(
            f"- `{unlockable.requirement}` has no wheel or sdist for {where}"
            + (f": {found}." if found else ".")
        )
    if not problems:
        return f"Generating the lockfile for the resolve `{resolve}` failed:\n\n{stderr}"
    return "\n".join(
        [
            f"Cannot lock the resolve `{resolve}` for its Lambda platforms: no version of these "
            "distributions has a wheel that runs there, or an sdist:",
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


def read_lock(lockfile: str) -> dict[str, Any]:
    """The JSON of a Pex lockfile with Pants' `//` header.

    Raises `InvalidLockfileError` with the line and column of the damage in the file.
    """
    # The header's lines become empty lines, so that line numbers are the file's.
    text = "\n".join("" if line.startswith("//") else line for line in lockfile.splitlines())
    try:
        lock = json.loads(text)
    except json.JSONDecodeError as e:
        raise InvalidLockfileError(f"line {e.lineno}, column {e.colno}: {e.msg}") from e
    if not isinstance(lock, dict):
        raise InvalidLockfileError("it holds no JSON object")
    return lock


def locked_platform_tags(lock: Mapping[str, Any]) -> frozenset[str] | None:
    """The platforms a Pex lock has a locked resolve for; `None` for a universal lock."""
    if lock.get("style") != "strict":
        return None
    return frozenset("-".join(resolve["platform_tag"]) for resolve in lock["locked_resolves"])


def locked_versions(lock: Mapping[str, Any], platform_names: Mapping[str, str]) -> dict[str, str]:
    """The version each project is locked at, e.g. `{"numpy": "2.2.6"}`, to diff two locks.

    A project locked at different versions for different platforms gets one entry per platform,
    e.g. `"numpy (python3.11 x86_64)"`. `platform_names` maps the tags of locked resolves to how
    users know them; other tags are shown as they are.
    """
    versions = {}
    for project, by_platform in versions_by_platform(lock, platform_names).items():
        if len(set(by_platform.values())) == 1:
            versions[project] = next(iter(by_platform.values()))
        else:
            versions.update(
                {f"{project} ({platform})": version for platform, version in by_platform.items()}
            )
    return versions


def hash_mismatches(stderr: str) -> tuple[HashMismatch, ...]:
    """The artifacts that Pex, resolving from a lock, found not to match their pinned hashes."""
    return tuple(
        HashMismatch(
            match.group("project"),
            match.group("version"),
            match.group("url").rsplit("/", 1)[-1],
            match.group("algorithm"),
            match.group("expected"),
            match.group("actual"),
        )
        for match in _HASH_MISMATCH.finditer(stderr)
    )


@dataclass(frozen=True)
class LockedArtifact:
    """A locked wheel or sdist, pinned by its URL and hash."""

    project: str
    version: str
    url: str
    algorithm: str
    hash: str

    @property
    def filename(self) -> str:
        return self.url.rsplit("/", 1)[-1]

    @property
    def pinned_requirement(self) -> str:
        """A direct reference whose hash fragment pip checks the download against."""
        return f"{self.project} @ {self.url}#{self.algorithm}={self.hash}"

    def __str__(self) -> str:
        return f"{self.project} {self.version} ({self.filename})"


def locked_wheels(lock: Mapping[str, Any], platform_tag: str) -> tuple[LockedArtifact, ...] | None:
    """The wheels a strict lock installs on the platform, one per locked requirement.

    None when the lock does not pin exactly one wheel of each requirement for the platform:
    a universal lock (which leaves the choice among artifacts to Pex), a platform it has no
    locked resolve for, or a requirement that only has an sdist there.
    """
    if lock.get("style") != "strict" or lock.get("path_mappings"):
        return None
    for resolve in lock["locked_resolves"]:
        if "-".join(resolve.get("platform_tag") or ()) != platform_tag:
            continue
        wheels = []
        for locked in resolve["locked_requirements"]:
            artifacts = locked["artifacts"]
            if len(artifacts) != 1 or not artifacts[0]["url"].endswith(".whl"):
                return None
            (artifact,) = artifacts
            wheels.append(
                LockedArtifact(
                    locked["project_name"],
                    locked["version"],
                    artifact["url"],
                    artifact["algorithm"],
                    artifact["hash"],
                )
            )
        return tuple(wheels)
    return None


def locked_sdists(lock: Mapping[str, Any]) -> dict[str, tuple[LockedArtifact, ...]]:
    """For each locked resolve's platform tag, the locked requirements it has no wheel for.

    A strict lock lists, for each platform, only the artifacts that platform installs.
    """
    by_platform = {}
    for resolve in lock["locked_resolves"]:
        sdists = tuple(
            LockedArtifact(
                locked["project_name"],
                locked["version"],
                artifacts[0]["url"],
                artifacts[0]["algorithm"],
                artifacts[0]["hash"],
            )
            for locked in resolve["locked_requirements"]
            for artifacts in [locked["artifacts"]]
            if artifacts and not any(a["url"].endswith(".whl") for a in artifacts)
        )
        if sdists:
            by_platform["-".join(resolve.get("platform_tag") or ())] = sdists
    return by_platform


def wheel_tags(wheel_metadata: str) -> tuple[str, ...]:
    """The `Tag:` lines of a `.dist-info/WHEEL` file, e.g. `("py2-none-any", "py3-none-any")`."""
    return tuple(
        line.split(":", 1)[1].strip()
        for line in wheel_metadata.splitlines()
        if line.startswith("Tag:")
    )


def is_pure_python(tags: Iterable[str]) -> bool:
    """Whether a wheel with these tags runs on any platform: no ABI, any platform."""
    tags = tuple(tags)
    return bool(tags) and all(tag.endswith("-none-any") for tag in tags)


@dataclass(frozen=True)
class NativeSdist:
    """An sdist that built into a platform-specific wheel, and who needs it.

    `needed_by` pairs each Lambda platform (`python3.11 x86_64`) with the lambdas of the
    resolve that build for it.
    """

    artifact: LockedArtifact
    wheel_tags: tuple[str, ...]
    needed_by: tuple[tuple[str, tuple[str, ...]], ...]


def describe_native_sdists(resolve: str, natives: Sequence[NativeSdist], regenerate: str) -> str:
    """Why no Lambda zip can take these sdists' wheels, who needs them, and what to do."""
    problems = [
        f"- {native.artifact} builds into a {', '.join(native.wheel_tags)} wheel, needed for "
        + "; ".join(
            f"{platform} by {', '.join(lambdas) or 'no lambda yet'}"
            for platform, lambdas in native.needed_by
        )
        + "."
        for native in natives
    ]
    return "\n".join(
        [
            f"The resolve `{resolve}` needs distributions that publish only an sdist, and "
            "building them gives native code (a C extension):",
            *problems,
            "",
            "Native code built on this host links against this host's CPython, glibc and CPU, "
            "not those of Lambda's Amazon Linux, and cannot be cross-built without the target's "
            "toolchain, so no Lambda zip may hold it. Instead:",
            "- pin a version of the distribution that publishes manylinux wheels for these "
            "platforms, or use an alternative that does;",
            "- or build the wheel for Lambda yourself (e.g. in the runtime's container image), "
            "put it in a find-links directory (`[python-repos].find_links`) or a private index "
            f"(`[python-repos].indexes`), and run `{regenerate}`;",
            "- or move the code that needs it into a Lambda layer built elsewhere, and drop the "
            "requirement from this resolve.",
        ]
    )


def versions_by_platform(
    lock: Mapping[str, Any], platform_names: Mapping[str, str]
) -> dict[str, dict[str, str]]:
    """Each project's version on each platform that locks it, by the platform's name."""
    by_project: dict[str, dict[str, str]] = {}
    for resolve in lock["locked_resolves"]:
        tag = "-".join(resolve.get("platform_tag") or ())
        platform = platform_names.get(tag, tag)
        for locked in resolve["locked_requirements"]:
            by_project.setdefault(locked["project_name"], {})[platform] = locked["version"]
    return by_project


def unifying_pins(lock: Mapping[str, Any]) -> tuple[str, ...]:
    """`name==version` for each project locked at several versions: the oldest of them.

    The oldest is the newest version that the most constrained platform has wheels for, so the
    only candidate that can serve every platform.
    """
    return tuple(
        f"{project}=={min(by_platform.values(), key=Version)}"
        for project, by_platform in sorted(versions_by_platform(lock, {}).items())
        if len(set(by_platform.values())) > 1
    )


def split_lines(lock: Mapping[str, Any], platform_names: Mapping[str, str]) -> tuple[str, ...]:
    """One line per project locked at several versions: each version and its platforms."""
    lines = []
    for project, by_platform in sorted(versions_by_platform(lock, platform_names).items()):
        platforms_by_version: dict[str, list[str]] = {}
        for platform, version in sorted(by_platform.items()):
            platforms_by_version.setdefault(version, []).append(platform)
        if len(platforms_by_version) > 1:
            lines.append(
                f"{project}: "
                + "; ".join(
                    f"{version} for {', '.join(platforms)}"
                    for version, platforms in sorted(
                        platforms_by_version.items(), key=lambda item: Version(item[0])
                    )
                )
            )
    return tuple(lines)


def failed_pins(
    stderr: str, pins: tuple[str, ...], platform_tags: frozenset[str]
) -> tuple[UnlockableRequirement, ...]:
    """The pins (`name==version`) that pip could not meet, each with the platform it resolved.

    Pip names a constraint it cannot meet as `The user requested (constraint) numpy==2.2.6`.
    """
    return tuple(
        UnlockableRequirement(pin, _last_platform_named(stderr[:position], platform_tags))
        for pin in pins
        for position in [stderr.find(f"(constraint) {pin}\n")]
        if position >= 0
    )
