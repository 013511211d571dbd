"""A realistic second monorepo (`repo/`), locked, packaged and invoked through its own `./pants`.

Seven lambdas on python3.11 to 3.13, x86_64 and arm64, two resolves, a shared library, a
namespace package split across two source roots, a `resources` file and an sdist-only
distribution (docopt). The test copies the
repository, adds the bootstrap files and the backend's sources (as docs/other-repos.md says),
runs `generate-lockfiles` and `package ::`, checks the native code of every zip, and invokes
every x86_64 zip with its runtime's CPython, as Lambda would. Its BUILD files are not part of
this repository's build (`[GLOBAL].build_ignore`).
"""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import tomllib

from e2e.lambda_zips import (
    elf_machine,
    find_cpython,
    import_failures,
    invoke,
    top_level_modules,
    unzip,
)
from plugin.fresh_repo import code_blocks, copy_bootstrap, copy_plugin_sources, pants

FIXTURE = Path("tests/monorepo/repo")
GLIBC = {"3.11": (2, 26), "3.12": (2, 34), "3.13": (2, 34)}  # Amazon Linux 2 and 2023
MACHINES = {"x86_64": "x86_64", "arm64": "aarch64"}
# The glibc of the manylinux tags that predate PEP 600.
LEGACY_MANYLINUX = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}


@dataclass(frozen=True)
class Lambda:
    address: str
    python: str
    architecture: str
    # The distributions that its handler imports, directly or through the shared library.
    libraries: frozenset[str]

    @property
    def zip_path(self) -> str:
        folder, name = self.address.split(":")
        return f"dist/{folder.replace('/', '.')}/{name}.zip"


AUTH = frozenset({"bcrypt", "cryptography", "pyjwt"})
LAMBDAS = {
    lambda_.address: lambda_
    for lambda_ in [
        Lambda("lambdas/api:api", "3.12", "x86_64", frozenset({"pydantic", "pydantic_core"})),
        Lambda("lambdas/auth:auth", "3.11", "x86_64", AUTH),
        Lambda("lambdas/auth:auth-arm64", "3.11", "arm64", AUTH),
        Lambda("lambdas/auth:auth-py313-arm64", "3.13", "arm64", AUTH),
        Lambda("lambdas/report:report", "3.12", "x86_64", frozenset({"numpy", "pandas"})),
        Lambda("lambdas/acme/catalog:catalog", "3.13", "x86_64", frozenset({"docopt", "orjson"})),
        Lambda("lambdas/notify:notify", "3.11", "x86_64", frozenset({"requests", "urllib3"})),
    ]
}


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    missing = sorted(
        {lambda_.python for lambda_ in LAMBDAS.values() if not find_cpython(lambda_.python)}
    )
    if missing:
        pytest.skip(f"The monorepo's runtimes need CPython {', '.join(missing)}: install it.")
    repo = tmp_path_factory.mktemp("monorepo") / "repo"
    shutil.copytree(FIXTURE, repo)
    copy_bootstrap(repo)
    copy_plugin_sources(repo)
    pants(repo, "generate-lockfiles")
    pants(repo, "package", "::")
    return repo


def zip_of(repo: Path, address: str) -> zipfile.ZipFile:
    return zipfile.ZipFile(repo / LAMBDAS[address].zip_path)


def call(repo: Path, tmp_path: Path, address: str, event: dict[str, Any]) -> tuple[int, Any]:
    """Invoke the handler of an x86_64 lambda's zip; its response's status and JSON body."""
    lambda_ = LAMBDAS[address]
    assert lambda_.architecture == "x86_64", "only x86_64 zips run on this host"
    metadata = json.loads((repo / f"{lambda_.zip_path}.metadata.json").read_text())
    task = unzip(repo / lambda_.zip_path, tmp_path / "task")
    response = invoke(task, lambda_.python, metadata["handler"], event)
    return response["statusCode"], json.loads(response["body"])


def glibc_of(platform_tag: str) -> tuple[int, int] | None:
    """The glibc that a wheel's platform tag needs (None for a pure-Python wheel)."""
    if match := re.fullmatch(r"manylinux_(\d+)_(\d+)_.+", platform_tag):
        return int(match[1]), int(match[2])
    legacy = platform_tag.split("_")[0]
    if legacy in LEGACY_MANYLINUX:
        return LEGACY_MANYLINUX[legacy]
    assert platform_tag == "any", f"not a manylinux or pure-Python tag: {platform_tag}"
    return None


