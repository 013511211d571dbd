"""Options that let a `RuleRunner` build real PEXes from PyPI the way `./pants` does."""

from __future__ import annotations

import toml
from pants.testutil.rule_runner import PYTHON_BOOTSTRAP_ENV, RuleRunner

# `./pants` exports where it built the PEX CLI and which CA bundle to trust; the test
# sandbox inherits both (see `[test].extra_env_vars`).
_ENV_INHERIT = {*PYTHON_BOOTSTRAP_ENV, "PANTS_PEX_CLI_URL_TEMPLATE", "PANTS_CA_CERTS_PATH"}


def set_pex_options(rule_runner: RuleRunner, *args: str) -> None:
    """Set `args` plus what real PEX builds need: the PEX CLI, its env, interpreter constraints.

    Pex 2.105 cannot pick one pip for an interpreter search spanning CPython 3.7 to 3.13, which
    the default `CPython>=3.7,<4` asks for on a machine with both.
    """
    rule_runner.set_options(
        [
            *_pex_cli_args(),
            "--python-interpreter-constraints=['CPython>=3.11,<3.14']",
            *args,
        ],
        env_inherit=_ENV_INHERIT,
    )


def _pex_cli_args() -> list[str]:
    """The repository's `[pex-cli]` pin, read from pants.toml so it is written down once."""
    pex_cli = toml.load("pants.toml")["pex-cli"]
    return [
        f"--pex-cli-version={pex_cli['version']}",
        f"--pex-cli-known-versions={pex_cli['known_versions']!r}",
    ]
