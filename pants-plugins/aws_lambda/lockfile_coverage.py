"""Fail early, and say what to run, when a lambda's platform was added after locking."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from pants.backend.python.subsystems.setup import PythonSetup
from pants.engine.fs import DigestContents, PathGlobs
from pants.engine.rules import Get, collect_rules, rule
from pants.util.docutil import bin_name
from pants.util.strutil import softwrap

from aws_lambda.pex_lock import locked_platform_tags
from aws_lambda.platform_rules import LambdaPlatform


class LambdaLockfileStaleError(Exception):
    pass


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
    tags = locked_platform_tags(contents[0].content.decode()) if contents else None
    return LockedPlatforms(lockfile_path, tags)


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


def rules():
    return collect_rules()
