"""Turn a target's `runtime` and `architecture` into the PEX complete platform to build for."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from pants.backend.python.util_rules.interpreter_constraints import InterpreterConstraints
from pants.backend.python.util_rules.pex import CompletePlatforms
from pants.backend.python.util_rules.pex_environment import PythonExecutable
from pants.engine.fs import CreateDigest, Digest, FileContent
from pants.engine.process import ProcessExecutionFailure
from pants.engine.rules import Get, collect_rules, rule
from pants.util.docutil import bin_name
from pants.util.strutil import softwrap

from aws_lambda.runtimes import (
    Architecture,
    LambdaRuntime,
    UnknownArchitectureError,
    UnknownRuntimeError,
    architecture_for,
    complete_platform_json,
    manylinux_platform_tags,
    runtime_for,
)
from aws_lambda.subsystem import LambdaSubsystem


class InvalidLambdaPlatformError(ValueError):
    pass


class RuntimeInterpreterNotFoundError(Exception):
    pass


@dataclass(frozen=True)
class LambdaPlatform:
    """One (runtime, architecture) pair that Lambda runs code on."""

    runtime: LambdaRuntime
    architecture: Architecture

    def __str__(self) -> str:
        return f"{self.runtime.name} {self.architecture.lambda_name}"

    @property
    def most_specific_tag(self) -> str:
        """The tag Pex names this platform by, e.g. `cp311-cp311-manylinux_2_26_x86_64`."""
        abi = self.runtime.cpython_tag
        newest_platform_tag = manylinux_platform_tags(
            self.runtime.glibc_version, self.architecture.machine
        )[0]
        return f"{abi}-{abi}-{newest_platform_tag}"

    @property
    def complete_platform_path(self) -> str:
        return f"__lambda_platforms/{self.runtime.name}-{self.architecture.lambda_name}.json"


@dataclass(frozen=True)
class LambdaPlatformRequest:
    """A raw `runtime` and `architecture`; `None` means the `[lambda]` default."""

    runtime: Optional[str]
    architecture: Optional[str]
    description_of_origin: str


@rule
async def resolve_lambda_platform(
    request: LambdaPlatformRequest, lambda_subsystem: LambdaSubsystem
) -> LambdaPlatform:
    runtime_name = request.runtime or lambda_subsystem.runtime
    architecture_name = request.architecture or lambda_subsystem.architecture
    try:
        return LambdaPlatform(runtime_for(runtime_name), architecture_for(architecture_name))
    except (UnknownRuntimeError, UnknownArchitectureError) as e:
        raise InvalidLambdaPlatformError(
            f"Invalid Lambda platform for {request.description_of_origin}: {e} "
            "Set `runtime` and `architecture` on the target, or fix the defaults "
            "`[lambda].runtime` and `[lambda].architecture` in pants.toml."
        ) from e


@dataclass(frozen=True)
class RuntimeInterpreterRequest:
    """A local CPython of exactly `python_version`, which `need` says what for.

    `need` ends where the version would follow, e.g. "src:fn runs on python3.11, which needs";
    `alternative` is appended to the fix, e.g. ", or set `compile_bytecode=False`".
    """

    python_version: tuple[int, int]
    need: str
    alternative: str = ""


@rule
async def find_runtime_interpreter(request: RuntimeInterpreterRequest) -> PythonExecutable:
    version = "{}.{}".format(*request.python_version)
    try:
        return await Get(PythonExecutable, InterpreterConstraints([f"CPython=={version}.*"]))
    except ProcessExecutionFailure as e:
        raise RuntimeInterpreterNotFoundError(
            softwrap(
                f"""
                {request.need} a CPython {version} on this machine, and none was found on
                `[python-bootstrap].search_path` (`{bin_name()} help-advanced python-bootstrap`
                says where it looks). Install one (e.g. `pyenv install {version}`)
                {request.alternative}. Another version is never used instead.
                """
            )
        ) from e


@rule
async def generate_complete_platform(platform: LambdaPlatform) -> CompletePlatforms:
    path = platform.complete_platform_path
    content = complete_platform_json(platform.runtime, platform.architecture).encode()
    digest = await Get(Digest, CreateDigest([FileContent(path, content)]))
    return CompletePlatforms([path], digest=digest)


def rules():
    return (*collect_rules(), *LambdaSubsystem.rules())
