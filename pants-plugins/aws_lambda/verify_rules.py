"""Check, in a cacheable process, that a zip's native code and files can load on its runtime."""

from __future__ import annotations

import json
from dataclasses import dataclass

from pants.backend.python.util_rules.pex_environment import PythonExecutable
from pants.engine.fs import CreateDigest, Digest, FileContent, MergeDigests
from pants.engine.process import FallibleProcessResult, Process
from pants.engine.rules import Get, collect_rules, rule
from pants.util.resources import read_resource

from aws_lambda.platform_rules import LambdaPlatform
from aws_lambda.zip_verify import RuntimePlatform

_VERIFIER_MODULES = ("__init__.py", "elf.py", "zip_verify.py")


class LambdaZipVerificationError(Exception):
    pass


@dataclass(frozen=True)
class VerifyLambdaZipRequest:
    """Verify the zip `zip_path` in `digest` of `subject`, whose importable root is `prefix`.

    Any CPython >= 3.9 runs the stdlib-only verifier: `python` is the one that wrote the zip.
    """

    subject: str
    python: PythonExecutable
    digest: Digest
    zip_path: str
    platform: LambdaPlatform
    prefix: str


@dataclass(frozen=True)
class VerifiedLambdaZip:
    """What would fail on the platform, one message a problem; empty when all is well."""

    problems: tuple[str, ...]


@rule
async def verify_lambda_zip(request: VerifyLambdaZipRequest) -> VerifiedLambdaZip:
    modules = [
        FileContent(f"aws_lambda/{name}", read_resource(__name__, name) or b"")
        for name in _VERIFIER_MODULES
    ]
    python = request.python
    verifier = await Get(Digest, CreateDigest(modules))
    input_digest = await Get(Digest, MergeDigests([verifier, request.digest]))
    result = await Get(
        FallibleProcessResult,
        Process(
            # `-I` would leave the sandbox off `sys.path`, and `-m` needs it.
            argv=(
                python.path,
                "-E",
                "-s",
                "-m",
                "aws_lambda.zip_verify",
                "--json",
                *RuntimePlatform.of(
                    request.platform.runtime, request.platform.architecture
                ).cli_args(),
                "--prefix",
                request.prefix,
                request.zip_path,
            ),
            input_digest=input_digest,
            append_only_caches=python.append_only_caches,
            description=f"Verifying {request.subject} for {request.platform}",
        ),
    )
    if result.exit_code not in (0, 1):
        raise LambdaZipVerificationError(
            f"Could not verify {request.subject}:\n{result.stderr.decode()}"
        )
    problems = json.loads(result.stdout) if result.exit_code else []
    return VerifiedLambdaZip(tuple(problem["message"] for problem in problems))


def rules():
    return collect_rules()
