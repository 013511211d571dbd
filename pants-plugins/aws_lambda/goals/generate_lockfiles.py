"""`generate-lockfiles` that respects the Lambda platforms of each resolve.

A resolve that lambdas use is locked with `pex3 lock create --style=strict` and one generated
complete platform per (runtime, architecture) those lambdas target, plus one per developer host
and CPython minor version (`[lambda].dev_hosts`) for tests. Pex then writes one locked
resolve per platform, each at the newest versions that have wheels for that platform: for
example numpy 2.2 for python3.11 on glibc 2.26 and numpy 2.5 for python3.12 on glibc 2.34.
With `[lambda].lock_versions = "shared"` the resolve is locked again with each distribution
that disagrees pinned to its oldest locked version, so that every platform runs the same one.
Resolves without lambdas are handed to the Python backend's universal lock as before.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from pants.backend.python.goals.lockfile import GeneratePythonLockfile
from pants.backend.python.goals.lockfile import (
    _setup_pip_args_and_constraints_file as setup_pip_args_and_constraints_file,
)
from pants.backend.python.pip_requirement import PipRequirement
from pants.backend.python.subsystems.setup import PythonSetup
from pants.backend.python.target_types import (
    PythonRequirementResolveField,
    PythonRequirementsField,
    PythonResolveField,
)
from pants.backend.python.util_rules.interpreter_constraints import InterpreterConstraints
from pants.backend.python.util_rules.lockfile_diff import PythonRequirementVersion
from pants.backend.python.util_rules.lockfile_metadata import PythonLockfileMetadata
from pants.backend.python.util_rules.pex import CompletePlatforms
from pants.backend.python.util_rules.pex_cli import PexCliProcess
from pants.backend.python.util_rules.pex_environment import PexEnvironment
from pants.backend.python.util_rules.pex_requirements import PexRequirements
from pants.core.goals import generate_lockfiles as core_generate_lockfiles
from pants.core.goals.generate_lockfiles import (
    GenerateLockfile,
    GenerateLockfileResult,
    GenerateLockfilesSubsystem,
    GenerateToolLockfileSentinel,
    KnownUserResolveNames,
    KnownUserResolveNamesRequest,
    LockfileDiff,
    LockfilePackages,
    PackageName,
    RequestedUserResolveNames,
    UserGenerateLockfiles,
    WrappedGenerateLockfile,
)
from pants.engine.addresses import Addresses, UnparsedAddressInputs
from pants.engine.fs import (
    CreateDigest,
    Digest,
    DigestContents,
    FileContent,
    MergeDigests,
    PathGlobs,
)
from pants.engine.process import FallibleProcessResult, ProcessCacheScope
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.engine.target import AllTargets
from pants.engine.unions import UnionRule
from pants.util.docutil import bin_name
from pants.util.logging import LogLevel
from pants.util.ordered_set import FrozenOrderedSet
from pants.util.strutil import softwrap

from aws_lambda import subsystem
from aws_lambda.dev_hosts import DevHostPlatform, dev_host_platforms
from aws_lambda.pex_lock import (
    describe_lock_failure,
    failed_pins,
    locked_versions,
    newest_artifacts_summary,
    read_lock,
    split_lines,
    unifying_pins,
    unlockable_requirements,
)
from aws_lambda.runtimes import LambdaPlatform, LambdaRuntime
from aws_lambda.subsystem import (
    LambdaSettings,
    LambdaSettingsRequest,
    LambdaSubsystem,
    LockVersions,
)
from aws_lambda.target_types import LambdaCompletePlatformsField, LambdaRuntimeField
from aws_lambda.util_rules import platform, sdists
from aws_lambda.util_rules.install import pex_root_args
from aws_lambda.util_rules.sdists import CheckLockedSdistsRequest, LockedSdistsChecked

logger = logging.getLogger(__name__)


class LambdaLockfileConfigError(Exception):
    pass


class LambdaLockfileGenerationError(Exception):
    pass


@dataclass(frozen=True)
class GenerateLambdaLockfile(GenerateLockfile):
    requirements: FrozenOrderedSet[str]
    interpreter_constraints: InterpreterConstraints
    platforms: tuple[LambdaPlatform, ...]
    # `file` targets of lambdas that bring their own complete platform JSON.
    complete_platform_addresses: tuple[str, ...] = ()
    # Where tests of the resolve's code run; never what a zip is built for.
    dev_platforms: tuple[DevHostPlatform, ...] = ()


@rule
def wrap_lambda_lockfile_request(request: GenerateLambdaLockfile) -> WrappedGenerateLockfile:
    return WrappedGenerateLockfile(request)


@rule
async def generate_dev_host_complete_platform(platform: DevHostPlatform) -> CompletePlatforms:
    path = "__dev_hosts/{}.json".format(str(platform).replace(" ", "-"))
    content = platform.complete_platform_json().encode()
    digest = await Get(Digest, CreateDigest([FileContent(path, content)]))
    return CompletePlatforms([path], digest=digest)


@dataclass(frozen=True)
class ProbeNewestArtifactsRequest:
    requirement: str
    resolve_name: str


@dataclass(frozen=True)
class NewestArtifacts:
    requirement: str
    summary: str


_OLDEST_PYTHON = min(runtime.python_version for runtime in LambdaRuntime)
_NEWEST_PYTHON = max(runtime.python_version for runtime in LambdaRuntime)
# Any Python that Lambda runs.
_PROBE_INTERPRETER_CONSTRAINTS = InterpreterConstraints(
    [
        f"CPython>={_OLDEST_PYTHON[0]}.{_OLDEST_PYTHON[1]},"
        f"<{_NEWEST_PYTHON[0]}.{_NEWEST_PYTHON[1] + 1}"
    ]
)


@rule(desc="Look up what a distribution publishes", level=LogLevel.DEBUG)
async def probe_newest_artifacts(
    request: ProbeNewestArtifactsRequest, pex_env: PexEnvironment
) -> NewestArtifacts:
    """Find the wheels (or sdist) of a requirement's newest release, to explain a failed lock."""
    pip_setup = await setup_pip_args_and_constraints_file(request.resolve_name)
    result = await Get(
        FallibleProcessResult,
        PexCliProcess(
            subcommand=("lock", "create"),
            extra_args=(
                "--output=probe.json",
                "--style=universal",
                "--no-transitive",
                "--target-system=linux",
                "--target-system=mac",
                *pip_setup.args,
                *_PROBE_INTERPRETER_CONSTRAINTS.generate_pex_arg_list(),
                *pex_root_args(pex_env),
                request.requirement,
            ),
            additional_input_digest=pip_setup.digest,
            output_files=("probe.json",),
            description=f"Look up the newest release of {request.requirement}",
            cache_scope=ProcessCacheScope.PER_SESSION,
            level=LogLevel.DEBUG,
        ),
    )
    if result.exit_code != 0:
        return NewestArtifacts(request.requirement, "no release of it installs on Linux at all")
    contents = await Get(DigestContents, Digest, result.output_digest)
    summary = newest_artifacts_summary(json.loads(contents[0].content))
    return NewestArtifacts(request.requirement, summary)


