"""Lock and package in a fresh repository, with `HOME` an empty folder that Pex processes see.

Every Pex process the backend runs keeps its caches in Pants' named caches, and the wheels
that `package` downloads itself go to Pants' store. What may appear under `HOME` is what
Pants' own interpreter discovery (`Find interpreter for constraints`) leaves there, which the
backend does not configure: Pex's interpreter identities and its extracted vendored code.
"""

from __future__ import annotations

import os
from pathlib import Path

from plugin.fresh_repo import make_repo, pants

FROM_PANTS_INTERPRETER_DISCOVERY = {"interpreters", "isolated"}


def test_pex_caches_stay_in_pants_named_caches(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", plugin_from_sources=True)
    home, caches = tmp_path / "home", tmp_path / "caches"
    home.mkdir()
    options = (
        f"--named-caches-dir={caches / 'named'}",
        f"--local-store-dir={caches / 'store'}",
        # Pex falls back to `~/.cache/pex`: give its processes this empty `HOME`.
        "--subprocess-environment-env-vars=+['HOME']",
    )
    env = {
        "HOME": str(home),
        "PANTS_BOOTSTRAP_CACHE": os.environ.get(
            "PANTS_BOOTSTRAP_CACHE", str(Path.home() / ".cache" / "pants-lambda")
        ),
        "PYENV_ROOT": os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv")),
        "XDG_CACHE_HOME": "",
    }
    pants(repo, *options, "generate-lockfiles", env=env)
    pants(repo, *options, "package", "::", env=env)

    assert (repo / "dist/src.greet/greet.zip").is_file()
    pex_root = caches / "named" / "pex_root"
    assert {"downloads", "pip", "dbs"} <= {path.name for path in pex_root.iterdir()}
    # `package` fetches each locked wheel itself, into Pants' store: none lands in `HOME`.
    assert not list(home.rglob("msgspec*")), "a wheel outside Pants' caches"
    cached = home / ".cache"
    written = {path.name for path in (cached / "pex").iterdir()} if cached.exists() else set()
    assert written <= FROM_PANTS_INTERPRETER_DISCOVERY
    assert {path.name for path in cached.iterdir()} <= {"pex"} if cached.exists() else True
