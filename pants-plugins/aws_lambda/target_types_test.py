from __future__ import annotations

from typing import Any

import pytest
from pants.engine.addresses import Address
from pants.engine.target import InvalidFieldException

from aws_lambda.scripts.slim import SlimPatterns
from aws_lambda.target_types import LambdaCompileBytecodeField, LambdaSlimField

ADDRESS = Address("src/app", target_name="app")


@pytest.mark.parametrize("value", [None, True, False, "sourceless"])
def test_compile_bytecode_values(value: Any) -> None:
    assert LambdaCompileBytecodeField(value, ADDRESS).value == value


@pytest.mark.parametrize("value", ["yes", "Sourceless", 1])
def test_compile_bytecode_rejects_other_values(value: Any) -> None:
    with pytest.raises(InvalidFieldException) as error:
        LambdaCompileBytecodeField(value, ADDRESS)
    assert str(error.value) == (
        "The `compile_bytecode` field of the target src/app:app must be `True`, `False` or "
        f'`"sourceless"`, but was {value!r}.'
    )


def test_slim_values() -> None:
    assert LambdaSlimField(None, ADDRESS).value is None
    assert LambdaSlimField(False, ADDRESS).value is False
    patterns = LambdaSlimField({"keep": ["pkg/tests/data/*"]}, ADDRESS).value
    assert patterns == SlimPatterns(keep=("pkg/tests/data/*",))


@pytest.mark.parametrize(
    "value, complaint, bad",
    [
        (
            {"kept": ["a"]},
            "must be `True`, `False` or a dict with the keys `keep` and",
            "{'kept': ['a']}",
        ),
        ("drop", "must be `True`, `False` or a dict with the keys `keep` and `drop`", "'drop'"),
        ({"drop": "pkg/*"}, "The `drop` patterns of the `slim` field of the target", "'pkg/*'"),
        ({"keep": [1]}, "The `keep` patterns of the `slim` field of the target", "[1]"),
    ],
)
def test_slim_rejects_what_is_not_patterns(value: Any, complaint: str, bad: str) -> None:
    with pytest.raises(InvalidFieldException, match="e.g. `slim=") as error:
        LambdaSlimField(value, ADDRESS)
    assert complaint in str(error.value)
    assert str(error.value).endswith(f"but {'were' if 'patterns' in complaint else 'was'} {bad}.")
