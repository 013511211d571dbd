"""The init timer against the real awslambdaric, pip-installed once into the bench cache.

Needs CPython 3.11 (LAMBDABENCH_PYTHON, python3.11 on PATH, or pyenv's) and PyPI.
"""

from __future__ import annotations

import glob
import http.client
import json
import os
import shutil
import threading
import time
import zipfile
from pathlib import Path

import pytest

from lambdabench import inittime
from lambdabench.inittime import RuntimeApi, Variant

EVENT = {"values": [1, 3, 2, 4], "nested": {"text": "é"}}
HANDLERS = {
    "handler.py": (
        "import os, sys\n"
        "def handler(event, context):\n"
        "    return event\n"
        "def paths(event, context):\n"
        "    return {'sys_path': sys.path, 'env': dict(os.environ)}\n"
    ),
    "broken.py": "raise RuntimeError('boom at import')\n",
    # As the folder's owner it can make it writable again, root or not.
    "writer.py": (
        "import os, pathlib\n"
        "os.chmod(os.environ['LAMBDA_TASK_ROOT'], 0o755)\n"
        "pathlib.Path(os.environ['LAMBDA_TASK_ROOT'], 'written.txt').write_text('x')\n"
        "def handler(event, context):\n"
        "    return event\n"
    ),
}


def _cpython_311() -> str:
    candidates = [os.environ.get("LAMBDABENCH_PYTHON"), shutil.which("python3.11")]
    pyenv = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    candidates += sorted(glob.glob(f"{pyenv}/versions/3.11*/bin/python3.11"), reverse=True)
    found = next((c for c in candidates if c and os.access(c, os.X_OK)), None)
    if found is None:
        pytest.fail("needs CPython 3.11: set LAMBDABENCH_PYTHON or install it with pyenv")
    return found


def _cache() -> Path:
    if os.environ.get("LAMBDABENCH_CACHE"):
        return Path(os.environ["LAMBDABENCH_CACHE"])
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return Path(xdg, "pants-lambda-bench")


@pytest.fixture(scope="module")
def runtime() -> inittime.Runtime:
    try:
        return inittime.install_runtime(_cpython_311(), _cache() / "inittime")
    except inittime.SetupError as e:
        pytest.fail(str(e), pytrace=False)


@pytest.fixture
def handler_zip(tmp_path: Path) -> Path:
    path = tmp_path / "fn.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name, source in HANDLERS.items():
            archive.writestr(name, source)
    return path


def test_the_runtime_api_serves_one_event_and_keeps_the_first_result() -> None:
    with RuntimeApi(b'{"a": 1}', "fn") as api:
        client = http.client.HTTPConnection(api.address, timeout=5)
        client.request("GET", "/2018-06-01/runtime/invocation/next")
        reply = client.getresponse()
        assert (reply.status, reply.read()) == (200, b'{"a": 1}')
        assert reply.getheader("Lambda-Runtime-Aws-Request-Id") == api.request_id
        assert int(reply.getheader("Lambda-Runtime-Deadline-Ms", "0")) > time.time() * 1000
        assert reply.getheader("Lambda-Runtime-Invoked-Function-Arn", "").endswith(":fn")
        assert reply.getheader("Lambda-Runtime-Trace-Id", "").startswith("Root=1-")
        assert api.first_next_at is not None and not api.finished.is_set()

        for path in (f"invocation/{api.request_id}/response", "init/error"):
            client.request("POST", f"/2018-06-01/runtime/{path}", body=f'"{path}"')
            assert client.getresponse().read() and api.finished.is_set()
        first_body = f'"invocation/{api.request_id}/response"'.encode()
        assert (api.result_kind, api.result_body) == ("response", first_body)
        assert api.result_at is not None and api.result_at >= api.first_next_at

        client.request("POST", "/2018-06-01/runtime/invocation/other-id/response", body="{}")
        assert client.getresponse().status == 404

        outcome: list[str] = []
        second_next = threading.Thread(target=_get_next, args=(api.address, outcome))
        second_next.start()
        second_next.join(0.3)
        assert second_next.is_alive(), "a second `next` must wait, as for an idle function"
    second_next.join(5)
    assert outcome == ["disconnected"]


