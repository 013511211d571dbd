from __future__ import annotations

import json

import pytest

from aws_lambda.pex_lock import (
    HashMismatch,
    InvalidLockfileError,
    LockedArtifact,
    NativeSdist,
    UnlockableRequirement,
    describe_lock_failure,
    describe_native_sdists,
    failed_pins,
    hash_mismatches,
    is_pure_python,
    locked_platform_tags,
    locked_sdists,
    locked_versions,
    locked_wheels,
    newest_artifacts_summary,
    read_lock,
    split_lines,
    unifying_pins,
    unlockable_requirements,
    wheel_tags,
)

PLATFORMS = {
    "cp311-cp311-manylinux_2_26_x86_64": "python3.11 x86_64",
    "cp312-cp312-manylinux_2_34_aarch64": "python3.12 arm64",
}

# What Pex 2.105 prints when pip finds neither a wheel nor an sdist for one platform's resolve.
PEX_STDERR = """\
pid 17679 -> /root/.cache/pex/venvs/4/abc/bin/python /root/.cache/pex/venvs/4/abc/pex \
--isolated -q install --dry-run --report \
/root/.cache/pex/downloads/.tmp/resolver_report/cp312-cp312-manylinux_2_34_aarch64/pip-report.json \
--prefer-binary pywin32 exited with 1 and STDERR:
pip: ERROR: Could not find a version that satisfies the requirement pywin32 (from versions: none)
pip: ERROR: No matching distribution found for pywin32
"""


def test_finds_the_requirement_and_the_platform_pip_was_resolving() -> None:
    assert unlockable_requirements(PEX_STDERR, frozenset(PLATFORMS)) == (
        UnlockableRequirement("pywin32", "cp312-cp312-manylinux_2_34_aarch64"),
    )


def test_names_the_distribution_the_lambda_platform_and_what_it_publishes() -> None:
    message = describe_lock_failure(
        "lambdas", PEX_STDERR, PLATFORMS, {"pywin32": "its newest release has wheels tagged: x"}
    )
    assert "Cannot lock the resolve `lambdas`" in message
    assert (
        "- `pywin32` has no wheel or sdist for python3.12 arm64 "
        "(cp312-cp312-manylinux_2_34_aarch64): its newest release has wheels tagged: x."
    ) in message
    assert message.endswith(PEX_STDERR.strip())


def test_unrecognised_failures_are_passed_through() -> None:
    message = describe_lock_failure("lambdas", "network unreachable", PLATFORMS, {})
    assert (
        message
        == "Generating the lockfile for the resolve `lambdas` failed:\n\nnetwork unreachable"
    )


def lockfile(style: str, platform_tags: list[list[str]]) -> str:
    lock = {
        "style": style,
        "locked_resolves": [
            {"platform_tag": tag, "locked_requirements": []} for tag in platform_tags
        ],
    }
    return "// Pants header\n// --- BEGIN PANTS LOCKFILE METADATA\n" + json.dumps(lock)


def test_locked_platform_tags_of_a_strict_lock() -> None:
    tags = locked_platform_tags(
        read_lock(
            lockfile(
                "strict", [["cp311", "cp311", "manylinux_2_26_x86_64"], ["cp312", "cp312", "x"]]
            )
        )
    )
    assert tags == {"cp311-cp311-manylinux_2_26_x86_64", "cp312-cp312-x"}


def test_a_universal_lock_names_no_platforms() -> None:
    assert locked_platform_tags(read_lock(lockfile("universal", []))) is None


def test_a_damaged_lock_says_where_in_the_file() -> None:
    damaged = lockfile("strict", []).replace('"style"', ":style", 1)
    with pytest.raises(InvalidLockfileError) as exc_info:
        read_lock(damaged)
    # Line 3 of the file: its header lines count.
    assert str(exc_info.value) == (
        "line 3, column 2: Expecting property name enclosed in double quotes"
    )
    with pytest.raises(InvalidLockfileError, match="holds no JSON object"):
        read_lock("[]")


# What Pex 2.105 prints when an artifact does not match the hash a lock pins it to.
HASH_STDERR = """\
There was 1 error downloading required artifacts:
1. structlog 26.1 from https://files.pythonhosted.org/packages/a9/18/489c/structlog-26.1.0-py3-none-any.whl
    Expected sha256 hash of e081beef when downloading structlog but hashed to e081d91e.
"""


def test_hash_mismatches() -> None:
    assert hash_mismatches(HASH_STDERR) == (
        HashMismatch(
            "structlog",
            "26.1",
            "structlog-26.1.0-py3-none-any.whl",
            "sha256",
            "e081beef",
            "e081d91e",
        ),
    )
    assert hash_mismatches(PEX_STDERR) == ()


