from __future__ import annotations

import json
import logging
import os
import subprocess
from datetime import date
from pathlib import Path
from textwrap import dedent

import pytest
from pants.engine.addresses import Address
from pants.engine.target import InvalidFieldException
from pants.testutil.rule_runner import RuleRunner, engine_error

from aws_lambda.goals.package import LambdaFunctionFieldSet
from aws_lambda.runtimes import (
    LambdaArchitecture,
    LambdaPlatform,
    LambdaRuntime,
    RuntimeUpdatesBlockedError,
)
from aws_lambda.testutil import (
    PackagedZip,
    lambda_rule_runner,
    package_zip,
    set_pex_options,
    use_lockfile_locked_for_python311_only,
)
from aws_lambda.util_rules import assemble
from aws_lambda.util_rules.assemble import LambdaOutputPathCollisionError, LambdaPathCollisionError
from aws_lambda.util_rules.closure import LambdaSourceEncodingError
from aws_lambda.util_rules.platform import LambdaLockfileStaleError
from aws_lambda.util_rules.verify import LambdaZipVerificationError
from aws_lambda.util_rules.zips import LambdaSourceError

ELF_MACHINE_X86_64 = 62
ELF_MACHINE_AARCH64 = 183


@pytest.fixture
def rule_runner() -> RuleRunner:
    return lambda_rule_runner()


def write_example(rule_runner: RuleRunner, lambda_fields: str, extra_build: str = "") -> None:
    rule_runner.write_files(
        {
            "3rdparty/BUILD": dedent(
                """\
                python_requirement(name="msgspec", requirements=["msgspec==0.19.0"])
                python_requirement(name="structlog", requirements=["structlog==24.4.0"])
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


                class Event(msgspec.Struct):
                    name: str


                def handler(event, context):
                    return {"message": greet(msgspec.convert(event, Event).name)}
                """
            ),
            "src/app/BUILD": (
                f"python_sources(name='lib')\n\nlambda_function({lambda_fields})\n{extra_build}"
            ),
        }
    )


def package(rule_runner: RuleRunner, address: Address) -> PackagedZip:
    return package_zip(rule_runner, LambdaFunctionFieldSet, address)


def elf_machine(data: bytes) -> int:
    assert data[:4] == b"\x7fELF"
    return int.from_bytes(data[18:20], "little")


def test_zip_has_the_handler_closure_only(rule_runner: RuleRunner, tmp_path: Path) -> None:
    write_example(rule_runner, "name='app', handler='handler.py:handler', runtime='python3.11'")
    packaged = package(rule_runner, Address("src/app", target_name="app"))
    archive = packaged.archive

    names = set(archive.namelist())
    assert {"app/handler.py", "shared/greeting.py", "msgspec/__init__.py"} <= names
    assert "msgspec/_core.cpython-311-x86_64-linux-gnu.so" in names
    assert not any(name.startswith("structlog") for name in names), "not imported"
    assert not any(name.startswith(("__main__", "PEX-INFO", ".deps")) for name in names)
    for info in archive.infolist():
        assert info.date_time == (1980, 1, 1, 0, 0, 0)
        assert (info.external_attr >> 16) & 0o777 in (0o644, 0o755)

    zip_artifact, report_artifact = packaged.built.artifacts
    assert (zip_artifact.relpath, report_artifact.relpath) == (
        "src.app/app.zip",
        "src.app/app.zip.metadata.json",
    )
    assert packaged.report["handler"] == "app.handler.handler"
    assert [dist["name"] for dist in packaged.report["distributions"]] == ["msgspec"]
    log = packaged.log
    assert "Handler: app.handler.handler" in log
    assert "Runtime: python3.11 (x86_64)" in log
    assert "zipped" in log and "unzipped" in log

    python311 = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"), "versions")
    candidates = sorted(python311.glob("3.11*/bin/python3.11"))
    if not candidates:
        pytest.skip("No CPython 3.11 to invoke the handler with.")
    archive.extractall(tmp_path)
    invoke = (
        f"import sys, json; sys.path.insert(0, {str(tmp_path)!r}); "
        "from app.handler import handler; print(json.dumps(handler({'name': 'lambda'}, None)))"
    )
    result = subprocess.run(
        [str(candidates[-1]), "-I", "-S", "-c", invoke], capture_output=True, check=True
    )
    assert json.loads(result.stdout) == {"message": "hello lambda"}