def _get_next(address: str, outcome: list[str]) -> None:
    client = http.client.HTTPConnection(address, timeout=10)
    client.request("GET", "/2018-06-01/runtime/invocation/next")
    try:
        client.getresponse()
        outcome.append("answered")
    except http.client.RemoteDisconnected:
        outcome.append("disconnected")


def test_a_cold_start_returns_the_event_after_init(
    runtime: inittime.Runtime, handler_zip: Path, tmp_path: Path
) -> None:
    with inittime.mounted(Variant("echo", handler_zip, "handler.handler"), tmp_path / "fn") as fn:
        assert not any(p.stat().st_mode & 0o222 for p in [fn.task, *fn.task.rglob("*")])
        run = inittime.cold_start(runtime, fn, json.dumps(EVENT).encode())
    assert run.failure is None
    assert json.loads(run.body) == EVENT
    assert run.init_seconds is not None and run.response_seconds is not None
    assert 0 < run.init_seconds < run.response_seconds < 30


def test_medians_over_alternating_runs(runtime: inittime.Runtime, handler_zip: Path) -> None:
    variants = [
        Variant("echo", handler_zip, "handler.handler"),
        Variant("echo again", handler_zip, "handler.handler"),
    ]
    times = inittime.time_init(variants, runtime, runs=2, event=json.dumps(EVENT))
    assert [(t.label, t.runs, t.failure) for t in times] == [
        ("echo", 2, None),
        ("echo again", 2, None),
    ]
    for t in times:
        assert t.zip_bytes == handler_zip.stat().st_size
        assert t.init_seconds is not None and t.response_seconds is not None
        assert 0 < t.init_seconds < t.response_seconds


def test_a_handler_raising_at_import_posts_an_init_error(
    runtime: inittime.Runtime, handler_zip: Path, tmp_path: Path
) -> None:
    broken = Variant("broken", handler_zip, "broken.handler")
    with inittime.mounted(broken, tmp_path / "fn") as fn:
        run = inittime.cold_start(runtime, fn, b"{}")
    assert run.init_seconds is None and run.response_seconds is not None
    assert run.failure == "init-error: RuntimeError: boom at import"

    [times] = inittime.time_init([broken], runtime, runs=3)
    assert (times.runs, times.init_seconds, times.response_seconds) == (0, None, None)
    assert times.failure == "init-error: RuntimeError: boom at import"


def test_the_function_gets_lambdas_search_path_and_environment(
    runtime: inittime.Runtime, handler_zip: Path, tmp_path: Path
) -> None:
    with inittime.mounted(Variant("paths", handler_zip, "handler.paths"), tmp_path / "fn") as fn:
        run = inittime.cold_start(runtime, fn, b"{}")
    seen = json.loads(run.body)
    expected = [
        str(fn.task),
        f"{fn.opt}/python/lib/python3.11/site-packages",
        f"{fn.opt}/python",
        str(runtime.runtime_dir),
    ]
    assert list(dict.fromkeys(seen["sys_path"]))[:4] == expected
    assert not [p for p in seen["sys_path"] if "site-packages" in p and "lang" not in p][1:]
    env = seen["env"]
    assert env["_HANDLER"] == "handler.paths" and env["LAMBDA_TASK_ROOT"] == str(fn.task)
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.11" and env["TZ"] == ":UTC"
    assert "HOME" not in env and env["_X_AMZN_TRACE_ID"].startswith("Root=1-")


def test_a_run_that_writes_to_the_task_folder_is_refused(
    runtime: inittime.Runtime, handler_zip: Path
) -> None:
    with pytest.raises(RuntimeError, match="writer: a run changed"):
        inittime.time_init([Variant("writer", handler_zip, "writer.handler")], runtime, runs=1)


def test_without_bytecode_drops_every_pyc(tmp_path: Path) -> None:
    built = tmp_path / "built.zip"
    with zipfile.ZipFile(built, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in ("pkg/__init__.py", "pkg/__pycache__/", "pkg/__pycache__/m.pyc", "old.pyc"):
            archive.writestr(name, "" if name.endswith("/") else "x = 1\n")
    stripped = inittime.without_bytecode(built, tmp_path / "stripped.zip")
    with zipfile.ZipFile(stripped) as archive:
        assert archive.namelist() == ["pkg/__init__.py"]
        assert archive.getinfo("pkg/__init__.py").compress_type == zipfile.ZIP_DEFLATED
