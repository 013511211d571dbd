from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest

from aws_lambda.scripts import wheel_install
from aws_lambda.scripts.wheel_install import (
    HASH_MISMATCH_EXIT_CODE,
    INVALID_WHEEL_EXIT_CODE,
    DownloadError,
    HashMismatchError,
    InvalidWheelError,
    download,
    install,
)

DIST_INFO = "demo-1.0.dist-info"
RECORD = f"""\
demo/__init__.py,sha256=abc,10
demo/__pycache__/__init__.cpython-311.pyc,sha256=def,20
demo-1.0.data/scripts/demo-cli,sha256=ghi,30
demo-1.0.data/platlib/_demo_native.so,sha256=jkl,40
{DIST_INFO}/METADATA,sha256=mno,50
{DIST_INFO}/RECORD,,
"""


def write_wheel(path: Path, members: dict[str, bytes], executable: frozenset[str] = frozenset()):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o755 if name in executable else 0o644) << 16
            archive.writestr(info, data)
    return path


def demo_wheel(tmp_path: Path) -> Path:
    return write_wheel(
        tmp_path / "demo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl",
        {
            "demo/__init__.py": b"VALUE = 1\n",
            "demo/__pycache__/__init__.cpython-311.pyc": b"stale",
            "demo-1.0.data/scripts/demo-cli": b"#!python\nprint('hi')\n",
            "demo-1.0.data/platlib/_demo_native.so": b"\x7fELF",
            "demo-1.0.data/headers/demo.h": b"int x;\n",
            f"{DIST_INFO}/METADATA": b"Name: demo\nVersion: 1.0\n",
            f"{DIST_INFO}/RECORD": RECORD.encode(),
        },
        executable=frozenset({"demo-1.0.data/scripts/demo-cli"}),
    )


def tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def test_install_spreads_the_data_folders_and_leaves_bytecode_out(tmp_path: Path) -> None:
    dest = tmp_path / "tree"
    install(demo_wheel(tmp_path), dest)
    assert tree(dest) == {
        "demo/__init__.py",
        "_demo_native.so",
        "bin/demo-cli",
        "include/site/python3.11/demo/demo.h",
        f"{DIST_INFO}/METADATA",
        f"{DIST_INFO}/RECORD",
    }
    assert (dest / "bin/demo-cli").stat().st_mode & 0o111
    assert not (dest / "demo/__init__.py").stat().st_mode & 0o111


def test_the_record_lists_what_was_installed_where(tmp_path: Path) -> None:
    dest = tmp_path / "tree"
    install(demo_wheel(tmp_path), dest)
    rows = list(csv.reader(io.StringIO((dest / DIST_INFO / "RECORD").read_text())))
    assert rows == [
        ["demo/__init__.py", "sha256=abc", "10"],
        ["bin/demo-cli", "sha256=ghi", "30"],
        ["_demo_native.so", "sha256=jkl", "40"],
        [f"{DIST_INFO}/METADATA", "sha256=mno", "50"],
        [f"{DIST_INFO}/RECORD", "", ""],
        ["include/site/python3.11/demo/demo.h", "", ""],  # Missing from the wheel's RECORD.
    ]


@pytest.mark.parametrize(
    "members, problem",
    [
        ({"../evil.py": b"", f"{DIST_INFO}/METADATA": b""}, "outside its root"),
        ({"/abs.py": b"", f"{DIST_INFO}/METADATA": b""}, "outside its root"),
        ({"demo/__init__.py": b""}, "0 top-level .dist-info folders"),
        (
            {"demo-1.0.data/weird/x": b"", f"{DIST_INFO}/METADATA": b""},
            "unknown .data folder",
        ),
    ],
)
def test_a_broken_wheel_is_refused(tmp_path: Path, members: dict, problem: str) -> None:
    wheel = write_wheel(tmp_path / "demo-1.0-py3-none-any.whl", members)
    with pytest.raises(InvalidWheelError, match=problem):
        install(wheel, tmp_path / "tree")
    assert not (tmp_path / "evil.py").exists()


def test_download_checks_the_hash(tmp_path: Path) -> None:
    wheel = demo_wheel(tmp_path)
    sha256 = hashlib.sha256(wheel.read_bytes()).hexdigest()
    download(wheel.as_uri(), "sha256", sha256, tmp_path / "copy.whl")
    assert (tmp_path / "copy.whl").read_bytes() == wheel.read_bytes()
    with pytest.raises(HashMismatchError) as raised:
        download(wheel.as_uri(), "sha256", "0" * 64, tmp_path / "copy.whl")
    assert (raised.value.expected, raised.value.actual) == ("0" * 64, sha256)


def test_a_missing_file_is_a_download_error(tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="missing.whl"):
        download((tmp_path / "missing.whl").as_uri(), "sha256", "0", tmp_path / "x", attempts=1)


def test_main_reports_a_mismatch_as_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    wheel = demo_wheel(tmp_path)
    args = ["--url", wheel.as_uri(), "--algorithm", "sha256", "--dest", "tree"]
    assert wheel_install.main([*args, "--hash", "0" * 64]) == HASH_MISMATCH_EXIT_CODE
    assert json.loads(capsys.readouterr().out)["expected"] == "0" * 64
    sha256 = hashlib.sha256(wheel.read_bytes()).hexdigest()
    assert wheel_install.main([*args, "--hash", sha256]) == 0
    assert "demo/__init__.py" in tree(tmp_path / "tree")
    broken = write_wheel(tmp_path / "broken-1.0-py3-none-any.whl", {"x.py": b""})
    broken_hash = hashlib.sha256(broken.read_bytes()).hexdigest()
    broken_args = ["--url", broken.as_uri(), "--algorithm", "sha256", "--hash", broken_hash]
    assert wheel_install.main([*broken_args, "--dest", "t2"]) == INVALID_WHEEL_EXIT_CODE
