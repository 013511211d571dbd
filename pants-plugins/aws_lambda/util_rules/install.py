"""Install the third-party distributions Lambda targets take from, once per resolve and platform.

Where a resolve's strict lockfile pins one wheel of each requirement for a platform (as the
locks `generate-lockfiles` writes for Lambda do), each wheel is downloaded, checked against its
hash and unpacked into a tree of its own, by a cached process keyed by the wheel's URL and hash
alone: a pure-Python wheel that five platforms lock is fetched once. Otherwise the whole
lockfile is resolved by Pex once per platform, installed flat, and split into one digest per
distribution by its `.dist-info/RECORD`. Either way an edit to first-party code never
reinstalls anything, and a distribution shared by many targets is zipped once (see `zips`).
Without `[python].enable_resolves` there is no lockfile, and each target's own requirements
are installed instead, from wheels only.

A locked requirement that has only an sdist for a platform is built into a wheel on this host,
once, by a cached process keyed by the sdist's URL and hash; Pex, resolving the lockfile, then
reuses that wheel from its cache. Only a pure-Python wheel may go into a zip: native code built
here is linked against this host, not Lambda.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Optional, Union

from pants.backend.python.subsystems.setup import PythonSetup
from pants.backend.python.target_types import PexLayout
from pants.backend.python.util_rules import pex_cli, pex_from_targets
from pants.backend.python.util_rules.pex import Pex, PexRequest
from pants.backend.python.util_rules.pex_cli import PexCliProcess
from pants.backend.python.util_rules.pex_environment import PexEnvironment
from pants.backend.python.util_rules.pex_from_targets import PexFromTargetsRequest
from pants.backend.python.util_rules.pex_requirements import (
    EntireLockfile,
    Lockfile,
    Resolve,
    ResolvePexConfig,
    ResolvePexConfigRequest,
)
from pants.core.util_rules.adhoc_binaries import PythonBuildStandaloneBinary
from pants.core.util_rules.subprocess_environment import SubprocessEnvironmentVars
from pants.engine.addresses import Address
from pants.engine.fs import (
    CreateDigest,
    Digest,
    DigestContents,
    DigestEntries,
    DigestSubset,
    FileEntry,
    MergeDigests,
    PathGlobs,
    RemovePrefix,
    SymlinkEntry,
)
from pants.engine.process import (
    FallibleProcessResult,
    Process,
    ProcessExecutionFailure,
    ProcessResult,
)
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.option.global_options import GlobalOptions, ca_certs_path_to_file_content
from pants.util.docutil import bin_name
from pants.util.logging import LogLevel
from pants.util.strutil import softwrap

from aws_lambda.distributions import Distribution, read_distributions
from aws_lambda.pex_lock import (
    LockedArtifact,
    NativeSdist,
    describe_native_sdists,
    hash_mismatches,
    is_pure_python,
    locked_sdists,
    locked_wheels,
    read_lock,
    wheel_tags,
)
from aws_lambda.scripts.wheel_install import (
    DOWNLOAD_FAILED_EXIT_CODE,
    HASH_MISMATCH_EXIT_CODE,
    INVALID_WHEEL_EXIT_CODE,
)
from aws_lambda.util_rules import scripts
from aws_lambda.util_rules.platform import TargetPlatform, restore_or_regenerate
from aws_lambda.util_rules.scripts import REMOTE_CACHE_FIRST_MILLIS, LambdaScripts

# Without a lockfile no sdist is pinned to a hash: wheels only.
_UNLOCKED_PEX_ARGS = ("--no-build",)
_DEPENDENCIES_DIR = "lambda-dependencies"
_BUILT_PEX = "built.pex"
_WHEEL_TREE = "installed"


class LambdaDependenciesError(Exception):
    pass


@dataclass(frozen=True)
class InstallLambdaDistributionsRequest:
    """The distributions the Lambda target at `address` can take its own from.

    With `[python].enable_resolves`, the whole lockfile of `resolve`, shared by every target of
    the same platform; without, the requirements of the target alone.
    """

    address: Address
    resolve: str
    target_platform: TargetPlatform


@dataclass(frozen=True)
class InstalledDistribution:
    """A distribution installed for one platform, and its files."""

    distribution: Distribution
    digest: Digest


@dataclass(frozen=True)
class InstalledDistributions:
    distributions: tuple[InstalledDistribution, ...]


@dataclass(frozen=True)
class _ResolveLockfileRequest:
    resolve: str
    target_platform: TargetPlatform


@dataclass(frozen=True)
class _ResolveRequirementsRequest:
    address: Address
    target_platform: TargetPlatform


@dataclass(frozen=True)
class _ResolvedDependencies:
    pex: Pex
    target_platform: TargetPlatform
    description: str


@dataclass(frozen=True)
class _InstalledTree:
    """A flat tree of installed distributions."""

    digest: Digest
    description: str


@dataclass(frozen=True)
class BuildSdistRequest:
    artifact: LockedArtifact
    resolve: str


@dataclass(frozen=True)
class BuiltSdist:
    """The tags of the wheel that an sdist builds into on this host."""

    artifact: LockedArtifact
    wheel_tags: tuple[str, ...]

    @property
    def is_pure_python(self) -> bool:
        return is_pure_python(self.wheel_tags)


@rule(desc="Build an sdist into a wheel", level=LogLevel.DEBUG)
async def build_sdist(request: BuildSdistRequest, pex_env: PexEnvironment) -> BuiltSdist:
    # The interpreter that runs Pex builds it, as when Pex resolves a lockfile for a platform,
    # and into the same cache of built wheels, where that resolve finds it.
    artifact = request.artifact
    resolve_config = await Get(ResolvePexConfig, ResolvePexConfigRequest(request.resolve))
    result = await Get(
        FallibleProcessResult,
        PexCliProcess(
            subcommand=(),
            extra_args=(
                "--intransitive",
                "--layout=loose",
                f"--output-file={_BUILT_PEX}",
                *resolve_config.pex_args(),
                *pex_root_args(pex_env),
                artifact.pinned_requirement,
            ),
            output_directories=(f"{_BUILT_PEX}/.deps",),
            description=f"Building {artifact.filename} into a wheel",
        ),
    )
    if result.exit_code != 0:
        raise LambdaDependenciesError(
            softwrap(
                f"""
                The resolve `{request.resolve}` takes {artifact} as an sdist, since no wheel of
                it runs on one of its Lambda platforms, and building it into a wheel on this
                host failed:
                """
            )
            + "\n\n"
            + result.stderr.decode(errors="replace").strip()
        )
    contents = await Get(
        DigestContents,
        DigestSubset(result.output_digest, PathGlobs([f"{_BUILT_PEX}/.deps/*/*.dist-info/WHEEL"])),
    )
    tags = tuple(tag for content in contents for tag in wheel_tags(content.content.decode()))
    return BuiltSdist(artifact, tags)


@dataclass(frozen=True)
class _LockedArtifactsRequest:
    resolve: str
    platform_tag: str


@dataclass(frozen=True)
class _LockedArtifacts:
    """What a platform's locked resolve takes: every wheel if it pins one of each requirement
    (else None, and Pex resolves the lock), and its sdists, every sdist of the lock if it has no
    resolve for the platform."""

    wheels: Optional[tuple[LockedArtifact, ...]]
    sdists: tuple[LockedArtifact, ...]


@rule
async def read_locked_artifacts(
    request: _LockedArtifactsRequest, python_setup: PythonSetup
) -> _LockedArtifacts:
    """Read once per resolve and platform, however many lambdas use them."""
    contents = await Get(DigestContents, PathGlobs([python_setup.resolves[request.resolve]]))
    if not contents:
        return _LockedArtifacts(None, ())
    lock = read_lock(contents[0].content.decode())
    by_platform = locked_sdists(lock)
    if request.platform_tag in by_platform:
        sdists = by_platform[request.platform_tag]
    else:
        sdists = tuple(sorted({s for sdists in by_platform.values() for s in sdists}, key=str))
    return _LockedArtifacts(locked_wheels(lock, request.platform_tag), sdists)


@dataclass(frozen=True)
class InstallWheelRequest:
    """Install one locked wheel into a tree of its own; `resolve` only names it in errors."""

    wheel: LockedArtifact
    resolve: str


@rule(desc="Install a locked wheel", level=LogLevel.DEBUG)
async def install_wheel(
    request: InstallWheelRequest,
    lambda_scripts: LambdaScripts,
    python: PythonBuildStandaloneBinary,
    subprocess_env: SubprocessEnvironmentVars,
    global_options: GlobalOptions,
    python_setup: PythonSetup,
) -> InstalledDistribution:
    # Pants' own interpreter for rule scripts: no interpreter discovery before the download.
    wheel = request.wheel
    env = dict(subprocess_env.vars)
    input_digests = [lambda_scripts.digest]
    if global_options.ca_certs_path:
        certs = ca_certs_path_to_file_content(global_options.ca_certs_path)
        input_digests.append(await Get(Digest, CreateDigest([certs])))
        env["SSL_CERT_FILE"] = certs.path
    input_digest = await Get(Digest, MergeDigests(input_digests))
    process = Process(
        argv=LambdaScripts.argv(
            python,
            "wheel_install",
            f"--url={wheel.url}",
            f"--algorithm={wheel.algorithm}",
            f"--hash={wheel.hash}",
            f"--dest={_WHEEL_TREE}",
        ),
        input_digest=input_digest,
        output_directories=(_WHEEL_TREE,),
        env=env,
        append_only_caches=python.APPEND_ONLY_CACHES,
        description=f"Downloading and unpacking {wheel.filename}",
        remote_cache_speculation_delay_millis=REMOTE_CACHE_FIRST_MILLIS,
    )
    result = await Get(FallibleProcessResult, Process, process)
    if result.exit_code != 0:
        lockfile = python_setup.resolves[request.resolve]
        raise LambdaDependenciesError(
            _explain_wheel_failure(
                request,
                lockfile,
                result.exit_code,
                result.stdout.decode(errors="replace"),
                result.stderr.decode(errors="replace"),
            )
        )
    tree = await Get(Digest, RemovePrefix(result.output_digest, _WHEEL_TREE))
    (distribution,) = (
        await Get(InstalledDistributions, _InstalledTree(tree, str(wheel)))
    ).distributions
    return distribution


def _explain_wheel_failure(
    request: InstallWheelRequest, lockfile: str, exit_code: int, stdout: str, stderr: str
) -> str:
    wheel, resolve = request.wheel, request.resolve
    said = stdout.strip()
    if exit_code == HASH_MISMATCH_EXIT_CODE:
        hashes = json.loads(said)
        mismatch = (
            f"{wheel} is pinned to {wheel.algorithm} {hashes['expected']}, but the file "
            f"downloaded hashes to {hashes['actual']}"
        )
        return _lock_mismatch_message(lockfile, resolve, mismatch)
    if exit_code == DOWNLOAD_FAILED_EXIT_CODE:
        return softwrap(
            f"""
            Downloading {wheel}, which the lockfile {lockfile} of the resolve `{resolve}`
            pins, failed:
            {said}. Check that this machine reaches that URL; a proxy must be passed to Pants'
            processes with `[subprocess-environment].env_vars` (e.g. `HTTPS_PROXY`), and a
            private CA with `[GLOBAL].ca_certs_path`.
            """
        )
    if exit_code == INVALID_WHEEL_EXIT_CODE:
        return softwrap(
            f"""
            The lockfile {lockfile} of the resolve `{resolve}` pins {wheel}, which cannot be
            installed: {said}. Pin another version of {wheel.project}, and report the wheel to
            its maintainers.
            """
        )
    return (
        softwrap(
            f"""
        Installing {wheel} for the resolve `{resolve}` failed with exit code {exit_code}:
        """
        )
        + "\n\n"
        + (stderr + said).strip()
    )


@rule
async def install_lambda_distributions(
    request: InstallLambdaDistributionsRequest, python_setup: PythonSetup
) -> InstalledDistributions:
    if python_setup.enable_resolves:
        platform = request.target_platform.platform
        locked = await Get(
            _LockedArtifacts, _LockedArtifactsRequest(request.resolve, platform.most_specific_tag)
        )
        if locked.wheels is not None:
            installed = await MultiGet(
                Get(InstalledDistribution, InstallWheelRequest(wheel, request.resolve))
                for wheel in locked.wheels
            )
            return InstalledDistributions(
                tuple(sorted(installed, key=lambda i: i.distribution.key))
            )
        # Before Pex builds them: a lockfile made elsewhere may hold sdists with native code.
        built = await MultiGet(
            Get(BuiltSdist, BuildSdistRequest(sdist, request.resolve)) for sdist in locked.sdists
        )
        natives = [
            NativeSdist(b.artifact, b.wheel_tags, ((str(platform), (request.address.spec,)),))
            for b in built
            if not b.is_pure_python
        ]
        if natives:
            raise LambdaDependenciesError(
                describe_native_sdists(
                    request.resolve,
                    natives,
                    f"{bin_name()} generate-lockfiles --resolve={request.resolve}",
                )
            )
    resolved = await (
        Get(
            _ResolvedDependencies, _ResolveLockfileRequest(request.resolve, request.target_platform)
        )
        if python_setup.enable_resolves
        else Get(
            _ResolvedDependencies,
            _ResolveRequirementsRequest(request.address, request.target_platform),
        )
    )
    tree = await Get(_InstalledTree, _ResolvedDependencies, resolved)
    return await Get(InstalledDistributions, _InstalledTree, tree)


def pex_root_args(pex_env: PexEnvironment) -> tuple[str, ...]:
    """Keep Pex's caches in Pants' `pex_root` named cache, the `PEX_ROOT` Pants sets.

    Pex 2.105's CLI runs with the `PEX_*` variables stripped, and so keeps its downloads, wheels
    and indexes in `~/.cache/pex`, outside every cache that Pants knows of, unless told.
    """
    return ("--pex-root", str(pex_env.in_sandbox(working_directory=None).pex_root))


@rule
async def resolve_lockfile(
    request: _ResolveLockfileRequest, pex_env: PexEnvironment
) -> _ResolvedDependencies:
    platform = request.target_platform
    lockfile = await Get(Lockfile, Resolve(request.resolve, use_entire_lockfile=True))
    try:
        pex = await Get(
            Pex,
            PexRequest(
                output_filename="lambda-dependencies.pex",
                internal_only=False,
                requirements=EntireLockfile(lockfile),
                complete_platforms=platform.complete_platforms,
                layout=PexLayout.PACKED,
                additional_args=pex_root_args(pex_env),
                description=f"Resolving {lockfile.url} for {platform.description}",
            ),
        )
    except ProcessExecutionFailure as e:
        explained = _explain_resolve_failure(e, lockfile.url, request.resolve, platform)
        if explained is None:
            raise
        raise LambdaDependenciesError(explained) from e
    description = f"the resolve `{request.resolve}` for {platform.description}"
    return _ResolvedDependencies(pex, platform, description)


@rule
async def resolve_requirements(
    request: _ResolveRequirementsRequest, pex_env: PexEnvironment
) -> _ResolvedDependencies:
    platform = request.target_platform
    pex = await Get(
        Pex,
        PexFromTargetsRequest(
            addresses=[request.address],
            internal_only=False,
            include_source_files=False,
            output_filename="lambda-requirements.pex",
            layout=PexLayout.PACKED,
            complete_platforms=platform.complete_platforms,
            additional_args=(*_UNLOCKED_PEX_ARGS, *pex_root_args(pex_env)),
            description=f"Resolving requirements of {request.address} for {platform.description}",
        ),
    )
    description = f"the requirements of {request.address} for {platform.description}"
    return _ResolvedDependencies(pex, platform, description)


@rule
async def install_flat(resolved: _ResolvedDependencies, pex_env: PexEnvironment) -> _InstalledTree:
    # As Pants' `pex_venv` rule does, with Pex's caches in Pants' (see `pex_root_args`).
    complete_platforms = resolved.target_platform.complete_platforms
    input_digest = await Get(Digest, MergeDigests([resolved.pex.digest, complete_platforms.digest]))
    installed = await Get(
        ProcessResult,
        PexCliProcess(
            subcommand=("venv", "create"),
            extra_args=(
                f"--dest-dir={_DEPENDENCIES_DIR}",
                f"--pex-repository={resolved.pex.name}",
                "--layout=flat",
                *complete_platforms.generate_pex_arg_list(),
                *pex_root_args(pex_env),
            ),
            additional_input_digest=input_digest,
            output_directories=(_DEPENDENCIES_DIR,),
            description=f"Installing {resolved.description}",
        ),
    )
    tree = await Get(Digest, RemovePrefix(installed.output_digest, _DEPENDENCIES_DIR))
    return _InstalledTree(tree, resolved.description)


@rule
async def split_by_distribution(tree: _InstalledTree) -> InstalledDistributions:
    entries, metadata = await MultiGet(
        Get(DigestEntries, Digest, tree.digest),
        Get(
            DigestContents,
            DigestSubset(tree.digest, PathGlobs(["*.dist-info/METADATA", "*.dist-info/RECORD"])),
        ),
    )
    distributions = read_distributions(
        {content.path: content.content for content in metadata},
        {
            entry.path: entry.file_digest.serialized_bytes_length
            for entry in entries
            if isinstance(entry, FileEntry)
        },
    )
    files_by_owner = _files_by_distribution(entries, distributions, tree.description)
    digests = await MultiGet(
        Get(Digest, CreateDigest(files_by_owner[dist])) for dist in distributions
    )
    return InstalledDistributions(
        tuple(InstalledDistribution(dist, digest) for dist, digest in zip(distributions, digests))
    )


def _explain_resolve_failure(
    failure: ProcessExecutionFailure, lockfile: str, resolve: str, platform: TargetPlatform
) -> Optional[str]:
    """Why resolving a lockfile failed, when Pex's own output does not say it plainly."""
    stderr = failure.stderr.decode(errors="replace")
    fix = restore_or_regenerate(lockfile, resolve)
    mismatches = hash_mismatches(stderr)
    if mismatches:
        artifacts = "; ".join(
            f"{m.project} {m.version} ({m.filename}) is pinned to {m.algorithm} {m.expected}, "
            f"but the file downloaded hashes to {m.actual}"
            for m in mismatches
        )
        return _lock_mismatch_message(lockfile, resolve, artifacts)
    if not stderr.strip() and not failure.stdout.strip():
        return softwrap(
            f"""
            Resolving the lockfile {lockfile} of the resolve `{resolve}` for
            {platform.description} failed with exit code {failure.exit_code}, and Pex said
            nothing. Check that the lockfile is intact: {fix}
            """
        )
    return None


