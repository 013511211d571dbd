"""Zips that would fail on Lambda, built for real from PyPI wheels, never reach `dist/`.

A user's own `complete_platforms` is the one way to get wheels Lambda cannot load; these
platforms are deliberately wrong for the python3.11 x86_64 runtime the targets declare.
"""

from __future__ import annotations

import json
from textwrap import dedent

import pytest
from pants.engine.addresses import Address
from pants.testutil.rule_runner import RuleRunner, engine_error

from aws_lambda.goals.package import LambdaFunctionFieldSet
from aws_lambda.runtimes import compatible_tags, complete_platform_json, marker_environment
from aws_lambda.testutil import lambda_rule_runner, package_zip
from aws_lambda.util_rules.verify import LambdaZipVerificationError

# What `pex3 interpreter inspect --markers --tags` reports for CPython 3.11 on an M1 Mac.
MACOS_ARM64_311 = {
    "marker_environment": {
        "implementation_name": "cpython",
        "implementation_version": "3.11.7",
        "os_name": "posix",
        "platform_machine": "arm64",
        "platform_python_implementation": "CPython",
        "platform_release": "23.1.0",
        "platform_system": "Darwin",
        "platform_version": "Darwin Kernel Version 23.1.0",
        "python_full_version": "3.11.7",
        "python_version": "3.11",
        "sys_platform": "darwin",
    },
    "compatible_tags": [
        f"cp311-cp311-macosx_{major}_0_{arch}"
        for major in range(14, 10, -1)
        for arch in ("arm64", "universal2")
    ]
    + ["cp311-abi3-macosx_11_0_arm64", "py3-none-any"],
}


@pytest.fixture
def rule_runner() -> RuleRunner:
    return lambda_rule_runner()


def package_with_platform(rule_runner: RuleRunner, requirement: str, platform: str) -> None:
    module = requirement.split("==")[0].replace("pillow", "PIL")
    rule_runner.write_files(
        {
            "src/app/platform.json": platform,
            "src/app/handler.py": f"import {module}\n\ndef handler(event, context):\n    pass\n",
            "src/app/BUILD": dedent(
                f"""\
                python_requirement(name="req", requirements=["{requirement}"])
                python_sources(name="lib")
                file(name="platform", source="platform.json")
                lambda_function(
                    name="app",
                    handler="handler.py:handler",
                    runtime="python3.11",
                    complete_platforms=[":platform"],
                    compile_bytecode=False,
                )
                """
            ),
        }
    )
    package_zip(rule_runner, LambdaFunctionFieldSet, Address("src/app", target_name="app"))


def test_macos_extension_is_refused(rule_runner: RuleRunner) -> None:
    with engine_error(
        LambdaZipVerificationError,
        contains=(
            "The zip of src/app:app would fail on python3.11 x86_64, so it was not written:\n\n"
            "  * msgspec/_core.cpython-311-darwin.so (from msgspec 0.19.0) is a Mach-O binary"
        ),
    ):
        package_with_platform(rule_runner, "msgspec==0.19.0", json.dumps(MACOS_ARM64_311))


def test_extension_needing_a_newer_glibc_is_refused(rule_runner: RuleRunner) -> None:
    """pillow 13 has only manylinux_2_27+ wheels, which python3.11's glibc 2.26 cannot load."""
    platform = complete_platform_json(
        compatible_tags((3, 11), (2, 28), "x86_64"), marker_environment("3.11.11", "x86_64")
    )
    with engine_error(
        LambdaZipVerificationError,
        contains="needs glibc 2.27 (symbol version GLIBC_2.27), but the runtime has glibc 2.26",
    ):
        package_with_platform(rule_runner, "pillow==13.0.0", platform)
