"""The `lambda_function` target and its fields."""

from __future__ import annotations

import os
from typing import Callable, Optional

from pants.backend.python.target_types import PexCompletePlatformsField, PythonResolveField
from pants.core.goals.package import OutputPathField
from pants.engine.addresses import Address
from pants.engine.target import (
    COMMON_TARGET_FIELDS,
    AsyncFieldMixin,
    Dependencies,
    InvalidFieldException,
    SecondaryOwnerMixin,
    StringField,
    Target,
)
from pants.source.filespec import Filespec
from pants.util.docutil import bin_name
from pants.util.strutil import help_text

from aws_lambda.handler import InvalidHandlerError, parse_handler
from aws_lambda.runtimes import (
    ARCHITECTURES,
    RUNTIMES,
    UnknownArchitectureError,
    UnknownRuntimeError,
    architecture_for,
    runtime_for,
)


def _validate(alias: str, address: Address, check: Callable[[str], object], value: str) -> None:
    """Run one of the pure modules' checks on `value`, naming the field and target if it fails."""
    try:
        check(value)
    except (InvalidHandlerError, UnknownRuntimeError, UnknownArchitectureError) as e:
        raise InvalidFieldException(
            f"The `{alias}` field of the target {address} is invalid: {e}"
        ) from e


class LambdaHandlerField(StringField, AsyncFieldMixin, SecondaryOwnerMixin):
    alias = "handler"
    required = True
    value: str
    help = help_text(
        """
        The function AWS Lambda calls, as `file.py:func` or `dotted.module:func`.

        A file path is relative to this BUILD file, e.g. `handler="handler.py:handler"`; a
        module is its import path from the source root, e.g. `handler="echo.handler:handler"`.
        The module's owning `python_source` becomes a dependency of this target automatically,
        and packaging checks, without importing it, that the module defines `func` at top level.
        """
    )

    @classmethod
    def compute_value(cls, raw_value: Optional[str], address: Address) -> str:
        value = super().compute_value(raw_value, address)
        assert value is not None
        _validate(cls.alias, address, parse_handler, value)
        return value

    @property
    def filespec(self) -> Filespec:
        spec = parse_handler(self.value)
        if not spec.is_file:
            return {"includes": []}
        return {"includes": [os.path.join(self.address.spec_path, spec.module_or_file)]}


class LambdaRuntimeField(StringField):
    alias = "runtime"
    help = help_text(
        f"""
        The AWS Lambda Python runtime to build for, e.g. `runtime="python3.12"`.

        One of: {', '.join(runtime.name for runtime in RUNTIMES)}. It decides the Python version
        and the glibc version whose wheels go into the zip. Defaults to `[lambda].runtime`.
        """
    )

    @classmethod
    def compute_value(cls, raw_value: Optional[str], address: Address) -> Optional[str]:
        value = super().compute_value(raw_value, address)
        if value is not None:
            _validate(cls.alias, address, runtime_for, value)
        return value


class LambdaArchitectureField(StringField):
    alias = "architecture"
    help = help_text(
        f"""
        The AWS Lambda instruction set architecture to build for, e.g. `architecture="arm64"`.

        One of: {', '.join(arch.lambda_name for arch in ARCHITECTURES)}. Native extensions in the
        zip are built for this CPU. Defaults to `[lambda].architecture`.
        """
    )

    @classmethod
    def compute_value(cls, raw_value: Optional[str], address: Address) -> Optional[str]:
        value = super().compute_value(raw_value, address)
        if value is not None:
            _validate(cls.alias, address, architecture_for, value)
        return value


class LambdaCompletePlatformsField(PexCompletePlatformsField):
    help = help_text(
        f"""
        Optional `file` targets holding your own PEX complete platform JSON, to use instead of
        the one generated from `runtime` and `architecture`.

        Most repositories never need this. Run `{bin_name()} lambda-platform
        --runtime=python3.12 --architecture=arm64` to see what is generated, and compare it
        with `pex3 interpreter inspect --markers --tags` run inside the real runtime image.
        """
    )


class LambdaDependenciesField(Dependencies):
    supports_transitive_excludes = True


class LambdaFunctionTarget(Target):
    alias = "lambda_function"
    core_fields = (
        *COMMON_TARGET_FIELDS,
        LambdaHandlerField,
        LambdaRuntimeField,
        LambdaArchitectureField,
        LambdaCompletePlatformsField,
        LambdaDependenciesField,
        PythonResolveField,
        OutputPathField,
    )
    help = help_text(
        f"""
        An AWS Lambda function, packaged by `{bin_name()} package` as a Lambda-layout zip.

        The zip holds the handler module, every first-party module it imports (transitively),
        and the wheels of the third-party distributions they import, chosen for the exact
        runtime and architecture, all at the root of the zip. For example:

            lambda_function(
                name="echo",
                handler="handler.py:handler",
                runtime="python3.12",
                architecture="arm64",
            )
        """
    )


def target_types():
    return (LambdaFunctionTarget,)
