from __future__ import annotations

import json

from lambdabench.locks import artifact_urls, pins_from_lock


def _lock(resolves: list[dict]) -> str:
    return "// header\n//   {}\n" + json.dumps({"locked_resolves": resolves}, indent=2)


def _resolve(tag: list[str] | None, pins: dict[str, str]) -> dict:
    reqs = [
        {"project_name": n, "version": v, "artifacts": [{"url": f"https://x/{n}-{v}.whl"}]}
        for n, v in pins.items()
    ]
    return {"platform_tag": tag, "locked_requirements": reqs}


def test_pins_come_from_the_cp311_x86_64_resolve_without_excludes() -> None:
    text = _lock(
        [
            _resolve(["cp312", "cp312", "manylinux_2_34_aarch64"], {"numpy": "2.5.5"}),
            _resolve(
                ["cp311", "cp311", "manylinux_2_26_x86_64"], {"numpy": "2.2.6", "pytest": "7"}
            ),
        ]
    )
    assert pins_from_lock(text, excludes=("pytest",)) == ("numpy==2.2.6",)


def test_a_universal_lock_uses_its_only_resolve() -> None:
    assert pins_from_lock(_lock([_resolve(None, {"b": "2", "a": "1"})])) == ("a==1", "b==2")


def test_artifact_urls_are_those_of_the_cp311_x86_64_resolve() -> None:
    text = _lock(
        [
            _resolve(["cp312", "cp312", "manylinux_2_34_aarch64"], {"numpy": "2.5.5"}),
            _resolve(["cp311", "cp311", "manylinux_2_26_x86_64"], {"numpy": "2.2.6"}),
        ]
    )
    assert artifact_urls(text) == ("https://x/numpy-2.2.6.whl",)