def _lock_mismatch_message(lockfile: str, resolve: str, mismatches: str) -> str:
    return softwrap(
        f"""
        The lockfile {lockfile} of the resolve `{resolve}` does not match what the index
        serves: {mismatches}. The lockfile was edited, or the index serves another file under
        that name. {restore_or_regenerate(lockfile, resolve)}
        """
    )


def _files_by_distribution(
    entries: Iterable[object], distributions: Iterable[Distribution], description: str
) -> dict[Distribution, list[Union[FileEntry, SymlinkEntry]]]:
    owners = defaultdict(list)
    for dist in distributions:
        for path in dist.files:
            owners[path].append(dist)
    files_by_owner: dict[Distribution, list[Union[FileEntry, SymlinkEntry]]] = defaultdict(list)
    unowned = []
    for entry in entries:
        if not isinstance(entry, (FileEntry, SymlinkEntry)):
            continue
        if entry.path not in owners:
            unowned.append(entry.path)
        for dist in owners[entry.path]:
            files_by_owner[dist].append(entry)
    if unowned:
        raise LambdaDependenciesError(
            softwrap(
                f"""
                Installing {description} wrote files that no distribution's RECORD lists, so
                no Lambda zip could say where they belong: {', '.join(sorted(unowned)[:10])}.
                Please report this, with the requirements.
                """
            )
        )
    return files_by_owner


def rules():
    return (*collect_rules(), *pex_cli.rules(), *pex_from_targets.rules(), *scripts.rules())
