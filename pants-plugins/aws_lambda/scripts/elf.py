"""Identify native binaries and read what an ELF file needs to run, without any host tool.

Stdlib only: it runs inside a Pants sandbox under any CPython >= 3.9.
"""

from __future__ import annotations

import enum
import re
import struct
from dataclasses import dataclass
from typing import Optional


class BinaryFormat(enum.Enum):
    """The executable format of a file, with the operating system it belongs to."""

    ELF = "ELF"
    MACH_O = "Mach-O"
    PE = "PE"
    UNKNOWN = "unknown"

    @property
    def operating_system(self) -> str:
        return _OPERATING_SYSTEMS[self]


_OPERATING_SYSTEMS = {
    BinaryFormat.ELF: "Linux",
    BinaryFormat.MACH_O: "macOS",
    BinaryFormat.PE: "Windows",
    BinaryFormat.UNKNOWN: "unknown",
}


class BinaryParseError(ValueError):
    """Raised for a file whose magic number names a format but whose headers are corrupt."""


@dataclass(frozen=True)
class BinaryInfo:
    """What `inspect_binary` found: the format, the CPU and, for ELF, the symbol versions needed.

    `machine` uses Linux's names (`uname -m`) for ELF, e.g. `x86_64` or `aarch64`, and the
    platform's own names for Mach-O (`arm64`, `x86_64`, joined with `+` for a universal binary)
    and PE (`x86_64`, `arm64`, `i386`). It is None when the format is unknown.
    """

    format: BinaryFormat
    machine: Optional[str] = None
    version_names: frozenset[str] = frozenset()

    @property
    def glibc_versions_needed(self) -> frozenset[tuple[int, int]]:
        """The `GLIBC_2.x` versions needed, as `(2, x)`; `GLIBC_2.2.5` counts as `(2, 2)`."""
        return frozenset(
            (int(match.group(1)), int(match.group(2)))
            for match in map(_GLIBC_VERSION.fullmatch, self.version_names)
            if match
        )

    @property
    def max_glibc(self) -> Optional[tuple[int, int]]:
        """The newest glibc version needed, or None if the file needs no versioned glibc symbol."""
        return max(self.glibc_versions_needed, default=None)

    @property
    def description(self) -> str:
        """E.g. `Mach-O binary (macOS arm64)`."""
        machine = f" {self.machine}" if self.machine else ""
        return f"{self.format.value} binary ({self.format.operating_system}{machine})"


_GLIBC_VERSION = re.compile(r"GLIBC_(\d+)\.(\d+)(?:\.\d+)*")


def identify_format(data: bytes) -> BinaryFormat:
    """The format named by the first bytes of a file."""
    if data[:4] == b"\x7fELF":
        return BinaryFormat.ELF
    if data[:4] in _MACH_O_MAGICS:
        return BinaryFormat.MACH_O
    if data[:4] in _FAT_MAGICS and len(data) >= 8:
        # Java class files share 0xCAFEBABE; there the next word holds the class file version,
        # which is at least 45, while a universal binary holds a handful of architectures.
        if int.from_bytes(data[4:8], "big") < 45:
            return BinaryFormat.MACH_O
    if data[:2] == b"MZ":
        return BinaryFormat.PE
    return BinaryFormat.UNKNOWN


def inspect_binary(data: bytes) -> BinaryInfo:
    """Identify `data` and, for ELF, Mach-O and PE, read its machine; for ELF also its needs.

    Raises `BinaryParseError` when an ELF, Mach-O or PE file is truncated or corrupt.
    """
    binary_format = identify_format(data)
    try:
        if binary_format is BinaryFormat.ELF:
            return _inspect_elf(data)
        if binary_format is BinaryFormat.MACH_O:
            return BinaryInfo(binary_format, _mach_o_machine(data))
        if binary_format is BinaryFormat.PE:
            return BinaryInfo(binary_format, _pe_machine(data))
    except (struct.error, IndexError, UnicodeDecodeError) as error:
        message = f"Corrupt or truncated {binary_format.value} file: {error}"
        raise BinaryParseError(message) from error
    return BinaryInfo(binary_format)


# ELF: https://refspecs.linuxfoundation.org/elf/gabi4+/ch4.eheader.html and the LSB's
# symbol versioning chapter for SHT_GNU_verneed.
_ELF_CLASS_32, _ELF_CLASS_64 = 1, 2
_ELF_DATA_LITTLE, _ELF_DATA_BIG = 1, 2
_SHT_GNU_VERNEED = 0x6FFFFFFE
_PT_LOAD, _PT_DYNAMIC = 1, 2
_DT_NULL, _DT_STRTAB = 0, 5
_DT_VERNEED, _DT_VERNEEDNUM = 0x6FFFFFFE, 0x6FFFFFFF

