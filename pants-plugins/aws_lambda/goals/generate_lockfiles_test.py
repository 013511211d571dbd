from __future__ import annotations

import json
from pathlib import Path
from textwrap import dedent

import pytest
from pants.backend.python import target_types_rules as python_target_types_rules
from pants.backend.python.goals import lockfile as python_lockfile
from pants.backend.python.goals.lockfile import GeneratePythonLockfile
from pants.backend.python.subsystems.setup import PythonSetup
from pants.backend.python.target_types import PythonRequirementTarget
from pants.backend.python.util_rules.interpreter_constraints import InterpreterConstraints
from pants.core.goals import generate_lockfiles as core_generate_lockfiles
from pants.core.goals.generate_lockfiles import (
    GenerateLockfileResult,
    GenerateLockfilesGoal,
    KnownUserResolveNames,
    UserGenerateLockfiles,
)
from pants.core.target_types import FileTarget, LockfilesGeneratorTarget
from pants.engine.fs import Digest, DigestContents
from pants.testutil.option_util import create_subsystem
from pants.testutil.rule_runner import QueryRule, RuleRunner, engine_error, run_rule_with_mocks
from pants.util.ordered_set import FrozenOrderedSet

from aws_lambda.dev_hosts import DEFAULT_DEV_HOSTS, DevHost, DevHostPlatform, dev_host_platforms
from aws_lambda.goals import generate_lockfiles
from aws_lambda.goals.generate_lockfiles import (
    GenerateLambdaLockfile,
    KnownLambdaAwareResolveNamesRequest,
    LambdaLockfileConfigError,
    LambdaLockfileGenerationError,
    RequestedLambdaAwareResolveNames,
    determine_lambda_aware_resolves,
)
from aws_lambda.runtimes import LambdaPlatform, architecture_for, runtime_for
from aws_lambda.target_types import LambdaFunctionTarget
from aws_lambda.testutil import ENV_INHERIT, pex_options, set_pex_options

PY311_X86_64 = LambdaPlatform(runtime_for("python3.11"), architecture_for("x86_64"))
PY312_X86_64 = LambdaPlatform(runtime_for("python3.12"), architecture_for("x86_64"))


@pytest.fixture
def rule_runner() -> RuleRunner:
    rule_runner = RuleRunner(
        rules=[
            *python_target_types_rules.rules(),
            *generate_lockfiles.rules(),
            QueryRule(UserGenerateLockfiles, [RequestedLambdaAwareResolveNames]),
            QueryRule(GenerateLockfileResult, [GenerateLambdaLockfile]),
            QueryRule(DigestContents, [Digest]),
        ],
        target_types=[LambdaFunctionTarget, PythonRequirementTarget, FileTarget],
    )
    set_pex_options(
        rule_runner,
        "--python-enable-resolves",
        "--no-python-resolves-generate-lockfiles",
        "--python-resolves={'lambdas': 'lambdas.lock', 'tools': 'tools.lock'}",
        "--lambda-runtime=python3.12",
    )
    return rule_runner


def test_lambda_resolves_lock_for_their_platforms(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {
            "BUILD": dedent(
                """\
                python_requirement(name="numpy", requirements=["numpy"], resolve="lambdas")
                python_requirement(name="black", requirements=["black"], resolve="tools")
                lambda_function(name="a", handler="a:handler", resolve="lambdas")
                lambda_function(name="b", handler="b:handler", resolve="lambdas",
                                runtime="python3.11")
                lambda_function(name="c", handler="c:handler", resolve="lambdas",
                                runtime="python3.11")
                lambda_function(name="d", handler="d:handler", resolve="lambdas",
                                complete_platforms=[":platform"])
                file(name="platform", source="platform.json")
                """
            ),
            "platform.json": "{}",
        }
    )
    requests = rule_runner.request(
        UserGenerateLockfiles, [RequestedLambdaAwareResolveNames(["lambdas", "tools"])]
    )
    lambdas, tools = sorted(requests, key=lambda request: request.resolve_name)
    assert lambdas == GenerateLambdaLockfile(
        requirements=FrozenOrderedSet(["numpy"]),
        interpreter_constraints=InterpreterConstraints(["CPython>=3.11,<3.14"]),
        platforms=(PY311_X86_64, PY312_X86_64),
        complete_platform_addresses=("//:platform",),
        dev_platforms=dev_host_platforms(("3.11", "3.12", "3.13"), DEFAULT_DEV_HOSTS),
        resolve_name="lambdas",
        lockfile_dest="lambdas.lock",
        diff=False,
    )
    assert isinstance(tools, GeneratePythonLockfile)
    assert tools.requirements == FrozenOrderedSet(["black"])


