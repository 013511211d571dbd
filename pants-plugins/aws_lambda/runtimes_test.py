from __future__ import annotations

import json
import os
import platform
import subprocess
from collections.abc import Iterable
from datetime import date
from pathlib import Path

import packaging
import pytest
from packaging.tags import Tag, parse_tag
from packaging.utils import parse_wheel_filename

from aws_lambda.runtimes import (
    LambdaArchitecture,
    LambdaPlatform,
    LambdaRuntime,
    RuntimeUpdatesBlockedError,
    UnknownArchitectureError,
    UnknownRuntimeError,
    architecture_for,
    manylinux_platform_tags,
    newest_runtime,
    runtime_for,
    runtime_lifecycle_warning,
)

HOST_PYTHON_3_11 = Path("/root/.pyenv/versions/3.11.7/bin/python3.11")


def lambda_platform(runtime: str, architecture: str) -> LambdaPlatform:
    return LambdaPlatform(runtime_for(runtime), architecture_for(architecture))


def tags_for(runtime: str, architecture: str) -> tuple[str, ...]:
    return lambda_platform(runtime, architecture).compatible_tags


def platforms_with_prefix(all_tags: tuple[str, ...], prefix: str) -> list[str]:
    return [tag[len(prefix) :] for tag in all_tags if tag.startswith(prefix)]


def is_wheel_compatible(wheel_filename: str, runtime: str, architecture: str) -> bool:
    _, _, _, wheel_tags = parse_wheel_filename(wheel_filename)
    runtime_tags = {
        tag for tag_string in tags_for(runtime, architecture) for tag in parse_tag(tag_string)
    }
    return not wheel_tags.isdisjoint(runtime_tags)


def test_runtime_table_is_unique_and_complete() -> None:
    runtimes = list(LambdaRuntime)
    names = [runtime.value for runtime in runtimes]
    assert names == [
        "python3.9",
        "python3.10",
        "python3.11",
        "python3.12",
        "python3.13",
        "python3.14",
    ]
    assert {runtime.glibc_version for runtime in runtimes[:3]} == {(2, 26)}
    assert {runtime.glibc_version for runtime in runtimes[3:]} == {(2, 34)}
    for runtime in runtimes:
        major, minor = runtime.python_version
        assert runtime.value == str(runtime) == f"python{major}.{minor}"
        assert runtime_for(runtime.value) is runtime
        assert runtime.python_full_version.startswith(f"{major}.{minor}.")


def test_architectures_map_lambda_names_to_machines() -> None:
    assert {(a.value, a.machine) for a in LambdaArchitecture} == {
        ("x86_64", "x86_64"),
        ("arm64", "aarch64"),
    }


def test_unknown_runtime_lists_valid_names() -> None:
    with pytest.raises(UnknownRuntimeError) as exc_info:
        runtime_for("python3.8")
    message = str(exc_info.value)
    assert "'python3.8'" in message
    for runtime in LambdaRuntime:
        assert runtime.value in message
    assert isinstance(exc_info.value, ValueError)


def test_unknown_architecture_lists_valid_names() -> None:
    with pytest.raises(UnknownArchitectureError) as exc_info:
        architecture_for("aarch64")
    message = str(exc_info.value)
    assert "'aarch64'" in message
    assert "x86_64" in message and "arm64" in message
    assert isinstance(exc_info.value, ValueError)


def test_manylinux_platform_tags_x86_64_order() -> None:
    platforms = manylinux_platform_tags((2, 26), "x86_64")
    assert platforms[0] == "manylinux_2_26_x86_64"
    assert platforms[-1] == "linux_x86_64"
    assert platforms[-2:] == ("manylinux1_x86_64", "linux_x86_64")
    versioned = [p for p in platforms if p.startswith("manylinux_2_")]
    assert versioned == [f"manylinux_2_{minor}_x86_64" for minor in range(26, 4, -1)]
    for minor, alias in ((17, "manylinux2014"), (12, "manylinux2010"), (5, "manylinux1")):
        index = platforms.index(f"manylinux_2_{minor}_x86_64")
        assert platforms[index + 1] == f"{alias}_x86_64"


def test_manylinux_platform_tags_aarch64_stops_at_2_17() -> None:
    assert manylinux_platform_tags((2, 26), "aarch64")[-4:] == (
        "manylinux_2_18_aarch64",
        "manylinux_2_17_aarch64",
        "manylinux2014_aarch64",
        "linux_aarch64",
    )