class KnownLambdaAwareResolveNamesRequest(KnownUserResolveNamesRequest):
    pass


class RequestedLambdaAwareResolveNames(RequestedUserResolveNames):
    pass


@rule
def determine_lambda_aware_resolves(
    _: KnownLambdaAwareResolveNamesRequest, python_setup: PythonSetup
) -> KnownUserResolveNames:
    if python_setup.resolves_generate_lockfiles:
        raise LambdaLockfileConfigError(
            softwrap(
                """
                The aws_lambda backend generates the lockfiles of `[python].resolves` itself, so
                that each one has wheels for every Lambda runtime and architecture it is used
                for. Set `[python].resolves_generate_lockfiles = false` in pants.toml to hand
                lockfile generation over to it.
                """
            )
        )
    # Claiming the names under the Python backend's option keeps them one resolve each.
    return KnownUserResolveNames(
        names=tuple(python_setup.resolves.keys()),
        option_name="[python].resolves",
        requested_resolve_names_cls=RequestedLambdaAwareResolveNames,
    )


def _offer_lambda_resolves_first(
    all_known_user_resolve_names: Iterable[KnownUserResolveNames],
    all_tool_sentinels: Iterable[type[GenerateToolLockfileSentinel]],
    requested_resolve_names: set[str],
) -> tuple[list[RequestedUserResolveNames], list[type[GenerateToolLockfileSentinel]]]:
    """Pants 2.17's routing of `--resolve=NAME`, with this backend's names offered first.

    The goal gives NAME to the first backend that knows it, and `pants.core` registers the
    Python backend before any other; with `[python].resolves_generate_lockfiles = false` that
    backend locks nothing. Pants 2.17 has no other hook for this, so the goal's helper is
    wrapped; without `--resolve`, every backend is offered every name, as before.
    """
    lambda_first = sorted(
        all_known_user_resolve_names,
        key=lambda known: known.requested_resolve_names_cls is not RequestedLambdaAwareResolveNames,
    )
    return _determine_resolves_to_generate(
        lambda_first, all_tool_sentinels, requested_resolve_names
    )


