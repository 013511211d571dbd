"""Helpers for tests that package real Lambda zips with a `RuleRunner`."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any

import toml
from pants.backend.python import target_types_rules as python_target_types_rules
from pants.backend.python.target_types import (
    PythonRequirementTarget,
    PythonSourcesGeneratorTarget,
)
from pants.core.goals.generate_lockfiles import GenerateLockfileResult
from pants.core.goals.package import BuiltPackage, PackageFieldSet
from pants.core.target_types import FileTarget
from pants.engine.addresses import Address
from pants.engine.fs import Digest, DigestContents
from pants.testutil.rule_runner import PYTHON_BOOTSTRAP_ENV, QueryRule, RuleRunner

from aws_lambda.goals import generate_lockfiles, package
from aws_lambda.goals.generate_lockfiles import GenerateLambdaLockfile
from aws_lambda.goals.package import LambdaFunctionFieldSet
from aws_lambda.target_types import target_types
from aws_lambda.util_rules.layers import LambdaLayerFieldSet

# `./pants` exports where it built the PEX CLI and which CA bundle to trust; the test
# sandbox inherits both (see `[test].extra_env_vars`).
ENV_INHERIT = {*PYTHON_BOOTSTRAP_ENV, "PANTS_PEX_CLI_URL_TEMPLATE", "PANTS_CA_CERTS_PATH"}


def lambda_rule_runner(*extra_rules: Any) -> RuleRunner:
    """A `RuleRunner` that packages Lambda targets for real, with sources under `src/`."""
    rule_runner = RuleRunner(
        rules=[
            *python_target_types_rules.rules(),
            *package.rules(),
            *extra_rules,
            QueryRule(BuiltPackage, [LambdaFunctionFieldSet]),
            QueryRule(BuiltPackage, [LambdaLayerFieldSet]),
            QueryRule(DigestContents, [Digest]),
        ],
        target_types=[
            *target_types(),
            PythonSourcesGeneratorTarget,
            PythonRequirementTarget,
            FileTarget,
        ],
    )
    set_pex_options(rule_runner, "--source-root-patterns=['src']")
    return rule_runner


def locking_rule_runner() -> RuleRunner:
    """A `lambda_rule_runner` that also generates lockfiles: the resolve `python-default` is
    locked to `lambdas.lock`, and bytecode is off."""
    rule_runner = lambda_rule_runner(
        *generate_lockfiles.rules(), QueryRule(GenerateLockfileResult, [GenerateLambdaLockfile])
    )
    set_pex_options(
        rule_runner,
        "--source-root-patterns=['src']",
        "--python-enable-resolves",
        "--no-python-resolves-generate-lockfiles",
        "--python-resolves={'python-default': 'lambdas.lock'}",
        "--lambda-compile-bytecode=false",
    )
    return rule_runner


def set_pex_options(rule_runner: RuleRunner, *args: str) -> None:
    """Set `args` plus what real PEX builds need (see `pex_options`)."""
    rule_runner.set_options([*pex_options(), *args], env_inherit=ENV_INHERIT)


def pex_options() -> list[str]:
    """What real PEX builds need: the PEX CLI, its environment and interpreter constraints.

    Pex 2.105 cannot pick one pip for an interpreter search spanning CPython 3.7 to 3.13, which
    the default `CPython>=3.7,<4` asks for on a machine with both. Pass `ENV_INHERIT` too.
    """
    return [*_repository_pex_args(), "--python-interpreter-constraints=['CPython>=3.11,<3.14']"]


def use_lockfile_locked_for_python311_only(rule_runner: RuleRunner) -> None:
    """Enable resolves, with a strict lockfile locked for python3.11 x86_64 alone, and empty."""
    lock = {
        "style": "strict",
        "locked_resolves": [
            {"platform_tag": ["cp311", "cp311", "manylinux_2_26_x86_64"], "locked_requirements": []}
        ],
    }
    rule_runner.write_files({"lambdas.lock": json.dumps(lock)})
    set_pex_options(
        rule_runner,
        "--source-root-patterns=['src']",
        "--python-enable-resolves",
        "--python-resolves={'python-default': 'lambdas.lock'}",
    )


def _repository_pex_args() -> list[str]:
    """The repository's `[pex-cli]` pin and the environment it gives Pex's pip, as in pants.toml.

    They are read from pants.toml so they are written down once.
    """
    config = toml.load("pants.toml")
    pex_cli = config["pex-cli"]
    return [
        f"--pex-cli-version={pex_cli['version']}",
        f"--pex-cli-known-versions={pex_cli['known_versions']!r}",
        f"--subprocess-environment-env-vars=+{config['subprocess-environment']['env_vars']['add']!r}",
    ]


@dataclass(frozen=True)
class PackagedZip:
    built: BuiltPackage
    archive: zipfile.ZipFile
    report: dict[str, Any]

    @property
    def log(self) -> str:
        return "\n".join(self.built.artifacts[0].extra_log_lines)


def package_zip(
    rule_runner: RuleRunner, field_set_type: type[PackageFieldSet], address: Address
) -> PackagedZip:
    """Package the target at `address`; return its zip and its `<zip>.metadata.json`."""
    field_set = field_set_type.create(rule_runner.get_target(address))
    built = rule_runner.request(BuiltPackage, [field_set])
    contents = {
        content.path: content.content
        for content in rule_runner.request(DigestContents, [built.digest])
    }
    zip_path = built.artifacts[0].relpath
    assert zip_path is not None
    metadata_path = f"{zip_path}.metadata.json"
    assert set(contents) == {zip_path, metadata_path}
    return PackagedZip(
        built,
        zipfile.ZipFile(io.BytesIO(contents[zip_path])),
        json.loads(contents[metadata_path]),
    )
