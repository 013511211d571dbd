from __future__ import annotations

from textwrap import dedent

import pytest
from pants.engine.addresses import Address
from pants.engine.target import InvalidFieldException
from pants.testutil.rule_runner import RuleRunner, engine_error

from aws_lambda.goals.package import LambdaFunctionFieldSet
from aws_lambda.testutil import (
    PackagedZip,
    lambda_rule_runner,
    package_zip,
    use_lockfile_locked_for_python311_only,
)
from aws_lambda.util_rules.assemble import LambdaLayerConflictError, LambdaSizeBudgetError
from aws_lambda.util_rules.layers import LambdaLayerFieldSet, LambdaLayerMismatchError

APP = Address("src/app", target_name="app")
LAYER = Address("src/layers")

# What boto3 requires, transitively, on Python 3.11 Linux.
BOTO3_CLOSURE = {"boto3", "botocore", "jmespath", "python-dateutil", "s3transfer", "six", "urllib3"}


@pytest.fixture
def rule_runner() -> RuleRunner:
    return lambda_rule_runner()


def write_example(rule_runner: RuleRunner, app_fields: str, layer_fields: str) -> None:
    rule_runner.write_files(
        {
            "3rdparty/BUILD": dedent(
                """\
                python_requirement(name="msgspec", requirements=["msgspec==0.19.0"])
                python_requirement(name="boto3", requirements=["boto3==1.35.0"])
                python_requirement(
                    name="six-old", requirements=["six==1.16.0"], modules=["six_old"]
                )
                python_requirement(
                    name="six-new", requirements=["six==1.17.0"], modules=["six_new"]
                )
                """
            ),
            "src/shared/__init__.py": "",
            "src/shared/greeting.py": "def greet(name):\n    return 'hello ' + name\n",
            "src/shared/BUILD": "python_sources()",
            "src/app/__init__.py": "",
            "src/app/handler.py": dedent(
                """\
                import msgspec

                from shared.greeting import greet


                def handler(event, context):
                    return {"message": greet(msgspec.json.decode(event["body"])["name"])}
                """
            ),
            "src/app/BUILD": dedent(
                f"""\
                python_sources(name='lib')

                lambda_function(
                    name='app', handler='handler.py:handler', runtime='python3.11', {app_fields}
                )
                """
            ),
            "src/layers/BUILD": dedent(
                f"""\
                lambda_layer(runtime='python3.11', {layer_fields})
                """
            ),
        }
    )


def package_function(rule_runner: RuleRunner) -> PackagedZip:
    return package_zip(rule_runner, LambdaFunctionFieldSet, APP)


def package_layer(rule_runner: RuleRunner) -> PackagedZip:
    return package_zip(rule_runner, LambdaLayerFieldSet, LAYER)


def top_level(packaged: PackagedZip, prefix: str = "") -> set[str]:
    return {name[len(prefix) :].split("/")[0] for name in packaged.archive.namelist()} - {""}


@pytest.mark.parametrize("include_sources", [True, False])
def test_layer_puts_everything_under_python(rule_runner: RuleRunner, include_sources: bool) -> None:
    write_example(
        rule_runner,
        app_fields="",
        layer_fields=(
            f"dependencies=['3rdparty:msgspec', 'src/shared'], include_sources={include_sources}"
        ),
    )
    layer = package_layer(rule_runner)

    names = layer.archive.namelist()
    assert names[0] == "python/"
    assert all(name.startswith("python/") for name in names)
    assert "python/msgspec/_core.cpython-311-x86_64-linux-gnu.so" in names
    assert ("python/shared/greeting.py" in names) == include_sources
    assert layer.report["kind"] == "layer"
    assert "handler" not in layer.report
    assert [dist["name"] for dist in layer.report["distributions"]] == ["msgspec"]
    assert layer.built.artifacts[0].relpath == "src.layers/layers.zip"


def test_function_leaves_out_what_its_layer_provides(rule_runner: RuleRunner) -> None:
    write_example(
        rule_runner,
        app_fields="layers=['src/layers']",
        layer_fields="dependencies=['3rdparty:msgspec', 'src/shared']",
    )
    function, layer = package_function(rule_runner), package_layer(rule_runner)

    assert top_level(function) == {"app"}, "msgspec and shared/ come from the layer"
    assert {"msgspec", "shared"} <= top_level(layer, "python/")
    assert "Left out, provided by src/layers:layers: msgspec 0.19.0" in function.log
    assert function.report["provided_by_layers"] == [
        {
            "name": "msgspec",
            "version": "0.19.0",
            "unzipped_size": layer.report["distributions"][0]["unzipped_size"],
            "layer": "src/layers:layers",
        }
    ]
    assert function.report["distributions"] == []
    assert function.report["unzipped_size_with_layers"] == (
        function.report["unzipped_size"] + layer.report["unzipped_size"]
    )