def test_dev_hosts_are_configurable(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {
            "BUILD": dedent(
                """\
                python_requirement(name="six", requirements=["six"], resolve="lambdas")
                lambda_function(name="a", handler="a:handler", resolve="lambdas")
                """
            )
        }
    )
    set_pex_options(
        rule_runner,
        "--python-enable-resolves",
        "--no-python-resolves-generate-lockfiles",
        "--python-resolves={'lambdas': 'lambdas.lock'}",
        "--python-interpreter-constraints=['CPython==3.12.*']",
        "--lambda-dev-hosts=['linux-x86_64', 'windows-x86_64']",
    )
    (request,) = rule_runner.request(
        UserGenerateLockfiles, [RequestedLambdaAwareResolveNames(["lambdas"])]
    )
    assert isinstance(request, GenerateLambdaLockfile)
    assert request.dev_platforms == (
        DevHostPlatform((3, 12), DevHost.linux_x86_64),
        DevHostPlatform((3, 12), DevHost.windows_x86_64),
    )


def determine_resolves(*, resolves_generate_lockfiles: bool = False) -> KnownUserResolveNames:
    python_setup = create_subsystem(
        PythonSetup,
        resolves={"lambdas": "lambdas.lock"},
        resolves_generate_lockfiles=resolves_generate_lockfiles,
    )
    return run_rule_with_mocks(
        determine_lambda_aware_resolves,
        rule_args=[KnownLambdaAwareResolveNamesRequest(), python_setup],
    )


def test_claims_the_python_resolves() -> None:
    known = determine_resolves()
    assert known.names == ("lambdas",)
    # The same option name as the Python backend's, so no resolve is reported as ambiguous.
    assert known.option_name == "[python].resolves"
    assert known.requested_resolve_names_cls is RequestedLambdaAwareResolveNames


def test_pants_own_lockfile_generation_must_be_off() -> None:
    with pytest.raises(LambdaLockfileConfigError, match="resolves_generate_lockfiles = false"):
        determine_resolves(resolves_generate_lockfiles=True)


def generate(
    rule_runner: RuleRunner, requirement: str, dev_platforms: tuple[DevHostPlatform, ...] = ()
) -> dict:
    request = GenerateLambdaLockfile(
        requirements=FrozenOrderedSet([requirement]),
        interpreter_constraints=InterpreterConstraints(["CPython>=3.11,<3.13"]),
        platforms=(PY311_X86_64, PY312_X86_64),
        dev_platforms=dev_platforms,
        resolve_name="lambdas",
        lockfile_dest="lambdas.lock",
        diff=False,
    )
    result = rule_runner.request(GenerateLockfileResult, [request])
    (content,) = rule_runner.request(DigestContents, [result.digest])
    lines = content.content.decode().splitlines()
    assert lines[0].startswith("// This lockfile was autogenerated by Pants.")
    return json.loads("\n".join(line for line in lines if not line.startswith("//")))


def test_platforms_share_the_newest_version_they_all_have_wheels_for(
    rule_runner: RuleRunner,
) -> None:
    # numpy >= 2.3 ships only manylinux_2_27/2_28 wheels for CPython 3.11, which glibc 2.26
    # cannot load: python3.12 gets python3.11's newest numpy too.
    lock = generate(rule_runner, "numpy")
    versions = {
        tuple(resolve["platform_tag"]): [r["version"] for r in resolve["locked_requirements"]]
        for resolve in lock["locked_resolves"]
    }
    (py311_version,) = versions[("cp311", "cp311", "manylinux_2_26_x86_64")]
    assert py311_version.startswith("2.2.")
    assert versions[("cp312", "cp312", "manylinux_2_34_x86_64")] == [py311_version]
    assert lock["constraints"] == [f"numpy=={py311_version}"]


def test_a_version_without_wheels_for_some_platform_stays_split(rule_runner: RuleRunner) -> None:
    # numpy 2.2 has no wheels for CPython 3.14: the python3.14 host keeps a newer numpy.
    lock = generate(rule_runner, "numpy", dev_host_platforms(("3.14",), (DevHost.linux_x86_64,)))
    versions = {
        "-".join(resolve["platform_tag"]): resolve["locked_requirements"][0]["version"]
        for resolve in lock["locked_resolves"]
    }
    py311 = versions["cp311-cp311-manylinux_2_26_x86_64"]
    assert py311.startswith("2.2.")
    assert versions["cp314-cp314-manylinux_2_28_x86_64"] != py311
    assert lock["constraints"] == []


def test_each_platform_gets_the_newest_wheels_it_can_run(rule_runner: RuleRunner) -> None:
    # numpy >= 2.3 ships only manylinux_2_27/2_28 wheels: python3.12 (glibc 2.34) must get
    # one, python3.11 (glibc 2.26) must not.
    set_pex_options(
        rule_runner,
        "--python-enable-resolves",
        "--no-python-resolves-generate-lockfiles",
        "--python-resolves={'lambdas': 'lambdas.lock'}",
        "--lambda-lock-versions=newest-per-platform",
    )
    lock = generate(rule_runner, "numpy")
    wheels = {
        tuple(resolve["platform_tag"]): [
            artifact["url"].rsplit("/", 1)[-1]
            for requirement in resolve["locked_requirements"]
            for artifact in requirement["artifacts"]
        ]
        for resolve in lock["locked_resolves"]
    }
    (py311_wheel,) = wheels[("cp311", "cp311", "manylinux_2_26_x86_64")]
    (py312_wheel,) = wheels[("cp312", "cp312", "manylinux_2_34_x86_64")]
    assert "manylinux_2_28" not in py311_wheel and "manylinux_2_27" not in py311_wheel
    assert "manylinux_2_28_x86_64" in py312_wheel


