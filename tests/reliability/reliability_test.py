"""Bad input, damage and interruption, each through `./pants` in one fresh repository.

Every case asserts the exit code, the key words of the message, that `dist/` holds no zip or
metadata (a failed build leaves nothing behind), and that once the case is undone the next
build succeeds and is byte-identical to a clean one. The repository is the one
docs/other-repos.md describes, with the backend from this checkout's sources; one pantsd
serves all cases.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from plugin.fresh_repo import make_repo

GREET_BUILD = """\
python_sources(name="lib")

lambda_function(name="greet", handler="handler.py:handler"{fields})
"""
LOCK = "3rdparty/python/default.lock"


def run(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PANTS_", "PEX_"))}
    if "PANTS_BOOTSTRAP_CACHE" in os.environ:
        env["PANTS_BOOTSTRAP_CACHE"] = os.environ["PANTS_BOOTSTRAP_CACHE"]
    return subprocess.run(["./pants", *args], cwd=repo, env=env, capture_output=True, text=True)


def dist_digests(repo: Path) -> dict[str, str]:
    dist = repo / "dist"
    return {
        str(path.relative_to(dist)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(dist.rglob("*"))
        if path.is_file()
    }


@dataclass(frozen=True)
class Case:
    name: str
    keywords: tuple[str, ...]
    files: Mapping[str, str | bytes] = field(default_factory=dict)
    edit: Callable[[Path], None] | None = None  # Edits files of the repository in place.
    args: tuple[str, ...] = ("package", "::")
    exit_code: int = 1


def edit_lock(change: Callable[[str], str]) -> Callable[[Path], None]:
    def edit(repo: Path) -> None:
        path = repo / LOCK
        path.write_text(change(path.read_text()))

    return edit


def edit_artifact_hash(repo: Path) -> None:
    text = (repo / LOCK).read_text()
    lock = json.loads("\n".join(line for line in text.splitlines() if not line.startswith("//")))
    # The lambda's own locked resolve, not a developer host's.
    (resolve,) = (
        r for r in lock["locked_resolves"] if r["platform_tag"][-1] == "manylinux_2_26_x86_64"
    )
    pinned = resolve["locked_requirements"][0]["artifacts"][0]["hash"]
    (repo / LOCK).write_text(text.replace(pinned, pinned[:-4] + "beef"))


def greet(fields: str = "", handler: str = "handler.py:handler") -> dict[str, str]:
    build = GREET_BUILD.format(fields=f", {fields}" if fields else "")
    return {"src/greet/BUILD": build.replace("handler.py:handler", handler)}


def greet_handler(*imports: str, body: str = "return {}") -> dict[str, str]:
    lines = [*imports, "", "", "def handler(event, context):", f"    {body}", ""]
    return {"src/greet/handler.py": "\n".join(lines)}


LAYER = 'lambda_layer(runtime="python3.12", dependencies=["//:msgspec"])\n'
AGAIN = (
    'lambda_function(name="again", handler="handler.py:handler", '
    'output_path="src.greet/greet.zip")\n'
)

CASES = (
    Case(
        "missing handler file",
        ("src/greet:greet's `handler` field", "nope.py"),
        greet(handler="nope.py:handler"),
    ),
    Case(
        "missing handler function",
        ("Handler function 'handle' is not defined", "Did you mean 'handler'?"),
        greet(handler="handler.py:handle"),
    ),
    Case(
        "bad runtime",
        ("'runtime' field in target src/greet:greet", "python2.7"),
        greet('runtime="python2.7"'),
    ),
    Case(
        "bad architecture",
        ("'architecture' field in target src/greet:greet", "'amd64'"),
        greet('architecture="amd64"'),
    ),
    Case(
        "bad field type",
        ("max_unzipped_size", "src/greet:greet", "True"),
        greet("max_unzipped_size=True"),
    ),
    Case(
        "bad size",
        ("max_unzipped_size", "'10 parsecs' is not a size"),
        greet('max_unzipped_size="10 parsecs"'),
    ),
    Case(
        "over budget",
        ("over its `max_unzipped_size` of 1.0 KiB", "msgspec"),
        greet('max_unzipped_size="1KB"'),
    ),
    Case(
        "more than 5 layers",
        ("names 6 layers", "at most 5"),
        greet(f"layers={[f'src/l{n}' for n in range(6)]!r}"),
    ),
    Case(
        "not a layer",
        ("src/greet/handler.py:lib", "not a `lambda_layer`"),
        greet('layers=[":lib"]'),
    ),
    Case(
        "unlocked platform",
        ("builds for python3.12 x86_64", "generate-lockfiles"),
        greet('runtime="python3.12"'),
    ),
    Case(
        "stale requirement",
        ("needs msgspec<0.1", "generate-lockfiles"),
        {"BUILD": 'python_requirement(name="msgspec", requirements=["msgspec<0.1"])\n'},
    ),
    Case(
        "layer on an unlocked platform",
        ("its layer src/layer:layer is built for python3.12 x86_64",),
        {**greet('layers=["src/layer"]'), "src/layer/BUILD": LAYER},
    ),
    Case(
        "same output_path",
        ("writes its zip to src.greet/greet.zip, and so does", "output_path"),
        {"src/greet/BUILD": greet()["src/greet/BUILD"] + AGAIN},
    ),
    Case(
        "first-party module shadowing a distribution",
        ("module msgspec.py", "distribution msgspec"),
        {
            **greet('dependencies=["//:msgspec", "src:shadow"]'),
            "src/BUILD": 'python_sources(name="shadow", sources=["msgspec.py"])\n',
            "src/msgspec.py": "# ours\n",
        },
    ),
    Case(
        "handler syntax error",
        ("greet/handler.py:5 cannot be compiled by Python 3.11",),
        greet_handler("import msgspec", body="return {"),
    ),
    Case(
        "unresolved import",
        ("greet/handler.py:2 imports `nsorg`", "dependencies --transitive src/greet:greet"),
        greet_handler("import msgspec", "import nsorg"),
    ),
    Case(
        "source that is not UTF-8",
        ("src/greet/latin.py is not UTF-8",),
        {
            **greet_handler("import msgspec", "from greet import latin"),
            "src/greet/latin.py": "# caf\xe9\n".encode("latin-1"),
        },
    ),
    Case(
        "damaged lockfile JSON",
        ("The lockfile 3rdparty/python/default.lock of the resolve `python-default` is damaged",),
        edit=edit_lock(lambda text: text.replace('"locked_resolves"', "locked_resolves", 1)),
    ),
    Case(
        "edited artifact hash",
        ("does not match what the index serves", "generate-lockfiles --resolve=python-default"),
        edit=edit_artifact_hash,
    ),
    Case(
        "event that is not JSON",
        ("the event is not valid JSON", "'{not json'"),
        args=("run", "src/greet:greet", "--", "{not json"),
        exit_code=2,
    ),
    Case(
        "an sdist with native code",
        ("crcmod 1.7 (crcmod-1.7.tar.gz) builds into a", "cannot be cross-built"),
        {"BUILD": 'python_requirement(name="msgspec", requirements=["msgspec", "crcmod==1.7"])\n'},
        args=("generate-lockfiles",),
    ),
)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    repo = make_repo(tmp_path_factory.mktemp("reliability") / "repo", plugin_from_sources=True)
    assert run(repo, "generate-lockfiles").returncode == 0
    yield repo
    for pidfile in repo.glob(".pids/*/pantsd/pid"):
        try:
            os.kill(int(pidfile.read_text()), signal.SIGTERM)
        except (ValueError, ProcessLookupError):
            pass


@pytest.fixture(scope="module")
def clean_build(repo: Path) -> dict[str, str]:
    result = run(repo, "package", "::")
    assert result.returncode == 0, result.stderr[-3000:]
    return dist_digests(repo)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_case(repo: Path, clean_build: dict[str, str], case: Case) -> None:
    originals = {
        path: (repo / path).read_bytes() if (repo / path).exists() else None
        for path in [*case.files, LOCK]
    }
    shutil.rmtree(repo / "dist", ignore_errors=True)
    try:
        for path, content in case.files.items():
            (repo / path).parent.mkdir(parents=True, exist_ok=True)
            data = content.encode() if isinstance(content, str) else content
            (repo / path).write_bytes(data)
        if case.edit:
            case.edit(repo)
        result = run(repo, *case.args)
    finally:
        for path, content in originals.items():
            if content is None:
                (repo / path).unlink(missing_ok=True)
            else:
                (repo / path).write_bytes(content)
    output = result.stdout + result.stderr
    assert result.returncode == case.exit_code, output[-3000:]
    for keyword in case.keywords:
        assert keyword in output, output[-3000:]
    assert dist_digests(repo) == {}, "a failed build leaves nothing in dist/"

    shutil.rmtree(repo / "dist", ignore_errors=True)
    again = run(repo, "package", "::")
    assert again.returncode == 0, again.stderr[-3000:]
    assert dist_digests(repo) == clean_build


def test_interrupted_build(repo: Path, clean_build: dict[str, str]) -> None:
    """SIGINT during a build that runs every process again leaves `dist/` empty."""
    shutil.rmtree(repo / "dist", ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PANTS_", "PEX_"))}
    build = subprocess.Popen(
        ["./pants", "--no-pantsd", "--no-local-cache", "package", "::"],
        cwd=repo,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(8)
    build.send_signal(signal.SIGINT)
    _, stderr = build.communicate(timeout=120)
    assert build.returncode != 0, stderr[-2000:]
    assert dist_digests(repo) == {}
    again = run(repo, "package", "::")
    assert again.returncode == 0, again.stderr[-3000:]
    assert dist_digests(repo) == clean_build
