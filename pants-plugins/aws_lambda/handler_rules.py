"""Resolve a `lambda_function`'s `handler` to a module, infer its owner, and validate it."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from pants.backend.python.dependency_inference.module_mapper import (
    PythonModuleOwners,
    PythonModuleOwnersRequest,
)
from pants.backend.python.dependency_inference.rules import import_rules
from pants.backend.python.subsystems.setup import PythonSetup
from pants.backend.python.target_types import PythonResolveField
from pants.backend.python.util_rules.python_sources import (
    PythonSourceFilesRequest,
    StrippedPythonSourceFiles,
)
from pants.engine.addresses import Address
from pants.engine.fs import DigestContents, DigestSubset, PathGlobs, Paths
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.engine.target import (
    DependenciesRequest,
    ExplicitlyProvidedDependencies,
    FieldSet,
    InferDependenciesRequest,
    InferredDependencies,
    InvalidFieldException,
    TransitiveTargets,
    TransitiveTargetsRequest,
)
from pants.engine.unions import UnionRule
from pants.source.source_root import SourceRoot, SourceRootRequest
from pants.util.docutil import bin_name
from pants.util.strutil import softwrap

from aws_lambda.handler import (
    HandlerNotFoundError,
    HandlerSourceError,
    check_handler_defined,
    lambda_handler_string,
    parse_handler,
)
from aws_lambda.target_types import LambdaDependenciesField, LambdaHandlerField

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ResolvedLambdaHandler:
    module: str
    func: str
    from_file: bool

    @property
    def aws_handler(self) -> str:
        """The handler string to configure in AWS, e.g. `echo.handler.handler`."""
        return lambda_handler_string(self.module, self.func)


@dataclass(frozen=True)
class ResolveLambdaHandlerRequest:
    field: LambdaHandlerField


@rule(desc="Resolving the Lambda handler")
async def resolve_lambda_handler(request: ResolveLambdaHandlerRequest) -> ResolvedLambdaHandler:
    field = request.field
    spec = parse_handler(field.value)
    if not spec.is_file:
        return ResolvedLambdaHandler(spec.module_or_file, spec.func, from_file=False)

    path = os.path.normpath(os.path.join(field.address.spec_path, spec.module_or_file))
    paths = await Get(Paths, PathGlobs([path]))
    if not paths.files:
        raise InvalidFieldException(
            softwrap(
                f"""
                The `{field.alias}` field of the target {field.address} names the file
                `{spec.module_or_file}`, but `{path}` does not exist. Give a path relative to
                the BUILD file (`handler="handler.py:{spec.func}"`) or a module path
                (`handler="package.module:{spec.func}"`).
                """
            )
        )
    source_root = await Get(SourceRoot, SourceRootRequest, SourceRootRequest.for_file(path))
    module = os.path.splitext(os.path.relpath(path, source_root.path))[0].replace(os.sep, ".")
    return ResolvedLambdaHandler(module.removesuffix(".__init__"), spec.func, from_file=True)


@dataclass(frozen=True)
class LambdaHandlerInferenceFieldSet(FieldSet):
    required_fields = (LambdaHandlerField, LambdaDependenciesField, PythonResolveField)

    handler: LambdaHandlerField
    dependencies: LambdaDependenciesField
    resolve: PythonResolveField


class InferLambdaHandlerDependency(InferDependenciesRequest):
    infer_from = LambdaHandlerInferenceFieldSet


@rule(desc="Inferring the dependency on a Lambda handler's module")
async def infer_lambda_handler_dependency(
    request: InferLambdaHandlerDependency, python_setup: PythonSetup
) -> InferredDependencies:
    field_set = request.field_set
    explicitly_provided, handler = await MultiGet(
        Get(ExplicitlyProvidedDependencies, DependenciesRequest(field_set.dependencies)),
        Get(ResolvedLambdaHandler, ResolveLambdaHandlerRequest(field_set.handler)),
    )
    owners = await Get(
        PythonModuleOwners,
        PythonModuleOwnersRequest(
            handler.module, resolve=field_set.resolve.normalized_value(python_setup)
        ),
    )
    explicitly_provided.maybe_warn_of_ambiguous_dependency_inference(
        owners.ambiguous,
        field_set.address,
        owners_must_be_ancestors=handler.from_file,
        import_reference="module",
        context=(
            f"The target {field_set.address} has `{field_set.handler.alias}="
            f"{field_set.handler.value!r}`, which is the module `{handler.module}`"
        ),
    )
    disambiguated = explicitly_provided.disambiguated(
        owners.ambiguous, owners_must_be_ancestors=handler.from_file
    )
    return InferredDependencies(owners.unambiguous or ((disambiguated,) if disambiguated else ()))


@dataclass(frozen=True)
class ValidateLambdaHandlerRequest:
    address: Address
    field: LambdaHandlerField


@rule(desc="Validating the Lambda handler")
async def validate_lambda_handler(request: ValidateLambdaHandlerRequest) -> ResolvedLambdaHandler:
    """Check, without importing anything, that the handler's module is packaged and defines it."""
    handler, transitive_targets = await MultiGet(
        Get(ResolvedLambdaHandler, ResolveLambdaHandlerRequest(request.field)),
        Get(TransitiveTargets, TransitiveTargetsRequest([request.address])),
    )
    sources = await Get(
        StrippedPythonSourceFiles,
        PythonSourceFilesRequest(transitive_targets.closure, include_resources=False),
    )
    module_path = handler.module.replace(".", os.sep)
    candidates = (f"{module_path}.py", os.path.join(module_path, "__init__.py"))
    found = [path for path in candidates if path in sources.stripped_source_files.snapshot.files]
    field = request.field
    if not found:
        raise InvalidFieldException(
            softwrap(
                f"""
                The `{field.alias}` field of the target {request.address} refers to the module
                `{handler.module}`, but no dependency of the target provides it. Check the
                spelling, or check that a `python_source` owns it: run
                `{bin_name()} dependencies {request.address}`.
                """
            )
        )
    contents = await Get(
        DigestContents,
        DigestSubset(sources.stripped_source_files.snapshot.digest, PathGlobs(found[:1])),
    )
    try:
        check_handler_defined(contents[0].content, handler.func, contents[0].path)
    except HandlerNotFoundError as e:
        raise InvalidFieldException(
            f"The `{field.alias}` field of the target {request.address} is `{field.value}`: {e}"
        ) from e
    except HandlerSourceError as e:
        # Pants' own interpreter may not parse syntax newer than itself; the runtime will.
        logger.warning(f"Could not check the `{field.alias}` of {request.address}: {e}")
    return handler


def rules():
    return (
        *collect_rules(),
        *import_rules(),
        UnionRule(InferDependenciesRequest, InferLambdaHandlerDependency),
    )
