"""The `lambda_function` and `lambda_layer` targets and their fields."""

from __future__ import annotations

from enum import Enum
from typing import Any, Callable, ClassVar, Optional, Union

from pants.backend.python.target_types import PexCompletePlatformsField, PythonResolveField
from pants.backend.python.util_rules.faas import PythonFaaSDependencies, PythonFaaSHandlerField
from pants.core.goals.package import OutputPathField
from pants.engine.addresses import Address
from pants.engine.target import (
    COMMON_TARGET_FIELDS,
    BoolField,
    Dependencies,
    Field,
    InvalidFieldException,
    SpecialCasedDependencies,
    StringField,
    Target,
)
from pants.util.docutil import bin_name
from pants.util.strutil import help_text

from aws_lambda.handler import InvalidHandlerError, parse_handler
from aws_lambda.runtimes import LambdaArchitecture, LambdaRuntime
from aws_lambda.scripts.slim import SlimPatterns
from aws_lambda.sizes import UNZIPPED_LIMIT, InvalidSizeError, format_size, parse_size


class RuntimeProvided(Enum):
    """What to do with the distributions every Lambda Python runtime already ships."""

    include = "include"
    exclude = "exclude"


MAX_LAYERS = 5


def _validate(alias: str, address: Address, check: Callable[[str], object], value: str) -> None:
    """Run one of the pure modules' checks on `value`, naming the field and target if it fails."""
    try:
        check(value)
    except (InvalidHandlerError, InvalidSizeError) as e:
        raise InvalidFieldException(
            f"The `{alias}` field of the target {address} is invalid: {e}"
        ) from e


class LambdaHandlerField(PythonFaaSHandlerField):
    help = help_text(
        """
        The function AWS Lambda calls, as `file.py:func` or `dotted.module:func`.

        A file path is relative to this BUILD file, e.g. `handler="handler.py:handler"`; a
        module is its import path from the source root, e.g. `handler="echo.handler:handler"`.
        The module's owning `python_source` becomes a dependency of this target automatically
        (unless `[python-infer].entry_points` is off), and packaging checks, without importing
        it, that the module defines `func` at top level.
        """
    )

    @classmethod
    def compute_value(cls, raw_value: Optional[str], address: Address) -> str:
        if isinstance(raw_value, str):
            _validate(cls.alias, address, parse_handler, raw_value)
        return super().compute_value(raw_value, address)


class LambdaRuntimeField(StringField):
    alias = "runtime"
    valid_choices = LambdaRuntime
    help = help_text(
        """
        The AWS Lambda Python runtime to build for, e.g. `runtime="python3.12"`.

        It decides the Python version and the glibc version whose wheels go into the zip.
        Defaults to `[lambda].runtime`. A runtime that AWS has deprecated packages with a
        warning; one whose functions AWS no longer lets anyone update is an error.
        """
    )


class LambdaArchitectureField(StringField):
    alias = "architecture"
    valid_choices = LambdaArchitecture
    help = help_text(
        """
        The AWS Lambda instruction set architecture to build for, e.g. `architecture="arm64"`.

        Native extensions in the zip are built for this CPU. Defaults to `[lambda].architecture`.
        """
    )


class LambdaCompletePlatformsField(PexCompletePlatformsField):
    help = help_text(
        f"""
        Optional `file` targets holding your own PEX complete platform JSON, to use instead of
        the one generated from `runtime` and `architecture`.

        Set `runtime` and `architecture` to what these platforms describe too: they are what
        Lambda is configured with, and the zip is verified against them.

        Most repositories never need this. Run `{bin_name()} lambda-platform
        --runtime=python3.12 --architecture=arm64` to see what is generated, and compare it
        with `pex3 interpreter inspect --markers --tags` run inside the real runtime image.
        """
    )


class LambdaRuntimeProvidedField(StringField):
    alias = "runtime_provided"
    valid_choices = RuntimeProvided
    help = help_text(
        """
        Whether to bundle `boto3` and everything it depends on (`botocore`, `s3transfer`,
        `jmespath`, `python-dateutil`, `six`, `urllib3`), or to leave them out because every
        Lambda Python runtime already ships them.

        `"include"` bundles your locked versions: what you tested is what runs, which is what
        AWS recommends. `"exclude"` saves about 25 MB unzipped and speeds up cold starts, but
        your code then runs against whatever SDK version the runtime has that day. The closure
        is read from the resolved distributions' metadata, so nothing else is left out.
        Defaults to `[lambda].runtime_provided`.
        """
    )