_determine_resolves_to_generate = core_generate_lockfiles.determine_resolves_to_generate
core_generate_lockfiles.determine_resolves_to_generate = _offer_lambda_resolves_first


@rule
async def setup_lambda_aware_lockfile_requests(
    requested: RequestedLambdaAwareResolveNames,
    all_targets: AllTargets,
    python_setup: PythonSetup,
    lambda_subsystem: LambdaSubsystem,
) -> UserGenerateLockfiles:
    requirement_fields = defaultdict(set)
    lambda_targets = []
    for tgt in all_targets:
        if tgt.has_fields((PythonRequirementResolveField, PythonRequirementsField)):
            resolve = tgt[PythonRequirementResolveField].normalized_value(python_setup)
            requirement_fields[resolve].add(tgt[PythonRequirementsField])
        elif tgt.has_fields((LambdaRuntimeField, PythonResolveField)):
            lambda_targets.append(tgt)

    generated = [tgt for tgt in lambda_targets if not tgt[LambdaCompletePlatformsField].value]
    custom = [tgt for tgt in lambda_targets if tgt[LambdaCompletePlatformsField].value]
    settings = await MultiGet(
        Get(LambdaSettings, LambdaSettingsRequest, LambdaSettingsRequest.for_target(tgt))
        for tgt in generated
    )
    custom_platform_addresses = await MultiGet(
        Get(
            Addresses,
            UnparsedAddressInputs,
            tgt[LambdaCompletePlatformsField].to_unparsed_address_inputs(),
        )
        for tgt in custom
    )
    resolve_platforms = defaultdict(set)
    for tgt, target_settings in zip(generated, settings):
        resolve = tgt[PythonResolveField].normalized_value(python_setup)
        resolve_platforms[resolve].add(target_settings.platform)
    resolve_custom_platforms: defaultdict[str, set[str]] = defaultdict(set)
    for tgt, addresses in zip(custom, custom_platform_addresses):
        resolve = tgt[PythonResolveField].normalized_value(python_setup)
        resolve_custom_platforms[resolve].update(address.spec for address in addresses)

    python_universe = {
        *python_setup.interpreter_versions_universe,
        *("{}.{}".format(*runtime.python_version) for runtime in LambdaRuntime),
    }

    def request_for(resolve: str) -> GenerateLockfile:
        requirements = PexRequirements.req_strings_from_requirement_fields(
            requirement_fields[resolve]
        )
        interpreter_constraints = InterpreterConstraints(
            python_setup.resolves_to_interpreter_constraints.get(
                resolve, python_setup.interpreter_constraints
            )
        )
        lockfile_dest = python_setup.resolves[resolve]
        if not (resolve_platforms[resolve] or resolve_custom_platforms[resolve]):
            return GeneratePythonLockfile(
                requirements=requirements,
                interpreter_constraints=interpreter_constraints,
                resolve_name=resolve,
                lockfile_dest=lockfile_dest,
                diff=False,
            )
        python_versions = interpreter_constraints.partition_into_major_minor_versions(
            sorted(python_universe)
        )
        return GenerateLambdaLockfile(
            requirements=requirements,
            interpreter_constraints=interpreter_constraints,
            platforms=tuple(sorted(resolve_platforms[resolve], key=str)),
            dev_platforms=dev_host_platforms(python_versions, tuple(lambda_subsystem.dev_hosts)),
            complete_platform_addresses=tuple(sorted(resolve_custom_platforms[resolve])),
            resolve_name=resolve,
            lockfile_dest=lockfile_dest,
            diff=False,
        )

    return UserGenerateLockfiles(request_for(resolve) for resolve in requested)


_PINS_FILE = "__lambda_unified_versions.txt"


@dataclass(frozen=True)
class _PexLockRequest:
    request: GenerateLambdaLockfile
    # `name==version` constraints that make the platforms agree.
    pins: tuple[str, ...]


@dataclass(frozen=True)
class _PexLock:
    exit_code: int
    stderr: str
    lock: bytes