@pytest.mark.parametrize(
    "glibc_version, machine, expected",
    [((3, 1), "x86_64", "3.1"), ((2, 26), "arm64", "'arm64'")],
)
def test_manylinux_platform_tags_rejects_unsupported_input(
    glibc_version: tuple[int, int], machine: str, expected: str
) -> None:
    with pytest.raises(ValueError, match=expected):
        manylinux_platform_tags(glibc_version, machine)


def test_python311_x86_64_tags_shape() -> None:
    all_tags = tags_for("python3.11", "x86_64")
    assert all_tags[0] == "cp311-cp311-manylinux_2_26_x86_64"
    assert len(all_tags) == len(set(all_tags))
    assert not any("manylinux_2_27" in tag or "manylinux_2_28" in tag for tag in all_tags)

    cp311_platforms = platforms_with_prefix(all_tags, "cp311-cp311-")
    assert cp311_platforms[-1] == "linux_x86_64"
    assert cp311_platforms == list(manylinux_platform_tags((2, 26), "x86_64"))

    last_cp311 = all_tags.index("cp311-cp311-linux_x86_64")
    assert all_tags.index("cp311-abi3-manylinux_2_26_x86_64") > last_cp311
    assert all_tags.index("cp311-none-manylinux_2_26_x86_64") > last_cp311
    assert all_tags.index("cp32-abi3-linux_x86_64") > all_tags.index("cp311-none-linux_x86_64")
    assert all_tags.index("py311-none-manylinux_2_26_x86_64") > last_cp311
    assert "py3-none-any" in all_tags[-15:]
    assert all_tags[-1] == "py30-none-any"


def test_manylinux_2_28_only_for_al2023_runtimes() -> None:
    assert "cp312-cp312-manylinux_2_28_x86_64" in tags_for("python3.12", "x86_64")
    assert tags_for("python3.12", "x86_64")[0] == "cp312-cp312-manylinux_2_34_x86_64"
    assert tags_for("python3.13", "arm64")[0] == "cp313-cp313-manylinux_2_34_aarch64"


def test_arm64_tags_use_aarch64_platforms() -> None:
    all_tags = tags_for("python3.11", "arm64")
    assert all_tags[0] == "cp311-cp311-manylinux_2_26_aarch64"
    assert not any(
        "x86_64" in tag or "manylinux1" in tag or "manylinux2010" in tag for tag in all_tags
    )
    assert platforms_with_prefix(all_tags, "cp311-cp311-")[-3:] == [
        "manylinux_2_17_aarch64",
        "manylinux2014_aarch64",
        "linux_aarch64",
    ]


def test_wheel_compatibility() -> None:
    glibc_2_28_wheel = "numpy-2.3.0-{abi}-{abi}-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl"
    assert not is_wheel_compatible(glibc_2_28_wheel.format(abi="cp311"), "python3.11", "x86_64")
    assert is_wheel_compatible(glibc_2_28_wheel.format(abi="cp312"), "python3.12", "x86_64")

    arm_wheel = "numpy-2.2.6-cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64.whl"
    assert is_wheel_compatible(arm_wheel, "python3.11", "arm64")
    assert not is_wheel_compatible(arm_wheel, "python3.11", "x86_64")

    assert is_wheel_compatible("requests-2.32.3-py3-none-any.whl", "python3.9", "arm64")
    assert Tag("cp39", "abi3", "manylinux2014_x86_64") in {
        tag for tag_string in tags_for("python3.12", "x86_64") for tag in parse_tag(tag_string)
    }


def test_marker_environment() -> None:
    markers = lambda_platform("python3.11", "arm64").marker_environment
    assert markers["python_version"] == "3.11"
    assert markers["python_full_version"] == markers["implementation_version"] == "3.11.11"
    assert markers["platform_machine"] == "aarch64"
    assert markers["platform_release"].endswith(".aarch64")
    assert markers["sys_platform"] == "linux"
    assert markers["platform_system"] == "Linux"
    assert markers["implementation_name"] == "cpython"
    assert markers["platform_python_implementation"] == "CPython"
    assert markers["os_name"] == "posix"


