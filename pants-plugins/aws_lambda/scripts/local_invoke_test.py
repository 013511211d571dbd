from __future__ import annotations

import json
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from textwrap import dedent

import pytest

from aws_lambda.scripts import local_invoke

HANDLER = dedent(
    """\
    import os, sys

    import shared


    def handler(event, context):
        if event.get("log"):
            print(event["log"])
        if event.get("fail"):
            raise ValueError("the handler failed")
        if event.get("sleep"):
            import time
            time.sleep(event["sleep"])
        while event.get("spin"):
            try:
                import time
                time.sleep(0.05)
            except Exception:
                pass
        return {
            "event": event,
            "greeting": shared.GREETING,
            "function_name": context.function_name,
            "memory": context.memory_limit_in_mb,
            "request_id_length": len(context.aws_request_id),
            "remaining_ms": context.get_remaining_time_in_millis(),
            "env_name": os.environ["AWS_LAMBDA_FUNCTION_NAME"],
            "path": [p for p in sys.path if "lambda-invoke-" in p],
        }
    """
)


def write_zip(path: Path, files: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in files.items():
            archive.writestr(zipfile.ZipInfo(name), content)
    return path


@pytest.fixture
def zips(tmp_path: Path) -> tuple[Path, Path]:
    function = write_zip(tmp_path / "fn.zip", {"app/__init__.py": "", "app/handler.py": HANDLER})
    layer = write_zip(tmp_path / "layer.zip", {"python/shared.py": "GREETING = 'hi'\n"})
    return function, layer


def run(zips: tuple[Path, Path], *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    function, layer = zips
    return subprocess.run(
        [sys.executable, "-I", "-S", local_invoke.__file__, "--zip", str(function)]
        + ["--layer", str(layer), "--handler", "app.handler.handler", "--function-name", "fn"]
        + list(args),
        input=stdin,
        capture_output=True,
        text=True,
        cwd=function.parent,
    )


def test_prints_the_result_with_a_lambda_context(zips: tuple[Path, Path]) -> None:
    result = run(zips, "--timeout", "30", "--memory", "512", '{"name": "x"}')
    assert result.returncode == 0, result.stderr
    response = json.loads(result.stdout)
    assert response["event"] == {"name": "x"}
    assert response["greeting"] == "hi", "the layer's python/ is importable"
    assert (response["function_name"], response["env_name"], response["memory"]) == (
        "fn",
        "fn",
        512,
    )
    assert response["request_id_length"] == 36
    assert 25_000 < response["remaining_ms"] <= 30_000
    task, opt = response["path"]
    assert task.endswith("/task") and opt.endswith("/opt/python")


@pytest.mark.parametrize("source", ["file", "stdin"])
def test_event_from_a_file_or_stdin(zips: tuple[Path, Path], source: str) -> None:
    event = '{"from": "%s"}' % source
    if source == "file":
        (zips[0].parent / "event.json").write_text(event)
        result = run(zips, "--event-file", "event.json")
    else:
        result = run(zips, "-", stdin=event)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["event"] == {"from": source}


def test_handler_that_raises(zips: tuple[Path, Path]) -> None:
    result = run(zips, '{"fail": true}')
    assert result.returncode == 1
    assert result.stdout == ""
    assert "Traceback (most recent call last):" in result.stderr
    assert "ValueError: the handler failed" in result.stderr


@pytest.mark.parametrize("event", ['{"sleep": 30}', '{"spin": true}'])
def test_handler_that_times_out_is_stopped(zips: tuple[Path, Path], event: str) -> None:
    """A handler that catches every exception in a loop is stopped too, as on Lambda."""
    started = time.monotonic()
    result = run(zips, "--timeout", "0.5", event)
    assert time.monotonic() - started < 10
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip().endswith("Task timed out after 0.50 seconds")


@pytest.mark.parametrize("then", ['"fail": true', '"spin": true'])
def test_a_failing_handler_keeps_what_it_logged(zips: tuple[Path, Path], then: str) -> None:
    """As on Lambda, where each log line reaches CloudWatch as it is written."""
    result = run(zips, "--timeout", "2", '{"log": "before the end", %s}' % then)
    assert result.returncode == 1
    assert result.stdout == "before the end\n"


def test_event_that_is_not_json(zips: tuple[Path, Path]) -> None:
    result = run(zips, "{not json")
    assert result.returncode == 2
    assert result.stderr == (
        "local_invoke: the event is not valid JSON (Expecting property name enclosed in double "
        "quotes: line 1 column 2 (char 1)): '{not json'\n"
    )


def test_unknown_handler_module(zips: tuple[Path, Path], tmp_path: Path) -> None:
    function, layer = zips
    result = subprocess.run(
        [sys.executable, "-I", "-S", local_invoke.__file__, "--zip", str(function)]
        + ["--handler", "local_invoke.main", "--function-name", "fn"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "No module named 'local_invoke'" in result.stderr, "only the zip is importable"
