"""A Lambda target's transitive targets, naming any source file that inference cannot read."""

from __future__ import annotations

from dataclasses import dataclass

from pants.backend.python.target_types import PythonSourceField
from pants.core.util_rules.source_files import SourceFiles, SourceFilesRequest
from pants.engine.addresses import Address
from pants.engine.fs import Digest, DigestContents
from pants.engine.internals.native_engine import IntrinsicError
from pants.engine.rules import Get, collect_rules, rule
from pants.engine.target import AllTargets, TransitiveTargets, TransitiveTargetsRequest
from pants.util.strutil import bullet_list, softwrap


class LambdaSourceEncodingError(Exception):
    pass


@dataclass(frozen=True)
class LambdaClosureRequest:
    address: Address


@rule
async def lambda_closure(
    request: LambdaClosureRequest, all_targets: AllTargets
) -> TransitiveTargets:
    try:
        return await Get(TransitiveTargets, TransitiveTargetsRequest([request.address]))
    except IntrinsicError as e:
        if "utf-8" not in str(e):
            raise
        # Pants' Rust import parser names no file: find them, on this failure path only.
        sources = await Get(
            SourceFiles,
            SourceFilesRequest(
                tgt[PythonSourceField] for tgt in all_targets if tgt.has_field(PythonSourceField)
            ),
        )
        contents = await Get(DigestContents, Digest, sources.snapshot.digest)
        undecodable = [_undecodable(file.path, file.content) for file in contents]
        found = [problem for problem in undecodable if problem]
        if not found:
            raise
        raise LambdaSourceEncodingError(
            softwrap(
                f"""
                Pants cannot infer the dependencies of {request.address}, because these source
                files are not UTF-8, which Pants' import parser reads (and Python, by default,
                too):
                """
            )
            + f"\n\n{bullet_list(found)}\n\n"
            + "Save them as UTF-8, e.g. with `iconv -f latin1 -t utf-8`."
        ) from e


def _undecodable(path: str, content: bytes) -> str | None:
    try:
        content.decode("utf-8")
    except UnicodeDecodeError as e:
        return f"{path} is not UTF-8 (byte 0x{content[e.start]:02x} at offset {e.start})"
    return None


def rules():
    return collect_rules()
