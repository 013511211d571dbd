"""Write a Lambda zip from its distributions and first-party sources, in cacheable processes.

Each distribution is zipped (and compiled) on its own, and verified, once per platform: that
zip depends only on the distribution's files, so every Lambda that needs it shares it. The final
zip copies their entries still compressed and adds the sources, so neither an edit to a handler
nor a new Lambda costs more with the size of its dependencies.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Optional

from pants.backend.python.util_rules import pex
from pants.backend.python.util_rules.interpreter_constraints import InterpreterConstraints
from pants.backend.python.util_rules.pex_environment import PythonExecutable
from pants.engine.addresses import Address
from pants.engine.fs import AddPrefix, CreateDigest, Digest, Directory, MergeDigests
from pants.engine.process import FallibleProcessResult, Process, ProcessResult
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.util.docutil import bin_name
from pants.util.strutil import bullet_list, softwrap

from aws_lambda.distributions import Distribution
from aws_lambda.runtimes import LambdaPlatform
from aws_lambda.scripts.slim import SlimPatterns
from aws_lambda.scripts.zip_writer import (
    FIRST_PARTY_PROBLEMS_EXIT_CODE,
    FirstPartyCheck,
    TreeBytes,
)
from aws_lambda.util_rules import platform, verify
from aws_lambda.util_rules.install import InstalledDistribution
from aws_lambda.util_rules.platform import RuntimeInterpreterRequest
from aws_lambda.util_rules.scripts import REMOTE_CACHE_FIRST_MILLIS, LambdaScripts
from aws_lambda.util_rules.verify import (
    LambdaZipVerificationError,
    VerifiedLambdaZip,
    VerifyLambdaZipRequest,
)

_DEPENDENCIES = "__dependencies"
_TREE = "__tree"
# Any CPython runs the stdlib-only writer; pinning a range keeps the process cache key stable.
_ANY_INTERPRETER = InterpreterConstraints(["CPython>=3.9,<4"])


class LambdaSourceError(Exception):
    pass


@dataclass(frozen=True)
class ZipInterpreterRequest:
    """The CPython to write the zips of the target at `address` with.

    With `compile_for`, it is exactly that CPython version, which compiles the bytecode.
    """

    address: Address
    compile_for: Optional[tuple[int, int]]


@dataclass(frozen=True)
class ZipInterpreter:
    """The CPython that writes a target's zips, and the Python version it compiles bytecode for."""

    python: PythonExecutable
    compile_for: Optional[tuple[int, int]]


@dataclass(frozen=True)
class BuildLambdaZipRequest:
    """Zip `dependencies` and then `sources`, both under the archive folder `prefix`.

    The dependencies are slimmed as `slim` says (not at all if None) and verified for
    `platform`, and the sources are checked as `first_party` says. With the interpreter's
    `compile_for`, both also get bytecode, the dependencies' in place of their sources if
    `sourceless`.
    """

    address: Address
    platform: LambdaPlatform
    dependencies: tuple[InstalledDistribution, ...]
    sources: Digest
    first_party: FirstPartyCheck
    prefix: str
    output_file: str
    interpreter: ZipInterpreter
    slim: Optional[SlimPatterns] = None
    sourceless: bool = False


@dataclass(frozen=True)
class LambdaZip:
    digest: Digest
    output_file: str
    file_count: int
    unzipped_size: int
    zipped_size: int
    sha256_base64: str
    tree: TreeBytes = TreeBytes()  # What its own tree added, without its bases.
    slimmed_size: int = 0
    slimmable: TreeBytes = TreeBytes()
    kept_for_imports: tuple[str, ...] = ()


@dataclass(frozen=True)
class BuiltLambdaZip:
    """A Lambda zip, and the zip of each of its distributions that it copied."""

    zip: LambdaZip
    dependencies: tuple[tuple[Distribution, LambdaZip], ...]


@dataclass(frozen=True)
class _ZipTreeRequest:
    tree: Digest
    prefix: str
    output_file: str
    description: str
    interpreter: ZipInterpreter
    bases: tuple[LambdaZip, ...] = ()
    first_party: Optional[FirstPartyCheck] = None
    address: Optional[Address] = None  # Of the target whose first-party code this is.
    slim: Optional[SlimPatterns] = None
    sourceless: bool = False


@rule
async def find_zip_interpreter(request: ZipInterpreterRequest) -> ZipInterpreter:
    """Any CPython writes zips; bytecode needs exactly the runtime's."""
    if request.compile_for is None:
        python = await Get(PythonExecutable, InterpreterConstraints, _ANY_INTERPRETER)
        return ZipInterpreter(python, compile_for=None)
    python = await Get(
        PythonExecutable,
        RuntimeInterpreterRequest(
            request.compile_for,
            need=f"The target {request.address} compiles bytecode (`compile_bytecode`), so needs",
            alternative=(
                ", or set `compile_bytecode=False` on the target (or `[lambda].compile_bytecode "
                "= false`) to ship sources only"
            ),
        ),
    )
    return ZipInterpreter(python, request.compile_for)


