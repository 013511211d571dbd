from __future__ import annotations

import json

from aws_lambda.pex_lock import describe_lock_failure, locked_platform_tags

PLATFORMS = {
    "cp311-cp311-manylinux_2_26_x86_64": "python3.11 x86_64",
    "cp312-cp312-manylinux_2_34_aarch64": "python3.12 arm64",
}

# What Pex 2.105 prints when pip finds no wheel for one platform's resolve.
PEX_STDERR = """\
pid 17679 -> /root/.cache/pex/venvs/4/abc/bin/python /root/.cache/pex/venvs/4/abc/pex \
--isolated -q install --dry-run --report \
/root/.cache/pex/downloads/.tmp/resolver_report/cp312-cp312-manylinux_2_34_aarch64/pip-report.json \
--only-binary :all: pycrypto exited with 1 and STDERR:
pip: ERROR: Could not find a version that satisfies the requirement pycrypto (from versions: none)
pip: ERROR: No matching distribution found for pycrypto
"""


def test_names_the_distribution_and_the_lambda_platform() -> None:
    message = describe_lock_failure("lambdas", PEX_STDERR, PLATFORMS)
    assert "Cannot lock the resolve `lambdas`" in message
    assert (
        "`pycrypto` has no wheel for python3.12 arm64 (cp312-cp312-manylinux_2_34_aarch64)"
        in message
    )
    assert message.endswith(PEX_STDERR.strip())


def test_unrecognised_failures_are_passed_through() -> None:
    message = describe_lock_failure("lambdas", "network unreachable", PLATFORMS)
    assert message == "Generating the lockfile for the resolve `lambdas` failed:\n\nnetwork unreachable"


def lockfile(style: str, platform_tags: list[list[str]]) -> str:
    lock = {
        "style": style,
        "locked_resolves": [{"platform_tag": tag, "locked_requirements": []} for tag in platform_tags],
    }
    return "// Pants header\n// --- BEGIN PANTS LOCKFILE METADATA\n" + json.dumps(lock)


def test_locked_platform_tags_of_a_strict_lock() -> None:
    tags = locked_platform_tags(
        lockfile("strict", [["cp311", "cp311", "manylinux_2_26_x86_64"], ["cp312", "cp312", "x"]])
    )
    assert tags == {"cp311-cp311-manylinux_2_26_x86_64", "cp312-cp312-x"}


def test_a_universal_lock_names_no_platforms() -> None:
    assert locked_platform_tags(lockfile("universal", [])) is None