def test_the_fixture_configures_the_backend_as_the_docs_say() -> None:
    (docs_block,) = code_blocks("toml")
    docs, fixture = tomllib.loads(docs_block), tomllib.loads((FIXTURE / "pants.toml").read_text())
    for section in ("pex-cli", "subprocess-environment", "python-infer"):
        assert fixture[section] == docs[section], f"[{section}] differs from docs/other-repos.md"
    for key in ("pants_version", "backend_packages"):
        assert fixture["GLOBAL"][key] == docs["GLOBAL"][key], f"[GLOBAL].{key} differs"
    for key in ("enable_resolves", "resolves_generate_lockfiles"):
        assert fixture["python"][key] == docs["python"][key], f"[python].{key} differs"


def test_every_lambda_is_packaged_for_its_platform(repo: Path) -> None:
    zips = sorted(str(path.relative_to(repo)) for path in (repo / "dist").rglob("*.zip"))
    assert zips == sorted(lambda_.zip_path for lambda_ in LAMBDAS.values())
    for lambda_ in LAMBDAS.values():
        metadata = json.loads((repo / f"{lambda_.zip_path}.metadata.json").read_text())
        assert (metadata["runtime"], metadata["architecture"]) == (
            f"python{lambda_.python}",
            lambda_.architecture,
        ), lambda_.address


@pytest.mark.parametrize("address", LAMBDAS)
def test_each_zip_carries_only_what_its_handler_imports(repo: Path, address: str) -> None:
    lambda_ = LAMBDAS[address]
    metadata = json.loads((repo / f"{lambda_.zip_path}.metadata.json").read_text())
    carried = {dist["name"].lower().replace("-", "_") for dist in metadata["distributions"]}
    assert lambda_.libraries <= carried, f"{address} misses {lambda_.libraries - carried}"
    others = set().union(*(other.libraries for other in LAMBDAS.values())) - lambda_.libraries
    assert not carried & others, f"{address} carries other lambdas' {carried & others}"
    assert "pytest" not in carried, f"{address} carries a test-only requirement"


@pytest.mark.parametrize("address", LAMBDAS)
def test_native_code_is_for_the_runtime_cpu_and_glibc(repo: Path, address: str) -> None:
    lambda_ = LAMBDAS[address]
    machine, glibc = MACHINES[lambda_.architecture], GLIBC[lambda_.python]
    abi = f"cpython-{lambda_.python.replace('.', '')}"
    with zip_of(repo, address) as archive:
        names = archive.namelist()
        native = [name for name in names if re.search(r"\.so(\.\d+)*$", name)]
        assert native, f"{address} should hold native extensions"
        for name in native:
            assert elf_machine(archive.read(name)) == machine, f"{name} is not {machine}"
            tagged_abi = re.search(r"\.(cpython-\d+)-", name)
            assert tagged_abi is None or tagged_abi[1] == abi, f"{name} is not for {abi}"
        wheels = [name for name in names if name.endswith(".dist-info/WHEEL")]
        assert wheels, f"{address} should keep its distributions' WHEEL files"
        for wheel in wheels:
            tags = re.findall(r"(?m)^Tag: \S+-\S+-(\S+)$", archive.read(wheel).decode())
            needs = {glibc_of(tag) for tag in tags} - {None}
            if needs:
                assert all(tag.endswith(machine) for tag in tags), f"{wheel}: {tags}"
                assert min(needs) <= glibc, f"{wheel} needs glibc {min(needs)}: {tags}"


@pytest.mark.parametrize("address", [a for a in LAMBDAS if a.startswith("lambdas/auth:")])
def test_cryptography_is_built_for_each_architecture(repo: Path, address: str) -> None:
    rust = "cryptography/hazmat/bindings/_rust.abi3.so"
    with zip_of(repo, address) as archive:
        assert rust in archive.namelist(), f"{address} has no cryptography bindings"
        machine = elf_machine(archive.read(rust))
    assert machine == MACHINES[LAMBDAS[address].architecture]