def wheel_names(resolve: dict) -> list[str]:
    return [
        artifact["url"].rsplit("/", 1)[-1]
        for requirement in resolve["locked_requirements"]
        for artifact in requirement["artifacts"]
    ]


def test_dev_hosts_get_a_locked_resolve_of_their_own_wheels(rule_runner: RuleRunner) -> None:
    dev_platforms = dev_host_platforms(("3.12",), (DevHost.macos_x86_64, DevHost.macos_arm64))
    lock = generate(rule_runner, "msgspec", dev_platforms)
    resolves = {"-".join(r["platform_tag"]): r for r in lock["locked_resolves"]}
    assert set(resolves) == {
        "cp311-cp311-manylinux_2_26_x86_64",
        "cp312-cp312-manylinux_2_34_x86_64",
        "cp312-cp312-macosx_12_0_x86_64",
        "cp312-cp312-macosx_12_0_arm64",
    }
    (x86_64_wheel,) = wheel_names(resolves["cp312-cp312-macosx_12_0_x86_64"])
    (arm64_wheel,) = wheel_names(resolves["cp312-cp312-macosx_12_0_arm64"])
    assert x86_64_wheel.startswith("msgspec-") and "-cp312-cp312-macosx_" in x86_64_wheel
    assert x86_64_wheel.endswith(("_x86_64.whl", "_universal2.whl"))
    assert "-cp312-cp312-macosx_" in arm64_wheel
    assert arm64_wheel.endswith(("_arm64.whl", "_universal2.whl"))


def test_requirement_without_a_wheel_or_sdist_names_distribution_and_platform(
    rule_runner: RuleRunner,
) -> None:
    # pywin32 publishes Windows wheels only.
    with engine_error(
        LambdaLockfileGenerationError,
        contains=(
            "`pywin32` has no wheel or sdist for python3.11 x86_64 "
            "(cp311-cp311-manylinux_2_26_x86_64): no release of it installs on Linux at all."
        ),
    ):
        generate(rule_runner, "pywin32")


def test_resolve_and_diff_flags() -> None:
    # As in Pants, whose `pants.core` registers the Python backend's lockfile rules first.
    rule_runner = RuleRunner(
        rules=[
            *core_generate_lockfiles.rules(),
            *python_lockfile.rules(),
            *generate_lockfiles.rules(),
            *python_target_types_rules.rules(),
        ],
        target_types=[LambdaFunctionTarget, PythonRequirementTarget, LockfilesGeneratorTarget],
    )
    options = [
        *pex_options(),
        "--python-enable-resolves",
        "--no-python-resolves-generate-lockfiles",
        "--python-resolves={'lambdas': 'lambdas.lock', 'tools': 'tools.lock'}",
        "--lambda-dev-hosts=[]",
    ]
    old_lock = {
        "style": "strict",
        "locked_resolves": [
            {
                "platform_tag": ["cp311", "cp311", "manylinux_2_26_x86_64"],
                "locked_requirements": [{"project_name": "six", "version": "1.16.0"}],
            }
        ],
    }
    rule_runner.write_files(
        {
            "BUILD": dedent(
                """\
                python_requirement(name="six", requirements=["six==1.17.0"], resolve="lambdas")
                lambda_function(name="fn", handler="fn:handler", resolve="lambdas",
                                runtime="python3.11")
                """
            ),
            "lambdas.lock": json.dumps(old_lock),
        }
    )
    result = rule_runner.run_goal_rule(
        GenerateLockfilesGoal,
        global_args=options,
        args=["--resolve=lambdas", "--diff"],
        env_inherit=ENV_INHERIT,
    )
    assert result.exit_code == 0
    assert "six" in result.stderr and "1.16.0" in result.stderr and "1.17.0" in result.stderr
    assert "Upgraded" in result.stderr or "upgraded" in result.stderr

    lock_text = Path(rule_runner.build_root, "lambdas.lock").read_text()
    lock = json.loads(
        "\n".join(line for line in lock_text.splitlines() if not line.startswith("//"))
    )
    assert lock["style"] == "strict"
    ((resolve,)) = lock["locked_resolves"]
    assert resolve["platform_tag"] == ["cp311", "cp311", "manylinux_2_26_x86_64"]
    assert [r["version"] for r in resolve["locked_requirements"]] == ["1.17.0"]
    assert not Path(rule_runner.build_root, "tools.lock").exists(), "only the requested resolve"
