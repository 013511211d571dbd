from __future__ import annotations

import hashlib
import platform
import re
import struct
import sys
import sysconfig
from pathlib import Path

import pytest

from aws_lambda.scripts.elf import (
    BinaryFormat,
    BinaryInfo,
    BinaryParseError,
    identify_format,
    inspect_binary,
)

TESTDATA = Path(__file__).parent / "testdata"
# The interpreter's own extension modules; in a venv `platstdlib` would name the venv instead.
LIB_DYNLOAD = (
    Path(sysconfig.get_path("platstdlib", vars={"platbase": sys.base_exec_prefix})) / "lib-dynload"
)
HOST_EXTENSIONS = sorted(LIB_DYNLOAD.glob("*.so"))


def read_testdata(name: str) -> bytes:
    return (TESTDATA / name).read_bytes()


def test_testdata_matches_its_readme() -> None:
    readme = (TESTDATA / "README.md").read_text()
    rows = re.findall(r"^\| `([^`]+)` \|.*\| `([0-9a-f]{64})` \|$", readme, re.MULTILINE)
    assert len(rows) == 6
    assert sorted(name for name, _ in rows) == sorted(
        path.name for path in TESTDATA.iterdir() if path.name != "README.md"
    )
    for name, sha256 in rows:
        assert hashlib.sha256(read_testdata(name)).hexdigest() == sha256, name


@pytest.mark.parametrize(
    "name, expected",
    [
        (
            "_core.cpython-311-aarch64-linux-gnu.so",
            BinaryInfo(
                BinaryFormat.ELF,
                "aarch64",
                frozenset({"GLIBC_2.17"}),
            ),
        ),
        (
            "libsharpyuv-0066295b.so.0.1.2",
            BinaryInfo(
                BinaryFormat.ELF,
                "x86_64",
                frozenset({"GLIBC_2.2.5", "GLIBC_2.14", "GLIBC_2.27"}),
            ),
        ),
        ("_core.cpython-311-darwin.so", BinaryInfo(BinaryFormat.MACH_O, "arm64")),
        ("_core.cp311-win_amd64.pyd", BinaryInfo(BinaryFormat.PE, "x86_64")),
    ],
)
def test_real_wheel_binaries(name: str, expected: BinaryInfo) -> None:
    assert inspect_binary(read_testdata(name)) == expected


def test_32_bit_little_endian_elf() -> None:
    info = inspect_binary(read_testdata("_speedups.cpython-311-i386-linux-gnu.so"))
    assert (info.format, info.machine, info.max_glibc) == (BinaryFormat.ELF, "i686", (2, 1))
    assert info.glibc_versions_needed == {(2, 0), (2, 1)}


def test_64_bit_big_endian_elf() -> None:
    info = inspect_binary(read_testdata("cd.cpython-311-s390x-linux-gnu.so"))
    assert info == BinaryInfo(BinaryFormat.ELF, "s390x", frozenset({"GLIBC_2.2"}))


def test_glibc_versions() -> None:
    info = inspect_binary(read_testdata("libsharpyuv-0066295b.so.0.1.2"))
    assert info.glibc_versions_needed == {(2, 2), (2, 14), (2, 27)}
    assert info.max_glibc == (2, 27)
    assert BinaryInfo(BinaryFormat.ELF, "x86_64").max_glibc is None
    only_other_libraries = BinaryInfo(BinaryFormat.ELF, "x86_64", frozenset({"GLIBCXX_3.4.21"}))
    assert only_other_libraries.max_glibc is None


def test_description() -> None:
    assert inspect_binary(read_testdata("_core.cpython-311-darwin.so")).description == (
        "Mach-O binary (macOS arm64)"
    )
    assert inspect_binary(read_testdata("_core.cp311-win_amd64.pyd")).description == (
        "PE binary (Windows x86_64)"
    )
    assert BinaryInfo(BinaryFormat.UNKNOWN).description == "unknown binary (unknown)"


@pytest.mark.skipif(sys.platform != "linux", reason="the host's extensions are not ELF files")
def test_host_interpreter_extensions() -> None:
    host_machine = {"amd64": "x86_64", "arm64": "aarch64"}.get(
        platform.machine().lower(), platform.machine()
    )
    assert len(HOST_EXTENSIONS) > 10, LIB_DYNLOAD
    glibc_linked = 0
    for path in HOST_EXTENSIONS:
        info = inspect_binary(path.read_bytes())
        assert (info.format, info.machine) == (BinaryFormat.ELF, host_machine), path
        if info.max_glibc is not None:
            glibc_linked += 1
            assert (2, 2) <= info.max_glibc <= (2, 99), path
    assert glibc_linked > len(HOST_EXTENSIONS) // 2


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the host's C library is not glibc")
def test_host_extensions_need_no_newer_glibc_than_the_host_has() -> None:
    host_glibc = tuple(int(part) for part in platform.libc_ver()[1].split(".")[:2])
    needed = [inspect_binary(path.read_bytes()).max_glibc for path in HOST_EXTENSIONS]
    assert (2, 2) <= max(version for version in needed if version) <= host_glibc


