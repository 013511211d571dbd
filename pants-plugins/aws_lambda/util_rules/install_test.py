"""How the distributions of a locked resolve are installed: one cached process per wheel."""

from __future__ import annotations

import json

import pytest
from pants.backend.python.subsystems.setup import PythonSetup
from pants.backend.python.util_rules.pex import CompletePlatforms
from pants.engine.addresses import Address
from pants.engine.fs import EMPTY_DIGEST
from pants.testutil.option_util import create_subsystem
from pants.testutil.rule_runner import MockGet, run_rule_with_mocks

from aws_lambda.distributions import Distribution
from aws_lambda.pex_lock import LockedArtifact
from aws_lambda.runtimes import LambdaPlatform, architecture_for, runtime_for
from aws_lambda.scripts.wheel_install import DOWNLOAD_FAILED_EXIT_CODE, HASH_MISMATCH_EXIT_CODE
from aws_lambda.util_rules.install import (
    BuildSdistRequest,
    BuiltSdist,
    InstalledDistribution,
    InstalledDistributions,
    InstallLambdaDistributionsRequest,
    InstallWheelRequest,
    _explain_wheel_failure,
    _InstalledTree,
    _LockedArtifacts,
    _LockedArtifactsRequest,
    _ResolvedDependencies,
    _ResolveLockfileRequest,
    _ResolveRequirementsRequest,
    install_lambda_distributions,
)
from aws_lambda.util_rules.platform import TargetPlatform

SIX = LockedArtifact(
    "six", "1.17.0", "https://files.example/six-1.17.0-py3-none-any.whl", "sha256", "ab"
)
NUMPY = LockedArtifact(
    "numpy", "2.2.6", "https://files.example/numpy-2.2.6-cp311.whl", "sha256", "cd"
)


def target_platform(runtime: str, architecture: str) -> TargetPlatform:
    platform = LambdaPlatform(runtime_for(runtime), architecture_for(architecture))
    return TargetPlatform(platform, CompletePlatforms(), str(platform), "")


def unexpected(request: object) -> None:
    pytest.fail(f"Pex resolved the lock: {request}")


def install(
    platform: TargetPlatform, locked: _LockedArtifacts, requested: list[InstallWheelRequest]
) -> InstalledDistributions:
    def installed(request: InstallWheelRequest) -> InstalledDistribution:
        requested.append(request)
        wheel = request.wheel
        return InstalledDistribution(
            Distribution(wheel.project, wheel.version, (), 0), EMPTY_DIGEST
        )

    return run_rule_with_mocks(
        install_lambda_distributions,
        rule_args=[
            InstallLambdaDistributionsRequest(
                Address("src", target_name="fn"), "lambdas", platform
            ),
            create_subsystem(PythonSetup, enable_resolves=True, resolves={"lambdas": "a.lock"}),
        ],
        mock_gets=[
            MockGet(_LockedArtifacts, (_LockedArtifactsRequest,), lambda _: locked),
            MockGet(InstalledDistribution, (InstallWheelRequest,), installed),
            # Pex's path: not taken when the lock pins every wheel.
            MockGet(BuiltSdist, (BuildSdistRequest,), unexpected),
            MockGet(_ResolvedDependencies, (_ResolveLockfileRequest,), unexpected),
            MockGet(_ResolvedDependencies, (_ResolveRequirementsRequest,), unexpected),
            MockGet(_InstalledTree, (_ResolvedDependencies,), unexpected),
            MockGet(InstalledDistributions, (_InstalledTree,), unexpected),
        ],
    )


def test_a_wheel_locked_for_two_platforms_is_installed_by_one_request() -> None:
    requested: list[InstallWheelRequest] = []
    x86 = install(
        target_platform("python3.11", "x86_64"), _LockedArtifacts((SIX, NUMPY), ()), requested
    )
    arm = install(target_platform("python3.12", "arm64"), _LockedArtifacts((SIX,), ()), requested)
    assert [d.distribution.key for d in x86.distributions] == ["numpy", "six"]
    assert [d.distribution.key for d in arm.distributions] == ["six"]
    # The request, and so the process, names no platform: the engine runs it once.
    assert requested.count(InstallWheelRequest(SIX, "lambdas")) == 2
    assert len(set(requested)) == 2


@pytest.mark.parametrize(
    "exit_code, stdout, expected",
    [
        (
            HASH_MISMATCH_EXIT_CODE,
            json.dumps({"expected": "ab", "actual": "ef"}),
            "The lockfile a.lock of the resolve `lambdas` does not match what the index serves: "
            "six 1.17.0 (six-1.17.0-py3-none-any.whl) is pinned to sha256 ab, but the file "
            "downloaded hashes to ef.",
        ),
        (
            DOWNLOAD_FAILED_EXIT_CODE,
            "https://files.example/six-1.17.0-py3-none-any.whl: HTTP Error 404: Not Found",
            "Downloading six 1.17.0 (six-1.17.0-py3-none-any.whl), which the lockfile a.lock of "
            "the resolve `lambdas` pins, failed: https://files.example/six-1.17.0-py3-none-any.whl"
            ": HTTP Error 404: Not Found. Check that this machine reaches that URL",
        ),
    ],
)
def test_a_failed_install_names_the_wheel_the_lockfile_and_the_fix(
    exit_code: int, stdout: str, expected: str
) -> None:
    message = _explain_wheel_failure(
        InstallWheelRequest(SIX, "lambdas"), "a.lock", exit_code, stdout, ""
    )
    assert expected in message
