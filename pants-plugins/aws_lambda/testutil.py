"""Options that let a `RuleRunner` build real PEXes from PyPI the way `./pants` does."""

from __future__ import annotations

import toml
from pants.testutil.rule_runner import PYTHON_BOOTSTRAP_ENV

# `./pants` exports where it built the PEX CLI and which CA bundle to trust; the test
# sandbox inherits both (see `[test].extra_env_vars`).
ENV_INHERIT = {*PYTHON_BOOTSTRAP_ENV, "PANTS_PEX_CLI_URL_TEMPLATE", "PANTS_CA_CERTS_PATH"}


def pex_cli_args() -> list[str]:
    """The repository's `[pex-cli]` pin, read from pants.toml so it is written down once."""
    pex_cli = toml.load("pants.toml")["pex-cli"]
    return [
        f"--pex-cli-version={pex_cli['version']}",
        f"--pex-cli-known-versions={pex_cli['known_versions']!r}",
    ]
