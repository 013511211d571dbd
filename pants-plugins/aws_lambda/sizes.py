"""Lambda's size limits, and sizes as people write and read them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Protocol, TypeVar

# AWS counts megabytes in powers of two: 250 MB is 262,144,000 bytes.
MB = 1024 * 1024
UNZIPPED_LIMIT = 250 * MB
"""The most a function and all its layers may hold once extracted."""
DIRECT_UPLOAD_LIMIT = 50 * MB
"""The largest zip the Lambda API accepts in the request itself, rather than from S3."""

_UNITS = {"": 1, "b": 1, "kb": 1024, "kib": 1024, "mb": MB, "mib": MB, "gb": 1024 * MB}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$")


class InvalidSizeError(ValueError):
    pass


def parse_size(text: str) -> int:
    """Bytes in `text`, e.g. `"200MB"` (binary units, as AWS counts them) or `"1048576"`."""
    match = _SIZE.match(text.lower())
    if not match or match.group(2) not in _UNITS:
        raise InvalidSizeError(
            f"{text!r} is not a size. Write a number of bytes or a number with a unit, e.g. "
            "'200MB' or '512KB' (units are binary, as AWS counts them: 1 MB = 1,048,576 bytes)."
        )
    return int(float(match.group(1)) * _UNITS[match.group(2)])


def format_size(num_bytes: int) -> str:
    """`num_bytes` in binary units, e.g. `292.5 KiB`."""
    if num_bytes < 1024:
        return f"{num_bytes} B"
    size = num_bytes / 1024
    for unit in ("KiB", "MiB"):
        if size < 1024:
            return f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"


class _SizedDistribution(Protocol):
    @property
    def key(self) -> str:
        ...

    @property
    def size(self) -> int:
        ...


_D = TypeVar("_D", bound=_SizedDistribution)


def largest(distributions: Iterable[_D], count: int = 5) -> tuple[_D, ...]:
    """The `count` largest distributions by unzipped size, largest first, ties by name."""
    return tuple(sorted(distributions, key=lambda dist: (-dist.size, dist.key))[:count])