def test_arm64_zip_has_aarch64_extensions(rule_runner: RuleRunner) -> None:
    write_example(
        rule_runner,
        "name='app', handler='app.handler:handler', runtime='python3.12', architecture='arm64'",
    )
    packaged = package(rule_runner, Address("src/app", target_name="app"))

    extensions = [name for name in packaged.archive.namelist() if name.endswith(".so")]
    assert extensions == ["msgspec/_core.cpython-312-aarch64-linux-gnu.so"]
    assert elf_machine(packaged.archive.read(extensions[0])) == ELF_MACHINE_AARCH64
    assert "Runtime: python3.12 (arm64)" in packaged.log
    assert (packaged.report["runtime"], packaged.report["architecture"]) == ("python3.12", "arm64")


def test_missing_handler_function(rule_runner: RuleRunner) -> None:
    write_example(rule_runner, "name='app', handler='handler.py:handle'")
    with engine_error(InvalidFieldException, contains="Did you mean 'handler'?"):
        package(rule_runner, Address("src/app", target_name="app"))


def test_handler_module_not_in_closure(rule_runner: RuleRunner) -> None:
    write_example(rule_runner, "name='app', handler='app.missing:handler'")
    with engine_error(InvalidFieldException, contains="no dependency of the target provides it"):
        package(rule_runner, Address("src/app", target_name="app"))


@pytest.mark.parametrize(
    "fields, message",
    [
        (
            "runtime='python3.8'",
            "Values for the 'runtime' field in target src/app:app must be one of ['python3.10', "
            "'python3.11', 'python3.12', 'python3.13', 'python3.14', 'python3.9'], but "
            "'python3.8' was provided.",
        ),
        (
            "architecture='amd64'",
            "Values for the 'architecture' field in target src/app:app must be one of ['arm64', "
            "'x86_64'], but 'amd64' was provided.",
        ),
        ("handler='handler'", "Invalid handler 'handler': expected exactly one ':'"),
        ("handler='*.py:handler'", "file '*.py' is a glob, but a handler is in one file"),
        (
            "max_unzipped_size='10 parsecs'",
            "The `max_unzipped_size` field of the target src/app:app is invalid: '10 parsecs' is "
            "not a size.",
        ),
        (
            "max_unzipped_size='300MB'",
            "is 300.0 MiB; it must be more than 0 and at most Lambda's own limit, 250.0 MiB.",
        ),
        (
            "runtime_provided='skip'",
            "Values for the 'runtime_provided' field in target src/app:app must be one of "
            "['exclude', 'include'], but 'skip' was provided",
        ),
        (
            f"layers={[f'src/layer{n}' for n in range(6)]!r}",
            "names 6 layers, but a Lambda function can use at most 5. Merge some of them",
        ),
    ],
)
def test_invalid_fields(rule_runner: RuleRunner, fields: str, message: str) -> None:
    handler = "" if "handler=" in fields else "handler='handler.py:handler', "
    write_example(rule_runner, f"name='app', {handler}{fields}")
    with engine_error(contains=message):
        rule_runner.get_target(Address("src/app", target_name="app"))


def test_platform_missing_from_the_lockfile(rule_runner: RuleRunner) -> None:
    use_lockfile_locked_for_python311_only(rule_runner)
    write_example(rule_runner, "name='app', handler='handler.py:handler', runtime='python3.12'")
    with engine_error(
        LambdaLockfileStaleError,
        contains=(
            "builds for python3.12 x86_64 (cp312-cp312-manylinux_2_34_x86_64), but the lockfile "
            "lambdas.lock of the resolve `python-default` holds no wheels for that platform; it "
            "was locked for: cp311-cp311-manylinux_2_26_x86_64. Run `pants generate-lockfiles` "
            "to lock it"
        ),
    ):
        package(rule_runner, Address("src/app", target_name="app"))


