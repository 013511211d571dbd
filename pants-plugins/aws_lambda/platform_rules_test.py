from __future__ import annotations

import itertools

import pytest

from aws_lambda.platform_rules import LambdaPlatform
from aws_lambda.runtimes import ARCHITECTURES, RUNTIMES, compatible_tags


@pytest.mark.parametrize("runtime, architecture", itertools.product(RUNTIMES, ARCHITECTURES))
def test_most_specific_tag_is_the_first_compatible_tag(runtime, architecture) -> None:
    platform = LambdaPlatform(runtime, architecture)
    assert platform.most_specific_tag == compatible_tags(runtime, architecture)[0]
