"""The complete platform a Lambda target builds for, and the local CPython of a runtime.

A target's platform is checked, before anything is resolved, against its interpreter
constraints and against the platforms its resolve's lockfile was generated for.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Optional

from pants.backend.python.subsystems.setup import PythonSetup
from pants.backend.python.target_types import PythonResolveField
from pants.backend.python.util_rules import pex_from_targets
from pants.backend.python.util_rules.interpreter_constraints import InterpreterConstraints
from pants.backend.python.util_rules.pex import CompletePlatforms
from pants.backend.python.util_rules.pex_environment import PexEnvironment, PythonExecutable
from pants.backend.python.util_rules.pex_from_targets import InterpreterConstraintsRequest
from pants.core.util_rules.adhoc_binaries import PythonBuildStandaloneBinary
from pants.engine.addresses import Address, UnparsedAddressInputs
from pants.engine.fs import CreateDigest, Digest, DigestContents, FileContent, PathGlobs
from pants.engine.process import Process, ProcessCacheScope, ProcessResult
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.engine.target import InvalidFieldException
from pants.util.docutil import bin_name
from pants.util.logging import LogLevel
from pants.util.strutil import softwrap

from aws_lambda.pex_lock import InvalidLockfileError, locked_platform_tags, read_lock
from aws_lambda.runtimes import LambdaPlatform, LambdaRuntime
from aws_lambda.target_types import LambdaCompletePlatformsField, LambdaRuntimeField


class RuntimeInterpreterNotFoundError(Exception):
    pass


class LambdaLockfileStaleError(Exception):
    pass


class LambdaLockfileDamagedError(Exception):
    pass


def restore_or_regenerate(lockfile_path: str, resolve: str) -> str:
    """How to get an intact lockfile back."""
    return (
        f"Restore it from version control (`git checkout -- {lockfile_path}`), or generate it "
        f"again: `{bin_name()} generate-lockfiles --resolve={resolve}`."
    )


@rule
async def generate_complete_platform(platform: LambdaPlatform) -> CompletePlatforms:
    path = f"__lambda_platforms/{platform.runtime}-{platform.architecture}.json"
    content = platform.complete_platform_json().encode()
    digest = await Get(Digest, CreateDigest([FileContent(path, content)]))
    return CompletePlatforms([path], digest=digest)


@dataclass(frozen=True)
class RuntimeInterpreterRequest:
    """A local CPython of exactly `python_version`, which `need` says what for.

    `need` ends where the version would follow, e.g. "src:fn runs on python3.11, which needs";
    `alternative` is appended to the fix, e.g. ", or set `compile_bytecode=False`".
    """

    python_version: tuple[int, int]
    need: str
    alternative: str = ""


# Prints "<implementation> <major.minor> <real path>" of the first `python<version>` in the
# folders given, in order, that runs (a pyenv shim of a version that is not selected does not).
_FIND_PYTHON = """\
import os, subprocess, sys
version, folders = sys.argv[1], sys.argv[2:]
identify = (
    "import os, sys; print(sys.implementation.name, '%d.%d' % sys.version_info[:2], "
    "os.path.realpath(sys.executable))"
)
for folder in folders:
    candidate = os.path.join(folder, "python" + version)
    if os.access(candidate, os.X_OK):
        found = subprocess.run([candidate, "-I", "-c", identify], capture_output=True, text=True)
        if found.returncode == 0 and found.stdout.split(" ")[:2] == ["cpython", version]:
            print(found.stdout.strip())
            break
"""


@rule
async def find_runtime_interpreter(
    request: RuntimeInterpreterRequest, pex_env: PexEnvironment, python: PythonBuildStandaloneBinary
) -> PythonExecutable:
    """The first `pythonX.Y` on `[python-bootstrap].search_path` that is CPython X.Y.

    One process under Pants' own interpreter for rule scripts, which runs the candidates until
    one is right, instead of Pex's discovery, which identifies every interpreter on the search
    path and, with a cold Pex cache, first unpacks Pex itself: the zips wait for this
    interpreter, so it is on every cold build's critical path. Like Pants' discovery, it runs
    once per Pants run, as its answer is a path on this machine.
    """
    version = "{}.{}".format(*request.python_version)
    result = await Get(
        ProcessResult,
        Process(
            argv=(
                python.path,
                "-I",
                "-c",
                _FIND_PYTHON,
                version,
                *pex_env.interpreter_search_paths,
            ),
            append_only_caches=python.APPEND_ONLY_CACHES,
            description=f"Find CPython {version} on [python-bootstrap].search_path",
            level=LogLevel.DEBUG,
            cache_scope=ProcessCacheScope.PER_RESTART_SUCCESSFUL,
        ),
    )
    for line in result.stdout.decode(errors="replace").splitlines():
        implementation, found_version, path = (line.split(" ", 2) + ["", ""])[:3]
        if (implementation, found_version) == ("cpython", version) and path.startswith("/"):
            fingerprint = hashlib.sha256(line.encode()).hexdigest()
            return PythonExecutable(path, fingerprint)
    raise RuntimeInterpreterNotFoundError(
        softwrap(
            f"""
            {request.need} a CPython {version} on this machine, and none was found on
            `[python-bootstrap].search_path` (`{bin_name()} help-advanced python-bootstrap`
            says where it looks). Install one (e.g. `pyenv install {version}`)
            {request.alternative}. Another version is never used instead.
            """
        )
    )


@dataclass(frozen=True)
class LockedPlatforms:
    """The platform tags a resolve's lockfile was locked for; `None` when it names none."""

    lockfile_path: Optional[str]
    tags: Optional[frozenset[str]]


