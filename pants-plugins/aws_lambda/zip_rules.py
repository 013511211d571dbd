"""Write a Lambda zip from a third-party tree and first-party sources, in cacheable processes.

The third-party tree is zipped on its own first; that zip depends only on the tree, so it is
cached per (requirements, platform). The final zip copies its entries still compressed and adds
the sources, so an edit to a handler costs the same whatever the size of its dependencies.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Optional

from pants.backend.python.util_rules import pex
from pants.backend.python.util_rules.interpreter_constraints import InterpreterConstraints
from pants.backend.python.util_rules.pex_environment import PythonExecutable
from pants.engine.addresses import Address
from pants.engine.fs import AddPrefix, CreateDigest, Digest, Directory, FileContent, MergeDigests
from pants.engine.process import Process, ProcessResult
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.util.resources import read_resource

from aws_lambda import platform_rules, verify_rules
from aws_lambda.platform_rules import LambdaPlatform, RuntimeInterpreterRequest
from aws_lambda.verify_rules import VerifiedLambdaZip, VerifyLambdaZipRequest

_ZIP_WRITER = "__lambda_zip_writer.py"
_DEPENDENCIES_ZIP = "__dependencies.zip"
_TREE = "__tree"
# Any CPython runs the stdlib-only writer; pinning a range keeps the process cache key stable.
_ZIP_WRITER_INTERPRETER = InterpreterConstraints(["CPython>=3.9,<4"])


@dataclass(frozen=True)
class BuildLambdaZipRequest:
    """Zip `dependencies` and then `sources`, both under the archive folder `prefix`.

    The dependencies are verified for `platform`. With `compile_bytecode`, both also get
    bytecode for the platform's Python.
    """

    address: Address
    platform: LambdaPlatform
    dependencies: Digest
    sources: Digest
    prefix: str
    output_file: str
    compile_bytecode: bool = False


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
    python: PythonExecutable
    compile_for: Optional[tuple[int, int]]
    base: Optional[Digest] = None


@dataclass(frozen=True)
class _ZipWriterInterpreterRequest:
    address: Address
    compile_for: Optional[tuple[int, int]]


@rule
async def find_zip_writer_interpreter(request: _ZipWriterInterpreterRequest) -> PythonExecutable:
    """Any CPython writes zips; bytecode needs exactly the runtime's."""
    if request.compile_for is None:
        return await Get(PythonExecutable, InterpreterConstraints, _ZIP_WRITER_INTERPRETER)
    return await Get(
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


@rule
async def zip_tree(request: _ZipTreeRequest) -> LambdaZip:
    writer_script = read_resource(__name__, "zip_writer.py")
    assert writer_script is not None
    writer, tree = await MultiGet(
        Get(Digest, CreateDigest([FileContent(_ZIP_WRITER, writer_script), Directory(_TREE)])),
        Get(Digest, AddPrefix(request.tree, _TREE)),
    )
    base_args = ("--base", _DEPENDENCIES_ZIP) if request.base else ()
    compile_args = (
        ("--compile-for", "{}.{}".format(*request.compile_for)) if request.compile_for else ()
    )
    input_digest = await Get(
        Digest, MergeDigests([writer, tree, *([request.base] if request.base else [])])
    )
    result = await Get(
        ProcessResult,
        Process(
            argv=(
                request.python.path,
                "-I",
                _ZIP_WRITER,
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
            append_only_caches=request.python.append_only_caches,
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
    compile_for = request.platform.runtime.python_version if request.compile_bytecode else None
    python = await Get(PythonExecutable, _ZipWriterInterpreterRequest(request.address, compile_for))
    dependencies_zip = await Get(
        LambdaZip,
        _ZipTreeRequest(
            request.dependencies,
            request.prefix,
            _DEPENDENCIES_ZIP,
            f"Zipping the dependencies of {request.address}",
            python,
            compile_for,
        ),
    )
    lambda_zip, _ = await MultiGet(
        Get(
            LambdaZip,
            _ZipTreeRequest(
                request.sources,
                request.prefix,
                request.output_file,
                f"Zipping {request.address}",
                python,
                compile_for,
                base=dependencies_zip.digest,
            ),
        ),
        Get(
            VerifiedLambdaZip,
            VerifyLambdaZipRequest(
                request.address,
                python,
                dependencies_zip.digest,
                _DEPENDENCIES_ZIP,
                request.platform,
                request.prefix,
            ),
        ),
    )
    return lambda_zip


def rules():
    return (*collect_rules(), *pex.rules(), *platform_rules.rules(), *verify_rules.rules())
