"""The `[lambda]` subsystem, and the one rule that applies its defaults to a target's own values."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Optional, Union

from pants.engine.rules import collect_rules, rule
from pants.engine.target import Target
from pants.option.option_types import BoolOption, EnumListOption, EnumOption, StrListOption
from pants.option.subsystem import Subsystem
from pants.util.strutil import softwrap

from aws_lambda.dev_hosts import DEFAULT_DEV_HOSTS, LINUX_GLIBC, MACOS_VERSION
from aws_lambda.runtimes import (
    LambdaArchitecture,
    LambdaPlatform,
    LambdaRuntime,
    architecture_for,
    runtime_for,
)
from aws_lambda.scripts.slim import SlimPatterns
from aws_lambda.target_types import (
    SOURCELESS,
    LambdaArchitectureField,
    LambdaCompileBytecodeField,
    LambdaRuntimeField,
    LambdaRuntimeProvidedField,
    LambdaSlimField,
    RuntimeProvided,
)


class LockVersions(Enum):
    """How `generate-lockfiles` picks versions across a resolve's platforms."""

    shared = "shared"
    newest_per_platform = "newest-per-platform"


class LambdaSubsystem(Subsystem):
    options_scope = "lambda"
    help = "Defaults for `lambda_function` and `lambda_layer` targets."

    runtime = EnumOption(
        default=LambdaRuntime.python3_12,
        help=softwrap(
            """
            The AWS Lambda runtime that `lambda_function` and `lambda_layer` targets use when
            they do not set `runtime` themselves.
            """
        ),
    )
    architecture = EnumOption(
        default=LambdaArchitecture.x86_64,
        help=softwrap(
            """
            The AWS Lambda instruction set architecture that `lambda_function` and
            `lambda_layer` targets use when they do not set `architecture` themselves.
            """
        ),
    )
    runtime_provided = EnumOption(
        default=RuntimeProvided.include,
        help=softwrap(
            """
            Whether Lambda targets that do not set `runtime_provided` themselves bundle `boto3`
            and its dependency closure (`include`), or leave them out because every Lambda
            Python runtime ships them (`exclude`). AWS recommends bundling your own SDK version;
            see the field's help for the trade-off.
            """
        ),
    )
    compile_bytecode = BoolOption(
        default=True,
        help=softwrap(
            """
            Whether Lambda targets that do not set `compile_bytecode` themselves ship bytecode
            for their runtime, compiled by a local CPython of the runtime's version, so that
            cold starts do not compile every imported module again: unchecked-hash for
            third-party code, checked-hash for first-party code, which may be edited in place.
            A target may also set `compile_bytecode="sourceless"`.
            """
        ),
    )
    slim = BoolOption(
        default=True,
        help=softwrap(
            """
            Whether Lambda targets that do not set `slim` themselves leave out of third-party
            distributions what no import needs at run time (see the `slim` field's help).
            """
        ),
    )
    slim_keep = StrListOption(
        help=softwrap(
            """
            `fnmatch` patterns of paths in Lambda zips (where `*` also matches `/`) that
            slimming keeps whatever its defaults say, e.g. `["pkg/tests/fixtures/*"]`, for
            files that code reads at run time without importing them. A target's `slim` field
            may add more.
            """
        ),
    )
    slim_drop = StrListOption(
        help=softwrap(
            """
            `fnmatch` patterns of paths in Lambda zips (where `*` also matches `/`) that
            slimming leaves out too, e.g. `["matplotlib/mpl-data/sample_data/*"]`. A module
            that a kept module imports stays all the same. A target's `slim` field may add more.
            """
        ),
    )
    dev_hosts = EnumListOption(
        default=list(DEFAULT_DEV_HOSTS),
        help=softwrap(
            f"""
            The developer hosts that a resolve used by lambdas is also locked for, in the same
            lockfile, so that `test` runs there: each is locked once per CPython minor version
            that the resolve's interpreter constraints allow. Linux hosts need glibc
            {'.'.join(map(str, LINUX_GLIBC))} or newer, macOS hosts macOS
            {'.'.join(map(str, MACOS_VERSION))} or newer. Lambda zips use only their own
            Lambda platform's locked resolve. Set to `[]` to lock for Lambda platforms only.
            """
        ),
    )
    lock_versions = EnumOption(
        default=LockVersions.shared,
        help=softwrap(
            """
            How `generate-lockfiles` picks the version of each distribution across a resolve's
            platforms, Lambda platforms and developer hosts alike. `shared`: one version for
            all of them, the newest that the most constrained platform has wheels for, so
            that what was tested is what runs; a distribution stays split only where that
            version has no wheel for some platform, and the goal lists every split.
            `newest-per-platform`: each platform gets the newest version it has wheels for.
            """
        ),
    )


