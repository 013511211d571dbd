"""The third-party distributions installed in a flat Lambda tree, read from their `.dist-info`."""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.parser import HeaderParser

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from aws_lambda.scripts.shared import record_rows, top_level_module

# Every Lambda Python runtime ships the AWS SDK, and with it the SDK's own dependencies.
RUNTIME_PROVIDED_ROOTS = ("boto3",)


class DistributionMetadataError(ValueError):
    """Raised when a `.dist-info` folder cannot be read."""


@dataclass(frozen=True)
class Distribution:
    """One installed distribution: its files (relative to the tree root) and total size."""

    name: str
    version: str
    files: tuple[str, ...]
    size: int
    requires: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return canonicalize_name(self.name)

    def __str__(self) -> str:
        return f"{self.name} {self.version}"


def read_distributions(
    metadata: Mapping[str, bytes], file_sizes: Mapping[str, int]
) -> tuple[Distribution, ...]:
    """Read the distributions of a flat tree, sorted by name.

    `metadata` maps the paths of every `*.dist-info/METADATA` and `*.dist-info/RECORD` file to
    their content; `file_sizes` maps every file of the tree to its size. A file belongs to the
    distribution whose RECORD lists it, and every file of a `.dist-info` folder to its owner.
    """
    distributions = []
    for metadata_path in sorted(path for path in metadata if path.endswith("/METADATA")):
        folder = posixpath.dirname(metadata_path)
        record_path = f"{folder}/RECORD"
        if record_path not in metadata:
            raise DistributionMetadataError(
                f"{folder} has no RECORD file, so its files are unknown."
            )
        name, version, requires = _parse_metadata(metadata_path, metadata[metadata_path])
        recorded = {path for path, _ in record_rows(metadata[record_path])}
        files = sorted(
            {path for path in recorded if path in file_sizes}
            | {path for path in file_sizes if path.startswith(f"{folder}/")}
        )
        distributions.append(
            Distribution(
                name=name,
                version=version,
                files=tuple(files),
                size=sum(file_sizes[path] for path in files),
                requires=requires,
            )
        )
    return tuple(sorted(distributions, key=lambda dist: dist.key))


def _parse_metadata(path: str, content: bytes) -> tuple[str, str, tuple[str, ...]]:
    headers = HeaderParser().parsestr(content.decode("utf-8", errors="replace"))
    name, version = headers.get("Name"), headers.get("Version")
    if not name or not version:
        raise DistributionMetadataError(f"{path} lacks a Name or Version header.")
    return name, version, tuple(headers.get_all("Requires-Dist") or ())


def dependency_closure(
    requirements: Iterable[str],
    distributions: Iterable[Distribution],
    environment: Mapping[str, str],
    description_of_origin: str = "the requirements",
) -> frozenset[str]:
    """The names (canonical) of the installed distributions that `requirements` need, transitively.

    `requirements` are PEP 508 strings. They and every `Requires-Dist` are followed when their
    markers hold in `environment`, with the extras that were asked for, as pip resolves them.
    Requirements that are not installed are skipped.
    """
    installed = {dist.key: dist for dist in distributions}
    followed_extras: dict[str, set[str]] = {}
    pending = [
        requirement
        for requirement in (_parse(text, description_of_origin) for text in requirements)
        if _applies(requirement, environment, {""})
    ]
    while pending:
        requirement = pending.pop()
        key = canonicalize_name(requirement.name)
        if key not in installed:
            continue
        followed = followed_extras.setdefault(key, set())
        new_extras = ({""} | set(requirement.extras)) - followed
        if not new_extras:
            continue
        followed |= new_extras
        dist = installed[key]
        pending.extend(
            required
            for required in (_parse(text, str(dist)) for text in dist.requires)
            if _applies(required, environment, new_extras)
        )
    return frozenset(followed_extras)


