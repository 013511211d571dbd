"""Write a directory of a digest into a reproducible Lambda zip, in a cacheable process."""

from __future__ import annotations

import json
from dataclasses import dataclass

from pants.backend.python.util_rules import pex
from pants.backend.python.util_rules.interpreter_constraints import InterpreterConstraints
from pants.backend.python.util_rules.pex_environment import PythonExecutable
from pants.engine.fs import CreateDigest, Digest, FileContent, MergeDigests
from pants.engine.process import Process, ProcessResult
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.util.resources import read_resource

_ZIP_WRITER = "__lambda_zip_writer.py"
# Any CPython runs the stdlib-only writer; pinning a range keeps the process cache key stable.
_ZIP_WRITER_INTERPRETER = InterpreterConstraints(["CPython>=3.9,<4"])


@dataclass(frozen=True)
class BuildLambdaZipRequest:
    digest: Digest
    source_dir: str
    output_file: str
    description: str


@dataclass(frozen=True)
class LambdaZip:
    digest: Digest
    output_file: str
    file_count: int
    unzipped_size: int
    zipped_size: int

    @property
    def size_summary(self) -> str:
        return (
            f"{format_size(self.zipped_size)} zipped, {format_size(self.unzipped_size)} "
            f"unzipped, {self.file_count} files"
        )


def format_size(num_bytes: int) -> str:
    """`num_bytes` in binary units, e.g. `292.5 KiB`."""
    if num_bytes < 1024:
        return f"{num_bytes} B"
    size = num_bytes / 1024
    for unit in ("KiB", "MiB"):
        if size < 1024:
            return f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"


@rule
async def build_lambda_zip(request: BuildLambdaZipRequest) -> LambdaZip:
    writer_script = read_resource(__name__, "zip_writer.py")
    assert writer_script is not None
    python, writer_digest = await MultiGet(
        Get(PythonExecutable, InterpreterConstraints, _ZIP_WRITER_INTERPRETER),
        Get(Digest, CreateDigest([FileContent(_ZIP_WRITER, writer_script)])),
    )
    input_digest = await Get(Digest, MergeDigests([request.digest, writer_digest]))
    result = await Get(
        ProcessResult,
        Process(
            argv=(
                python.path,
                _ZIP_WRITER,
                "--root",
                request.source_dir,
                "--output",
                request.output_file,
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
    )


def rules():
    return (*collect_rules(), *pex.rules())