def test_runtime_outside_the_interpreter_constraints(rule_runner: RuleRunner) -> None:
    write_example(rule_runner, "name='app', handler='handler.py:handler', runtime='python3.10'")
    with engine_error(
        InvalidFieldException,
        contains=(
            "The `runtime` of the target src/app:app is python3.10, but its code's interpreter "
            "constraints (CPython<3.14,>=3.11) do not allow Python 3.10. Set `runtime` to one "
            "of: python3.11, python3.12, python3.13"
        ),
    ):
        package(rule_runner, Address("src/app", target_name="app"))


def test_own_complete_platform_replaces_the_generated_one(rule_runner: RuleRunner) -> None:
    platform = LambdaPlatform(LambdaRuntime.python3_12, LambdaArchitecture.arm64)
    platform_json = platform.complete_platform_json()
    rule_runner.write_files({"src/app/platform.json": platform_json})
    write_example(
        rule_runner,
        "name='app', handler='handler.py:handler', complete_platforms=[':platform'], "
        "architecture='arm64'",
        extra_build="file(name='platform', source='platform.json')",
    )
    packaged = package(rule_runner, Address("src/app", target_name="app"))

    assert "msgspec/_core.cpython-312-aarch64-linux-gnu.so" in packaged.archive.namelist()
    assert "    Complete platforms: src/app/platform.json" in packaged.log

    # The zip is verified against `runtime` and `architecture`, which Lambda is configured with.
    write_example(
        rule_runner,
        "name='app', handler='handler.py:handler', complete_platforms=[':platform']",
        extra_build="file(name='platform', source='platform.json')",
    )
    with engine_error(
        LambdaZipVerificationError,
        contains="is an ELF binary for aarch64, but the function runs on x86_64",
    ):
        package(rule_runner, Address("src/app", target_name="app"))


def test_first_party_file_shadowing_a_distribution_fails(rule_runner: RuleRunner) -> None:
    write_example(
        rule_runner,
        "name='app', handler='handler.py:handler', runtime='python3.11', "
        "dependencies=['3rdparty:structlog', 'src/structlog']",
        extra_build="",
    )
    rule_runner.write_files(
        {"src/structlog/__init__.py": "# our own\n", "src/structlog/BUILD": "python_sources()"}
    )
    with engine_error(
        LambdaPathCollisionError,
        contains=(
            "The first-party file structlog/__init__.py of src/app:app has the same path as a "
            "file of the distribution structlog 24.4.0, so one would shadow the other in the zip."
        ),
    ):
        package(rule_runner, Address("src/app", target_name="app"))


def test_a_zip_whose_code_would_not_import_is_not_written(rule_runner: RuleRunner) -> None:
    write_example(rule_runner, "name='app', handler='handler.py:handler', runtime='python3.11'")
    rule_runner.write_files(
        {
            # `nsorg` has no BUILD file, so no target owns it and inference cannot find it.
            "src/nsorg/__init__.py": "",
            "src/app/handler.py": (
                "import msgspec\nimport nsorg\n\n\ndef handler(event, context):\n" "    return {}\n"
            ),
        }
    )
    with engine_error(
        LambdaSourceError,
        contains=(
            "The first-party code of src/app:app would fail when Lambda loads it, so its zip was "
            "not written:\n\n  * app/handler.py:2 imports `nsorg`, but `nsorg` is not in the zip"
        ),
    ):
        package(rule_runner, Address("src/app", target_name="app"))

    write_example(
        rule_runner,
        "name='app', handler='handler.py:handler', runtime='python3.11', check_imports=False",
    )
    rule_runner.write_files(
        {"src/app/handler.py": "import nsorg\n\n\ndef handler(event, context):\n    return {}\n"}
    )
    assert "nsorg" not in str(
        package(rule_runner, Address("src/app", target_name="app")).archive.namelist()
    )


def test_a_handler_the_runtime_cannot_compile_is_an_error(rule_runner: RuleRunner) -> None:
    write_example(rule_runner, "name='app', handler='handler.py:handler', runtime='python3.11'")
    rule_runner.write_files({"src/app/handler.py": "def handler(event, context):\n    return {\n"})
    with engine_error(
        LambdaSourceError,
        contains="app/handler.py:2 cannot be compiled by Python 3.11: '{' was never closed.",
    ):
        package(rule_runner, Address("src/app", target_name="app"))


