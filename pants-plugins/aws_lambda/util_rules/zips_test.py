from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from typing import Any

import pytest
from pants.backend.python.util_rules.interpreter_constraints import InterpreterConstraints
from pants.backend.python.util_rules.pex_environment import PythonExecutable
from pants.engine.addresses import Address
from pants.engine.fs import CreateDigest, Digest, DigestContents, FileContent
from pants.engine.internals.scheduler import ExecutionError
from pants.engine.process import ProcessExecutionFailure
from pants.testutil.rule_runner import QueryRule, RuleRunner, engine_error

from aws_lambda.distributions import Distribution
from aws_lambda.runtimes import LambdaPlatform, architecture_for, runtime_for
from aws_lambda.scripts.slim import SlimPatterns
from aws_lambda.scripts.zip_writer import FirstPartyCheck, TreeBytes
from aws_lambda.testutil import set_pex_options
from aws_lambda.util_rules import zips
from aws_lambda.util_rules.install import InstalledDistribution
from aws_lambda.util_rules.zips import (
    BuildLambdaZipRequest,
    BuiltLambdaZip,
    LambdaSourceError,
    ZipInterpreter,
)

ADDRESS = Address("src", target_name="fn")
PLATFORM = LambdaPlatform(runtime_for("python3.11"), architecture_for("x86_64"))


@pytest.fixture
def rule_runner() -> RuleRunner:
    rule_runner = RuleRunner(
        rules=[
            *zips.rules(),
            QueryRule(BuiltLambdaZip, [BuildLambdaZipRequest]),
            QueryRule(PythonExecutable, [InterpreterConstraints]),
            QueryRule(Digest, [CreateDigest]),
            QueryRule(DigestContents, [Digest]),
        ]
    )
    set_pex_options(rule_runner)
    return rule_runner


def digest(rule_runner: RuleRunner, *files: FileContent) -> Digest:
    return rule_runner.request(Digest, [CreateDigest(files)])


def sources_only(rule_runner: RuleRunner) -> ZipInterpreter:
    python = rule_runner.request(PythonExecutable, [InterpreterConstraints(["CPython>=3.9,<4"])])
    return ZipInterpreter(python, compile_for=None)


def installed(rule_runner: RuleRunner, name: str, *files: FileContent) -> InstalledDistribution:
    dist = Distribution(
        name, "1.0", tuple(f.path for f in files), sum(len(f.content) for f in files)
    )
    return InstalledDistribution(dist, digest(rule_runner, *files))


SYNTAX_ONLY = FirstPartyCheck((3, 11))


def build_zip(
    rule_runner: RuleRunner,
    dependencies: tuple[InstalledDistribution, ...],
    sources: Digest,
    check: FirstPartyCheck = SYNTAX_ONLY,
    prefix: str = "",
    output: str = "fn.zip",
    **options: Any,
) -> BuiltLambdaZip:
    request = BuildLambdaZipRequest(
        ADDRESS,
        PLATFORM,
        dependencies,
        sources,
        check,
        prefix,
        output,
        sources_only(rule_runner),
        **options,
    )
    return rule_runner.request(BuiltLambdaZip, [request])


def test_zips_each_distribution_then_sources_in_processes(rule_runner: RuleRunner) -> None:
    dependencies = (
        installed(
            rule_runner,
            "pkg",
            FileContent("pkg/__init__.py", b""),
            FileContent("pkg/data.txt", b"x" * 2000),
        ),
        installed(rule_runner, "tool", FileContent("bin/tool", b"#!/bin/sh\n", is_executable=True)),
    )
    sources = digest(rule_runner, FileContent("app/handler.py", b"def handler(e, c): ...\n"))
    built = build_zip(rule_runner, dependencies, sources, prefix="python/", output="out/fn.zip")
    lambda_zip = built.zip
    (content,) = rule_runner.request(DigestContents, [lambda_zip.digest])
    assert content.path == "out/fn.zip"
    archive = zipfile.ZipFile(io.BytesIO(content.content))
    assert archive.namelist() == [
        "python/",
        "python/pkg/",
        "python/pkg/__init__.py",
        "python/pkg/data.txt",
        "python/bin/",
        "python/bin/tool",
        "python/app/",
        "python/app/handler.py",
    ]
    assert (archive.getinfo("python/bin/tool").external_attr >> 16) & 0o777 == 0o755
    assert (lambda_zip.file_count, lambda_zip.unzipped_size) == (4, 2033)
    assert lambda_zip.zipped_size == len(content.content)
    assert (
        lambda_zip.sha256_base64
        == base64.b64encode(hashlib.sha256(content.content).digest()).decode()
    )
    assert [(dist.name, dist_zip.unzipped_size) for dist, dist_zip in built.dependencies] == [
        ("pkg", 2000),
        ("tool", 10),
    ]
    assert built.dependencies[1][1].slimmable == TreeBytes(other=10), "a script, not slimmed"