def test_version_conflict_with_a_layer(rule_runner: RuleRunner) -> None:
    write_example(
        rule_runner,
        app_fields="layers=['src/layers'], dependencies=['3rdparty:six-old']",
        layer_fields="dependencies=['3rdparty:six-new']",
    )
    with engine_error(
        LambdaLayerConflictError,
        contains=(
            "The function src/app:app needs six 1.16.0, but its layer src/layers:layers provides "
            "six 1.17.0"
        ),
    ):
        package_function(rule_runner)


@pytest.mark.parametrize(
    "layer_fields, layer_platform",
    [
        ("runtime='python3.12'", "python3.12 x86_64"),
        ("runtime='python3.11', architecture='arm64'", "python3.11 arm64"),
    ],
)
def test_layer_for_another_platform(
    rule_runner: RuleRunner, layer_fields: str, layer_platform: str
) -> None:
    write_example(rule_runner, app_fields="layers=['src/layers']", layer_fields="")
    rule_runner.write_files({"src/layers/BUILD": f"lambda_layer({layer_fields})"})
    with engine_error(
        LambdaLayerMismatchError,
        contains=(
            "The function src/app:app is built for python3.11 x86_64, but its layer "
            f"src/layers:layers is built for {layer_platform}. Lambda runs a function and its "
            "layers on one platform: set the same `runtime` and `architecture` on both"
        ),
    ):
        package_function(rule_runner)


def test_a_layer_on_an_unlocked_platform_reports_the_mismatch(rule_runner: RuleRunner) -> None:
    """A layer whose platform the lock lacks, used by a function on a locked one."""
    use_lockfile_locked_for_python311_only(rule_runner)
    write_example(rule_runner, app_fields="layers=['src/layers']", layer_fields="")
    rule_runner.write_files({"src/layers/BUILD": "lambda_layer(runtime='python3.12')"})
    mismatch = (
        "The function src/app:app is built for python3.11 x86_64, but its layer "
        "src/layers:layers is built for python3.12 x86_64."
    )
    with engine_error(LambdaLayerMismatchError, contains=mismatch):
        package_layer(rule_runner)
    with engine_error(LambdaLayerMismatchError, contains=mismatch):
        package_function(rule_runner)


def test_layers_must_be_layer_targets(rule_runner: RuleRunner) -> None:
    write_example(rule_runner, app_fields="layers=['src/shared']", layer_fields="")
    with engine_error(
        InvalidFieldException,
        contains=(
            "The `layers` field of the target src/app:app names src/shared/__init__.py, "
            "src/shared/greeting.py, which are not `lambda_layer` targets."
        ),
    ):
        package_function(rule_runner)


def test_function_over_its_budget(rule_runner: RuleRunner) -> None:
    write_example(rule_runner, app_fields="max_unzipped_size='100KB'", layer_fields="")
    with engine_error(
        LambdaSizeBudgetError,
        contains=(
            "over its `max_unzipped_size` of 100.0 KiB. Its 1 distribution takes 572.0 KiB, "
            "bytecode included (msgspec 0.19.0 572.0 KiB)"
        ),
    ):
        package_function(rule_runner)


def test_layers_count_against_the_function_budget(rule_runner: RuleRunner) -> None:
    write_example(
        rule_runner,
        app_fields="layers=['src/layers'], max_unzipped_size='100KB'",
        layer_fields="dependencies=['3rdparty:msgspec']",
    )
    with engine_error(LambdaSizeBudgetError, contains="KiB; src/layers:layers: "):
        package_function(rule_runner)


def test_runtime_provided_leaves_out_the_boto3_closure_only(rule_runner: RuleRunner) -> None:
    write_example(
        rule_runner,
        app_fields="dependencies=['3rdparty:boto3'], runtime_provided='exclude'",
        layer_fields="",
    )
    function = package_function(rule_runner)

    left_out = {dist["name"].lower() for dist in function.report["runtime_provided"]}
    assert left_out == BOTO3_CLOSURE
    assert [dist["name"] for dist in function.report["distributions"]] == ["msgspec"]
    assert top_level(function) == {"app", "shared", "msgspec", "msgspec-0.19.0.dist-info"}
    assert "Left out, provided by the runtime: boto3 1.35.0, botocore" in function.log
