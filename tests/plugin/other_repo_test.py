"""A fresh repository that installs the backend from its wheel, set up as docs/other-repos.md says.

It holds only what that page names: the bootstrap files, its `pants.toml` and BUILD files
(taken from the page itself, so the two cannot drift apart), the wheel, and one handler.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import zipfile
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


def make_repo(root: Path) -> Path:
    root.mkdir()
    shutil.copy("pants", root / "pants")
    (root / "build-support" / "bootstrap").mkdir(parents=True)
    for requirements in Path("build-support/bootstrap").glob("*.txt"):
        shutil.copy(requirements, root / "build-support" / "bootstrap")
    (root / "3rdparty" / "pants-plugins").mkdir(parents=True)
    shutil.copy(WHEEL, root / "3rdparty" / "pants-plugins" / WHEEL)
    (pants_toml,) = code_blocks("toml")
    (root / "pants.toml").write_text(pants_toml)
    (build,) = code_blocks("python")
    for path, content in build_files(build).items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(content)
    (root / "src" / "greet" / "handler.py").write_text(HANDLER)
    return root


def pants(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # The outer Pants' settings must not leak into the nested one.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PANTS_", "PEX_"))}
    result = subprocess.run(
        ["./pants", "--no-pantsd", *args], cwd=repo, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, f"{args}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def test_another_repo_installs_the_plugin_from_its_wheel(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")

    pants(repo, "generate-lockfiles")
    lock = (repo / "3rdparty/python/default.lock").read_text()
    assert '"style": "strict"' in lock
    assert '"manylinux_2_26_x86_64"' in lock, "locked for the python3.11 x86_64 platform"
    regenerated = pants(repo, "generate-lockfiles", "--resolve=python-default", "--diff")
    assert "Wrote lockfile for the resolve `python-default`" in regenerated.stderr

    packaged = pants(repo, "package", "::")
    assert "Wrote dist/src.greet/greet.zip" in packaged.stderr
    assert sorted(path.name for path in (repo / "dist").rglob("*") if path.is_file()) == [
        "greet.zip",
        "greet.zip.metadata.json",
    ]
    with zipfile.ZipFile(repo / "dist/src.greet/greet.zip") as archive:
        names = archive.namelist()
    assert "greet/handler.py" in names
    assert "msgspec/_core.cpython-311-x86_64-linux-gnu.so" in names
    metadata = json.loads((repo / "dist/src.greet/greet.zip.metadata.json").read_text())
    assert (metadata["runtime"], metadata["handler"]) == ("python3.11", "greet.handler.handler")

    invoked = pants(repo, "run", "src/greet:greet", "--", '{"hello": "world"}')
    assert json.loads(invoked.stdout.splitlines()[-1]) == {"echo": {"hello": "world"}}

    verified = pants(
        repo, "lambda-verify-zip", "--runtime=python3.11", "--", "dist/src.greet/greet.zip"
    )
    assert "1 zip(s) can load on python3.11 x86_64" in verified.stderr