def test_slimming_leaves_out_what_no_import_needs(rule_runner: RuleRunner) -> None:
    dependencies = (
        installed(
            rule_runner,
            "pkg",
            FileContent("pkg/__init__.py", b""),
            FileContent("pkg/tests/test_pkg.py", b"import pkg\n" * 100),
            FileContent("pkg/big/blob.bin", b"x" * 100),
        ),
    )
    sources = digest(rule_runner, FileContent("app/handler.py", b"import pkg\n"))
    built = build_zip(rule_runner, dependencies, sources, slim=SlimPatterns(drop=("pkg/big/*",)))
    (content,) = rule_runner.request(DigestContents, [built.zip.digest])
    names = zipfile.ZipFile(io.BytesIO(content.content)).namelist()
    assert names == ["pkg/", "pkg/__init__.py", "app/", "app/handler.py"]
    ((_, pkg_zip),) = built.dependencies
    assert (pkg_zip.slimmed_size, pkg_zip.unzipped_size) == (1100 + 100, 0)


def test_source_shadowing_a_dependency_fails(rule_runner: RuleRunner) -> None:
    file = FileContent("shared/util.py", b"x = 1\n")
    with engine_error(ProcessExecutionFailure, contains="'shared/util.py' is both in"):
        build_zip(rule_runner, (installed(rule_runner, "shared", file),), digest(rule_runner, file))


HANDLER = b"""\
import json
import pkg.core
import nsorg
import app.missing
from app import util
try:
    import ujson
except ImportError:
    ujson = None
from typing import TYPE_CHECKING
if TYPE_CHECKING:
    import types_only
import plugins  # pants: no-infer-dep


def handler(event, context):
    import lazily_missing
"""


def build_with_check(rule_runner: RuleRunner, check: FirstPartyCheck) -> BuiltLambdaZip:
    sources = digest(
        rule_runner,
        FileContent("app/__init__.py", b""),
        FileContent("app/handler.py", HANDLER),
        FileContent("app/util.py", b"def f(:\n    pass\n"),
    )
    dependencies = (installed(rule_runner, "pkg", FileContent("pkg/core.py", b"")),)
    return build_zip(rule_runner, dependencies, sources, check)


def source_error(rule_runner: RuleRunner, check: FirstPartyCheck) -> str:
    with pytest.raises(ExecutionError) as exc_info:
        build_with_check(rule_runner, check)
    (error,) = exc_info.value.wrapped_exceptions
    assert isinstance(error, LambdaSourceError)
    return str(error)


def test_first_party_code_must_compile_and_import(rule_runner: RuleRunner) -> None:
    message = source_error(rule_runner, FirstPartyCheck((3, 11), check_imports=True))
    assert message.startswith(
        "The first-party code of src:fn would fail when Lambda loads it, so its zip was not "
        "written:\n\n"
        "  * app/handler.py:3 imports `nsorg`, but `nsorg` is not in the zip, its layers, or "
        "what the runtime provides.\n"
        "  * app/handler.py:4 imports `app.missing`, but `app.missing` is not in the zip,"
    )
    assert "app/handler.py:17 imports `lazily_missing`" in message
    assert "app/util.py:1 cannot be compiled by Python 3.11:" in message
    assert "`pants dependencies --transitive src:fn`" in message
    for allowed in ("json", "pkg.core", "ujson", "types_only", "plugins", "`app`"):
        assert f"imports {allowed}" not in message and f"imports `{allowed}`" not in message

    provided = source_error(
        rule_runner, FirstPartyCheck((3, 11), True, ("lazily_missing", "nsorg"))
    )
    assert "nsorg" not in provided and "lazily_missing" not in provided
    assert "app.missing" in provided

    syntax_only = source_error(rule_runner, FirstPartyCheck((3, 11), check_imports=False))
    assert "imports" not in syntax_only and "For a missing module" not in syntax_only
    assert "app/util.py:1 cannot be compiled" in syntax_only