def probe_lock(*filenames: str) -> dict:
    artifacts = [{"url": f"https://files.example/{name}"} for name in filenames]
    requirement = {"project_name": "fastlib", "version": "2.0", "artifacts": artifacts}
    return {"locked_resolves": [{"locked_requirements": [requirement]}]}


def test_newest_artifacts_lists_wheel_tags() -> None:
    summary = newest_artifacts_summary(
        probe_lock(
            "fastlib-2.0-cp312-cp312-manylinux_2_28_x86_64.whl",
            "fastlib-2.0-cp312-cp312-macosx_11_0_arm64.whl",
            "fastlib-2.0.tar.gz",
        )
    )
    assert summary == (
        "its newest release, fastlib 2.0, has wheels tagged: "
        "cp312-cp312-macosx_11_0_arm64, cp312-cp312-manylinux_2_28_x86_64"
    )


def test_newest_artifacts_of_an_sdist_only_project() -> None:
    summary = newest_artifacts_summary(probe_lock("fastlib-2.0.tar.gz"))
    assert summary == "its newest release, fastlib 2.0, has no wheels, only: fastlib-2.0.tar.gz"


def locked_resolve(tag: str, **versions: str) -> dict:
    return {
        "platform_tag": tag.split("-"),
        "locked_requirements": [
            {"project_name": name, "version": version} for name, version in versions.items()
        ],
    }


def test_locked_versions_name_the_platforms_only_where_versions_differ() -> None:
    lock = {
        "locked_resolves": [
            locked_resolve("cp311-cp311-manylinux_2_26_x86_64", numpy="2.2.6", six="1.17.0"),
            locked_resolve("cp312-cp312-manylinux_2_34_aarch64", numpy="2.5.5", six="1.17.0"),
        ]
    }
    assert locked_versions(lock, PLATFORMS) == {
        "numpy (python3.11 x86_64)": "2.2.6",
        "numpy (python3.12 arm64)": "2.5.5",
        "six": "1.17.0",
    }
    # A platform no lambda names any more keeps its tag.
    assert locked_versions(lock, {})["numpy (cp311-cp311-manylinux_2_26_x86_64)"] == "2.2.6"


def artifact(filename: str) -> dict:
    return {"url": f"https://files.example/{filename}", "algorithm": "sha256", "hash": "ab12"}


CRCMOD = LockedArtifact(
    "crcmod", "1.7", "https://files.example/crcmod-1.7.tar.gz", "sha256", "ab12"
)


def requirement(name: str, version: str, *filenames: str) -> dict:
    return {
        "project_name": name,
        "version": version,
        "artifacts": [artifact(filename) for filename in filenames],
    }


def strict_lock(*resolves: tuple[str, list[dict]]) -> dict:
    return {
        "style": "strict",
        "locked_resolves": [
            {"platform_tag": tag.split("-"), "locked_requirements": requirements}
            for tag, requirements in resolves
        ],
    }


X86_311 = "cp311-cp311-manylinux_2_26_x86_64"
SIX = requirement("six", "1.17.0", "six-1.17.0-py2.py3-none-any.whl")


def test_locked_wheels_of_a_platform_are_its_resolve_s_only_artifacts() -> None:
    lock = strict_lock(
        (X86_311, [SIX]), ("cp312-cp312-manylinux_2_34_aarch64", [requirement("a", "1", "a.whl")])
    )
    (six,) = locked_wheels(lock, X86_311) or ()
    assert (six.project, six.filename, six.hash) == (
        "six",
        "six-1.17.0-py2.py3-none-any.whl",
        "ab12",
    )


@pytest.mark.parametrize(
    "lock",
    [
        pytest.param(strict_lock(("cp312-cp312-manylinux_2_34_aarch64", [SIX])), id="no-resolve"),
        pytest.param(
            strict_lock((X86_311, [SIX, requirement("crcmod", "1.7", "crcmod-1.7.tar.gz")])),
            id="an-sdist",
        ),
        pytest.param(
            strict_lock((X86_311, [requirement("six", "1.17.0", "six-a.whl", "six-b.whl")])),
            id="a-choice",
        ),
        pytest.param({**strict_lock((X86_311, [SIX])), "style": "universal"}, id="universal"),
        pytest.param({**strict_lock((X86_311, [SIX])), "path_mappings": [{"name": "WHEELS"}]}),
    ],
)
def test_locked_wheels_leave_to_pex_what_it_must_choose_or_build(lock: dict) -> None:
    assert locked_wheels(lock, X86_311) is None