def test_api_validates_orders_with_pydantic_v2(repo: Path, tmp_path: Path) -> None:
    order = {"sku": "ABC-0001", "quantity": 3, "unit_price_cents": 250}
    status, body = call(repo, tmp_path / "ok", "lambdas/api:api", {"body": json.dumps(order)})
    assert status == 200
    assert (body["order"], body["total_cents"]) == (order, 750)
    assert body["pydantic"].startswith("2."), f"pydantic {body['pydantic']} is not v2"

    invalid = {"body": json.dumps({**order, "sku": "abc", "quantity": 0})}
    status, body = call(repo, tmp_path / "invalid", "lambdas/api:api", invalid)
    assert (status, body) == (422, {"invalid": ["sku", "quantity"]})


def test_auth_checks_bcrypt_and_signs_a_jwt_with_cryptography(repo: Path, tmp_path: Path) -> None:
    event = {"body": json.dumps({"user": "ada", "password": "correct horse"})}
    status, body = call(repo, tmp_path / "ok", "lambdas/auth:auth", event)
    assert (status, body) == (200, {"claims": {"sub": "ada"}, "forged_rejected": True})

    wrong = {"body": json.dumps({"user": "ada", "password": "battery staple"})}
    status, _ = call(repo, tmp_path / "wrong", "lambdas/auth:auth", wrong)
    assert status == 401


def test_report_totals_rows_with_pandas_as_its_resource_says(repo: Path, tmp_path: Path) -> None:
    rows = [["eu", "tea", 300], ["us", "tea", 200], ["eu", "cake", 450]]
    status, body = call(repo, tmp_path, "lambdas/report:report", {"rows": rows})
    assert status == 200
    assert body == {"title": "Sales by region", "totals": {"eu": 750, "us": 200}}
    with zip_of(repo, "lambdas/report:report") as archive:
        assert "report/spec.json" in archive.namelist(), "the `resources` file is in the zip"


def test_catalog_imports_both_portions_of_the_namespace_package(repo: Path, tmp_path: Path) -> None:
    event = {"argv": ["--discount=10"], "prices": {"tea": 300, "cake": 455}}
    status, body = call(repo, tmp_path, "lambdas/acme/catalog:catalog", event)
    assert status == 200
    assert body == {"prices": {"tea": 270, "cake": 410}, "acme_is_a_namespace": True}
    with zip_of(repo, "lambdas/acme/catalog:catalog") as archive:
        names = set(archive.namelist())
    assert {"acme/catalog/handler.py", "acme/pricing/discounts.py"} <= names
    assert "acme/__init__.py" not in names, "`acme` is a PEP 420 namespace package"
    assert "docopt.py" in names, "docopt's sdist is built into a wheel for the zip"


def test_notify_runs_on_the_legacy_resolve(repo: Path, tmp_path: Path) -> None:
    webhook = {"url": "https://hooks.example.com/deploy", "payload": {"ok": True}}
    status, body = call(repo, tmp_path, "lambdas/notify:notify", {"body": json.dumps(webhook)})
    assert status == 200
    assert body == {
        "requests": "2.31.0",
        "url": webhook["url"],
        "content_type": "application/json",
        "payload": '{"ok": true}',
    }


def test_the_repo_runs_its_handler_tests(repo: Path) -> None:
    tested = pants(repo, "test", "lambdas/api:tests")
    assert "lambdas/api/handler_test.py:tests succeeded" in tested.stderr


@pytest.mark.parametrize(
    "address", [a for a, lambda_ in LAMBDAS.items() if lambda_.architecture == "x86_64"]
)
def test_every_top_level_module_of_a_slimmed_zip_imports(
    repo: Path, tmp_path: Path, address: str
) -> None:
    lambda_ = LAMBDAS[address]
    task = unzip(repo / lambda_.zip_path, tmp_path / "task")
    modules = sorted({module for names in top_level_modules(task).values() for module in names})
    # pandas.testing imports pandas._testing, which slimming must not take for a test folder.
    extra = ["pandas.testing", "numpy.testing"] if "pandas" in modules else []
    assert import_failures(task, lambda_.python, modules + extra) == []
    metadata = json.loads((repo / f"{lambda_.zip_path}.metadata.json").read_text())
    slimmed = {dist["name"]: dist["slimmed_size"] for dist in metadata["distributions"]}
    if "pandas" in slimmed:
        assert slimmed["pandas"] > 10 * 1024 * 1024, "pandas' tests are left out"