def test_complete_platform_json_is_deterministic() -> None:
    python312 = lambda_platform("python3.12", "x86_64")
    text = python312.complete_platform_json()
    assert text == python312.complete_platform_json()
    assert text.endswith("}\n") and not text.endswith("\n\n")
    assert '\n  "compatible_tags": [\n    "cp312-cp312-manylinux_2_34_x86_64",' in text
    parsed = json.loads(text)
    assert list(parsed) == ["compatible_tags", "marker_environment"]
    assert parsed["compatible_tags"] == list(python312.compatible_tags)
    assert parsed["marker_environment"] == python312.marker_environment
    assert list(parsed["marker_environment"]) == sorted(parsed["marker_environment"])


def host_glibc_at_least(version: tuple[int, int]) -> bool:
    library, libc_version = platform.libc_ver()
    if library != "glibc":
        return False
    return tuple(int(part) for part in libc_version.split(".")[:2]) >= version


@pytest.mark.skipif(
    not HOST_PYTHON_3_11.exists()
    or platform.machine() != "x86_64"
    or not host_glibc_at_least((2, 26)),
    reason="needs a CPython 3.11 on x86_64 Linux with glibc >= 2.26",
)
def test_python311_x86_64_tags_match_a_real_cpython_3_11() -> None:
    script = "from packaging import tags; print('\\n'.join(str(t) for t in tags.sys_tags()))"
    host_tags = subprocess.run(
        [str(HOST_PYTHON_3_11), "-c", script],
        env={**os.environ, "PYTHONPATH": str(Path(packaging.__file__).parent.parent)},
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    lambda_platforms = set(manylinux_platform_tags((2, 26), "x86_64"))
    ours = tags_for("python3.11", "x86_64")

    def platform_specific(tags: Iterable[str]) -> list[str]:
        return [tag for tag in tags if tag.rsplit("-", 1)[1] in lambda_platforms]

    assert platform_specific(host_tags) == platform_specific(ours)
    # packaging versions differ on `cp311-none-any` and `py30-none-any`; pip accepts both.
    any_tags = {tag for tag in ours if tag.endswith("-any")}
    assert any_tags - set(host_tags) <= {"cp311-none-any"}


# The host's kernel, which Lambda's image reports as it is: not the runtime's.
_KERNEL_MARKERS = {"platform_release", "platform_version"}


@pytest.mark.parametrize("architecture", ["x86_64", "arm64"])
def test_python314_platform_is_what_lambdas_image_reports(architecture: str) -> None:
    image = json.loads(
        (Path(__file__).parent / "testdata" / f"lambda-python-3.14-{architecture}.json").read_text()
    )
    ours = lambda_platform("python3.14", architecture)
    assert list(ours.compatible_tags) == image["compatible_tags"]
    image_markers = image["marker_environment"]
    assert {k: v for k, v in ours.marker_environment.items() if k not in _KERNEL_MARKERS} == {
        k: v for k, v in image_markers.items() if k not in _KERNEL_MARKERS
    }


def test_every_runtime_has_an_ordered_lifecycle() -> None:
    for runtime in LambdaRuntime:
        lifecycle = runtime.lifecycle
        assert lifecycle.deprecation < lifecycle.block_create < lifecycle.block_update, runtime
    assert newest_runtime() is LambdaRuntime.python3_14


def test_a_supported_runtime_gets_no_warning() -> None:
    assert runtime_lifecycle_warning(LambdaRuntime.python3_12, date(2026, 12, 2), "T") is None


def test_a_deprecated_runtime_warns_with_dates_and_the_newest_runtime() -> None:
    warning = runtime_lifecycle_warning(
        LambdaRuntime.python3_9, date(2026, 12, 2), "The target src/app:app"
    )
    assert warning == (
        "The target src/app:app uses the Lambda runtime python3.9, deprecated by AWS on "
        "2025-12-15: it gets no security patches. AWS blocks creating its functions from "
        "2027-02-01 and updating them from 2027-03-03. Move `runtime` to python3.14."
    )


def test_a_runtime_whose_updates_are_blocked_is_an_error() -> None:
    with pytest.raises(RuntimeUpdatesBlockedError) as e:
        runtime_lifecycle_warning(LambdaRuntime.python3_9, date(2027, 3, 3), "The target t")
    assert str(e.value) == (
        "The target t uses the Lambda runtime python3.9, whose functions AWS has not let anyone "
        "create or update since 2027-03-03: a zip for it cannot be deployed. Set `runtime` to a "
        "supported runtime, such as python3.14."
    )
