from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from pants.testutil.rule_runner import GoalRuleResult, RuleRunner

from aws_lambda.goals import verify_zip
from aws_lambda.goals.verify_zip import LambdaVerifyZipGoal

TESTDATA = Path(__file__).parent.parent / "scripts" / "testdata"


@pytest.fixture
def rule_runner() -> RuleRunner:
    return RuleRunner(rules=verify_zip.rules())


def write_zip(rule_runner: RuleRunner, name: str, files: dict[str, bytes]) -> None:
    with zipfile.ZipFile(Path(rule_runner.build_root, name), "w") as archive:
        for path, content in files.items():
            info = zipfile.ZipInfo(path)
            info.external_attr = 0o644 << 16
            info.create_system = 3
            archive.writestr(info, content)


def verify(rule_runner: RuleRunner, *args: str) -> GoalRuleResult:
    return rule_runner.run_goal_rule(LambdaVerifyZipGoal, args=args)


def test_a_zip_built_on_a_mac(rule_runner: RuleRunner) -> None:
    darwin = (TESTDATA / "_core.cpython-311-darwin.so").read_bytes()
    write_zip(rule_runner, "fn.zip", {"msgspec/_core.cpython-311-darwin.so": darwin})

    result = verify(rule_runner, "--runtime=python3.11", "--architecture=x86_64", "--", "fn.zip")
    assert result.exit_code == 1
    assert "msgspec/_core.cpython-311-darwin.so is a Mach-O binary (macOS arm64)" in result.stdout
    assert "for python3.11 x86_64, CPython 3.11 on Linux x86_64 with glibc 2.26." in result.stderr


def test_arm64_layer_and_the_lambda_defaults(rule_runner: RuleRunner) -> None:
    aarch64 = (TESTDATA / "_core.cpython-311-aarch64-linux-gnu.so").read_bytes()
    write_zip(
        rule_runner, "layer.zip", {"python/msgspec/_core.cpython-311-aarch64-linux-gnu.so": aarch64}
    )

    args = ["--runtime=python3.11", "--layer", "--", "layer.zip"]
    assert verify(rule_runner, "--architecture=arm64", *args).exit_code == 0
    assert verify(rule_runner, *args).exit_code == 1, "[lambda].architecture is x86_64"
    result = rule_runner.run_goal_rule(
        LambdaVerifyZipGoal, args=args, global_args=["--lambda-architecture=arm64"]
    )
    assert result.exit_code == 0
    assert "1 zip(s) can load on python3.11 arm64" in result.stderr


def test_unreadable_zip_and_no_zips(rule_runner: RuleRunner) -> None:
    result = verify(rule_runner, "--runtime=python3.11", "--", "missing.zip")
    assert result.exit_code == 2
    assert "Cannot read missing.zip" in result.stderr
    assert verify(rule_runner, "--runtime=python3.11").exit_code == 2


def test_unknown_runtime(rule_runner: RuleRunner) -> None:
    with pytest.raises(Exception, match="python2.7"):
        verify(rule_runner, "--runtime=python2.7", "--", "fn.zip")
