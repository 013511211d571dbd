from __future__ import annotations

import pytest
from pants.backend.python import target_types_rules as python_target_types_rules
from pants.backend.python.target_types import PythonSourcesGeneratorTarget
from pants.engine.addresses import Address
from pants.engine.target import InferredDependencies, InvalidFieldException
from pants.testutil.rule_runner import QueryRule, RuleRunner, engine_error

from aws_lambda import handler_rules
from aws_lambda.handler_rules import (
    InferLambdaHandlerDependency,
    LambdaHandlerInferenceFieldSet,
    ResolvedLambdaHandler,
    ResolveLambdaHandlerRequest,
)
from aws_lambda.target_types import LambdaFunctionTarget, LambdaHandlerField


@pytest.fixture
def rule_runner() -> RuleRunner:
    rule_runner = RuleRunner(
        rules=[
            *handler_rules.rules(),
            *python_target_types_rules.rules(),
            QueryRule(ResolvedLambdaHandler, [ResolveLambdaHandlerRequest]),
            QueryRule(InferredDependencies, [InferLambdaHandlerDependency]),
        ],
        target_types=[LambdaFunctionTarget, PythonSourcesGeneratorTarget],
    )
    rule_runner.set_options(["--source-root-patterns=['src']"])
    rule_runner.write_files(
        {
            "src/app/__init__.py": "def handler(event, context): ...",
            "src/app/handler.py": "def handler(event, context): ...",
        }
    )
    return rule_runner


def write_lambda(rule_runner: RuleRunner, handler: str) -> None:
    build = f"python_sources(name='lib')\nlambda_function(name='fn', handler={handler!r})"
    rule_runner.write_files({"src/app/BUILD": build})


def resolve(rule_runner: RuleRunner, handler: str) -> ResolvedLambdaHandler:
    write_lambda(rule_runner, handler)
    target = rule_runner.get_target(Address("src/app", target_name="fn"))
    return rule_runner.request(
        ResolvedLambdaHandler, [ResolveLambdaHandlerRequest(target[LambdaHandlerField])]
    )


@pytest.mark.parametrize(
    "handler, module, from_file",
    [
        ("handler.py:handler", "app.handler", True),
        ("__init__.py:handler", "app", True),
        ("app.handler:handler", "app.handler", False),
    ],
)
def test_resolves_the_module(
    rule_runner: RuleRunner, handler: str, module: str, from_file: bool
) -> None:
    resolved = resolve(rule_runner, handler)
    assert resolved == ResolvedLambdaHandler(module, "handler", from_file)
    assert resolved.aws_handler == f"{module}.handler"


def test_missing_file_names_the_field_target_and_fix(rule_runner: RuleRunner) -> None:
    with engine_error(
        InvalidFieldException,
        contains=(
            "The `handler` field of the target src/app:fn names the file `nope.py`, "
            "but `src/app/nope.py` does not exist."
        ),
    ):
        resolve(rule_runner, "nope.py:handler")


def test_infers_the_owner_of_the_handler_module(rule_runner: RuleRunner) -> None:
    write_lambda(rule_runner, "app.handler:h")
    target = rule_runner.get_target(Address("src/app", target_name="fn"))
    inferred = rule_runner.request(
        InferredDependencies,
        [InferLambdaHandlerDependency(LambdaHandlerInferenceFieldSet.create(target))],
    )
    assert inferred == InferredDependencies(
        [Address("src/app", target_name="lib", relative_file_path="handler.py")]
    )
