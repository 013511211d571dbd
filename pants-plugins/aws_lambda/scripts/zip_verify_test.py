from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
import subprocess
import sys
import warnings
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Union

import pytest

from aws_lambda.runtimes import LambdaArchitecture, LambdaPlatform, LambdaRuntime
from aws_lambda.scripts.testutil import script_sandbox
from aws_lambda.scripts.zip_verify import (
    Problem,
    ProblemKind,
    RuntimePlatform,
    main,
    verify,
)

TESTDATA = Path(__file__).parent / "testdata"
AARCH64_CORE = (TESTDATA / "_core.cpython-311-aarch64-linux-gnu.so").read_bytes()
DARWIN_CORE = (TESTDATA / "_core.cpython-311-darwin.so").read_bytes()
WINDOWS_CORE = (TESTDATA / "_core.cp311-win_amd64.pyd").read_bytes()
SHARPYUV = (TESTDATA / "libsharpyuv-0066295b.so.0.1.2").read_bytes()  # Needs GLIBC_2.27.

PY311_ARM64 = RuntimePlatform((3, 11), (2, 26), "aarch64")
PY311_X86_64 = RuntimePlatform((3, 11), (2, 26), "x86_64")
PY312_X86_64 = RuntimePlatform((3, 12), (2, 34), "x86_64")

HANDLER = b"def handler(event, context):\n    return event\n"

# A zip entry: its bytes, or its bytes and Unix mode.
Entry = Union[bytes, "tuple[bytes, int]"]


def record(distribution: str, files: dict[str, bytes]) -> dict[str, bytes]:
    """`files` plus the distribution's `*.dist-info/RECORD` listing them with their sha256."""
    dist_info = f"{distribution}.dist-info"
    lines = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        lines.append(f"{path},sha256={digest},{len(data)}")
    lines += [f"{dist_info}/RECORD,,", f"../../../bin/{distribution}-tool,sha256=abc,3"]
    return {**files, f"{dist_info}/RECORD": "\n".join(lines).encode() + b"\n"}


def write_zip(
    path: Path,
    entries: Union[Mapping[str, Entry], Sequence[tuple[str, Entry]]],
    *,
    create_system: int = 3,
) -> Path:
    """A zip of `entries`, with mode 0644 or 0755 unless given; a list may repeat a name."""
    items = list(entries.items()) if isinstance(entries, Mapping) else entries
    with zipfile.ZipFile(path, "w") as archive, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns of duplicate names.
        for name, entry in items:
            data, mode = entry if isinstance(entry, tuple) else (entry, None)
            is_dir = name.endswith("/")
            default_mode = 0o755 if is_dir else 0o644
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.create_system = create_system
            file_type = stat.S_IFDIR if is_dir else stat.S_IFREG
            info.external_attr = (file_type | (default_mode if mode is None else mode)) << 16
            archive.writestr(info, data)
    return path


def kinds(problems: list[Problem]) -> list[tuple[str, ProblemKind]]:
    return [(problem.path, problem.kind) for problem in problems]


MSGSPEC_AARCH64 = record(
    "msgspec-0.22.0",
    {"msgspec/__init__.py": b"from ._core import *\n", "msgspec/_core.so": AARCH64_CORE},
)


def test_clean_zip_passes(tmp_path: Path) -> None:
    archive = write_zip(
        tmp_path / "echo.zip",
        {
            "echo/": b"",
            "echo/handler.py": HANDLER,
            "msgspec/": b"",
            "msgspec-0.22.0.dist-info/": b"",
            **MSGSPEC_AARCH64,
            "msgspec/_core.cpython-311-aarch64-linux-gnu.so": AARCH64_CORE,
            "msgspec/_abi3_ext.abi3.so": AARCH64_CORE,
            "msgspec.libs/libhelper-0123abcd.so.1.2.3": AARCH64_CORE,
            "msgspec.libs/LICENSE": b"MIT",
        },
    )
    assert verify(archive, PY311_ARM64) == []


def test_wrong_machine(tmp_path: Path) -> None:
    archive = write_zip(tmp_path / "echo.zip", {"echo/handler.py": HANDLER, **MSGSPEC_AARCH64})
    (problem,) = verify(archive, PY311_X86_64)
    assert problem.kind is ProblemKind.WRONG_MACHINE
    assert problem.distribution == "msgspec 0.22.0"
    assert problem.message == (
        "msgspec/_core.so (from msgspec 0.22.0) is an ELF binary for aarch64, but the function "
        "runs on x86_64. Build the zip for the Lambda platform, CPython 3.11 (cp311) on "
        "manylinux_2_26_x86_64: use the distribution's x86_64 wheel."
    )