def test_locked_sdists_are_the_requirements_a_platform_has_no_wheel_for() -> None:
    lock = {
        "locked_resolves": [
            {
                "platform_tag": ["cp311", "cp311", "manylinux_2_26_x86_64"],
                "locked_requirements": [
                    requirement("crcmod", "1.7", "crcmod-1.7.tar.gz"),
                    requirement("six", "1.17.0", "six-1.17.0-py2.py3-none-any.whl"),
                ],
            },
            {
                "platform_tag": ["cp312", "cp312", "manylinux_2_34_aarch64"],
                "locked_requirements": [
                    requirement("six", "1.17.0", "six-1.17.0-py2.py3-none-any.whl")
                ],
            },
        ]
    }
    assert locked_sdists(lock) == {"cp311-cp311-manylinux_2_26_x86_64": (CRCMOD,)}
    assert CRCMOD.pinned_requirement == (
        "crcmod @ https://files.example/crcmod-1.7.tar.gz#sha256=ab12"
    )


def test_only_wheels_for_no_abi_and_any_platform_are_pure_python() -> None:
    docopt = "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py2-none-any\nTag: py3-none-any\n"
    assert wheel_tags(docopt) == ("py2-none-any", "py3-none-any")
    assert is_pure_python(wheel_tags(docopt))
    assert not is_pure_python(["cp311-cp311-linux_x86_64"])
    assert not is_pure_python(["py3-none-any", "cp311-abi3-linux_x86_64"])
    assert not is_pure_python([]), "a wheel with no tags is not known to be pure"


def test_native_sdists_name_platforms_lambdas_why_and_fixes() -> None:
    native = NativeSdist(
        CRCMOD,
        ("cp311-cp311-linux_x86_64",),
        (("python3.11 x86_64", ("src/a:a", "src/b:b")), ("python3.12 arm64", ())),
    )
    message = describe_native_sdists("lambdas", [native], "pants generate-lockfiles")
    assert (
        "- crcmod 1.7 (crcmod-1.7.tar.gz) builds into a cp311-cp311-linux_x86_64 wheel, needed "
        "for python3.11 x86_64 by src/a:a, src/b:b; python3.12 arm64 by no lambda yet."
    ) in message
    assert "cannot be cross-built without the target's toolchain" in message
    assert "manylinux wheels" in message
    assert "`[python-repos].find_links`" in message and "run `pants generate-lockfiles`" in message
    assert "layer built elsewhere" in message


def _lock(**versions_by_tag: dict[str, str]) -> dict:
    return {
        "locked_resolves": [
            {
                "platform_tag": tag.split("-"),
                "locked_requirements": [
                    {"project_name": project, "version": version}
                    for project, version in versions.items()
                ],
            }
            for tag, versions in versions_by_tag.items()
        ]
    }


SPLIT_LOCK = _lock(
    **{
        "cp311-cp311-manylinux_2_26_x86_64": {"numpy": "2.2.6", "six": "1.17.0"},
        "cp312-cp312-manylinux_2_34_aarch64": {"numpy": "2.5.5", "six": "1.17.0"},
        "cp312-cp312-macosx_12_0_arm64": {"numpy": "2.10.0", "six": "1.17.0"},
    }
)


def test_unifying_pins_take_the_oldest_version_of_each_disagreeing_project() -> None:
    # 2.10.0 is newer than 2.5.5: versions compare as versions, not strings.
    assert unifying_pins(SPLIT_LOCK) == ("numpy==2.2.6",)


def test_split_lines_name_each_version_and_its_platforms() -> None:
    names = {
        "cp311-cp311-manylinux_2_26_x86_64": "python3.11 x86_64",
        "cp312-cp312-manylinux_2_34_aarch64": "python3.12 arm64",
    }
    assert split_lines(SPLIT_LOCK, names) == (
        "numpy: 2.2.6 for python3.11 x86_64; 2.5.5 for python3.12 arm64; "
        "2.10.0 for cp312-cp312-macosx_12_0_arm64",
    )


def test_failed_pins_name_the_platform_pip_was_resolving() -> None:
    stderr = (
        "pip-report.json --only-binary numpy --constraint c.txt numpy exited with 1: "
        "cp313-cp313-manylinux_2_28_x86_64 fine\n"
        "... --report x/cp314-cp314-manylinux_2_28_x86_64/pip-report.json exited with 1 and "
        "STDERR:\npip: ERROR: Cannot install numpy\npip:      The user requested numpy\n"
        "pip:      The user requested (constraint) numpy==2.2.6\n"
    )
    tags = frozenset({"cp313-cp313-manylinux_2_28_x86_64", "cp314-cp314-manylinux_2_28_x86_64"})
    assert failed_pins(stderr, ("numpy==2.2.6", "pillow==12.2.0"), tags) == (
        UnlockableRequirement("numpy==2.2.6", "cp314-cp314-manylinux_2_28_x86_64"),
    )
