"""A seeded synthetic monorepo: N lambdas that share one first-party module."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

SHARED_PACKAGE = "common"
LIBS_PER_LAMBDA = 8
RUNTIME = "python3.11"


@dataclass(frozen=True)
class Library:
    """A PyPI distribution, pinned, and the module a handler imports from it."""

    dist: str
    version: str
    module: str
    native: bool = False

    @property
    def requirement(self) -> str:
        return f"{self.dist}=={self.version}"


# Popular libraries with cp311 manylinux2014 x86_64 (or pure) wheels at these versions.
LIBRARIES: tuple[Library, ...] = (
    Library("attrs", "23.2.0", "attrs"),
    Library("cachetools", "5.3.3", "cachetools"),
    Library("click", "8.1.7", "click"),
    Library("httpx", "0.27.0", "httpx"),
    Library("jinja2", "3.1.4", "jinja2"),
    Library("jmespath", "1.0.1", "jmespath"),
    Library("markdown", "3.6", "markdown"),
    Library("marshmallow", "3.21.2", "marshmallow"),
    Library("more-itertools", "10.2.0", "more_itertools"),
    Library("msgspec", "0.18.6", "msgspec", native=True),
    Library("orjson", "3.10.3", "orjson", native=True),
    Library("pydantic", "2.7.1", "pydantic", native=True),
    Library("python-dateutil", "2.9.0.post0", "dateutil"),
    Library("python-slugify", "8.0.4", "slugify"),
    Library("pytz", "2024.1", "pytz"),
    Library("pyyaml", "6.0.1", "yaml", native=True),
    Library("requests", "2.31.0", "requests"),
    Library("rich", "13.7.1", "rich"),
    Library("simplejson", "3.19.2", "simplejson", native=True),
    Library("structlog", "24.1.0", "structlog"),
    Library("tabulate", "0.9.0", "tabulate"),
    Library("tenacity", "8.2.3", "tenacity"),
    Library("toolz", "0.12.1", "toolz"),
    Library("ujson", "5.10.0", "ujson", native=True),
)

# Not in the base requirements: scenario "add-req" adds one of these per repetition.
EXTRA_LIBRARIES: tuple[Library, ...] = (
    Library("humanize", "4.9.0", "humanize"),
    Library("tomlkit", "0.12.5", "tomlkit"),
    Library("wrapt", "1.16.0", "wrapt", native=True),
    Library("itsdangerous", "2.2.0", "itsdangerous"),
    Library("xmltodict", "0.13.0", "xmltodict"),
)


@dataclass(frozen=True)
class LambdaSpec:
    name: str
    libraries: tuple[Library, ...]


def lambda_specs(n: int, seed: int = 0) -> tuple[LambdaSpec, ...]:
    """The N lambdas, each with a seeded random subset of the libraries."""
    rng = random.Random(f"lambdabench-{seed}")
    return tuple(
        LambdaSpec(f"fn{i:03d}", tuple(sorted(rng.sample(LIBRARIES, LIBS_PER_LAMBDA), key=_dist)))
        for i in range(n)
    )


def _dist(lib: Library) -> str:
    return lib.dist


def handler_source(spec: LambdaSpec) -> str:
    """A handler that imports its libraries and the shared module."""
    imports = "\n".join(f"import {lib.module}" for lib in spec.libraries)
    names = ", ".join(f"{lib.module}.__name__" for lib in spec.libraries)
    return (
        f'"""Synthetic lambda {spec.name}."""\n\n'
        f"{imports}\n\nfrom {SHARED_PACKAGE}.core import respond\n\n"
        f"MODULES = ({names},)\n\n\n"
        "def handler(event, context):\n"
        f'    return respond("{spec.name}", MODULES, event)\n'
    )


SHARED_SOURCE = '''"""Shared by every synthetic lambda."""

import json


def respond(name, modules, event):
    return {"lambda": name, "modules": len(modules), "event": json.dumps(event, sort_keys=True)}
'''


def requirements_text(libraries: tuple[Library, ...]) -> str:
    return "".join(f"{lib.requirement}\n" for lib in libraries)


def write_sources(root: Path, specs: tuple[LambdaSpec, ...]) -> None:
    """Writes src/python/{common,fnNNN} (no BUILD files) and 3rdparty requirements."""
    src = root / "src" / "python"
    _write(src / SHARED_PACKAGE / "__init__.py", "")
    _write(src / SHARED_PACKAGE / "core.py", SHARED_SOURCE)
    for spec in specs:
        _write(src / spec.name / "__init__.py", "")
        _write(src / spec.name / "handler.py", handler_source(spec))
    _write(root / "3rdparty" / "python" / "requirements.txt", requirements_text(LIBRARIES))


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
