"""A fresh repository set up as docs/other-repos.md says, and `./pants` run inside it.

Its `pants.toml` and BUILD files are taken from that page, so that the page and the tests cannot
drift apart. The backend comes from its wheel (as the page says) or from this checkout's
sources on `pythonpath`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

DOCS = Path("docs/other-repos.md")
WHEEL = "pants_aws_lambda-0.1.0-py3-none-any.whl"
HANDLER = """\
import msgspec


def handler(event, context):
    return {"echo": msgspec.json.decode(msgspec.json.encode(event))}
"""


def code_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOCS.read_text(), flags=re.S)


def build_files(block: str) -> dict[str, str]:
    """The files of a block whose parts each start with a `# path/to/BUILD` line."""
    parts = re.split(r"(?m)^# (\S*BUILD)\n", block)
    return dict(zip(parts[1::2], parts[2::2]))


def copy_bootstrap(root: Path) -> None:
    """The `./pants` script and its hash-pinned requirements, as the page's step 3 says."""
    shutil.copy("pants", root / "pants")
    (root / "build-support" / "bootstrap").mkdir(parents=True)
    for requirements in Path("build-support/bootstrap").glob("*.txt"):
        shutil.copy(requirements, root / "build-support" / "bootstrap")


def copy_plugin_sources(root: Path) -> None:
    """The backend's sources at `pants-plugins/aws_lambda`, for `pythonpath`."""
    for source in Path("pants-plugins/aws_lambda").rglob("*.py"):
        if not source.name.endswith("_test.py"):
            (root / source.parent).mkdir(parents=True, exist_ok=True)
            shutil.copy(source, root / source)


def make_repo(root: Path, *, plugin_from_sources: bool = False) -> Path:
    root.mkdir()
    copy_bootstrap(root)
    (pants_toml,) = code_blocks("toml")
    if plugin_from_sources:
        copy_plugin_sources(root)
        pants_toml = re.sub(
            r"(?m)^plugins = .*$", 'pythonpath = ["%(buildroot)s/pants-plugins"]', pants_toml
        )
    else:
        (root / "3rdparty" / "pants-plugins").mkdir(parents=True)
        shutil.copy(WHEEL, root / "3rdparty" / "pants-plugins" / WHEEL)
    (root / "pants.toml").write_text(pants_toml)
    (build,) = code_blocks("python")
    for path, content in build_files(build).items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(content)
    (root / "src" / "greet" / "handler.py").write_text(HANDLER)
    return root


def pants(
    repo: Path, *args: str, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    # The outer Pants' settings must not leak into the nested one.
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PANTS_", "PEX_"))}
    result = subprocess.run(
        ["./pants", "--no-pantsd", *args],
        cwd=repo,
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, f"{args}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result
