"""The `[lambda]` subsystem: repository-wide defaults for Lambda targets."""

from __future__ import annotations

from pants.option.option_types import StrOption
from pants.option.subsystem import Subsystem
from pants.util.strutil import softwrap

from aws_lambda.runtimes import ARCHITECTURES, RUNTIMES

_RUNTIME_NAMES = ", ".join(runtime.name for runtime in RUNTIMES)
_ARCHITECTURE_NAMES = ", ".join(arch.lambda_name for arch in ARCHITECTURES)


class LambdaSubsystem(Subsystem):
    options_scope = "lambda"
    help = "Defaults for `lambda_function` targets: the AWS Lambda runtime and architecture."

    runtime = StrOption(
        default="python3.12",
        help=softwrap(
            f"""
            The AWS Lambda runtime that `lambda_function` targets use when they do not set
            `runtime` themselves. One of: {_RUNTIME_NAMES}.
            """
        ),
    )
    architecture = StrOption(
        default="x86_64",
        help=softwrap(
            f"""
            The AWS Lambda instruction set architecture that `lambda_function` targets use when
            they do not set `architecture` themselves. One of: {_ARCHITECTURE_NAMES}.
            """
        ),
    )