class LambdaMaxUnzippedSizeField(Field):
    alias = "max_unzipped_size"
    default: ClassVar[Optional[int]] = None
    value: Optional[int]
    help = help_text(
        f"""
        A size budget tighter than Lambda's own {format_size(UNZIPPED_LIMIT)}, e.g.
        `max_unzipped_size="100MB"`; packaging fails when the zip (plus, for a function, all its
        layers) is larger once extracted.

        A number of bytes, or a number with a unit: B, KB, MB or GB. Units are binary, as AWS
        counts them: 1 MB is 1,048,576 bytes.
        """
    )

    @classmethod
    def compute_value(cls, raw_value: Optional[Union[int, str]], address: Address) -> Optional[int]:
        value: Any = super().compute_value(raw_value, address)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise InvalidFieldException(
                f"The `{cls.alias}` field of the target {address} must be a size such as "
                f"'200MB' or a number of bytes, but was {value!r}."
            )
        size = value if isinstance(value, int) else _parsed(cls.alias, address, value)
        if not 0 < size <= UNZIPPED_LIMIT:
            raise InvalidFieldException(
                f"The `{cls.alias}` field of the target {address} is {format_size(size)}; it must "
                f"be more than 0 and at most Lambda's own limit, {format_size(UNZIPPED_LIMIT)}."
            )
        return size


def _parsed(alias: str, address: Address, text: str) -> int:
    _validate(alias, address, parse_size, text)
    return parse_size(text)


SOURCELESS = "sourceless"


class LambdaCompileBytecodeField(Field):
    alias = "compile_bytecode"
    default: ClassVar[Optional[Union[bool, str]]] = None
    value: Optional[Union[bool, str]]
    help = help_text(
        f"""
        Whether to ship bytecode compiled by a local CPython of exactly the runtime's version:
        `True`, `False`, or `"{SOURCELESS}"`.

        Lambda's code folders are read-only, so without it every cold start compiles each
        imported module again; with it, imports only load bytecode. With `True`, every `.py`
        file gets its `__pycache__/*.pyc` beside it: PEP 552 hash-based, valid whatever
        timestamps extraction gives the sources, and reproducible. Third-party bytecode is
        unchecked-hash, which Python loads without reading the source; first-party bytecode is
        checked-hash, so that an edit to a handler in the Lambda console's code editor takes
        effect. `"{SOURCELESS}"` puts third-party bytecode in place of its sources instead, for
        a smaller zip whose tracebacks show third-party file names and line numbers, but not the
        source lines; first-party code keeps its sources. Bytecode makes the zip larger.
        Defaults to `[lambda].compile_bytecode`.
        """
    )

    @classmethod
    def compute_value(
        cls, raw_value: Optional[Union[bool, str]], address: Address
    ) -> Optional[Union[bool, str]]:
        value = super().compute_value(raw_value, address)
        if value is None or isinstance(value, bool) or value == SOURCELESS:
            return value
        raise InvalidFieldException(
            f"The `{cls.alias}` field of the target {address} must be `True`, `False` or "
            f'`"{SOURCELESS}"`, but was {value!r}.'
        )


class LambdaSlimField(Field):
    alias = "slim"
    default: ClassVar[Optional[Union[bool, SlimPatterns]]] = None
    value: Optional[Union[bool, SlimPatterns]]
    help = help_text(
        """
        Whether to leave out of third-party distributions what no import needs at run time:
        test folders inside packages, type stubs, bytecode the distribution shipped, console
        scripts, C and Cython sources, the headers of `include/` folders, and the `.dist-info`
        files that `importlib.metadata` does not read. Native code is never touched, and a
        module that a kept module imports stays.

        `True`, `False`, or the patterns to use on top of `[lambda].slim_keep` and
        `[lambda].slim_drop`, e.g. `slim={"keep": ["pkg/tests/fixtures/*"], "drop":
        ["matplotlib/mpl-data/sample_data/*"]}`. Patterns are `fnmatch` patterns of paths in
        the zip (for a layer, below its `python/`), where `*` also matches `/`. `keep` covers what a
        module reads at run time without importing it. Defaults to `[lambda].slim`.
        """
    )

    @classmethod
    def compute_value(
        cls, raw_value: Optional[Union[bool, dict[str, Any]]], address: Address
    ) -> Optional[Union[bool, SlimPatterns]]:
        value: Any = super().compute_value(raw_value, address)
        if value is None or isinstance(value, bool):
            return value
        example = '`slim={"keep": ["pkg/tests/data/*"], "drop": []}`'
        if not isinstance(value, dict) or not set(value) <= {"keep", "drop"}:
            raise InvalidFieldException(
                f"The `{cls.alias}` field of the target {address} must be `True`, `False` or a "
                f"dict with the keys `keep` and `drop`, e.g. {example}, but was {value!r}."
            )
        for key, patterns in value.items():
            if not isinstance(patterns, (list, tuple)) or not all(
                isinstance(pattern, str) for pattern in patterns
            ):
                raise InvalidFieldException(
                    f"The `{key}` patterns of the `{cls.alias}` field of the target {address} "
                    f"must be a list of strings, e.g. {example}, but were {patterns!r}."
                )
        return SlimPatterns(tuple(value.get("keep", ())), tuple(value.get("drop", ())))


