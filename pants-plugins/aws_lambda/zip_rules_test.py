from __future__ import annotations

import io
import zipfile

import pytest
from pants.engine.fs import CreateDigest, Digest, DigestContents, FileContent
from pants.testutil.rule_runner import QueryRule, RuleRunner

from aws_lambda import zip_rules
from aws_lambda.testutil import set_pex_options
from aws_lambda.zip_rules import BuildLambdaZipRequest, LambdaZip, format_size


@pytest.fixture
def rule_runner() -> RuleRunner:
    rule_runner = RuleRunner(
        rules=[
            *zip_rules.rules(),
            QueryRule(LambdaZip, [BuildLambdaZipRequest]),
            QueryRule(Digest, [CreateDigest]),
            QueryRule(DigestContents, [Digest]),
        ]
    )
    set_pex_options(rule_runner)
    return rule_runner


def test_zips_the_directory_in_a_process(rule_runner: RuleRunner) -> None:
    tree = rule_runner.request(
        Digest,
        [
            CreateDigest(
                [
                    FileContent("venv/pkg/__init__.py", b""),
                    FileContent("venv/pkg/data.txt", b"x" * 2000),
                    FileContent("venv/tool", b"#!/bin/sh\n", is_executable=True),
                    FileContent("elsewhere.txt", b"not zipped"),
                ]
            )
        ],
    )
    lambda_zip = rule_runner.request(
        LambdaZip, [BuildLambdaZipRequest(tree, "venv", "out/fn.zip", "Zipping a test")]
    )
    (content,) = rule_runner.request(DigestContents, [lambda_zip.digest])
    assert content.path == "out/fn.zip"
    archive = zipfile.ZipFile(io.BytesIO(content.content))
    assert archive.namelist() == ["pkg/", "pkg/__init__.py", "pkg/data.txt", "tool"]
    assert (archive.getinfo("tool").external_attr >> 16) & 0o777 == 0o755
    assert (lambda_zip.file_count, lambda_zip.unzipped_size) == (3, 2010)
    assert lambda_zip.zipped_size == len(content.content)
    assert lambda_zip.size_summary.endswith("zipped, 2.0 KiB unzipped, 3 files")


@pytest.mark.parametrize(
    "num_bytes, expected",
    [
        (0, "0 B"),
        (1023, "1023 B"),
        (1024, "1.0 KiB"),
        (299_480, "292.5 KiB"),
        (42_336_256, "40.4 MiB"),
        (3 * 1024**3, "3.0 GiB"),
    ],
)
def test_format_size(num_bytes: int, expected: str) -> None:
    assert format_size(num_bytes) == expected