@dataclass(frozen=True)
class LockedPlatformsRequest:
    resolve: str


@rule
async def read_locked_platforms(
    request: LockedPlatformsRequest, python_setup: PythonSetup
) -> LockedPlatforms:
    lockfile_path = python_setup.resolves.get(request.resolve)
    if not python_setup.enable_resolves or not lockfile_path:
        return LockedPlatforms(None, None)
    contents = await Get(DigestContents, PathGlobs([lockfile_path]))
    if not contents:
        return LockedPlatforms(lockfile_path, None)
    try:
        lock = read_lock(contents[0].content.decode())
    except (InvalidLockfileError, UnicodeDecodeError) as e:
        raise LambdaLockfileDamagedError(
            softwrap(
                f"""
                The lockfile {lockfile_path} of the resolve `{request.resolve}` is damaged:
                it is not valid JSON ({e}), so none of the resolve's lambdas can be built.
                {restore_or_regenerate(lockfile_path, request.resolve)}
                """
            )
        ) from e
    return LockedPlatforms(lockfile_path, locked_platform_tags(lock))


@dataclass(frozen=True)
class CheckLockfileCoversPlatformRequest:
    description_of_origin: str
    resolve: str
    platform: LambdaPlatform


@dataclass(frozen=True)
class LockfileCoversPlatform:
    pass


@rule
async def check_lockfile_covers_platform(
    request: CheckLockfileCoversPlatformRequest,
) -> LockfileCoversPlatform:
    # Read and parsed once per resolve, however many lambdas use it.
    locked = await Get(LockedPlatforms, LockedPlatformsRequest(request.resolve))
    tag = request.platform.most_specific_tag
    if locked.tags is None or tag in locked.tags:
        return LockfileCoversPlatform()
    raise LambdaLockfileStaleError(
        softwrap(
            f"""
            {request.description_of_origin} builds for {request.platform} ({tag}), but the
            lockfile {locked.lockfile_path} of the resolve `{request.resolve}` holds no wheels
            for that platform; it was locked for: {', '.join(sorted(locked.tags))}. Run
            `{bin_name()} generate-lockfiles` to lock it for every Lambda platform the
            resolve's lambdas use.
            """
        )
    )


@dataclass(frozen=True)
class TargetPlatformRequest:
    address: Address
    platform: LambdaPlatform
    complete_platforms: LambdaCompletePlatformsField
    resolve: PythonResolveField


@dataclass(frozen=True)
class TargetPlatform:
    """The Lambda platform of a target and the complete platforms that resolve for it."""

    platform: LambdaPlatform
    complete_platforms: CompletePlatforms
    description: str
    log_line: str


@rule
async def resolve_target_platform(
    request: TargetPlatformRequest, python_setup: PythonSetup
) -> TargetPlatform:
    platform = request.platform
    if request.complete_platforms.value:
        complete_platforms = await Get(
            CompletePlatforms,
            UnparsedAddressInputs,
            request.complete_platforms.to_unparsed_address_inputs(),
        )
        description = ", ".join(complete_platforms)
        return TargetPlatform(
            platform, complete_platforms, description, f"    Complete platforms: {description}"
        )

    complete_platforms, interpreter_constraints, _ = await MultiGet(
        Get(CompletePlatforms, LambdaPlatform, platform),
        Get(InterpreterConstraints, InterpreterConstraintsRequest([request.address])),
        Get(
            LockfileCoversPlatform,
            CheckLockfileCoversPlatformRequest(
                f"The target {request.address}",
                request.resolve.normalized_value(python_setup),
                platform,
            ),
        ),
    )
    _check_runtime_allowed(request.address, platform, interpreter_constraints, python_setup)
    return TargetPlatform(
        platform,
        complete_platforms,
        str(platform),
        f"    Runtime: {platform.runtime} ({platform.architecture})",
    )


def _check_runtime_allowed(
    address: Address,
    platform: LambdaPlatform,
    interpreter_constraints: InterpreterConstraints,
    python_setup: PythonSetup,
) -> None:
    def version(runtime: LambdaRuntime) -> str:
        return "{}.{}".format(*runtime.python_version)

    universe = {*python_setup.interpreter_versions_universe, *map(version, LambdaRuntime)}
    allowed = interpreter_constraints.partition_into_major_minor_versions(sorted(universe))
    if version(platform.runtime) in allowed:
        return
    allowed_runtimes = [str(runtime) for runtime in LambdaRuntime if version(runtime) in allowed]
    raise InvalidFieldException(
        softwrap(
            f"""
            The `{LambdaRuntimeField.alias}` of the target {address} is {platform.runtime},
            but its code's interpreter constraints ({interpreter_constraints}) do not allow
            Python {version(platform.runtime)}. Set `runtime` to one of:
            {', '.join(allowed_runtimes) or '(none)'}, or change the interpreter constraints of
            the code or its resolve.
            """
        )
    )


def rules():
    return (*collect_rules(), *pex_from_targets.rules())
