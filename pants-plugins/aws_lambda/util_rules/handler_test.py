from __future__ import annotations

import pytest
from pants.backend.python import target_types_rules as python_target_types_rules
from pants.backend.python.target_types import PythonSourcesGeneratorTarget
from pants.backend.python.util_rules.faas import (
    InferPythonFaaSHandlerDependency,
    PythonFaaSHandlerInferenceFieldSet,
)
from pants.engine.addresses import Address
from pants.engine.internals.scheduler import ExecutionError
from pants.engine.target import InferredDependencies
from pants.testutil.rule_runner import QueryRule, RuleRunner, engine_error

from aws_lambda.target_types import LambdaFunctionTarget, LambdaHandlerField
from aws_lambda.testutil import set_pex_options
from aws_lambda.util_rules import handler
from aws_lambda.util_rules.handler import ResolvedLambdaHandler, ValidateLambdaHandlerRequest

FUNCTION = Address("src/app", target_name="fn")


@pytest.fixture
def rule_runner() -> RuleRunner:
    rule_runner = RuleRunner(
        rules=[
            *handler.rules(),
            *python_target_types_rules.rules(),
            QueryRule(ResolvedLambdaHandler, [ValidateLambdaHandlerRequest]),
            QueryRule(InferredDependencies, [InferPythonFaaSHandlerDependency]),
        ],
        target_types=[LambdaFunctionTarget, PythonSourcesGeneratorTarget],
    )
    set_pex_options(rule_runner, "--source-root-patterns=['src']")
    rule_runner.write_files(
        {
            "src/app/__init__.py": "def handler(event, context): ...",
            "src/app/handler.py": "def handler(event, context): ...",
        }
    )
    return rule_runner


def write_lambda(rule_runner: RuleRunner, handler_spec: str) -> None:
    build = f"python_sources(name='lib')\nlambda_function(name='fn', handler={handler_spec!r})"
    rule_runner.write_files({"src/app/BUILD": build})


def validate(rule_runner: RuleRunner, handler_spec: str) -> ResolvedLambdaHandler:
    write_lambda(rule_runner, handler_spec)
    target = rule_runner.get_target(FUNCTION)
    return rule_runner.request(
        ResolvedLambdaHandler, [ValidateLambdaHandlerRequest(target[LambdaHandlerField])]
    )


def infer(rule_runner: RuleRunner, address: Address = FUNCTION) -> InferredDependencies:
    target = rule_runner.get_target(address)
    field_set = PythonFaaSHandlerInferenceFieldSet.create(target)
    return rule_runner.request(InferredDependencies, [InferPythonFaaSHandlerDependency(field_set)])


@pytest.mark.parametrize(
    "handler_spec, module",
    [
        ("handler.py:handler", "app.handler"),
        ("__init__.py:handler", "app"),
        ("app.handler:handler", "app.handler"),
    ],
)
def test_resolves_the_module(rule_runner: RuleRunner, handler_spec: str, module: str) -> None:
    resolved = validate(rule_runner, handler_spec)
    assert resolved == ResolvedLambdaHandler(module, "handler")
    assert resolved.aws_handler == f"{module}.handler"


def test_missing_file_names_the_field_and_target(rule_runner: RuleRunner) -> None:
    with engine_error(contains="src/app:fn's `handler` field"):
        validate(rule_runner, "nope.py:handler")


def test_a_glob_is_refused_before_any_file_is_read(rule_runner: RuleRunner) -> None:
    write_lambda(rule_runner, "*.py:handler")
    with engine_error(contains="The `handler` field of the target src/app:fn is invalid"):
        rule_runner.get_target(FUNCTION)


def test_infers_the_owner_of_the_handler_module(rule_runner: RuleRunner) -> None:
    write_lambda(rule_runner, "app.handler:h")
    assert infer(rule_runner) == InferredDependencies(
        [Address("src/app", target_name="lib", relative_file_path="handler.py")]
    )


def test_entry_point_inference_can_be_switched_off(rule_runner: RuleRunner) -> None:
    write_lambda(rule_runner, "app.handler:h")
    set_pex_options(rule_runner, "--source-root-patterns=['src']", "--no-python-infer-entry-points")
    assert infer(rule_runner) == InferredDependencies([])
    with pytest.raises(ExecutionError, match="no dependency of the target provides it"):
        validate(rule_runner, "app.handler:handler")


def test_ambiguous_modules_are_disambiguated_by_source_root(rule_runner: RuleRunner) -> None:
    # `shared.api` is in two source roots; each lambda takes the one of its own root.
    rule_runner.write_files(
        {
            **{
                f"{root}/shared/api.py": "def handler(event, context): ..."
                for root in ("teams/a", "teams/b")
            },
            "teams/a/shared/BUILD": "python_sources()",
            "teams/b/shared/BUILD": "python_sources()",
            "teams/a/BUILD": "lambda_function(name='fn', handler='shared.api:handler')",
        }
    )
    set_pex_options(
        rule_runner,
        "--source-root-patterns=['teams/*']",
        "--python-infer-ambiguity-resolution=by_source_root",
    )
    assert infer(rule_runner, Address("teams/a", target_name="fn")) == InferredDependencies(
        [Address("teams/a/shared", relative_file_path="api.py")]
    )

    set_pex_options(rule_runner, "--source-root-patterns=['teams/*']")
    assert infer(rule_runner, Address("teams/a", target_name="fn")) == InferredDependencies([])