@rule(desc="Run Pex to lock a Lambda resolve", level=LogLevel.DEBUG)
async def run_pex_lock(
    lock_request: _PexLockRequest, python_setup: PythonSetup, pex_env: PexEnvironment
) -> _PexLock:
    request, pins = lock_request.request, lock_request.pins
    pip_setup = await setup_pip_args_and_constraints_file(request.resolve_name)
    generated_platforms = await MultiGet(
        Get(CompletePlatforms, LambdaPlatform, lambda_platform)
        for lambda_platform in request.platforms
    )
    dev_platforms = await MultiGet(
        Get(CompletePlatforms, DevHostPlatform, dev_platform)
        for dev_platform in request.dev_platforms
    )
    custom_platforms = await Get(
        CompletePlatforms,
        UnparsedAddressInputs(
            request.complete_platform_addresses,
            owning_address=None,
            description_of_origin=f"`complete_platforms` of lambdas in {request.resolve_name}",
        ),
    )
    complete_platforms = (*generated_platforms, *dev_platforms, custom_platforms)
    pins_digest = await Get(
        Digest,
        CreateDigest([FileContent(_PINS_FILE, "".join(f"{pin}\n" for pin in pins).encode())]),
    )
    input_digest = await Get(
        Digest,
        MergeDigests([pip_setup.digest, pins_digest, *(cp.digest for cp in complete_platforms)]),
    )
    platform_args = [arg for cp in complete_platforms for arg in cp.generate_pex_arg_list()]
    result = await Get(
        FallibleProcessResult,
        PexCliProcess(
            subcommand=("lock", "create"),
            extra_args=(
                "--output=lock.json",
                "--no-emit-warnings",
                # One locked resolve per platform, each at the newest versions it allows.
                "--style=strict",
                # A wheel for the platform where one exists, else the sdist (see `sdists`).
                "--prefer-binary",
                "--pip-version",
                python_setup.pip_version.value,
                "--resolver-version",
                "pip-2020-resolver",
                "--indent=2",
                # Hash wheels from the index's metadata instead of downloading every platform's,
                # and resolve the platforms at once: the resolves wait on the index, not the CPU.
                "--avoid-downloads",
                f"--jobs={len(complete_platforms)}",
                *pip_setup.args,
                *pex_root_args(pex_env),
                *platform_args,
                f"--constraints={_PINS_FILE}",
                # A pinned version without a wheel for a platform fails, rather than its sdist.
                *(f"--only-wheel={pin.split('==')[0]}" for pin in pins),
                *request.requirements,
            ),
            additional_input_digest=input_digest,
            output_files=("lock.json",),
            description=(
                (f"Lock ({len(pins)} versions unified) " if pins else "Lock ")
                + f"{request.resolve_name} for "
                + ", ".join([*map(str, request.platforms), *request.complete_platform_addresses])
                + (
                    f" and {len(request.dev_platforms)} developer host platforms"
                    if request.dev_platforms
                    else ""
                )
            ),
            # As for the Python backend: always lock against the index as it is now.
            cache_scope=ProcessCacheScope.PER_SESSION,
        ),
    )
    lock = b""
    if result.exit_code == 0:
        lock = (await Get(DigestContents, Digest, result.output_digest))[0].content
    return _PexLock(result.exit_code, result.stderr.decode(errors="replace"), lock)