def test_wrong_machine_in_libs_folder(tmp_path: Path) -> None:
    archive = write_zip(tmp_path / "f.zip", {"numpy.libs/libgfortran-040039e1": AARCH64_CORE})
    assert kinds(verify(archive, PY311_X86_64)) == [
        ("numpy.libs/libgfortran-040039e1", ProblemKind.WRONG_MACHINE)
    ]


def test_mach_o_extension(tmp_path: Path) -> None:
    archive = write_zip(tmp_path / "echo.zip", {"msgspec/_core.cpython-311-darwin.so": DARWIN_CORE})
    mach_o, tag = verify(archive, PY311_X86_64)
    assert mach_o.kind is ProblemKind.NOT_LINUX_BINARY
    assert mach_o.message == (
        "msgspec/_core.cpython-311-darwin.so is a Mach-O binary (macOS arm64); Lambda runs "
        "Linux, which loads only ELF binaries. Build the zip for the Lambda platform, CPython "
        "3.11 (cp311) on manylinux_2_26_x86_64, not for the machine that ran the build."
    )
    assert tag.kind is ProblemKind.WRONG_EXTENSION_TAG
    assert "'cpython-311-darwin'" in tag.reason


@pytest.mark.parametrize(
    "path", ["msgspec/_core.cp311-win_amd64.pyd", "msgspec/_core.so", "PIL/.dylibs/libz.dll"]
)
def test_pe_binary(tmp_path: Path, path: str) -> None:
    archive = write_zip(tmp_path / "echo.zip", {path: WINDOWS_CORE})
    (problem,) = verify(archive, PY311_X86_64)
    assert problem.kind is ProblemKind.NOT_LINUX_BINARY
    assert f"{path} is a PE binary (Windows x86_64); Lambda runs Linux" in problem.message


def test_dylib_is_mach_o(tmp_path: Path) -> None:
    archive = write_zip(tmp_path / "plot.zip", {"PIL/.dylibs/libjpeg.62.dylib": DARWIN_CORE})
    assert kinds(verify(archive, PY311_X86_64)) == [
        ("PIL/.dylibs/libjpeg.62.dylib", ProblemKind.NOT_LINUX_BINARY)
    ]


def test_named_like_a_library_but_not_a_binary(tmp_path: Path) -> None:
    archive = write_zip(tmp_path / "f.zip", {"lib/libc.so": b"/* GNU ld script */\n"})
    (problem,) = verify(archive, PY311_X86_64)
    assert problem.kind is ProblemKind.NOT_LINUX_BINARY
    assert "is not an ELF binary" in problem.reason


def test_corrupt_binary(tmp_path: Path) -> None:
    archive = write_zip(tmp_path / "f.zip", {"msgspec/_core.so": AARCH64_CORE[:3000]})
    (problem,) = verify(archive, PY311_ARM64)
    assert problem.kind is ProblemKind.CORRUPT_BINARY
    assert "cannot be read as a native binary: Corrupt or truncated ELF file" in problem.message


@pytest.mark.parametrize(
    "name, ok",
    [
        ("_core.cpython-311-aarch64-linux-gnu.so", True),
        ("_core.abi3.so", True),
        ("_core.so", True),
        ("_core.cpython-312-aarch64-linux-gnu.so", False),
        ("_core.cpython-39-aarch64-linux-gnu.so", False),
        ("_core.cpython-311d-aarch64-linux-gnu.so", False),
        ("_core.cpython-311-x86_64-linux-gnu.so", False),
        ("_core.cpython-311-aarch64-linux-musl.so", False),
        ("_core.cpython-311.so", False),
        ("_core.pypy310-pp73-aarch64-linux-gnu.so", False),
    ],
)
def test_extension_tag(tmp_path: Path, name: str, ok: bool) -> None:
    archive = write_zip(tmp_path / "echo.zip", {f"msgspec/{name}": AARCH64_CORE})
    problems = verify(archive, PY311_ARM64)
    if ok:
        assert problems == []
        return
    (problem,) = problems
    assert problem.kind is ProblemKind.WRONG_EXTENSION_TAG
    tag = name.split(".")[1]
    assert problem.message == (
        f"msgspec/{name} has the extension tag '{tag}', but CPython 3.11 on Linux aarch64 "
        "with glibc 2.26 imports only extensions tagged 'cpython-311-aarch64-linux-gnu' or "
        "'abi3' (or untagged), so importing it fails with ModuleNotFoundError. Install the "
        "distribution's wheel for CPython 3.11 (cp311) on manylinux_2_26_aarch64 instead."
    )


