from __future__ import annotations

from pathlib import Path

import pytest

from lambdabench import scientific, variants
from lambdabench.approaches.base import Bench, Locks
from lambdabench.approaches.pants import LOCK, Ours
from lambdabench.variants import VariantBuild


def _ours(tmp_path: Path) -> Ours:
    lock = tmp_path / "ours.lock"
    lock.write_text("// the lock\n")
    bench = Bench(tmp_path, tmp_path / "cache", tmp_path / "venv", tmp_path / "work")
    ours = Ours(bench, scientific.workload(), tmp_path / "home", Locks(lock, lock, ()))
    ours.repo.mkdir(parents=True)
    return ours


def test_restore_undoes_the_scenarios_edits(tmp_path: Path) -> None:
    ours = _ours(tmp_path)
    ours.restore()
    handler = ours.repo / ours.workload.handler_file(0)
    original = handler.read_text()
    handler.write_text(original + "\nBENCH_EDIT_0 = 0\n")
    (ours.repo / LOCK).write_text("// relocked\n")
    ours.restore()
    assert handler.read_text() == original
    assert (ours.repo / LOCK).read_text() == "// the lock\n"
    assert "lambda_function(" in (handler.parent / "BUILD").read_text()


def test_root_defaults_last_for_the_block_and_refuse_an_existing_build(tmp_path: Path) -> None:
    ours = _ours(tmp_path)
    build = ours.repo / "BUILD"
    with ours.root_defaults(variants.SOURCELESS_DEFAULTS):
        assert build.read_text() == (
            '__defaults__({"lambda_function": {"compile_bytecode": "sourceless"}})\n'
        )
    assert not build.exists()
    build.write_text("")
    with pytest.raises(RuntimeError, match="not as the bench wrote it"):
        with ours.root_defaults("{}"):
            pass


def test_find_a_variant_and_its_zip_by_name() -> None:
    builds = [
        VariantBuild("seed", variants.UNSLIMMED, (Path("a/echo.zip"), Path("b/plot.zip"))),
        VariantBuild("N=3", variants.UNSLIMMED),
    ]
    found = variants.find(builds, "seed", variants.UNSLIMMED)
    assert found is builds[0]
    assert found.zip_named("plot.zip") == Path("b/plot.zip")
    assert found.zip_named("other.zip") is None
    assert variants.find(builds, "seed", variants.SOURCELESS) is None
