"""AWS Lambda Python runtimes and architectures, and the PEX complete platforms that describe them.

A new runtime is one row of `LambdaRuntime`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from enum import Enum

from packaging import tags

# What every Lambda Python runtime imports a handler with: AWS's runtime interface client.
RUNTIME_MODULES = ("awslambdaric",)

_AMAZON_LINUX_2_GLIBC = (2, 26)
_AMAZON_LINUX_2023_GLIBC = (2, 34)


@dataclass(frozen=True)
class RuntimeLifecycle:
    """When Lambda deprecates a runtime, then blocks creating and then updating its functions."""

    deprecation: date
    block_create: date
    block_update: date

    def is_deprecated(self, today: date) -> bool:
        return today >= self.deprecation

    def is_update_blocked(self, today: date) -> bool:
        return today >= self.block_update


# Dates from AWS's "Supported runtimes" table (docs.aws.amazon.com/lambda/latest/dg/
# lambda-runtimes.html), looked up on 2026-12-02. Where AWS moved dates, public sources disagree:
# for python3.9 an earlier table blocked creates on 2026-01-15 and updates on 2026-02-15, and a
# later AWS answer moved them to 2027-02-01 and 2027-03-03; python3.10 and 3.11 moved from
# 2026-06-30 to 2027-06-30 with Amazon Linux 2. The newest dates AWS gave are kept.
class LambdaRuntime(Enum):
    """A Lambda Python runtime: its name, the CPython it runs, its OS's glibc and its lifecycle.

    `python_full_version` is the CPython of the runtime's image, `public.ecr.aws/lambda/python`.
    """

    python_full_version: str
    glibc_version: tuple[int, int]
    lifecycle: RuntimeLifecycle

    python3_9 = (
        "python3.9",
        "3.9.21",
        _AMAZON_LINUX_2_GLIBC,
        RuntimeLifecycle(date(2025, 12, 15), date(2027, 2, 1), date(2027, 3, 3)),
    )
    python3_10 = (
        "python3.10",
        "3.10.16",
        _AMAZON_LINUX_2_GLIBC,
        RuntimeLifecycle(date(2027, 6, 30), date(2027, 7, 31), date(2027, 8, 31)),
    )
    python3_11 = (
        "python3.11",
        "3.11.11",
        _AMAZON_LINUX_2_GLIBC,
        RuntimeLifecycle(date(2027, 6, 30), date(2027, 7, 31), date(2027, 8, 31)),
    )
    python3_12 = (
        "python3.12",
        "3.12.8",
        _AMAZON_LINUX_2023_GLIBC,
        RuntimeLifecycle(date(2028, 10, 31), date(2028, 11, 30), date(2029, 1, 10)),
    )
    python3_13 = (
        "python3.13",
        "3.13.1",
        _AMAZON_LINUX_2023_GLIBC,
        RuntimeLifecycle(date(2029, 6, 30), date(2029, 7, 31), date(2029, 8, 31)),
    )
    python3_14 = (
        "python3.14",
        "3.14.0",
        _AMAZON_LINUX_2023_GLIBC,
        RuntimeLifecycle(date(2029, 6, 30), date(2029, 7, 31), date(2029, 8, 31)),
    )

    def __new__(
        cls,
        name: str,
        python_full_version: str,
        glibc_version: tuple[int, int],
        lifecycle: RuntimeLifecycle,
    ) -> LambdaRuntime:
        runtime = object.__new__(cls)
        runtime._value_ = name
        runtime.python_full_version = python_full_version
        runtime.glibc_version = glibc_version
        runtime.lifecycle = lifecycle
        return runtime

    @property
    def python_version(self) -> tuple[int, int]:
        major, minor, *_ = self.python_full_version.split(".")
        return int(major), int(minor)

    @property
    def cpython_tag(self) -> str:
        return "cp{}{}".format(*self.python_version)

    def __str__(self) -> str:
        return str(self.value)


class LambdaArchitecture(Enum):
    """A Lambda instruction set architecture, and the machine name Linux reports for it."""

    machine: str

    x86_64 = ("x86_64", "x86_64")
    arm64 = ("arm64", "aarch64")

    def __new__(cls, name: str, machine: str) -> LambdaArchitecture:
        architecture = object.__new__(cls)
        architecture._value_ = name
        architecture.machine = machine
        return architecture

    def __str__(self) -> str:
        return str(self.value)


class UnknownRuntimeError(ValueError):
    """Raised for a runtime name that is not a `LambdaRuntime`."""


class UnknownArchitectureError(ValueError):
    """Raised for an architecture name that is not a `LambdaArchitecture`."""


def runtime_for(name: str) -> LambdaRuntime:
    """Look up a runtime by its Lambda name, e.g. `python3.11`."""
    for runtime in LambdaRuntime:
        if runtime.value == name:
            return runtime
    valid = ", ".join(runtime.value for runtime in LambdaRuntime)
    raise UnknownRuntimeError(f"Unknown AWS Lambda Python runtime {name!r}. Use one of: {valid}.")


def architecture_for(name: str) -> LambdaArchitecture:
    """Look up an architecture by its Lambda name, e.g. `arm64`."""
    for architecture in LambdaArchitecture:
        if architecture.value == name:
            return architecture
    valid = ", ".join(architecture.value for architecture in LambdaArchitecture)
    raise UnknownArchitectureError(
        f"Unknown AWS Lambda architecture {name!r}. Use one of: {valid}."
    )


class RuntimeUpdatesBlockedError(ValueError):
    """Raised for a runtime whose functions Lambda no longer lets anyone update."""


def newest_runtime() -> LambdaRuntime:
    return max(LambdaRuntime, key=lambda runtime: runtime.python_version)


def runtime_lifecycle_warning(runtime: LambdaRuntime, today: date, target: str) -> str | None:
    """A warning for a target on a deprecated runtime, or `None` for a supported one.

    Raises `RuntimeUpdatesBlockedError` once Lambda blocks updates of the runtime's functions.
    """
    lifecycle = runtime.lifecycle
    newest = newest_runtime()
    if lifecycle.is_update_blocked(today):
        raise RuntimeUpdatesBlockedError(
            f"{target} uses the Lambda runtime {runtime}, whose functions AWS has not let anyone "
            f"create or update since {lifecycle.block_update.isoformat()}: a zip for it cannot be "
            f"deployed. Set `runtime` to a supported runtime, such as {newest}."
        )
    if not lifecycle.is_deprecated(today):
        return None
    return (
        f"{target} uses the Lambda runtime {runtime}, deprecated by AWS on "
        f"{lifecycle.deprecation.isoformat()}: it gets no security patches. AWS blocks creating "
        f"its functions from {lifecycle.block_create.isoformat()} and updating them from "
        f"{lifecycle.block_update.isoformat()}. Move `runtime` to {newest}."
    )


@dataclass(frozen=True)
class LambdaPlatform:
    """One (runtime, architecture) pair that Lambda runs code on."""

    runtime: LambdaRuntime
    architecture: LambdaArchitecture

    def __str__(self) -> str:
        return f"{self.runtime} {self.architecture}"

    @property
    def compatible_tags(self) -> tuple[str, ...]:
        return compatible_tags(
            self.runtime.python_version, self.runtime.glibc_version, self.architecture.machine
        )

    @property
    def most_specific_tag(self) -> str:
        """The tag Pex names this platform by, e.g. `cp311-cp311-manylinux_2_26_x86_64`."""
        return self.compatible_tags[0]

    @property
    def marker_environment(self) -> dict[str, str]:
        return marker_environment(self.runtime.python_full_version, self.architecture.machine)

    def complete_platform_json(self) -> str:
        return complete_platform_json(self.compatible_tags, self.marker_environment)


# Oldest glibc minor version (of glibc 2) that manylinux wheels target per machine, as in
# `packaging._manylinux.platform_tags`.
_OLDEST_MANYLINUX_GLIBC_MINOR = {"x86_64": 5, "aarch64": 17}

# PEP 600 aliases for the manylinux tags that predate it.
_LEGACY_MANYLINUX_TAGS = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}

# Lambda reports the Firecracker host kernel, which is the same for every runtime.
_KERNEL_RELEASE = "5.10.234-245.893.amzn2"
_KERNEL_VERSION = "#1 SMP Wed Mar 12 20:00:00 UTC 2025"


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


def compatible_tags(
    python_version: tuple[int, int], glibc_version: tuple[int, int], machine: str
) -> tuple[str, ...]:
    """Wheel tags, most preferred first, as `packaging.tags.sys_tags()` yields on such a CPython."""
    return cpython_wheel_tags(python_version, manylinux_platform_tags(glibc_version, machine))


def cpython_wheel_tags(
    python_version: tuple[int, int], platforms: tuple[str, ...]
) -> tuple[str, ...]:
    """Wheel tags, most preferred first, of a CPython on a host with these platform tags."""
    cpython_tag = "cp{}{}".format(*python_version)
    cpython = tags.cpython_tags(python_version, abis=[cpython_tag], platforms=platforms)
    generic = tags.compatible_tags(python_version, interpreter=cpython_tag, platforms=platforms)
    return tuple(str(tag) for tag in (*cpython, *generic))


def marker_environment(python_full_version: str, machine: str) -> dict[str, str]:
    """PEP 508 environment markers as a Lambda runtime evaluates them."""
    major, minor, *_ = python_full_version.split(".")
    return {
        "implementation_name": "cpython",
        "implementation_version": python_full_version,
        "os_name": "posix",
        "platform_machine": machine,
        "platform_python_implementation": "CPython",
        "platform_release": f"{_KERNEL_RELEASE}.{machine}",
        "platform_system": "Linux",
        "platform_version": _KERNEL_VERSION,
        "python_full_version": python_full_version,
        "python_version": f"{major}.{minor}",
        "sys_platform": "linux",
    }


def complete_platform_json(
    compatible_tags: tuple[str, ...], marker_environment: dict[str, str]
) -> str:
    """A PEX complete platform file, serialised deterministically."""
    complete_platform = {
        "compatible_tags": list(compatible_tags),
        "marker_environment": marker_environment,
    }
    return json.dumps(complete_platform, indent=2, sort_keys=True) + "\n"