def strip_section_headers(data: bytes) -> bytes:
    """The ELF file with e_shoff, e_shnum and e_shstrndx zeroed, as `sstrip` leaves it."""
    is_64, endian = data[4] == 2, "<" if data[5] == 1 else ">"
    shoff_at, shnum_at = (40, 60) if is_64 else (32, 48)
    stripped = bytearray(data)
    struct.pack_into(endian + ("Q" if is_64 else "I"), stripped, shoff_at, 0)
    struct.pack_into(endian + "HH", stripped, shnum_at, 0, 0)
    return bytes(stripped)


@pytest.mark.parametrize(
    "name",
    [
        "_core.cpython-311-aarch64-linux-gnu.so",
        "libsharpyuv-0066295b.so.0.1.2",
        "_speedups.cpython-311-i386-linux-gnu.so",
        "cd.cpython-311-s390x-linux-gnu.so",
    ],
)
def test_without_section_headers_reads_the_dynamic_segment(name: str) -> None:
    data = read_testdata(name)
    assert inspect_binary(strip_section_headers(data)) == inspect_binary(data)


@pytest.mark.skipif(sys.platform != "linux", reason="the host's extensions are not ELF files")
def test_host_extensions_without_section_headers() -> None:
    for path in HOST_EXTENSIONS[:20]:
        data = path.read_bytes()
        assert inspect_binary(strip_section_headers(data)) == inspect_binary(data), path


@pytest.mark.parametrize(
    "magic, expected",
    [
        (b"\x7fELF", BinaryFormat.ELF),
        (b"\xfe\xed\xfa\xce", BinaryFormat.MACH_O),
        (b"\xce\xfa\xed\xfe", BinaryFormat.MACH_O),
        (b"\xfe\xed\xfa\xcf", BinaryFormat.MACH_O),
        (b"\xcf\xfa\xed\xfe", BinaryFormat.MACH_O),
        (b"\xca\xfe\xba\xbe\x00\x00\x00\x02", BinaryFormat.MACH_O),
        (b"\xca\xfe\xba\xbf\x00\x00\x00\x02", BinaryFormat.MACH_O),
        (b"\xca\xfe\xba\xbe\x00\x00\x00\x37", BinaryFormat.UNKNOWN),  # A Java 11 class file.
        (b"MZ\x90\x00", BinaryFormat.PE),
        (b"#!/bin/sh", BinaryFormat.UNKNOWN),
        (b"", BinaryFormat.UNKNOWN),
    ],
)
def test_identify_format(magic: bytes, expected: BinaryFormat) -> None:
    assert identify_format(magic) is expected


def test_universal_mach_o() -> None:
    x86_64, arm64 = 0x01000007, 0x0100000C
    fat = struct.pack(">II", 0xCAFEBABE, 2) + struct.pack(">5I", x86_64, 3, 4096, 100, 12)
    fat += struct.pack(">5I", arm64, 0, 8192, 100, 14)
    assert inspect_binary(fat) == BinaryInfo(BinaryFormat.MACH_O, "x86_64+arm64")
    fat64 = struct.pack(">II", 0xCAFEBABF, 1) + struct.pack(">IIQQII", arm64, 0, 4096, 1, 14, 0)
    assert inspect_binary(fat64) == BinaryInfo(BinaryFormat.MACH_O, "arm64")


def elf_header(*, is_64: bool, little: bool, machine: int) -> bytes:
    """A minimal ELF header with no program or section headers."""
    endian = "<" if little else ">"
    ident = b"\x7fELF" + bytes([2 if is_64 else 1, 1 if little else 2, 1]) + bytes(9)
    fields = (3, machine, 1, 0, 0, 0, 0, 64 if is_64 else 52, 0, 0, 0, 0, 0)
    return ident + struct.pack(endian + ("HHIQQQIHHHHHH" if is_64 else "HHIIIIIHHHHHH"), *fields)


@pytest.mark.parametrize(
    "is_64, little, machine, expected",
    [
        (True, True, 62, "x86_64"),
        (True, True, 183, "aarch64"),
        (False, True, 3, "i686"),
        (False, True, 40, "arm"),
        (True, True, 21, "ppc64le"),
        (True, False, 21, "ppc64"),
        (True, False, 22, "s390x"),
        (True, True, 243, "riscv64"),
        (True, True, 9999, "unknown ELF machine 9999"),
    ],
)
def test_elf_machines(is_64: bool, little: bool, machine: int, expected: str) -> None:
    header = elf_header(is_64=is_64, little=little, machine=machine)
    assert inspect_binary(header) == BinaryInfo(BinaryFormat.ELF, expected)


@pytest.mark.parametrize(
    "data",
    [
        b"\x7fELF\x02\x01\x01",
        b"\x7fELF\x03\x01\x01" + bytes(60),
        read_testdata("_core.cpython-311-aarch64-linux-gnu.so")[:2000],
        b"MZ",
        b"\xcf\xfa\xed\xfe",
    ],
)
def test_truncated_or_corrupt_files_raise(data: bytes) -> None:
    with pytest.raises(BinaryParseError, match="Corrupt or truncated|Unknown ELF class"):
        inspect_binary(data)


def test_pe_without_pe_header() -> None:
    dos_stub = b"MZ" + bytes(0x3A) + struct.pack("<I", 0x40) + b"not a PE header"
    assert inspect_binary(dos_stub) == BinaryInfo(BinaryFormat.PE, "unknown machine")


def test_unknown_format() -> None:
    assert inspect_binary(b"INPUT(-lc)\n") == BinaryInfo(BinaryFormat.UNKNOWN)