# e_machine -> Linux machine name, for (32-bit, 64-bit) files where they differ.
_ELF_MACHINES: dict[int, tuple[str, str]] = {
    3: ("i686", "i686"),
    8: ("mips", "mips64"),
    20: ("ppc", "ppc"),
    21: ("ppc64", "ppc64"),
    22: ("s390", "s390x"),
    40: ("arm", "arm"),
    62: ("x86_64", "x86_64"),
    183: ("aarch64", "aarch64"),
    243: ("riscv32", "riscv64"),
    258: ("loongarch32", "loongarch64"),
}
_EM_PPC64 = 21


@dataclass(frozen=True)
class _ElfLayout:
    """The struct formats of one ELF class and byte order."""

    endian: str
    is_64: bool

    def unpack(self, fmt: str, data: bytes, offset: int) -> tuple[int, ...]:
        return struct.unpack_from(self.endian + fmt, data, offset)

    @property
    def header(self) -> str:
        # e_type .. e_shstrndx, after the 16-byte e_ident.
        return "HHIQQQIHHHHHH" if self.is_64 else "HHIIIIIHHHHHH"

    @property
    def section_header(self) -> str:
        return "IIQQQQIIQQ" if self.is_64 else "IIIIIIIIII"

    @property
    def program_header(self) -> str:
        return "IIQQQQQQ" if self.is_64 else "IIIIIIII"

    @property
    def dynamic_entry(self) -> str:
        return "qQ" if self.is_64 else "iI"


def _inspect_elf(data: bytes) -> BinaryInfo:
    elf_class, elf_data = data[4], data[5]
    if elf_class not in (_ELF_CLASS_32, _ELF_CLASS_64) or elf_data not in (
        _ELF_DATA_LITTLE,
        _ELF_DATA_BIG,
    ):
        raise BinaryParseError(f"Unknown ELF class {elf_class} or data encoding {elf_data}.")
    layout = _ElfLayout("<" if elf_data == _ELF_DATA_LITTLE else ">", elf_class == _ELF_CLASS_64)
    header = layout.unpack(layout.header, data, 16)
    e_machine = header[1]
    unknown = f"unknown ELF machine {e_machine}"
    name_32, name_64 = _ELF_MACHINES.get(e_machine, (unknown, unknown))
    machine = name_64 if layout.is_64 else name_32
    if e_machine == _EM_PPC64 and elf_data == _ELF_DATA_LITTLE:
        machine = "ppc64le"
    e_phoff, e_shoff = header[4], header[5]
    e_phentsize, e_phnum, e_shentsize, e_shnum = header[8], header[9], header[10], header[11]
    version_names = _section_version_names(data, layout, e_shoff, e_shentsize, e_shnum)
    if version_names is None:  # Section headers stripped.
        version_names = _dynamic_version_names(data, layout, e_phoff, e_phentsize, e_phnum)
    return BinaryInfo(BinaryFormat.ELF, machine, version_names)


def _section_version_names(
    data: bytes, layout: _ElfLayout, e_shoff: int, e_shentsize: int, e_shnum: int
) -> Optional[frozenset[str]]:
    """Names of the symbol versions needed, from `.gnu.version_r`; None without sections."""
    sections = [
        layout.unpack(layout.section_header, data, e_shoff + index * e_shentsize)
        for index in range(e_shnum if e_shoff else 0)
    ]
    for section in sections:
        sh_type, sh_offset, sh_link, sh_info = section[1], section[4], section[6], section[7]
        if sh_type == _SHT_GNU_VERNEED:
            strtab_offset = sections[sh_link][4]
            return _read_verneed(data, layout, sh_offset, sh_info, strtab_offset)
    return frozenset() if sections else None


