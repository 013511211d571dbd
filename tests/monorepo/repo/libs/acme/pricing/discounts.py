"""One portion of the `acme` namespace package (PEP 420: `acme/` has no `__init__.py`)."""


def discounted(cents: int, percent: int) -> int:
    return cents - cents * percent // 100