def test_glibc_too_new(tmp_path: Path) -> None:
    pillow = record("pillow-13.0.0", {"pillow.libs/libsharpyuv-0066295b.so.0.1.2": SHARPYUV})
    archive = write_zip(tmp_path / "plot.zip", pillow)
    (problem,) = verify(archive, PY311_X86_64)
    assert problem.kind is ProblemKind.GLIBC_TOO_NEW
    assert problem.message == (
        "pillow.libs/libsharpyuv-0066295b.so.0.1.2 (from pillow 13.0.0) needs glibc 2.27 "
        "(symbol version GLIBC_2.27), but the runtime has glibc 2.26, so loading it fails with "
        '"version `GLIBC_2.27\' not found". Use a release of the distribution that has a '
        "manylinux_2_26_x86_64 (or older) wheel, e.g. pin an older version, or choose a "
        "runtime with a newer glibc."
    )
    assert verify(archive, PY312_X86_64) == []


def test_not_world_readable(tmp_path: Path) -> None:
    archive = write_zip(
        tmp_path / "echo.zip",
        {
            "echo/": (b"", 0o750),
            "echo/handler.py": (HANDLER, 0o640),
            "echo/run.sh": (b"#!/bin/sh\n", 0o755),
            "echo/data.json": (b"{}", 0o604),
            "logs/": (b"", 0o754),
        },
    )
    problems = verify(archive, PY311_X86_64)
    assert kinds(problems) == [
        ("echo/", ProblemKind.NOT_WORLD_READABLE),
        ("echo/handler.py", ProblemKind.NOT_WORLD_READABLE),
        ("logs/", ProblemKind.NOT_WORLD_READABLE),
    ]
    assert problems[1].message == (
        "echo/handler.py is a file that not everyone can read (mode 0640); Lambda runs the "
        "function as a user that does not own its files, so this fails with 'Permission "
        "denied'. Give files mode 0644 and folders 0755 before zipping (e.g. `chmod -R o+rX`), "
        "or write the zip with the aws_lambda backend, which normalises modes."
    )
    assert problems[0].reason.startswith("is a folder that not everyone can list (mode 0750)")


def test_zipfile_writestr_with_a_name_is_not_world_readable(tmp_path: Path) -> None:
    # `ZipFile.writestr("name", data)` records mode 0600, a common way to break a Lambda zip.
    with zipfile.ZipFile(tmp_path / "echo.zip", "w") as archive:
        archive.writestr("echo/handler.py", HANDLER)
    (problem,) = verify(tmp_path / "echo.zip", PY311_X86_64)
    assert problem.kind is ProblemKind.NOT_WORLD_READABLE
    assert "(mode 0600)" in problem.reason


def test_modes_not_recorded_are_fine(tmp_path: Path) -> None:
    archive = write_zip(tmp_path / "echo.zip", {"echo/handler.py": (HANDLER, 0)}, create_system=0)
    assert verify(archive, PY311_X86_64) == []


def test_distributions_installing_the_same_file(tmp_path: Path) -> None:
    opencv = record("opencv_python-4.10.0.84", {"cv2/__init__.py": b"# full\n"})
    headless = record("opencv_python_headless-4.10.0.84", {"cv2/__init__.py": b"# headless\n"})
    archive = write_zip(tmp_path / "f.zip", {**opencv, **headless})
    (problem,) = verify(archive, PY311_X86_64)
    assert problem.kind is ProblemKind.COLLISION
    assert problem.message == (
        "cv2/__init__.py is installed, with different contents, by both opencv_python 4.10.0.84 "
        "and opencv_python_headless 4.10.0.84; the zip can hold only one of them. Keep only one "
        "of these distributions in the function's dependencies (as with opencv-python and "
        "opencv-python-headless, which ship the same files)."
    )


def test_distributions_sharing_identical_files_are_fine(tmp_path: Path) -> None:
    namespace = b"__path__ = __import__('pkgutil').extend_path(__path__, __name__)\n"
    first = record("google_a-1.0", {"google/__init__.py": namespace, "google/a.py": b""})
    second = record("google_b-2.0", {"google/__init__.py": namespace, "google/b.py": b""})
    archive = write_zip(tmp_path / "f.zip", {**first, **second})
    assert verify(archive, PY311_X86_64) == []


