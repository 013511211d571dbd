"""Unzip a lambda and invoke its handler the way Lambda does with `/var/task`.

Each handler runs in a fresh CPython of the runtime's version, isolated (`-I -S`) so that
nothing but the unzipped folder (and a layer's `python/`) is importable.
"""

from __future__ import annotations

import json
import os
import subprocess
import zipfile
from pathlib import Path

ELF_MACHINES = {62: "x86_64", 183: "aarch64"}


def find_cpython(version: str) -> Path | None:
    """A real CPython `version` (e.g. `3.11`) from pyenv or PATH; pyenv shims do not count."""
    pyenv_versions = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"), "versions")
    candidates = sorted(pyenv_versions.glob(f"{version}.*/bin/python{version}"))
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        if "shims" not in directory:
            candidates.append(Path(directory, f"python{version}"))
    return next((path for path in candidates if path.is_file()), None)


def unzip(zip_path: str | Path, destination: Path) -> Path:
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(destination)
    return destination


def invoke(
    task_root: Path, python_version: str, handler: str, event: dict, opt_python: Path | None = None
) -> dict:
    """Call `handler` with `task_root`, then a layer's `opt_python`, on `sys.path`, like Lambda."""
    python = find_cpython(python_version)
    assert python is not None, (
        f"CPython {python_version} is needed to run this lambda: install it (with pyenv, or "
        f"`build-support/cpython/install.sh {python_version}` where pyenv has no build)."
    )
    module, _, func = handler.rpartition(".")
    paths = [str(task_root), *([str(opt_python)] if opt_python else [])]
    script = (
        "import json, sys\n"
        f"sys.path[:0] = {paths!r}\n"
        f"from {module} import {func}\n"
        f"print(json.dumps({func}(json.loads(sys.argv[1]), None)))\n"
    )
    result = subprocess.run(
        [str(python), "-I", "-S", "-c", script, json.dumps(event)],
        capture_output=True,
        text=True,
        # Lambda's only writable folder is /tmp; matplotlib caches fonts there.
        env={"MPLCONFIGDIR": str(task_root.parent / "tmp")},
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def elf_machine(data: bytes) -> str:
    assert data[:4] == b"\x7fELF", "not an ELF file"
    return ELF_MACHINES.get(int.from_bytes(data[18:20], "little"), "unknown")


def top_level_modules(task_root: Path) -> dict[str, list[str]]:
    """The top-level modules of each distribution in an unzipped lambda, from its RECORD."""
    modules = {}
    for record in sorted(task_root.glob("*.dist-info/RECORD")):
        names = set()
        for row in record.read_text().splitlines():
            first, is_folder, _ = row.split(",")[0].partition("/")
            stem = first.split(".")[0]
            if is_folder and first.isidentifier():
                names.add(first)
            elif not is_folder and first.endswith((".py", ".pyc", ".so")) and stem.isidentifier():
                names.add(stem)
        modules[record.parent.name] = sorted(names - {"__pycache__", "bin", "share"})
    return modules


def import_failures(task_root: Path, python_version: str, modules: list[str]) -> list[str]:
    """The `modules` that fail to import from `task_root` in the runtime's CPython, and why."""
    python = find_cpython(python_version)
    assert python is not None, f"CPython {python_version} is needed to import from this lambda."
    script = (
        "import importlib, json, sys\n"
        f"sys.path[:0] = [{str(task_root)!r}]\n"
        "failures = []\n"
        "for module in sys.argv[1:]:\n"
        "    try:\n"
        "        importlib.import_module(module)\n"
        "    except BaseException as e:\n"
        "        failures.append(f'{module}: {type(e).__name__}: {e}')\n"
        "print(json.dumps(failures))\n"
    )
    result = subprocess.run(
        [str(python), "-I", "-S", "-c", script, *modules],
        capture_output=True,
        text=True,
        env={"MPLCONFIGDIR": str(task_root.parent / "tmp")},
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])
