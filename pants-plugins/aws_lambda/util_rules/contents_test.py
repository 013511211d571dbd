"""With a lockfile, every Lambda of a platform shares one install and takes what it needs."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from textwrap import dedent

import pytest
from pants.backend.python.util_rules.interpreter_constraints import InterpreterConstraints
from pants.core.goals.generate_lockfiles import GenerateLockfileResult
from pants.engine.addresses import Address
from pants.engine.fs import DigestContents
from pants.testutil.rule_runner import RuleRunner, engine_error
from pants.util.ordered_set import FrozenOrderedSet

from aws_lambda.goals.generate_lockfiles import GenerateLambdaLockfile
from aws_lambda.goals.package import LambdaFunctionFieldSet
from aws_lambda.runtimes import LambdaPlatform, architecture_for, runtime_for
from aws_lambda.testutil import locking_rule_runner, package_zip
from aws_lambda.util_rules.install import LambdaDependenciesError
from aws_lambda.util_rules.platform import LambdaLockfileDamagedError

REQUIREMENTS = {"requests": "requests[socks]==2.32.3", "six": "six==1.16.0"}


@pytest.fixture
def rule_runner() -> RuleRunner:
    rule_runner = locking_rule_runner()
    request = GenerateLambdaLockfile(
        requirements=FrozenOrderedSet(REQUIREMENTS.values()),
        interpreter_constraints=InterpreterConstraints(["CPython>=3.11,<3.14"]),
        platforms=(LambdaPlatform(runtime_for("python3.11"), architecture_for("x86_64")),),
        resolve_name="python-default",
        lockfile_dest="lambdas.lock",
        diff=False,
    )
    result = rule_runner.request(GenerateLockfileResult, [request])
    (lock,) = rule_runner.request(DigestContents, [result.digest])
    rule_runner.write_files({"lambdas.lock": lock.content})
    return rule_runner


def write_lambda(rule_runner: RuleRunner, name: str, requirement: str, module: str) -> Address:
    handler = f"import {module}\n\n\ndef handler(event, context):\n    pass\n"
    rule_runner.write_files(
        {
            f"src/{name}/handler.py": handler,
            f"src/{name}/BUILD": dedent(
                f"""\
                python_requirement(name="req", requirements=["{requirement}"])
                python_sources(name="lib")
                lambda_function(name="{name}", handler="handler.py:handler", runtime="python3.11")
                """
            ),
        }
    )
    return Address(f"src/{name}", target_name=name)


def distributions(rule_runner: RuleRunner, address: Address) -> set[str]:
    packaged = package_zip(rule_runner, LambdaFunctionFieldSet, address)
    return {dist["name"].lower() for dist in packaged.report["distributions"]}


def test_each_lambda_takes_its_closure_with_extras(rule_runner: RuleRunner) -> None:
    web = write_lambda(rule_runner, "web", REQUIREMENTS["requests"], "requests")
    tiny = write_lambda(rule_runner, "tiny", REQUIREMENTS["six"], "six")
    assert distributions(rule_runner, web) == {
        "requests",
        "urllib3",
        "idna",
        "charset-normalizer",
        "certifi",
        "pysocks",  # only through the `socks` extra
    }
    assert distributions(rule_runner, tiny) == {"six"}


def test_a_requirement_missing_from_the_lockfile_is_an_error(rule_runner: RuleRunner) -> None:
    stale = write_lambda(rule_runner, "stale", "six>=1.17", "six")
    with engine_error(
        LambdaDependenciesError,
        contains=(
            "The target src/stale:stale needs six>=1.17 (found six 1.16.0), but the lockfile of "
            "the resolve `python-default` (lambdas.lock) does not provide it. The lockfile is "
            "older than the requirements: run `pants generate-lockfiles` to update it."
        ),
    ):
        package_zip(rule_runner, LambdaFunctionFieldSet, stale)


def damage(rule_runner: RuleRunner, edit: Callable[[str], str]) -> None:
    path = Path(rule_runner.build_root, "lambdas.lock")
    path.write_text(edit(path.read_text()))


def test_a_lockfile_that_is_not_json_names_the_file_and_the_fix(rule_runner: RuleRunner) -> None:
    tiny = write_lambda(rule_runner, "tiny", REQUIREMENTS["six"], "six")
    damage(rule_runner, lambda lock: lock.replace('"locked_resolves"', "locked_resolves", 1))
    with engine_error(
        LambdaLockfileDamagedError,
        contains=(
            "The lockfile lambdas.lock of the resolve `python-default` is damaged: it is not "
            "valid JSON (line "
        ),
    ):
        package_zip(rule_runner, LambdaFunctionFieldSet, tiny)


def test_an_edited_artifact_hash_names_the_artifact_and_the_fix(rule_runner: RuleRunner) -> None:
    tiny = write_lambda(rule_runner, "tiny", REQUIREMENTS["six"], "six")
    lock = json.loads(
        "\n".join(
            line
            for line in Path(rule_runner.build_root, "lambdas.lock").read_text().splitlines()
            if not line.startswith("//")
        )
    )
    (six,) = (
        requirement
        for resolve in lock["locked_resolves"]
        for requirement in resolve["locked_requirements"]
        if requirement["project_name"] == "six"
    )
    pinned = six["artifacts"][0]["hash"]
    damage(rule_runner, lambda text: text.replace(pinned, pinned[:-4] + "beef"))
    with engine_error(
        LambdaDependenciesError,
        contains=(
            "The lockfile lambdas.lock of the resolve `python-default` does not match what the "
            f"index serves: six 1.16.0 (six-1.16.0-py2.py3-none-any.whl) is pinned to sha256 "
            f"{pinned[:-4]}beef, but the file downloaded hashes to {pinned}."
        ),
    ):
        package_zip(rule_runner, LambdaFunctionFieldSet, tiny)
