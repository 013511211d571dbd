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
from pants.engine.fs import AddPrefix, CreateDigest, Digest, Directory, FileContent, MergeDigests
from pants.engine.process import Process, ProcessResult
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.util.resources import read_resource

from aws_lambda.sizes import format_size

_ZIP_WRITER = "__lambda_zip_writer.py"
_DEPENDENCIES_ZIP = "__dependencies.zip"
_TREE = "__tree"
# Any CPython runs the stdlib-only writer; pinning a range keeps the process cache key stable.
_ZIP_WRITER_INTERPRETER = InterpreterConstraints(["CPython>=3.9,<4"])


@dataclass(frozen=True)
class BuildLambdaZipRequest:
    """Zip `dependencies` and then `sources`, both under the archive folder `prefix`."""

    dependencies: Digest
    sources: Digest
    prefix: str
    output_file: str
    description: str


@dataclass(frozen=True)
class LambdaZip:
    digest: Digest
    output_file: str
    file_count: int
    unzipped_size: int
    zipped_size: int
    sha256_base64: str

    @property
    def size_summary(self) -> str:
        return (
            f"{format_size(self.zipped_size)} zipped, {format_size(self.unzipped_size)} "
            f"unzipped, {self.file_count} files"
        )


@dataclass(frozen=True)
class _ZipTreeRequest:
    tree: Digest
    prefix: str
    output_file: str
    description: str
    base: Optional[Digest] = None


@rule
async def zip_tree(request: _ZipTreeRequest) -> LambdaZip:
    writer_script = read_resource(__name__, "zip_writer.py")
    assert writer_script is not None
    python, writer, tree = await MultiGet(
        Get(PythonExecutable, InterpreterConstraints, _ZIP_WRITER_INTERPRETER),
        Get(Digest, CreateDigest([FileContent(_ZIP_WRITER, writer_script), Directory(_TREE)])),
        Get(Digest, AddPrefix(request.tree, _TREE)),
    )
    base_args = ("--base", _DEPENDENCIES_ZIP) if request.base else ()
    input_digest = await Get(
        Digest, MergeDigests([writer, tree, *([request.base] if request.base else [])])
    )
    result = await Get(
        ProcessResult,
        Process(
            argv=(
                python.path,
                _ZIP_WRITER,
                "--root",
                _TREE,
                "--prefix",
                request.prefix,
                "--output",
                request.output_file,
                *base_args,
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
    dependencies_zip = await Get(
        LambdaZip,
        _ZipTreeRequest(
            request.dependencies,
            request.prefix,
            _DEPENDENCIES_ZIP,
            f"{request.description}: dependencies",
        ),
    )
    return await Get(
        LambdaZip,
        _ZipTreeRequest(
            request.sources,
            request.prefix,
            request.output_file,
            request.description,
            base=dependencies_zip.digest,
        ),
    )


def rules():
    return (*collect_rules(), *pex.rules())