@rule
async def zip_tree(request: _ZipTreeRequest, lambda_scripts: LambdaScripts) -> LambdaZip:
    empty_tree, tree = await MultiGet(
        Get(Digest, CreateDigest([Directory(_TREE)])),
        Get(Digest, AddPrefix(request.tree, _TREE)),
    )
    base_args = [arg for base in request.bases for arg in ("--base", base.output_file)]
    compile_for = request.interpreter.compile_for
    compile_args = ("--compile-for", "{}.{}".format(*compile_for)) if compile_for else ()
    first_party_args = _first_party_args(request.first_party) if request.first_party else ()
    slim_args = _slim_args(request.slim) if request.slim else ()
    sourceless_args = ("--sourceless",) if request.sourceless else ()
    input_digest = await Get(
        Digest,
        MergeDigests(
            [lambda_scripts.digest, empty_tree, tree, *(base.digest for base in request.bases)]
        ),
    )
    python = request.interpreter.python
    process = Process(
        argv=LambdaScripts.argv(
            python,
            "zip_writer",
            "--root",
            _TREE,
            "--prefix",
            request.prefix,
            "--output",
            request.output_file,
            *base_args,
            *compile_args,
            *sourceless_args,
            *slim_args,
            *first_party_args,
        ),
        input_digest=input_digest,
        output_files=(request.output_file,),
        append_only_caches=python.append_only_caches,
        description=request.description,
        remote_cache_speculation_delay_millis=REMOTE_CACHE_FIRST_MILLIS,
    )
    checked = await Get(FallibleProcessResult, Process, process)
    if checked.exit_code == FIRST_PARTY_PROBLEMS_EXIT_CODE and request.first_party:
        raise LambdaSourceError(_describe_source_problems(request, json.loads(checked.stdout)))
    # The same process: it does not run again, but a failure raises with its output.
    result = await Get(ProcessResult, Process, process)
    summary = json.loads(result.stdout)
    return LambdaZip(
        digest=result.output_digest,
        output_file=request.output_file,
        file_count=summary["file_count"],
        unzipped_size=summary["uncompressed_bytes"],
        zipped_size=summary["zip_bytes"],
        sha256_base64=summary["sha256_base64"],
        tree=TreeBytes(**summary["tree"]),
        slimmed_size=summary["slimmed_bytes"],
        slimmable=TreeBytes(**summary["slimmable"]),
        kept_for_imports=tuple(summary["kept_for_imports"]),
    )


@rule
async def build_lambda_zip(request: BuildLambdaZipRequest) -> BuiltLambdaZip:
    dependency_zips = await MultiGet(
        Get(
            LambdaZip,
            _ZipTreeRequest(
                dist.digest,
                request.prefix,
                f"{_DEPENDENCIES}/{dist.distribution.key}-{dist.distribution.version}.zip",
                f"Zipping {dist.distribution} for {request.platform}",
                request.interpreter,
                slim=request.slim.for_paths(dist.distribution.files) if request.slim else None,
                sourceless=request.sourceless,
            ),
        )
        for dist in request.dependencies
    )
    verified = await MultiGet(
        Get(
            VerifiedLambdaZip,
            VerifyLambdaZipRequest(
                str(dist.distribution),
                request.interpreter.python,
                dependency_zip.digest,
                dependency_zip.output_file,
                request.platform,
                request.prefix,
                # One distribution's zip, written from its own install: nothing replaced a file.
                check_records=False,
            ),
        )
        for dist, dependency_zip in zip(request.dependencies, dependency_zips)
    )
    problems = [problem for result in verified for problem in result.problems]
    if problems:
        raise LambdaZipVerificationError(
            f"The zip of {request.address} would fail on {request.platform}, so it was not "
            f"written:\n\n{bullet_list(problems)}"
        )
    lambda_zip = await Get(
        LambdaZip,
        _ZipTreeRequest(
            request.sources,
            request.prefix,
            request.output_file,
            f"Zipping {request.address}",
            request.interpreter,
            bases=dependency_zips,
            first_party=request.first_party,
            address=request.address,
        ),
    )
    distributions = tuple(dist.distribution for dist in request.dependencies)
    return BuiltLambdaZip(lambda_zip, tuple(zip(distributions, dependency_zips)))


def _slim_args(patterns: SlimPatterns) -> tuple[str, ...]:
    return (
        "--slim",
        *(arg for pattern in patterns.keep for arg in ("--slim-keep", pattern)),
        *(arg for pattern in patterns.drop for arg in ("--slim-drop", pattern)),
    )


def _first_party_args(check: FirstPartyCheck) -> tuple[str, ...]:
    return (
        "--first-party",
        "{}.{}".format(*check.python_version),
        *(("--check-imports",) if check.check_imports else ()),
        *(arg for module in check.provided_modules for arg in ("--provided-module", module)),
    )


def _describe_source_problems(request: _ZipTreeRequest, problems: list[dict]) -> str:
    lines = [f"{problem['path']}:{problem['line']} {problem['message']}" for problem in problems]
    fixes = []
    if any(problem["module"] for problem in problems):
        fixes.append(
            softwrap(
                f"""
                For a missing module: add a dependency on the code or requirement that provides
                it (`{bin_name()} dependencies --transitive {request.address}` lists what is in
                the zip); if that code is in another resolve, move it to this target's
                `resolve` or `parametrize` the resolve of both; if the module is only found at
                run time, mark the import with `# pants: no-infer-dep`, or set
                `check_imports=False` on the target.
                """
            )
        )
    return "\n\n".join(
        [
            f"The first-party code of {request.address} would fail when Lambda loads it, so "
            f"its zip was not written:\n\n{bullet_list(lines)}",
            *fixes,
        ]
    )


def rules():
    return (*collect_rules(), *pex.rules(), *platform.rules(), *verify.rules())