@dataclass(frozen=True)
class LambdaSettingsRequest:
    """What a target (or a goal's options) sets itself; `None` takes the `[lambda]` default.

    The values are those of the fields, already checked against their `valid_choices`.
    """

    runtime: Optional[str] = None
    architecture: Optional[str] = None
    runtime_provided: Optional[str] = None
    compile_bytecode: Optional[Union[bool, str]] = None
    slim: Optional[Union[bool, SlimPatterns]] = None

    @classmethod
    def for_target(cls, target: Target) -> LambdaSettingsRequest:
        return cls(
            runtime=target[LambdaRuntimeField].value,
            architecture=target[LambdaArchitectureField].value,
            runtime_provided=target[LambdaRuntimeProvidedField].value,
            compile_bytecode=target[LambdaCompileBytecodeField].value,
            slim=target[LambdaSlimField].value,
        )


@dataclass(frozen=True)
class LambdaSettings:
    """A Lambda target's settings, from its fields or else from `[lambda]`."""

    platform: LambdaPlatform
    runtime_provided: RuntimeProvided
    compile_bytecode: bool
    sourceless: bool = False  # Third-party bytecode in place of the sources.
    slim: Optional[SlimPatterns] = SlimPatterns()  # None: no slimming.


class LambdaPlatformOptions:
    """`--runtime` and `--architecture`, for a goal about one Lambda platform."""

    runtime = EnumOption(
        default=None,
        enum_type=LambdaRuntime,
        help="The runtime, e.g. `python3.12`. Defaults to `[lambda].runtime`.",
    )
    architecture = EnumOption(
        default=None,
        enum_type=LambdaArchitecture,
        help="The architecture, e.g. `arm64`. Defaults to `[lambda].architecture`.",
    )

    @property
    def settings_request(self) -> LambdaSettingsRequest:
        runtime, architecture = self.runtime, self.architecture
        return LambdaSettingsRequest(
            runtime=runtime.value if runtime else None,
            architecture=architecture.value if architecture else None,
        )


@rule
def lambda_settings(request: LambdaSettingsRequest, subsystem: LambdaSubsystem) -> LambdaSettings:
    runtime = runtime_for(request.runtime) if request.runtime else subsystem.runtime
    architecture = (
        architecture_for(request.architecture) if request.architecture else subsystem.architecture
    )
    runtime_provided = (
        RuntimeProvided(request.runtime_provided)
        if request.runtime_provided
        else subsystem.runtime_provided
    )
    bytecode = (
        subsystem.compile_bytecode if request.compile_bytecode is None else request.compile_bytecode
    )
    slim = subsystem.slim if request.slim is None else request.slim
    patterns = SlimPatterns(tuple(subsystem.slim_keep), tuple(subsystem.slim_drop))
    if isinstance(slim, SlimPatterns):
        patterns = SlimPatterns(patterns.keep + slim.keep, patterns.drop + slim.drop)
    return LambdaSettings(
        LambdaPlatform(runtime, architecture),
        runtime_provided,
        compile_bytecode=bool(bytecode),
        sourceless=bytecode == SOURCELESS,
        slim=patterns if slim else None,
    )


def rules():
    return (*collect_rules(), *LambdaSubsystem.rules())