def test_first_party_module_shadowing_a_distribution_fails(rule_runner: RuleRunner) -> None:
    write_example(
        rule_runner,
        "name='app', handler='handler.py:handler', runtime='python3.11', "
        "dependencies=['3rdparty:msgspec', 'src:msgspec_helpers']",
        extra_build="",
    )
    rule_runner.write_files(
        {
            "src/msgspec.py": "# our own\n",
            "src/BUILD": "python_sources(name='msgspec_helpers', sources=['msgspec.py'])",
        }
    )
    with engine_error(
        LambdaPathCollisionError,
        contains=(
            "The first-party module msgspec.py of src/app:app and the package msgspec/ of the "
            "distribution msgspec 0.19.0 are both the module `msgspec` at the root of the zip"
        ),
    ):
        package(rule_runner, Address("src/app", target_name="app"))


def test_two_lambdas_writing_one_zip_name_the_field(rule_runner: RuleRunner) -> None:
    write_example(
        rule_runner,
        "name='app', handler='handler.py:handler', runtime='python3.11'",
        extra_build=(
            "lambda_function(name='again', handler='handler.py:handler', runtime='python3.11', "
            "output_path='src.app/app.zip')"
        ),
    )
    with engine_error(
        LambdaOutputPathCollisionError,
        contains=(
            "The target src/app:app writes its zip to src.app/app.zip, and so does "
            "src/app:again: one would overwrite the other in `dist/`. Set another `output_path`"
        ),
    ):
        package(rule_runner, Address("src/app", target_name="app"))


def test_a_source_file_that_is_not_utf8_is_named(rule_runner: RuleRunner) -> None:
    set_pex_options(rule_runner, "--source-root-patterns=['src']", "--python-infer-use-rust-parser")
    write_example(rule_runner, "name='app', handler='handler.py:handler', runtime='python3.11'")
    rule_runner.write_files(
        {
            "src/shared/latin.py": "# caf\xe9\n".encode("latin-1"),
            "src/app/handler.py": "from shared import latin\n\ndef handler(event, context): ...\n",
        }
    )
    with engine_error(
        LambdaSourceEncodingError,
        contains=(
            "Pants cannot infer the dependencies of src/app:app, because these source files are "
            "not UTF-8, which Pants' import parser reads (and Python, by default, too):\n\n"
            "  * src/shared/latin.py is not UTF-8 (byte 0xe9 at offset 5)\n\n"
            "Save them as UTF-8"
        ),
    ):
        package(rule_runner, Address("src/app", target_name="app"))


def package_on(monkeypatch: pytest.MonkeyPatch, today: date) -> None:
    """Make packaging believe that today is `today`."""

    class Today(date):
        @classmethod
        def today(cls) -> Today:
            return cls(today.year, today.month, today.day)

    monkeypatch.setattr(assemble, "date", Today)


def test_a_deprecated_runtime_packages_with_one_warning(
    rule_runner: RuleRunner, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    package_on(monkeypatch, date(2026, 12, 2))
    set_pex_options(
        rule_runner,
        "--source-root-patterns=['src']",
        "--python-interpreter-constraints=['CPython>=3.9,<3.14']",
    )
    write_example(rule_runner, "name='app', handler='handler.py:handler', runtime='python3.9'")
    with caplog.at_level(logging.WARNING):
        packaged = package(rule_runner, Address("src/app", target_name="app"))
    assert "msgspec/_core.cpython-39-x86_64-linux-gnu.so" in packaged.archive.namelist()
    warnings = [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and r.name.startswith("aws_lambda")
    ]
    assert warnings == [
        "The target src/app:app uses the Lambda runtime python3.9, deprecated by AWS on "
        "2025-12-15: it gets no security patches. AWS blocks creating its functions from "
        "2027-02-01 and updating them from 2027-03-03. Move `runtime` to python3.14."
    ]


def test_a_runtime_whose_updates_aws_blocks_does_not_package(
    rule_runner: RuleRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    package_on(monkeypatch, date(2027, 3, 3))
    write_example(rule_runner, "name='app', handler='handler.py:handler', runtime='python3.9'")
    with engine_error(
        RuntimeUpdatesBlockedError,
        contains="uses the Lambda runtime python3.9, whose functions AWS has not let anyone",
    ):
        package(rule_runner, Address("src/app", target_name="app"))
