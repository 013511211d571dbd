"""sdist-only requirements from PyPI: docopt (pure Python) and crcmod (a C extension)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from textwrap import dedent

import pytest
from pants.backend.python.util_rules.interpreter_constraints import InterpreterConstraints
from pants.core.goals.generate_lockfiles import GenerateLockfileResult
from pants.engine.addresses import Address
from pants.engine.fs import DigestContents
from pants.engine.internals.scheduler import ExecutionError
from pants.testutil.rule_runner import RuleRunner
from pants.util.ordered_set import FrozenOrderedSet

from aws_lambda.goals.generate_lockfiles import GenerateLambdaLockfile
from aws_lambda.goals.package import LambdaFunctionFieldSet
from aws_lambda.pex_lock import read_lock
from aws_lambda.runtimes import LambdaPlatform, architecture_for, runtime_for
from aws_lambda.testutil import locking_rule_runner, package_zip
from aws_lambda.util_rules.install import LambdaDependenciesError
from aws_lambda.util_rules.sdists import NativeSdistError

PY311_X86_64 = LambdaPlatform(runtime_for("python3.11"), architecture_for("x86_64"))
PY312_ARM64 = LambdaPlatform(runtime_for("python3.12"), architecture_for("arm64"))
DOCOPT_SDIST = (
    "https://files.pythonhosted.org/packages/a2/55/8f8cab2afd404cf578136ef2cc5dfb50baa1761b68c9"
    "da1fb1e4eed343c9/docopt-0.6.2.tar.gz"
)
DOCOPT_SHA256 = "49b3a825280bd66b3aa83585ef59c4a8c82f2c8a522dbe754a8bc8d08c85c491"
CRCMOD_SDIST = (
    "https://files.pythonhosted.org/packages/6b/b0/e595ce2a2527e169c3bcd6c33d2473c1918e0b7f68"
    "26a043ca1245dd4e5b/crcmod-1.7.tar.gz"
)
CRCMOD_SHA256 = "dc7051a0db5f2bd48665a990d3ec1cc305a466a77358ca4492826f41f283601e"


@pytest.fixture
def rule_runner() -> RuleRunner:
    rule_runner = locking_rule_runner()
    return rule_runner


def write_lambdas(rule_runner: RuleRunner, requirement: str, module: str) -> None:
    """`src/fn:x86` for python3.11 x86_64 and `src/fn:arm` for python3.12 arm64."""
    rule_runner.write_files(
        {
            "src/fn/handler.py": f"import {module}\n\n\ndef handler(event, context):\n    pass\n",
            "src/fn/BUILD": dedent(
                f"""\
                python_requirement(name="req", requirements=["{requirement}"])
                python_sources(name="lib")
                lambda_function(name="x86", handler="handler.py:handler", runtime="python3.11")
                lambda_function(name="arm", handler="handler.py:handler", runtime="python3.12",
                                architecture="arm64")
                """
            ),
        }
    )


def lock(rule_runner: RuleRunner, requirement: str) -> str:
    request = GenerateLambdaLockfile(
        requirements=FrozenOrderedSet([requirement]),
        interpreter_constraints=InterpreterConstraints(["CPython>=3.11,<3.14"]),
        platforms=(PY311_X86_64, PY312_ARM64),
        resolve_name="python-default",
        lockfile_dest="lambdas.lock",
        diff=False,
    )
    result = rule_runner.request(GenerateLockfileResult, [request])
    (content,) = rule_runner.request(DigestContents, [result.digest])
    return content.content.decode()


def test_a_pure_python_sdist_serves_every_platform(rule_runner: RuleRunner, tmp_path: Path) -> None:
    write_lambdas(rule_runner, "docopt==0.6.2", "docopt")
    lockfile = lock(rule_runner, "docopt==0.6.2")
    artifacts = [
        requirement["artifacts"]
        for resolve in read_lock(lockfile)["locked_resolves"]
        for requirement in resolve["locked_requirements"]
    ]
    sdist = {"url": DOCOPT_SDIST, "algorithm": "sha256", "hash": DOCOPT_SHA256}
    assert artifacts == [[sdist], [sdist]], "hash-pinned to the sdist, for both platforms"
    rule_runner.write_files({"lambdas.lock": lockfile})

    x86 = package_zip(rule_runner, LambdaFunctionFieldSet, Address("src/fn", target_name="x86"))
    arm = package_zip(rule_runner, LambdaFunctionFieldSet, Address("src/fn", target_name="arm"))
    for packaged in (x86, arm):
        assert "docopt.py" in packaged.archive.namelist()
        wheel = packaged.archive.read("docopt-0.6.2.dist-info/WHEEL").decode()
        assert "Tag: py3-none-any" in wheel
    x86.archive.extractall(tmp_path)
    # As Lambda does, with the zip's root first on the path and nothing of this machine's.
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]); import docopt; print(docopt.__file__); "
        "print(docopt.docopt('usage: x <n>', ['7'])['<n>'])"
    )
    imported = subprocess.run(
        ["/root/.pyenv/versions/3.11.7/bin/python", "-I", "-S", "-c", script, str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert imported.stdout.splitlines() == [str(tmp_path / "docopt.py"), "7"]


def test_an_sdist_with_native_code_fails_the_lock(rule_runner: RuleRunner) -> None:
    write_lambdas(rule_runner, "crcmod==1.7", "crcmod")
    with pytest.raises(ExecutionError) as error:
        lock(rule_runner, "crcmod==1.7")
    (underlying,) = error.value.wrapped_exceptions
    assert isinstance(underlying, NativeSdistError)
    message = str(underlying)
    assert "The resolve `python-default` needs distributions that publish only an sdist" in message
    assert "- crcmod 1.7 (crcmod-1.7.tar.gz) builds into a cp3" in message
    assert "-linux_x86_64 wheel, needed for " in message
    assert "python3.11 x86_64 by src/fn:x86; python3.12 arm64 by src/fn:arm." in message
    assert "cannot be cross-built without the target's toolchain" in message
    assert "`[python-repos].find_links`" in message


def test_a_lockfile_made_elsewhere_cannot_slip_native_code_into_a_zip(
    rule_runner: RuleRunner,
) -> None:
    write_lambdas(rule_runner, "crcmod==1.7", "crcmod")
    crcmod = {
        "project_name": "crcmod",
        "version": "1.7",
        "artifacts": [{"url": CRCMOD_SDIST, "algorithm": "sha256", "hash": CRCMOD_SHA256}],
        "requires_dists": [],
        "requires_python": None,
    }
    lockfile = {
        "style": "strict",
        "locked_resolves": [
            {
                "platform_tag": ["cp311", "cp311", "manylinux_2_26_x86_64"],
                "locked_requirements": [crcmod],
            }
        ],
    }
    rule_runner.write_files({"lambdas.lock": json.dumps(lockfile)})
    with pytest.raises(ExecutionError) as error:
        package_zip(rule_runner, LambdaFunctionFieldSet, Address("src/fn", target_name="x86"))
    (underlying,) = error.value.wrapped_exceptions
    assert isinstance(underlying, LambdaDependenciesError)
    message = str(underlying)
    assert "crcmod 1.7 (crcmod-1.7.tar.gz) builds into a cp3" in message
    assert "needed for python3.11 x86_64 by src/fn:x86." in message
    assert "generate-lockfiles --resolve=python-default" in message