class LambdaLayersField(SpecialCasedDependencies):
    alias = "layers"
    help = help_text(
        f"""
        Up to {MAX_LAYERS} `lambda_layer` targets this function runs with, e.g.
        `layers=["src/python/layers:scientific"]`.

        Every third-party distribution that a layer provides in the same version, and every
        first-party file it provides, is left out of this function's zip. A distribution the
        function needs in another version than a layer provides is an error, as is a layer
        built for another `runtime` or `architecture`. The layers' unzipped size counts against
        this function's size budget.
        """
    )

    @classmethod
    def compute_value(cls, raw_value: Optional[Any], address: Address) -> Optional[tuple[str, ...]]:
        value = super().compute_value(raw_value, address)
        if value is not None and len(value) > MAX_LAYERS:
            raise InvalidFieldException(
                f"The `{cls.alias}` field of the target {address} names {len(value)} layers, but "
                f"a Lambda function can use at most {MAX_LAYERS}. Merge some of them into one "
                "`lambda_layer`."
            )
        return value


class LambdaCheckImportsField(BoolField):
    alias = "check_imports"
    default = True
    help = help_text(
        """
        Whether packaging checks that every absolute import in the function's first-party code
        resolves to a module in the zip, in its layers, in the runtime's standard library, or
        in what the runtime provides (`awslambdaric`, and `boto3` and its closure with
        `runtime_provided="exclude"`).

        Imports under a `try:` that catches `ImportError`, under an `if` on `TYPE_CHECKING`,
        `sys.version_info`, `sys.platform` or `os.name`, and imports marked
        `# pants: no-infer-dep` are not checked. Set it to false for a function whose imports
        are found only at run time.
        """
    )


class LambdaIncludeSourcesField(BoolField):
    alias = "include_sources"
    default = True
    help = help_text(
        """
        Whether the layer holds the first-party code among its `dependencies`, or only their
        third-party distributions.
        """
    )


class LambdaLayerDependenciesField(Dependencies):
    supports_transitive_excludes = True


# The fields of every Lambda zip, function or layer.
_PACKAGE_FIELDS = (
    *COMMON_TARGET_FIELDS,
    LambdaRuntimeField,
    LambdaArchitectureField,
    LambdaCompletePlatformsField,
    LambdaRuntimeProvidedField,
    LambdaCompileBytecodeField,
    LambdaSlimField,
    LambdaMaxUnzippedSizeField,
    PythonResolveField,
    OutputPathField,
)


class LambdaFunctionTarget(Target):
    alias = "lambda_function"
    core_fields = (
        *_PACKAGE_FIELDS,
        LambdaHandlerField,
        PythonFaaSDependencies,
        LambdaLayersField,
        LambdaCheckImportsField,
    )
    help = help_text(
        f"""
        An AWS Lambda function, packaged by `{bin_name()} package` as a Lambda-layout zip.

        The zip holds the handler module, every first-party module it imports (transitively),
        and the wheels of the third-party distributions they import, chosen for the exact
        runtime and architecture, all at the root of the zip, minus what its `layers` provide.
        A `<zip>.metadata.json` beside it gives its handler, runtime, sizes and `CodeSha256`.
        For example:

            lambda_function(
                name="echo",
                handler="handler.py:handler",
                runtime="python3.12",
                architecture="arm64",
            )
        """
    )


class LambdaLayerTarget(Target):
    alias = "lambda_layer"
    core_fields = (*_PACKAGE_FIELDS, LambdaLayerDependenciesField, LambdaIncludeSourcesField)
    help = help_text(
        f"""
        An AWS Lambda layer, packaged by `{bin_name()} package` as a zip with everything under
        `python/`, which Lambda extracts to `/opt/python`.

        It holds its `dependencies` and their closure: third-party distributions chosen for the
        exact runtime and architecture, and (with `include_sources`) first-party code. Functions
        that name it in their `layers` leave out what it provides. For example:

            lambda_layer(
                name="scientific",
                runtime="python3.12",
                dependencies=["3rdparty/python:reqs#matplotlib"],
            )
        """
    )


def target_types():
    return (LambdaFunctionTarget, LambdaLayerTarget)
