"""A fresh repository that installs the backend from its wheel, as docs/other-repos.md says.

It holds only what that page names: the bootstrap files, its `pants.toml` and BUILD files, the
wheel, and one handler.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from plugin.fresh_repo import make_repo, pants


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
