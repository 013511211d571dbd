"""Check, in a cacheable process, that a zip's native code and files can load on its runtime."""

from __future__ import annotations

import json
from dataclasses import dataclass

from pants.backend.python.util_rules.pex_environment import PythonExecutable
from pants.engine.fs import Digest, MergeDigests
from pants.engine.process import FallibleProcessResult, Process
from pants.engine.rules import Get, collect_rules, rule

from aws_lambda.runtimes import LambdaPlatform
from aws_lambda.scripts.zip_verify import RuntimePlatform
from aws_lambda.util_rules import scripts
from aws_lambda.util_rules.scripts import REMOTE_CACHE_FIRST_MILLIS, LambdaScripts


class LambdaZipVerificationError(Exception):
    pass


@dataclass(frozen=True)
class VerifyLambdaZipRequest:
    """Verify the zip `zip_path` in `digest` of `subject`, whose importable root is `prefix`.

    Any CPython >= 3.9 runs the stdlib-only verifier: `python` is the one that wrote the zip.
    Without `check_records`, files are not hashed against their RECORD (see `zip_verify`).
    """

    subject: str
    python: PythonExecutable
    digest: Digest
    zip_path: str
    platform: LambdaPlatform
    prefix: str
    check_records: bool = True


@dataclass(frozen=True)
class VerifiedLambdaZip:
    """What would fail on the platform, one message a problem; empty when all is well."""

    problems: tuple[str, ...]


@rule
async def verify_lambda_zip(
    request: VerifyLambdaZipRequest, lambda_scripts: LambdaScripts
) -> VerifiedLambdaZip:
    python = request.python
    input_digest = await Get(Digest, MergeDigests([lambda_scripts.digest, request.digest]))
    result = await Get(
        FallibleProcessResult,
        Process(
            argv=LambdaScripts.argv(
                python,
                "zip_verify",
                "--json",
                *RuntimePlatform.of(request.platform).cli_args(),
                "--prefix",
                request.prefix,
                *(() if request.check_records else ("--no-record-check",)),
                request.zip_path,
            ),
            input_digest=input_digest,
            append_only_caches=python.append_only_caches,
            description=f"Verifying {request.subject} for {request.platform}",
            remote_cache_speculation_delay_millis=REMOTE_CACHE_FIRST_MILLIS,
        ),
    )
    if result.exit_code not in (0, 1):
        raise LambdaZipVerificationError(
            f"Could not verify {request.subject}:\n{result.stderr.decode()}"
        )
    problems = json.loads(result.stdout) if result.exit_code else []
    return VerifiedLambdaZip(tuple(problem["message"] for problem in problems))


def rules():
    return (*collect_rules(), *scripts.rules())