def _dynamic_version_names(
    data: bytes, layout: _ElfLayout, e_phoff: int, e_phentsize: int, e_phnum: int
) -> frozenset[str]:
    """The same from the dynamic segment (DT_VERNEED), whose entries hold virtual addresses."""
    segments = [_segment(layout, data, e_phoff + index * e_phentsize) for index in range(e_phnum)]
    dynamic = next((s for s in segments if s.p_type == _PT_DYNAMIC), None)
    if dynamic is None:
        return frozenset()
    entries = {}
    entry_size = struct.calcsize(layout.dynamic_entry)
    for offset in range(dynamic.p_offset, dynamic.p_offset + dynamic.p_filesz, entry_size):
        tag, value = layout.unpack(layout.dynamic_entry, data, offset)
        if tag == _DT_NULL:
            break
        entries[tag] = value
    if _DT_VERNEED not in entries or _DT_STRTAB not in entries:
        return frozenset()
    loads = [s for s in segments if s.p_type == _PT_LOAD]
    return _read_verneed(
        data,
        layout,
        _file_offset(loads, entries[_DT_VERNEED]),
        entries.get(_DT_VERNEEDNUM, 0),
        _file_offset(loads, entries[_DT_STRTAB]),
    )


@dataclass(frozen=True)
class _Segment:
    p_type: int
    p_offset: int
    p_vaddr: int
    p_filesz: int


def _segment(layout: _ElfLayout, data: bytes, offset: int) -> _Segment:
    fields = layout.unpack(layout.program_header, data, offset)
    if layout.is_64:
        p_type, _, p_offset, p_vaddr, _, p_filesz = fields[:6]
    else:
        p_type, p_offset, p_vaddr, _, p_filesz = fields[:5]
    return _Segment(p_type, p_offset, p_vaddr, p_filesz)


def _file_offset(loads: list[_Segment], address: int) -> int:
    for load in loads:
        if load.p_vaddr <= address < load.p_vaddr + load.p_filesz:
            return address - load.p_vaddr + load.p_offset
    raise BinaryParseError(f"Address {address:#x} is in no loadable segment.")


def _read_verneed(
    data: bytes, layout: _ElfLayout, offset: int, count: int, strtab_offset: int
) -> frozenset[str]:
    """Version names of `count` Elf_Verneed entries (each with its Elf_Vernaux list)."""
    names = set()
    for _ in range(count):
        _, aux_count, _, aux_offset, next_offset = layout.unpack("HHIII", data, offset)
        aux = offset + aux_offset
        for _ in range(aux_count):
            _, _, _, name, next_aux = layout.unpack("IHHII", data, aux)
            names.add(_c_string(data, strtab_offset + name))
            aux += next_aux
        if not next_offset:
            break
        offset += next_offset
    return frozenset(names)


def _c_string(data: bytes, offset: int) -> str:
    end = data.index(b"\0", offset)
    return data[offset:end].decode("ascii")


# Mach-O: <mach-o/loader.h> and <mach-o/fat.h>; thin magics in both byte orders.
_MACH_O_MAGICS = {
    b"\xfe\xed\xfa\xce",
    b"\xce\xfa\xed\xfe",
    b"\xfe\xed\xfa\xcf",
    b"\xcf\xfa\xed\xfe",
}
_FAT_MAGICS = {b"\xca\xfe\xba\xbe", b"\xca\xfe\xba\xbf"}
_MACH_O_CPU_TYPES = {7: "i386", 0x01000007: "x86_64", 12: "arm", 0x0100000C: "arm64", 18: "ppc"}


def _mach_o_machine(data: bytes) -> str:
    if data[:4] in _FAT_MAGICS:
        # Big-endian nfat_arch, then fat_arch (20 bytes) or fat_arch_64 (32 bytes) records.
        arch_size = 32 if data[:4] == b"\xca\xfe\xba\xbf" else 20
        (count,) = struct.unpack_from(">I", data, 4)
        cpu_types = [struct.unpack_from(">I", data, 8 + i * arch_size)[0] for i in range(count)]
    else:
        endian = ">" if data[:2] == b"\xfe\xed" else "<"
        cpu_types = [struct.unpack_from(endian + "I", data, 4)[0]]
    return "+".join(_MACH_O_CPU_TYPES.get(cpu, f"cputype {cpu:#x}") for cpu in cpu_types)


# PE: the DOS header's e_lfanew points at "PE\0\0" followed by the COFF Machine field.
_PE_MACHINES = {0x14C: "i386", 0x8664: "x86_64", 0xAA64: "arm64", 0x1C4: "arm"}


def _pe_machine(data: bytes) -> str:
    (pe_offset,) = struct.unpack_from("<I", data, 0x3C)
    if data[pe_offset : pe_offset + 4] != b"PE\0\0":
        return "unknown machine"
    (machine,) = struct.unpack_from("<H", data, pe_offset + 4)
    return _PE_MACHINES.get(machine, f"machine {machine:#x}")
