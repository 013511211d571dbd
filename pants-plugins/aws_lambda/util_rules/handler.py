"""A `lambda_function`'s handler: found and inferred by Pants' FaaS rules, then validated.

`pants.backend.python.util_rules.faas` turns the `handler` field into a module (a file name must
match exactly one file) and infers the dependency on its owner, honouring
`[python-infer].entry_points` and `ambiguity_resolution`. On top of that, packaging checks,
without importing anything, that the module is in the zip and defines the function.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from pants.backend.python.dependency_inference.rules import import_rules
from pants.backend.python.util_rules import faas, python_sources
from pants.backend.python.util_rules.faas import (
    InferPythonFaaSHandlerDependency,
    ResolvedPythonFaaSHandler,
    ResolvePythonFaaSHandlerRequest,
)
from pants.backend.python.util_rules.python_sources import (
    PythonSourceFilesRequest,
    StrippedPythonSourceFiles,
)
from pants.engine.fs import DigestContents, DigestSubset, PathGlobs
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.engine.target import (
    InferDependenciesRequest,
    InvalidFieldException,
    TransitiveTargets,
)
from pants.engine.unions import UnionRule
from pants.util.docutil import bin_name
from pants.util.strutil import softwrap

from aws_lambda.handler import (
    HandlerNotFoundError,
    HandlerSourceError,
    check_handler_defined,
    lambda_handler_string,
)
from aws_lambda.target_types import LambdaHandlerField
from aws_lambda.util_rules import closure
from aws_lambda.util_rules.closure import LambdaClosureRequest

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ResolvedLambdaHandler:
    module: str
    func: str

    @property
    def aws_handler(self) -> str:
        """The handler string to configure in AWS, e.g. `echo.handler.handler`."""
        return lambda_handler_string(self.module, self.func)


@dataclass(frozen=True)
class ValidateLambdaHandlerRequest:
    field: LambdaHandlerField


@rule(desc="Validating the Lambda handler")
async def validate_lambda_handler(request: ValidateLambdaHandlerRequest) -> ResolvedLambdaHandler:
    """Check, without importing anything, that the handler's module is packaged and defines it."""
    field = request.field
    resolved, transitive_targets = await MultiGet(
        Get(ResolvedPythonFaaSHandler, ResolvePythonFaaSHandlerRequest(field)),
        Get(TransitiveTargets, LambdaClosureRequest(field.address)),
    )
    # `handler="__init__.py:f"` names the package itself.
    handler = ResolvedLambdaHandler(resolved.module.removesuffix(".__init__"), resolved.func)
    sources = await Get(
        StrippedPythonSourceFiles,
        PythonSourceFilesRequest(transitive_targets.closure, include_resources=False),
    )
    module_path = handler.module.replace(".", os.sep)
    candidates = (f"{module_path}.py", os.path.join(module_path, "__init__.py"))
    found = [path for path in candidates if path in sources.stripped_source_files.snapshot.files]
    if not found:
        raise InvalidFieldException(
            softwrap(
                f"""
                The `{field.alias}` field of the target {field.address} refers to the module
                `{handler.module}`, but no dependency of the target provides it. Check the
                spelling, or check that a `python_source` owns it: run
                `{bin_name()} dependencies {field.address}`.
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
            f"The `{field.alias}` field of the target {field.address} is `{field.value}`: {e}"
        ) from e
    except HandlerSourceError as e:
        # Pants' own interpreter may not parse syntax newer than itself; the runtime will.
        logger.warning(f"Could not check the `{field.alias}` of {field.address}: {e}")
    return handler


def rules():
    return (
        *collect_rules(),
        *closure.rules(),
        faas.resolve_python_faas_handler,
        faas.infer_faas_handler_dependency,
        *import_rules(),
        *python_sources.rules(),
        UnionRule(InferDependenciesRequest, InferPythonFaaSHandlerDependency),
    )
