"""AWS Lambda Python runtimes and the PEX complete platforms that describe them."""

from __future__ import annotations

import json
from dataclasses import dataclass

from packaging import tags


@dataclass(frozen=True)
class LambdaRuntime:
    """A Lambda Python runtime and the interpreter and glibc it runs on."""

    name: str
    python_version: tuple[int, int]
    python_full_version: str
    glibc_version: tuple[int, int]

    @property
    def cpython_tag(self) -> str:
        major, minor = self.python_version
        return f"cp{major}{minor}"


@dataclass(frozen=True)
class Architecture:
    """A Lambda instruction set architecture and the machine name Linux reports for it."""

    lambda_name: str
    machine: str


_AMAZON_LINUX_2_GLIBC = (2, 26)
_AMAZON_LINUX_2023_GLIBC = (2, 34)

RUNTIMES = (
    LambdaRuntime("python3.9", (3, 9), "3.9.21", _AMAZON_LINUX_2_GLIBC),
    LambdaRuntime("python3.10", (3, 10), "3.10.16", _AMAZON_LINUX_2_GLIBC),
    LambdaRuntime("python3.11", (3, 11), "3.11.11", _AMAZON_LINUX_2_GLIBC),
    LambdaRuntime("python3.12", (3, 12), "3.12.8", _AMAZON_LINUX_2023_GLIBC),
    LambdaRuntime("python3.13", (3, 13), "3.13.1", _AMAZON_LINUX_2023_GLIBC),
)

ARCHITECTURES = (
    Architecture("x86_64", "x86_64"),
    Architecture("arm64", "aarch64"),
)

# Oldest glibc minor version (of glibc 2) that manylinux wheels target per machine, as in
# `packaging._manylinux.platform_tags`.
_OLDEST_MANYLINUX_GLIBC_MINOR = {"x86_64": 5, "aarch64": 17}

# PEP 600 aliases for the manylinux tags that predate it.
_LEGACY_MANYLINUX_TAGS = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}

# Lambda reports the Firecracker host kernel, which is the same for every runtime.
_KERNEL_RELEASE = "5.10.234-245.893.amzn2"
_KERNEL_VERSION = "#1 SMP Wed Mar 12 20:00:00 UTC 2025"


class UnknownRuntimeError(ValueError):
    """Raised for a runtime name that is not in `RUNTIMES`."""


class UnknownArchitectureError(ValueError):
    """Raised for an architecture name that is not in `ARCHITECTURES`."""


def runtime_for(name: str) -> LambdaRuntime:
    """Look up a runtime by its Lambda name, e.g. `python3.11`."""
    for runtime in RUNTIMES:
        if runtime.name == name:
            return runtime
    valid = ", ".join(runtime.name for runtime in RUNTIMES)
    raise UnknownRuntimeError(f"Unknown AWS Lambda Python runtime {name!r}. Use one of: {valid}.")


def architecture_for(name: str) -> Architecture:
    """Look up an architecture by its Lambda name, e.g. `arm64`."""
    for architecture in ARCHITECTURES:
        if architecture.lambda_name == name:
            return architecture
    valid = ", ".join(architecture.lambda_name for architecture in ARCHITECTURES)
    raise UnknownArchitectureError(
        f"Unknown AWS Lambda architecture {name!r}. Use one of: {valid}."
    )


def manylinux_platform_tags(glibc_version: tuple[int, int], machine: str) -> tuple[str, ...]:
    """Platform tags, most specific first, that `packaging.tags` yields on such a glibc Linux."""
    glibc_major, glibc_minor = glibc_version
    if glibc_major != 2:
        raise ValueError(f"Unsupported glibc version {glibc_major}.{glibc_minor}: expected 2.x.")
    if machine not in _OLDEST_MANYLINUX_GLIBC_MINOR:
        valid = ", ".join(_OLDEST_MANYLINUX_GLIBC_MINOR)
        raise ValueError(f"Unsupported machine {machine!r}. Use one of: {valid}.")
    platforms = []
    for minor in range(glibc_minor, _OLDEST_MANYLINUX_GLIBC_MINOR[machine] - 1, -1):
        platforms.append(f"manylinux_2_{minor}_{machine}")
        if minor in _LEGACY_MANYLINUX_TAGS:
            platforms.append(f"{_LEGACY_MANYLINUX_TAGS[minor]}_{machine}")
    platforms.append(f"linux_{machine}")
    return tuple(platforms)


def compatible_tags(runtime: LambdaRuntime, architecture: Architecture) -> tuple[str, ...]:
    """Wheel tags, most preferred first, as `packaging.tags.sys_tags()` yields on the runtime."""
    platforms = manylinux_platform_tags(runtime.glibc_version, architecture.machine)
    cpython = tags.cpython_tags(
        runtime.python_version, abis=[runtime.cpython_tag], platforms=platforms
    )
    generic = tags.compatible_tags(
        runtime.python_version, interpreter=runtime.cpython_tag, platforms=platforms
    )
    return tuple(str(tag) for tag in (*cpython, *generic))


def marker_environment(runtime: LambdaRuntime, architecture: Architecture) -> dict[str, str]:
    """PEP 508 environment markers as evaluated on the runtime."""
    major, minor = runtime.python_version
    return {
        "implementation_name": "cpython",
        "implementation_version": runtime.python_full_version,
        "os_name": "posix",
        "platform_machine": architecture.machine,
        "platform_python_implementation": "CPython",
        "platform_release": f"{_KERNEL_RELEASE}.{architecture.machine}",
        "platform_system": "Linux",
        "platform_version": _KERNEL_VERSION,
        "python_full_version": runtime.python_full_version,
        "python_version": f"{major}.{minor}",
        "sys_platform": "linux",
    }


def complete_platform_json(runtime: LambdaRuntime, architecture: Architecture) -> str:
    """The runtime as a PEX complete platform file, serialised deterministically."""
    complete_platform = {
        "compatible_tags": list(compatible_tags(runtime, architecture)),
        "marker_environment": marker_environment(runtime, architecture),
    }
    return json.dumps(complete_platform, indent=2, sort_keys=True) + "\n"
