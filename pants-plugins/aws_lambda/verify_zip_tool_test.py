from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from aws_lambda.verify_zip_tool import main

TESTDATA = Path(__file__).parent / "testdata"


def write_zip(path: Path, files: dict[str, bytes]) -> str:
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in files.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o644 << 16
            info.create_system = 3
            archive.writestr(info, content)
    return str(path)


def test_a_zip_built_on_a_mac(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    darwin = (TESTDATA / "_core.cpython-311-darwin.so").read_bytes()
    zip_path = write_zip(tmp_path / "fn.zip", {"msgspec/_core.cpython-311-darwin.so": darwin})

    assert main(["--runtime", "python3.11", "--architecture", "x86_64", zip_path]) == 1
    out = capsys.readouterr().out
    assert "msgspec/_core.cpython-311-darwin.so is a Mach-O binary (macOS arm64)" in out
    assert "for CPython 3.11 on Linux x86_64 with glibc 2.26." in out


def test_arm64_layer(tmp_path: Path) -> None:
    aarch64 = (TESTDATA / "_core.cpython-311-aarch64-linux-gnu.so").read_bytes()
    name = "python/msgspec/_core.cpython-311-aarch64-linux-gnu.so"
    zip_path = write_zip(tmp_path / "layer.zip", {name: aarch64})

    args = ["--runtime", "python3.11", "--layer", zip_path]
    assert main(["--architecture", "arm64", *args]) == 0
    assert main(["--architecture", "x86_64", *args]) == 1


def test_unknown_runtime(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--runtime", "python2.7", "fn.zip"])
    assert exit_info.value.code == 2
    assert "Unknown AWS Lambda Python runtime 'python2.7'" in capsys.readouterr().err
