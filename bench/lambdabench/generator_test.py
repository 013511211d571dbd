from __future__ import annotations

from pathlib import Path

from lambdabench import generator


def test_same_n_gives_the_same_repo() -> None:
    assert generator.lambda_specs(10) == generator.lambda_specs(10)
    assert generator.lambda_specs(3) == generator.lambda_specs(10)[:3]


def test_each_lambda_imports_its_libraries_and_the_shared_module(tmp_path: Path) -> None:
    specs = generator.lambda_specs(5)
    generator.write_sources(tmp_path, specs)
    for spec in specs:
        assert len(set(spec.libraries)) == generator.LIBS_PER_LAMBDA
        source = (tmp_path / "src/python" / spec.name / "handler.py").read_text()
        assert "from common.core import respond" in source
        for lib in spec.libraries:
            assert f"import {lib.module}\n" in source
        compile(source, spec.name, "exec")
    requirements = (tmp_path / "3rdparty/python/requirements.txt").read_text().split()
    assert requirements == [lib.requirement for lib in generator.LIBRARIES]


def test_extra_libraries_are_not_base_requirements() -> None:
    base = {lib.dist for lib in generator.LIBRARIES}
    assert not base & {lib.dist for lib in generator.EXTRA_LIBRARIES}