@rule(desc="Generate Lambda platform lockfile", level=LogLevel.DEBUG)
async def generate_lambda_lockfile(
    request: GenerateLambdaLockfile,
    generate_lockfiles_subsystem: GenerateLockfilesSubsystem,
    lambda_subsystem: LambdaSubsystem,
) -> GenerateLockfileResult:
    pip_setup = await setup_pip_args_and_constraints_file(request.resolve_name)
    platform_names = {
        **{p.most_specific_tag: str(p) for p in request.platforms},
        **{p.most_specific_tag: str(p) for p in request.dev_platforms},
    }
    newest = await Get(_PexLock, _PexLockRequest(request, ()))
    if newest.exit_code != 0:
        unlockable = unlockable_requirements(newest.stderr, frozenset(platform_names))
        probes = await MultiGet(
            Get(NewestArtifacts, ProbeNewestArtifactsRequest(requirement, request.resolve_name))
            for requirement in sorted({u.requirement for u in unlockable})
        )
        raise LambdaLockfileGenerationError(
            describe_lock_failure(
                request.resolve_name,
                newest.stderr,
                platform_names,
                newest_artifacts={probe.requirement: probe.summary for probe in probes},
            )
        )
    pins = (
        unifying_pins(json.loads(newest.lock))
        if lambda_subsystem.lock_versions == LockVersions.shared
        else ()
    )
    # A pin that some platform has no wheel for stays split; the rest are locked again.
    unified = await Get(_PexLock, _PexLockRequest(request, pins)) if pins else newest
    failed = (
        failed_pins(unified.stderr, pins, frozenset(platform_names))
        if unified.exit_code != 0
        else ()
    )
    if failed:
        kept = tuple(pin for pin in pins if pin not in {u.requirement for u in failed})
        unified = await Get(_PexLock, _PexLockRequest(request, kept)) if kept else newest
    if unified.exit_code != 0:
        logger.debug(f"Locking {request.resolve_name} with {', '.join(pins)}:\n{unified.stderr}")
    locked = unified if unified.exit_code == 0 else newest
    splits = split_lines(json.loads(locked.lock), platform_names)
    if splits:
        why = (
            "".join(
                f" `{u.requirement}` has no wheel for "
                f"{platform_names.get(u.platform_tag or '', 'one of them')}."
                for u in failed
            )
            or (
                " locking them pinned to their oldest versions failed, so every platform has its"
                f" newest (`-ldebug` shows Pex's error): {', '.join(pins)}."
                if unified.exit_code != 0
                else " they came out so once the others were pinned."
            )
            if pins
            else f' `[lambda].lock_versions` is "{LockVersions.newest_per_platform.value}".'
        )
        logger.warning(
            softwrap(
                f"""
                The lockfile of `{request.resolve_name}` holds these distributions at different
                versions on different platforms:{why}
                """
            )
            + "".join(f"\n  {split}" for split in splits)
        )

    await Get(
        LockedSdistsChecked,
        CheckLockedSdistsRequest(request.resolve_name, locked.lock.decode()),
    )
    metadata = PythonLockfileMetadata.new(
        valid_for_interpreter_constraints=request.interpreter_constraints,
        requirements={
            PipRequirement.parse(
                requirement,
                description_of_origin=(
                    f"the lockfile {request.lockfile_dest} for the resolve {request.resolve_name}"
                ),
            )
            for requirement in request.requirements
        },
        manylinux=pip_setup.resolve_config.manylinux,
        requirement_constraints=(
            set(pip_setup.resolve_config.constraints_file.constraints)
            if pip_setup.resolve_config.constraints_file
            else set()
        ),
        only_binary=set(pip_setup.resolve_config.only_binary),
        no_binary=set(pip_setup.resolve_config.no_binary),
    )
    lockfile = metadata.add_header_to_lockfile(
        locked.lock,
        regenerate_command=(
            generate_lockfiles_subsystem.custom_command
            or f"{bin_name()} generate-lockfiles --resolve={request.resolve_name}"
        ),
        delimeter="//",
    )
    digest = await Get(Digest, CreateDigest([FileContent(request.lockfile_dest, lockfile)]))
    diff = None
    if request.diff:
        old = await Get(DigestContents, PathGlobs([request.lockfile_dest]))
        diff = LockfileDiff.create(
            path=request.lockfile_dest,
            resolve_name=request.resolve_name,
            old=_locked_packages(old[0].content if old else b"", platform_names),
            new=_locked_packages(locked.lock, platform_names),
        )
    return GenerateLockfileResult(digest, request.resolve_name, request.lockfile_dest, diff)


def _locked_packages(lockfile: bytes, platform_names: dict[str, str]) -> LockfilePackages:
    """The packages of a lockfile, for `--diff`; none if it is missing or not a Pex lock."""
    try:
        versions = locked_versions(read_lock(lockfile.decode()), platform_names)
    except (ValueError, KeyError, TypeError):
        return LockfilePackages({})
    return LockfilePackages(
        {
            PackageName(name): PythonRequirementVersion.parse(version)
            for name, version in versions.items()
        }
    )


def rules():
    return (
        *collect_rules(),
        *platform.rules(),
        *sdists.rules(),
        *subsystem.rules(),
        UnionRule(KnownUserResolveNamesRequest, KnownLambdaAwareResolveNamesRequest),
        UnionRule(RequestedUserResolveNames, RequestedLambdaAwareResolveNames),
        UnionRule(GenerateLockfile, GenerateLambdaLockfile),
    )
