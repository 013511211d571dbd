"""Unzip the example lambdas and invoke them the way Lambda does with `/var/task`."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import subprocess
import zipfile
from pathlib import Path

import pytest

from e2e.lambda_zips import elf_machine, find_cpython, invoke, unzip

ONE_MEBIBYTE = 1024 * 1024


@pytest.mark.parametrize(
    "zip_path, python_version",
    [
        ("src.python.echo/echo.zip", "3.11"),
        ("src.python.echo/echo-py313.zip", "3.13"),
        ("src.python.echo/echo-py314.zip", "3.14"),
    ],
)
def test_echo(tmp_path: Path, zip_path: str, python_version: str) -> None:
    task_root = unzip(zip_path, tmp_path / "task")
    response = invoke(task_root, python_version, "echo.handler.handler", {"message": "hello"})
    assert response == {"message": "hello"}


def test_plot(tmp_path: Path) -> None:
    task_root = unzip("src.python.plot/plot.zip", tmp_path / "task")
    response = invoke(task_root, "3.11", "plot.handler.handler", {"values": [3, 1, 2]})
    png = base64.b64decode(response["png_base64"])
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert response["size"] == len(png)


def test_plot_slim_runs_with_the_scientific_layer(tmp_path: Path) -> None:
    task_root = unzip("src.python.plot/plot_slim.zip", tmp_path / "task")
    opt = unzip("src.python.scientific/scientific.zip", tmp_path / "opt")
    response = invoke(task_root, "3.11", "plot.handler.handler", {"values": [1, 2]}, opt / "python")
    assert base64.b64decode(response["png_base64"]).startswith(b"\x89PNG\r\n\x1a\n")

    assert os.path.getsize("src.python.plot/plot_slim.zip") < ONE_MEBIBYTE
    top_level = {path.name for path in task_root.iterdir()}
    assert {"plot", "logs", "structlog"} <= top_level
    assert not top_level & {"matplotlib", "numpy", "PIL"}
    assert {path.name for path in opt.iterdir()} == {"python"}
    assert {"matplotlib", "numpy", "PIL"} <= {path.name for path in (opt / "python").iterdir()}

    report = json.loads(Path("src.python.plot/plot_slim.zip.metadata.json").read_text())
    provided = {dist["name"]: dist["layer"] for dist in report["provided_by_layers"]}
    assert provided["matplotlib"] == provided["numpy"] == "src/python/scientific:scientific"
    layer_report = json.loads(
        Path("src.python.scientific/scientific.zip.metadata.json").read_text()
    )
    assert report["unzipped_size_with_layers"] == (
        report["unzipped_size"] + layer_report["unzipped_size"]
    )


def test_report_matches_the_zip() -> None:
    zip_path = Path("src.python.echo/echo.zip")
    report = json.loads(Path(f"{zip_path}.metadata.json").read_text())
    digest = hashlib.sha256(zip_path.read_bytes()).digest()
    assert report["code_sha256"] == base64.b64encode(digest).decode()
    assert report["zipped_size"] == zip_path.stat().st_size
    with zipfile.ZipFile(zip_path) as archive:
        files = [info for info in archive.infolist() if not info.is_dir()]
    assert report["file_count"] == len(files)
    assert report["unzipped_size"] == sum(info.file_size for info in files)
    assert [dist["name"] for dist in report["largest_distributions"]] == ["msgspec", "structlog"]


def test_echo_carries_only_what_it_imports() -> None:
    with zipfile.ZipFile("src.python.echo/echo.zip") as archive:
        top_level = {name.split("/")[0] for name in archive.namelist()}
    assert {"echo", "logs", "msgspec", "structlog"} <= top_level
    assert not top_level & {"matplotlib", "numpy", "PIL", "plot"}
    assert os.path.getsize("src.python.echo/echo.zip") < ONE_MEBIBYTE


@pytest.mark.parametrize(
    "zip_path, abi, machine",
    [
        ("src.python.echo/echo.zip", "cpython-311", "x86_64"),
        ("src.python.echo/echo-py313.zip", "cpython-313", "x86_64"),
        ("src.python.echo/echo-py314.zip", "cpython-314", "x86_64"),
        ("src.python.plot/plot.zip", "cpython-311", "x86_64"),
        ("src.python.plot/plot-py312-arm64.zip", "cpython-312", "aarch64"),
    ],
)
def test_native_extensions_match_the_platform(zip_path: str, abi: str, machine: str) -> None:
    with zipfile.ZipFile(zip_path) as archive:
        native = [name for name in archive.namelist() if re.search(r"\.so(\.\d+)*$", name)]
        assert native, f"{zip_path} should hold native extensions"
        for name in native:
            assert elf_machine(archive.read(name)) == machine, name
            tagged_abi = re.search(r"\.(cpython-\d+)-", name)
            assert tagged_abi is None or tagged_abi.group(1) == abi, name


def runtime_magic(python_version: str) -> bytes:
    python = find_cpython(python_version)
    assert python is not None, f"CPython {python_version} is needed to check its bytecode."
    script = "import importlib.util, sys; sys.stdout.write(importlib.util.MAGIC_NUMBER.hex())"
    result = subprocess.run([str(python), "-I", "-c", script], capture_output=True, text=True)
    return bytes.fromhex(result.stdout)


@pytest.mark.parametrize(
    "zip_path, python_version",
    [
        ("src.python.echo/echo.zip", "3.11"),
        ("src.python.echo/echo-py313.zip", "3.13"),
        ("src.python.echo/echo-py314.zip", "3.14"),
        ("src.python.scientific/scientific.zip", "3.11"),
    ],
)
def test_bytecode_is_for_the_runtime(zip_path: str, python_version: str) -> None:
    tag = f"cpython-{python_version.replace('.', '')}"
    with zipfile.ZipFile(zip_path) as archive:
        names = set(archive.namelist())
        sources = {name for name in names if name.endswith(".py")}
        pycs = {name for name in names if name.endswith(".pyc")}
        headers = {archive.read(name)[:8] for name in pycs}
    folder, stem = os.path.dirname, lambda path: os.path.basename(path)[: -len(".py")]
    expected = {
        os.path.join(folder(source), "__pycache__", f"{stem(source)}.{tag}.pyc")
        for source in sources
    }
    assert len(pycs) > 0.9 * len(sources), "nearly every source has its bytecode"
    assert pycs <= expected, "only the runtime's bytecode, in the standard layout"
    # PEP 552: the runtime's magic number, then flags 0b01: hash-based, source never checked.
    assert headers == {runtime_magic(python_version) + (1).to_bytes(4, "little")}


def test_handler_imports_its_bytecode_without_reading_sources(tmp_path: Path) -> None:
    task_root = unzip("src.python.echo/echo.zip", tmp_path / "task")
    compiled = [
        source
        for source in task_root.rglob("*.py")
        if (source.parent / "__pycache__" / f"{source.stem}.cpython-311.pyc").exists()
    ]
    assert len(compiled) > 20
    for source in compiled:
        # Were any of these read (and compiled), the import would fail.
        source.write_text("raise RuntimeError('the source was read')\n")
    before = sorted(task_root.rglob("*"))

    response = invoke(task_root, "3.11", "echo.handler.handler", {"message": "hello"})

    assert response == {"message": "hello"}
    assert sorted(task_root.rglob("*")) == before, "nothing was compiled or written"
