"""Developer hosts: the OS and CPU pairs that tests of lambda code run on, as complete platforms.

A lambda resolve is locked for these too, once per CPython minor version its interpreter
constraints allow, so that `test` runs on a developer's machine from the same lockfile that
the zips are built from.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from packaging import tags

from aws_lambda.runtimes import complete_platform_json, cpython_wheel_tags, manylinux_platform_tags

# The oldest glibc of the Linux hosts that the lock serves (RHEL 8, Debian 10, Ubuntu 20.04
# and newer), and the manylinux_2_28 baseline that current wheels target.
LINUX_GLIBC = (2, 28)
# The oldest macOS the lock serves; wheels for newer releases only are left out.
MACOS_VERSION = (12, 0)


class DevHost(Enum):
    """An OS and CPU pair: its name, `packaging`'s machine name and the PEP 508 markers' OS."""

    machine: str
    system: str

    linux_x86_64 = ("linux-x86_64", "x86_64", "Linux")
    linux_aarch64 = ("linux-aarch64", "aarch64", "Linux")
    macos_x86_64 = ("macos-x86_64", "x86_64", "Darwin")
    macos_arm64 = ("macos-arm64", "arm64", "Darwin")
    windows_x86_64 = ("windows-x86_64", "AMD64", "Windows")

    def __new__(cls, name: str, machine: str, system: str) -> DevHost:
        host = object.__new__(cls)
        host._value_ = name
        host.machine = machine
        host.system = system
        return host

    @property
    def platform_tags(self) -> tuple[str, ...]:
        """Platform tags, most specific first, as `packaging.tags` yields on such a host."""
        if self.system == "Linux":
            return manylinux_platform_tags(LINUX_GLIBC, self.machine)
        if self.system == "Darwin":
            return tuple(tags.mac_platforms(MACOS_VERSION, self.machine))
        return ("win_amd64",)

    def __str__(self) -> str:
        return str(self.value)


DEFAULT_DEV_HOSTS = (
    DevHost.linux_x86_64,
    DevHost.linux_aarch64,
    DevHost.macos_x86_64,
    DevHost.macos_arm64,
)

_MARKERS = {
    "Linux": {"os_name": "posix", "sys_platform": "linux"},
    "Darwin": {"os_name": "posix", "sys_platform": "darwin"},
    "Windows": {"os_name": "nt", "sys_platform": "win32"},
}


@dataclass(frozen=True)
class DevHostPlatform:
    """One CPython minor version on one developer host."""

    python_version: tuple[int, int]
    host: DevHost

    def __str__(self) -> str:
        return "python{}.{} {}".format(*self.python_version, self.host)

    @property
    def compatible_tags(self) -> tuple[str, ...]:
        return cpython_wheel_tags(self.python_version, self.host.platform_tags)

    @property
    def most_specific_tag(self) -> str:
        """The tag Pex names this platform by, e.g. `cp312-cp312-macosx_12_0_arm64`."""
        return self.compatible_tags[0]

    @property
    def marker_environment(self) -> dict[str, str]:
        version = "{}.{}".format(*self.python_version)
        # Markers on a release's patch number are rare; `.0` keeps the platform one per minor.
        return {
            "implementation_name": "cpython",
            "implementation_version": f"{version}.0",
            "platform_machine": self.host.machine,
            "platform_python_implementation": "CPython",
            "platform_release": "",
            "platform_system": self.host.system,
            "platform_version": "",
            "python_full_version": f"{version}.0",
            "python_version": version,
            **_MARKERS[self.host.system],
        }

    def complete_platform_json(self) -> str:
        return complete_platform_json(self.compatible_tags, self.marker_environment)


def dev_host_platforms(
    python_versions: tuple[str, ...], hosts: tuple[DevHost, ...]
) -> tuple[DevHostPlatform, ...]:
    """Every (CPython minor, host) pair, e.g. for `("3.11", "3.12")` and the default hosts."""
    return tuple(
        DevHostPlatform((int(major), int(minor)), host)
        for major, minor in (version.split(".") for version in python_versions)
        for host in hosts
    )