def test_first_party_file_replacing_a_distribution_file(tmp_path: Path) -> None:
    pyyaml = record("PyYAML-6.0.2", {"yaml/__init__.py": b"# PyYAML\n"})
    merged = {**pyyaml, "yaml/__init__.py": b"# our own yaml helpers\n"}
    (problem,) = verify(write_zip(tmp_path / "f.zip", merged), PY311_X86_64)
    assert problem.kind is ProblemKind.COLLISION
    assert problem.message == (
        "yaml/__init__.py does not hold the bytes that PyYAML 6.0.2 installed there: another "
        "file, first-party or from another distribution, replaced it. Rename or move the other "
        "file so that each path in the zip comes from one place."
    )


def test_no_record_check_leaves_the_hashes_alone(tmp_path: Path) -> None:
    pyyaml = record("PyYAML-6.0.2", {"yaml/__init__.py": b"# PyYAML\n"})
    merged = write_zip(tmp_path / "f.zip", {**pyyaml, "yaml/__init__.py": b"# replaced\n"})
    assert verify(merged, PY311_X86_64, check_records=False) == []
    assert main([*PY311_X86_64.cli_args(), "--no-record-check", str(merged)]) == 0
    assert main([*PY311_X86_64.cli_args(), str(merged)]) == 1


def write_tree(root: Path, files: dict[str, bytes]) -> Path:
    for path, data in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
    return root


def test_duplicate_zip_entries(tmp_path: Path) -> None:
    entries: list[tuple[str, Entry]] = [
        ("echo/handler.py", HANDLER),
        ("logs/setup.py", b""),
        ("echo/handler.py", b"# another handler.py\n"),
    ]
    (problem,) = verify(write_zip(tmp_path / "f.zip", entries), PY311_X86_64)
    assert problem.kind is ProblemKind.COLLISION
    assert problem.message == (
        "echo/handler.py is in the zip 2 times; unzipping keeps only one of them. Build the zip "
        "so that each path is written once: two of its inputs (e.g. a first-party file and a "
        "dependency) put a file at this path."
    )


def test_duplicate_native_entries_are_each_checked(tmp_path: Path) -> None:
    entries: list[tuple[str, Entry]] = [
        ("msgspec/_core.so", AARCH64_CORE),
        ("msgspec/_core.so", DARWIN_CORE),
    ]
    assert kinds(verify(write_zip(tmp_path / "f.zip", entries), PY311_ARM64)) == [
        ("msgspec/_core.so", ProblemKind.NOT_LINUX_BINARY),
        ("msgspec/_core.so", ProblemKind.COLLISION),
    ]


def layer_entries() -> dict[str, Entry]:
    msgspec = record("msgspec-0.22.0", {"msgspec/_core.cpython-311-darwin.so": DARWIN_CORE})
    return {
        "python/": b"",
        **{f"python/{path}": data for path, data in msgspec.items()},
        "bin/tool.dylib": DARWIN_CORE,
    }


def test_prefix(tmp_path: Path) -> None:
    archive = write_zip(tmp_path / "layer.zip", layer_entries())
    problems = verify(archive, PY311_X86_64, prefix="python/")
    assert [(p.path, p.kind, p.distribution) for p in problems] == [
        ("bin/tool.dylib", ProblemKind.NOT_LINUX_BINARY, None),
        (
            "python/msgspec/_core.cpython-311-darwin.so",
            ProblemKind.NOT_LINUX_BINARY,
            "msgspec 0.22.0",
        ),
        (
            "python/msgspec/_core.cpython-311-darwin.so",
            ProblemKind.WRONG_EXTENSION_TAG,
            "msgspec 0.22.0",
        ),
    ]
    assert verify(archive, PY311_X86_64, prefix="python") == problems
    without_prefix = verify(archive, PY311_X86_64)
    assert [problem.distribution for problem in without_prefix] == [None, None, None]


def test_unzipped_tree_gives_the_same_problems(tmp_path: Path) -> None:
    entries = {
        **record("pillow-13.0.0", {"pillow.libs/libsharpyuv-0066295b.so.0.1.2": SHARPYUV}),
        "msgspec/_core.cpython-311-darwin.so": DARWIN_CORE,
        "echo/handler.py": HANDLER,
    }
    archive = write_zip(tmp_path / "f.zip", entries)
    tree = write_tree(tmp_path / "tree", entries)
    (tree / "echo" / "handler.py").chmod(0o600)
    (tree / "echo").chmod(0o700)
    from_tree = verify(tree, PY311_X86_64)
    unreadable = [p for p in from_tree if p.kind is ProblemKind.NOT_WORLD_READABLE]
    assert kinds(unreadable) == [
        ("echo/", ProblemKind.NOT_WORLD_READABLE),
        ("echo/handler.py", ProblemKind.NOT_WORLD_READABLE),
    ]
    assert [p for p in from_tree if p not in unreadable] == verify(archive, PY311_X86_64)
    assert len(from_tree) == 5


