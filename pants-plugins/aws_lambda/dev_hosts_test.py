from __future__ import annotations

import json

from aws_lambda.dev_hosts import DEFAULT_DEV_HOSTS, DevHost, DevHostPlatform, dev_host_platforms


def test_default_hosts_for_each_allowed_python() -> None:
    platforms = dev_host_platforms(("3.11", "3.12"), DEFAULT_DEV_HOSTS)
    assert [str(p) for p in platforms] == [
        "python3.11 linux-x86_64",
        "python3.11 linux-aarch64",
        "python3.11 macos-x86_64",
        "python3.11 macos-arm64",
        "python3.12 linux-x86_64",
        "python3.12 linux-aarch64",
        "python3.12 macos-x86_64",
        "python3.12 macos-arm64",
    ]


def test_most_specific_tags_differ_from_every_lambda_platform() -> None:
    tags = {p.most_specific_tag for p in dev_host_platforms(("3.12",), tuple(DevHost))}
    assert tags == {
        "cp312-cp312-manylinux_2_28_x86_64",
        "cp312-cp312-manylinux_2_28_aarch64",
        "cp312-cp312-macosx_12_0_x86_64",
        "cp312-cp312-macosx_12_0_arm64",
        "cp312-cp312-win_amd64",
    }


def test_macos_arm64_accepts_older_and_universal2_wheels_only_for_its_cpu() -> None:
    compatible = DevHostPlatform((3, 12), DevHost.macos_arm64).compatible_tags
    assert "cp312-cp312-macosx_11_0_arm64" in compatible
    assert "cp312-cp312-macosx_10_9_universal2" in compatible
    assert "cp312-abi3-macosx_11_0_arm64" in compatible
    assert "py3-none-any" in compatible
    assert "cp312-cp312-macosx_14_0_arm64" not in compatible, "newer than the oldest macOS"
    assert not any("x86_64" in tag or "manylinux" in tag for tag in compatible)


def test_linux_hosts_take_manylinux_down_to_manylinux1() -> None:
    compatible = DevHostPlatform((3, 11), DevHost.linux_x86_64).compatible_tags
    assert compatible[0] == "cp311-cp311-manylinux_2_28_x86_64"
    assert "cp311-cp311-manylinux2014_x86_64" in compatible
    assert "cp311-cp311-manylinux1_x86_64" in compatible
    assert "cp311-cp311-manylinux_2_34_x86_64" not in compatible


def test_marker_environments() -> None:
    mac = json.loads(DevHostPlatform((3, 13), DevHost.macos_x86_64).complete_platform_json())
    assert mac["marker_environment"]["sys_platform"] == "darwin"
    assert mac["marker_environment"]["platform_system"] == "Darwin"
    assert mac["marker_environment"]["python_version"] == "3.13"
    windows = DevHostPlatform((3, 13), DevHost.windows_x86_64).marker_environment
    assert (windows["os_name"], windows["sys_platform"], windows["platform_machine"]) == (
        "nt",
        "win32",
        "AMD64",
    )