def unmet_requirements(
    requirements: Iterable[str],
    distributions: Iterable[Distribution],
    environment: Mapping[str, str],
    description_of_origin: str = "the requirements",
) -> tuple[str, ...]:
    """The `requirements` that apply in `environment` but that no distribution satisfies.

    Each comes with what was found instead, e.g. "foo>=2 (found foo 1.0)" or "foo (not found)".
    """
    installed = {dist.key: dist for dist in distributions}
    unmet = []
    for text in requirements:
        requirement = _parse(text, description_of_origin)
        if not _applies(requirement, environment, {""}):
            continue
        dist = installed.get(canonicalize_name(requirement.name))
        if dist is None:
            unmet.append(f"{text} (not found)")
        elif not requirement.specifier.contains(dist.version, prereleases=True):
            unmet.append(f"{text} (found {dist})")
    return tuple(unmet)


def _parse(text: str, origin: str) -> Requirement:
    try:
        return Requirement(text)
    except InvalidRequirement as e:
        raise DistributionMetadataError(f"{origin} has an invalid requirement {text!r}: {e}") from e


def _applies(requirement: Requirement, environment: Mapping[str, str], extras: set[str]) -> bool:
    marker = requirement.marker
    return marker is None or any(marker.evaluate({**environment, "extra": e}) for e in extras)


@dataclass(frozen=True)
class ProvidedDistribution:
    """A distribution of a function that a layer already provides."""

    distribution: Distribution
    provider: str


@dataclass(frozen=True)
class VersionConflict:
    """A distribution a function needs in another version than a layer provides."""

    name: str
    needed_version: str
    provided_version: str
    provider: str


def match_provided(
    needed: Iterable[Distribution], providers: Iterable[tuple[str, Iterable[Distribution]]]
) -> tuple[tuple[ProvidedDistribution, ...], tuple[VersionConflict, ...]]:
    """Split `needed` into what the named `providers` already provide and version conflicts.

    A distribution is provided when a provider has one of the same name and version; the first
    provider wins.
    """
    offered: dict[str, tuple[str, Distribution]] = {}
    for provider, dists in providers:
        for dist in dists:
            offered.setdefault(dist.key, (provider, dist))
    provided, conflicts = [], []
    for dist in needed:
        if dist.key not in offered:
            continue
        provider, offer = offered[dist.key]
        if _same_version(offer.version, dist.version):
            provided.append(ProvidedDistribution(dist, provider))
        else:
            conflicts.append(VersionConflict(dist.name, dist.version, offer.version, provider))
    return tuple(provided), tuple(conflicts)


def _same_version(a: str, b: str) -> bool:
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


@dataclass(frozen=True)
class ShadowedModule:
    """A top-level module name that a first-party file and a distribution both provide."""

    name: str
    first_party: str  # E.g. "numpy.py" or "numpy/"
    distribution: Distribution
    distribution_path: str


def shadowed_modules(
    first_party_paths: Iterable[str], distributions: Iterable[Distribution]
) -> tuple[ShadowedModule, ...]:
    """Top-level modules that first-party code and a distribution both provide, where one is a
    module file (`numpy.py`, `x.abi3.so`), so that only one of them can be imported.

    Two packages of one name are one folder in the zip: they share it, as namespace packages do.
    """
    first_party = _top_level_providers(first_party_paths)
    shadowed = []
    for dist in distributions:
        for name, dist_path in _top_level_providers(dist.files).items():
            path = first_party.get(name)
            if path is not None and not (path.endswith("/") and dist_path.endswith("/")):
                shadowed.append(ShadowedModule(name, path, dist, dist_path))
    return tuple(shadowed)


def _top_level_providers(paths: Iterable[str]) -> dict[str, str]:
    """Each top-level module name, with the module file or package folder (`x/`) providing it."""
    providers: dict[str, str] = {}
    for path in sorted(paths):
        name = top_level_module(path)
        if name:
            providers.setdefault(name, f"{name}/" if "/" in path else path)
    return providers
