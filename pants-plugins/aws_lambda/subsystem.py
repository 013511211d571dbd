"""The `[lambda]` subsystem: repository-wide defaults for Lambda targets."""

from __future__ import annotations

from enum import Enum

from pants.option.option_types import BoolOption, EnumOption, StrOption
from pants.option.subsystem import Subsystem
from pants.util.strutil import softwrap

from aws_lambda.runtimes import ARCHITECTURES, RUNTIMES


class RuntimeProvided(Enum):
    """What to do with the distributions every Lambda Python runtime already ships."""

    include = "include"
    exclude = "exclude"


_RUNTIME_NAMES = ", ".join(runtime.name for runtime in RUNTIMES)
_ARCHITECTURE_NAMES = ", ".join(arch.lambda_name for arch in ARCHITECTURES)


class LambdaSubsystem(Subsystem):
    options_scope = "lambda"
    help = "Defaults for `lambda_function` and `lambda_layer` targets."

    runtime = StrOption(
        default="python3.12",
        help=softwrap(
            f"""
            The AWS Lambda runtime that `lambda_function` and `lambda_layer` targets use when
            they do not set `runtime` themselves. One of: {_RUNTIME_NAMES}.
            """
        ),
    )
    architecture = StrOption(
        default="x86_64",
        help=softwrap(
            f"""
            The AWS Lambda instruction set architecture that `lambda_function` and
            `lambda_layer` targets use when they do not set `architecture` themselves. One of:
            {_ARCHITECTURE_NAMES}.
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
            Whether Lambda targets that do not set `compile_bytecode` themselves ship
            unchecked-hash bytecode for their runtime, compiled by a local CPython of the
            runtime's version, so that cold starts do not compile every imported module again.
            """
        ),
    )
