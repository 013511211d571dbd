"""Check, when a resolve is locked, that each sdist it takes builds into a pure-Python wheel.

Each sdist is built once on this host (see `install.build_sdist`). A pure-Python wheel serves
every Lambda platform of the resolve; a wheel with native code fails the lock, naming every
platform whose locked resolve takes the sdist and every lambda that builds for it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from pants.backend.python.subsystems.setup import PythonSetup
from pants.backend.python.target_types import PythonResolveField
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.engine.target import AllTargets
from pants.util.docutil import bin_name
from pants.util.frozendict import FrozenDict

from aws_lambda import subsystem
from aws_lambda.pex_lock import NativeSdist, describe_native_sdists, locked_sdists, read_lock
from aws_lambda.subsystem import LambdaSettings, LambdaSettingsRequest
from aws_lambda.target_types import LambdaRuntimeField
from aws_lambda.util_rules import install
from aws_lambda.util_rules.install import BuildSdistRequest, BuiltSdist


class NativeSdistError(Exception):
    pass


@dataclass(frozen=True)
class CheckLockedSdistsRequest:
    resolve: str
    lock: str


@dataclass(frozen=True)
class LockedSdistsChecked:
    pass


@dataclass(frozen=True)
class _LambdasByPlatformRequest:
    resolve: str


@dataclass(frozen=True)
class _LambdasByPlatform:
    """The lambdas of a resolve, by the tag of their platform, and those platforms' names."""

    lambdas: FrozenDict[str, tuple[str, ...]]
    platform_names: FrozenDict[str, str]


@rule
async def find_lambdas_by_platform(
    request: _LambdasByPlatformRequest, all_targets: AllTargets, python_setup: PythonSetup
) -> _LambdasByPlatform:
    lambdas = [
        tgt
        for tgt in all_targets
        if tgt.has_fields((LambdaRuntimeField, PythonResolveField))
        and tgt[PythonResolveField].normalized_value(python_setup) == request.resolve
    ]
    settings = await MultiGet(
        Get(LambdaSettings, LambdaSettingsRequest, LambdaSettingsRequest.for_target(tgt))
        for tgt in lambdas
    )
    by_tag = defaultdict(list)
    for tgt, target_settings in zip(lambdas, settings):
        by_tag[target_settings.platform.most_specific_tag].append(tgt.address.spec)
    return _LambdasByPlatform(
        FrozenDict({tag: tuple(sorted(specs)) for tag, specs in by_tag.items()}),
        FrozenDict({s.platform.most_specific_tag: str(s.platform) for s in settings}),
    )


@rule
async def check_locked_sdists(request: CheckLockedSdistsRequest) -> LockedSdistsChecked:
    by_platform = locked_sdists(read_lock(request.lock))
    sdists = sorted({sdist for platform in by_platform.values() for sdist in platform}, key=str)
    built = await MultiGet(
        Get(BuiltSdist, BuildSdistRequest(sdist, request.resolve)) for sdist in sdists
    )
    native = [b for b in built if not b.is_pure_python]
    if not native:
        return LockedSdistsChecked()
    lambdas = await Get(_LambdasByPlatform, _LambdasByPlatformRequest(request.resolve))
    natives = [
        NativeSdist(
            b.artifact,
            b.wheel_tags,
            tuple(
                (lambdas.platform_names.get(tag, tag), lambdas.lambdas.get(tag, ()))
                for tag, platform_sdists in sorted(by_platform.items())
                if b.artifact in platform_sdists
            ),
        )
        for b in native
    ]
    raise NativeSdistError(
        describe_native_sdists(
            request.resolve, natives, f"{bin_name()} generate-lockfiles --resolve={request.resolve}"
        )
    )


def rules():
    return (*collect_rules(), *install.rules(), *subsystem.rules())
