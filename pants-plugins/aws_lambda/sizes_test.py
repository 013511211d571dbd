from __future__ import annotations

import pytest

from aws_lambda.distributions import Distribution
from aws_lambda.sizes import (
    DIRECT_UPLOAD_LIMIT,
    UNZIPPED_LIMIT,
    InvalidSizeError,
    format_size,
    largest,
    parse_size,
)


def test_limits_are_what_aws_documents() -> None:
    assert UNZIPPED_LIMIT == 262_144_000
    assert DIRECT_UPLOAD_LIMIT == 52_428_800


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1048576", 1_048_576),
        ("512KB", 524_288),
        ("512 KiB", 524_288),
        ("200MB", 209_715_200),
        ("1.5 mb", 1_572_864),
        ("1GB", 1_073_741_824),
        ("10b", 10),
    ],
)
def test_parse_size(text: str, expected: int) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["", "MB", "-1MB", "10 parsecs", "1e6"])
def test_parse_size_rejects(text: str) -> None:
    with pytest.raises(InvalidSizeError, match="is not a size. Write a number of bytes"):
        parse_size(text)


@pytest.mark.parametrize(
    "num_bytes, expected",
    [
        (0, "0 B"),
        (1023, "1023 B"),
        (1024, "1.0 KiB"),
        (299_480, "292.5 KiB"),
        (42_336_256, "40.4 MiB"),
        (3 * 1024**3, "3.0 GiB"),
    ],
)
def test_format_size(num_bytes: int, expected: str) -> None:
    assert format_size(num_bytes) == expected


def test_largest_orders_by_size_then_name() -> None:
    dists = [Distribution(name, "1", (), size) for name, size in [("b", 5), ("a", 5), ("c", 9)]]
    dists += [Distribution(f"small{n}", "1", (), 1) for n in range(5)]
    assert [dist.name for dist in largest(dists)] == ["c", "a", "b", "small0", "small1"]
    assert largest(dists, count=1) == (dists[2],)