def test_runtime_platform() -> None:
    assert PY311_ARM64.extension_tag == "cpython-311-aarch64-linux-gnu"
    assert PY312_X86_64.description == "CPython 3.12 on Linux x86_64 with glibc 2.34"
    assert PY311_ARM64.cli_args() == (
        "--python-version",
        "3.11",
        "--glibc",
        "2.26",
        "--machine",
        "aarch64",
    )


def test_runtime_platform_of_a_lambda_runtime() -> None:
    platform = RuntimePlatform.of(
        LambdaPlatform(LambdaRuntime.python3_11, LambdaArchitecture.arm64)
    )
    assert platform == PY311_ARM64
    platforms = {
        RuntimePlatform.of(LambdaPlatform(runtime, architecture))
        for runtime in LambdaRuntime
        for architecture in LambdaArchitecture
    }
    assert PY312_X86_64 in platforms
    assert {platform.machine for platform in platforms} == {"x86_64", "aarch64"}
    assert {platform.glibc_version for platform in platforms} == {(2, 26), (2, 34)}


def offending_zip(tmp_path: Path) -> Path:
    return write_zip(tmp_path / "echo.zip", {"msgspec/_core.cpython-311-darwin.so": DARWIN_CORE})


def test_main(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    clean = write_zip(tmp_path / "clean.zip", {"echo/handler.py": HANDLER})
    assert main([*PY311_X86_64.cli_args(), str(clean)]) == 0
    assert capsys.readouterr().out == ""
    assert main([*PY311_X86_64.cli_args(), str(clean), str(offending_zip(tmp_path))]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("msgspec/_core.cpython-311-darwin.so is a Mach-O binary")
    assert lines[1].startswith("msgspec/_core.cpython-311-darwin.so has the extension tag")
    assert lines[2] == "2 problem(s) for CPython 3.11 on Linux x86_64 with glibc 2.26."


def test_main_json(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main([*PY311_X86_64.cli_args(), "--json", str(offending_zip(tmp_path))]) == 1
    problems = json.loads(capsys.readouterr().out)
    assert [problem["kind"] for problem in problems] == ["not-linux-binary", "wrong-extension-tag"]
    assert problems[0]["path"] == "msgspec/_core.cpython-311-darwin.so"
    assert problems[0]["message"].endswith("not for the machine that ran the build.")


def test_main_errors(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "not.zip").write_text("hello")
    assert main([*PY311_X86_64.cli_args(), str(tmp_path / "not.zip")]) == 2
    assert "cannot read" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["--python-version", "3", "--glibc", "2.26", "--machine", "x86_64", "f.zip"])
    assert exit_info.value.code == 2
    assert "expected MAJOR.MINOR, e.g. 3.11, not '3'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main([*PY311_X86_64.cli_args(), "--prefix", "../python", str(tmp_path / "not.zip")])
    assert exit_info.value.code == 2
    assert "must be a relative folder without '..'" in capsys.readouterr().err


def pyenv_pythons() -> list[Path]:
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    found = {}
    for minor in range(9, 14):
        for python in sorted(root.glob(f"versions/3.{minor}.*/bin/python3.{minor}")):
            found[minor] = python
    return [found.get(minor, Path(sys.executable)) for minor in range(9, 14)]


@pytest.mark.parametrize("python", sorted(set(pyenv_pythons())), ids=lambda path: path.name)
def test_runs_as_a_module_with_only_the_stdlib(tmp_path: Path, python: Path) -> None:
    sandbox = script_sandbox(tmp_path / "sandbox")
    offending = offending_zip(tmp_path)
    result = subprocess.run(
        [
            str(python),
            "-E",
            "-S",
            "-m",
            "aws_lambda.scripts.zip_verify",
            *PY311_X86_64.cli_args(),
            str(offending),
        ],
        cwd=sandbox,
        check=False,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1, result.stderr
    assert (
        result.stdout.splitlines()[-1]
        == "2 problem(s) for CPython 3.11 on Linux x86_64 with glibc 2.26."
    )
