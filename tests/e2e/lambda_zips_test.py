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

from e2e.lambda_zips import (
    elf_machine,
    find_cpython,
    import_failures,
    invoke,
    top_level_modules,
    unzip,
)

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


def test_plot_runs_on_the_scientific_layer(tmp_path: Path) -> None:
    task_root = unzip("src.python.plot/plot-with-layer.zip", tmp_path / "task")
    opt = unzip("src.python.scientific/scientific.zip", tmp_path / "opt")
    response = invoke(task_root, "3.11", "plot.handler.handler", {"values": [1, 2]}, opt / "python")
    assert base64.b64decode(response["png_base64"]).startswith(b"\x89PNG\r\n\x1a\n")

    assert os.path.getsize("src.python.plot/plot-with-layer.zip") < ONE_MEBIBYTE
    top_level = {path.name for path in task_root.iterdir()}
    assert {"plot", "logs", "structlog"} <= top_level
    assert not top_level & {"matplotlib", "numpy", "PIL"}
    assert {path.name for path in opt.iterdir()} == {"python"}
    assert {"matplotlib", "numpy", "PIL"} <= {path.name for path in (opt / "python").iterdir()}

    report = json.loads(Path("src.python.plot/plot-with-layer.zip.metadata.json").read_text())
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
    # PEP 552: the runtime's magic number, then flags: 0b01 (hash-based, source never checked)
    # for third-party code, 0b11 (checked against the source's hash) for first-party code.
    magic = runtime_magic(python_version)
    unchecked, checked = magic + (1).to_bytes(4, "little"), magic + (3).to_bytes(4, "little")
    assert unchecked in headers and headers <= {unchecked, checked}


def first_party_sources(task_root: Path) -> set[Path]:
    """The `.py` files of an unzipped lambda that no distribution's RECORD lists."""
    listed = {
        task_root / row.split(",")[0]
        for record in task_root.glob("*.dist-info/RECORD")
        for row in record.read_text().splitlines()
    }
    return set(task_root.rglob("*.py")) - listed


def test_third_party_bytecode_is_imported_without_reading_sources(tmp_path: Path) -> None:
    task_root = unzip("src.python.echo/echo.zip", tmp_path / "task")
    first_party = first_party_sources(task_root)
    assert {task_root / "echo" / "handler.py", task_root / "logs" / "structured.py"} <= first_party
    compiled = [
        source
        for source in set(task_root.rglob("*.py")) - first_party
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


def test_an_edit_to_a_first_party_source_takes_effect(tmp_path: Path) -> None:
    """As when someone edits `handler.py` in the Lambda console's code editor and deploys."""
    task_root = unzip("src.python.echo/echo.zip", tmp_path / "task")
    handler = task_root / "echo" / "handler.py"
    pyc = (task_root / "echo" / "__pycache__" / "handler.cpython-311.pyc").read_bytes()
    assert pyc[4:8] == (3).to_bytes(4, "little"), "checked-hash: Python compares the source's hash"
    handler.write_text("def handler(event, context):\n    return {'edited': True}\n")

    response = invoke(task_root, "3.11", "echo.handler.handler", {"message": "hello"})

    assert response == {"edited": True}


@pytest.mark.parametrize("zip_path", ["src.python.echo/echo.zip", "src.python.plot/plot.zip"])
def test_every_top_level_module_of_a_slimmed_zip_imports(tmp_path: Path, zip_path: str) -> None:
    task_root = unzip(zip_path, tmp_path / "task")
    modules = top_level_modules(task_root)
    assert all(modules.values()), modules
    # numpy.testing imports a module from numpy's tests, which slimming keeps for it.
    extra = ["numpy.testing", "matplotlib.testing"] if "plot" in zip_path else []
    everything = sorted({m for names in modules.values() for m in names}) + extra
    assert import_failures(task_root, "3.11", everything) == []

    report = json.loads(Path(f"{zip_path}.metadata.json").read_text())
    assert report["slimmed_size"] > 0
    kept = [path for dist in report["distributions"] for path in dist["kept_for_imports"]]
    test_folders = {
        os.path.relpath(path, task_root)
        for path in task_root.rglob("*")
        if path.is_file() and {"tests", "test"} & set(path.relative_to(task_root).parts[1:-1])
    }
    assert {path for path in test_folders if "__pycache__" not in path} == set(kept)


def test_sourceless_bytecode_replaces_third_party_sources(tmp_path: Path) -> None:
    task_root = unzip("src.python.plot/plot-sourceless.zip", tmp_path / "task")
    first_party = first_party_sources(task_root)
    assert {path.relative_to(task_root).as_posix() for path in first_party} >= {
        "plot/handler.py",
        "plot/__init__.py",
    }, "first-party code keeps its sources"
    third_party_sources = set(task_root.rglob("*.py")) - first_party
    assert len(third_party_sources) < 10, "only sources that do not compile stay"
    assert (task_root / "numpy" / "__init__.pyc").is_file()

    response = invoke(task_root, "3.11", "plot.handler.handler", {"values": [3, 1, 2]})
    assert base64.b64decode(response["png_base64"]).startswith(b"\x89PNG\r\n\x1a\n")
    assert os.path.getsize("src.python.plot/plot-sourceless.zip") < os.path.getsize(
        "src.python.plot/plot.zip"
    )
    # A traceback through third-party code names the file and line, without the source line.
    python = find_cpython("3.11")
    assert python is not None
    code = f"import sys; sys.path.insert(0, {str(task_root)!r}); import numpy as np"
    code += "; np.linspace(0, 1, -1)"
    failed = subprocess.run([str(python), "-I", "-S", "-c", code], capture_output=True, text=True)
    frame = re.search(
        r'File "numpy/_core/function_base\.py", line \d+, in linspace\n(.*)\n', failed.stderr
    )
    assert frame, failed.stderr
    assert frame[1].startswith("ValueError"), "no source line follows the frame"
