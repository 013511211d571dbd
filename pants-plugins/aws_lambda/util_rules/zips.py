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
from pants.engine.process import Process, ProcessResult
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.util.strutil import bullet_list

from aws_lambda.runtimes import LambdaPlatform
from aws_lambda.util_rules import platform, verify
from aws_lambda.util_rules.install import InstalledDistribution
from aws_lambda.util_rules.platform import RuntimeInterpreterRequest
from aws_lambda.util_rules.scripts import LambdaScripts
from aws_lambda.util_rules.verify import (
    LambdaZipVerificationError,
    VerifiedLambdaZip,
    VerifyLambdaZipRequest,
)

_DEPENDENCIES = "__dependencies"
_TREE = "__tree"
# Any CPython runs the stdlib-only writer; pinning a range keeps the process cache key stable.
_ANY_INTERPRETER = InterpreterConstraints(["CPython>=3.9,<4"])


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

    The dependencies are verified for `platform`. With the interpreter's `compile_for`, both also
    get bytecode.
    """

    address: Address
    platform: LambdaPlatform
    dependencies: tuple[InstalledDistribution, ...]
    sources: Digest
    prefix: str
    output_file: str
    interpreter: ZipInterpreter


@dataclass(frozen=True)
class LambdaZip:
    digest: Digest
    output_file: str
    file_count: int
    unzipped_size: int
    zipped_size: int
    sha256_base64: str


@dataclass(frozen=True)
class _ZipTreeRequest:
    tree: Digest
    prefix: str
    output_file: str
    description: str
    interpreter: ZipInterpreter
    bases: tuple[LambdaZip, ...] = ()


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
    input_digest = await Get(
        Digest,
        MergeDigests(
            [lambda_scripts.digest, empty_tree, tree, *(base.digest for base in request.bases)]
        ),
    )
    python = request.interpreter.python
    result = await Get(
        ProcessResult,
        Process(
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
            ),
            input_digest=input_digest,
            output_files=(request.output_file,),
            append_only_caches=python.append_only_caches,
            description=request.description,
        ),
    )
    summary = json.loads(result.stdout)
    return LambdaZip(
        digest=result.output_digest,
        output_file=request.output_file,
        file_count=summary["file_count"],
        unzipped_size=summary["uncompressed_bytes"],
        zipped_size=summary["zip_bytes"],
        sha256_base64=summary["sha256_base64"],
    )


@rule
async def build_lambda_zip(request: BuildLambdaZipRequest) -> LambdaZip:
    dependency_zips = await MultiGet(
        Get(
            LambdaZip,
            _ZipTreeRequest(
                dist.digest,
                request.prefix,
                f"{_DEPENDENCIES}/{dist.distribution.key}-{dist.distribution.version}.zip",
                f"Zipping {dist.distribution} for {request.platform}",
                request.interpreter,
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
    return await Get(
        LambdaZip,
        _ZipTreeRequest(
            request.sources,
            request.prefix,
            request.output_file,
            f"Zipping {request.address}",
            request.interpreter,
            bases=dependency_zips,
        ),
    )


def rules():
    return (*collect_rules(), *pex.rules(), *platform.rules(), *verify.rules())
