from __future__ import annotations

from textwrap import dedent

import pytest

from aws_lambda.distributions import (
    Distribution,
    DistributionMetadataError,
    ProvidedDistribution,
    ShadowedModule,
    VersionConflict,
    dependency_closure,
    match_provided,
    read_distributions,
    shadowed_modules,
    unmet_requirements,
)
from aws_lambda.runtimes import marker_environment

LINUX_311 = marker_environment("3.11.11", "x86_64")


def metadata(name: str, version: str, *requires: str) -> bytes:
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    lines += [f"Requires-Dist: {requirement}" for requirement in requires]
    return ("\n".join(lines) + "\n\nLong description.\n").encode()


def record(*paths: str) -> bytes:
    return "".join(f"{path},sha256=abc,1\n" for path in paths).encode()


def dist(name: str, *requires: str, version: str = "1.0") -> Distribution:
    return Distribution(name, version, files=(), size=0, requires=requires)


def test_read_distributions_attributes_files_and_sizes() -> None:
    files = {
        "Foo_Bar-1.0.dist-info/METADATA": 30,
        "Foo_Bar-1.0.dist-info/RECORD": 20,
        "Foo_Bar-1.0.dist-info/INSTALLER": 4,
        "foo_bar/__init__.py": 100,
        "foo_bar.libs/libz.so.1": 1000,
        "six-1.16.0.dist-info/METADATA": 10,
        "six-1.16.0.dist-info/RECORD": 10,
        "six.py": 500,
        "unowned.py": 7,
    }
    distributions = read_distributions(
        {
            "Foo_Bar-1.0.dist-info/METADATA": metadata("Foo_Bar", "1.0", "six>=1.10"),
            "Foo_Bar-1.0.dist-info/RECORD": record(
                "foo_bar/__init__.py",
                "foo_bar.libs/libz.so.1",
                "Foo_Bar-1.0.dist-info/METADATA",
                "../../bin/foo",
                "foo_bar/__pycache__/__init__.cpython-311.pyc",
            ),
            "six-1.16.0.dist-info/METADATA": metadata("six", "1.16.0"),
            "six-1.16.0.dist-info/RECORD": record("six.py"),
        },
        files,
    )
    assert distributions == (
        Distribution(
            "Foo_Bar",
            "1.0",
            files=(
                "Foo_Bar-1.0.dist-info/INSTALLER",
                "Foo_Bar-1.0.dist-info/METADATA",
                "Foo_Bar-1.0.dist-info/RECORD",
                "foo_bar.libs/libz.so.1",
                "foo_bar/__init__.py",
            ),
            size=1154,
            requires=("six>=1.10",),
        ),
        Distribution(
            "six",
            "1.16.0",
            files=("six-1.16.0.dist-info/METADATA", "six-1.16.0.dist-info/RECORD", "six.py"),
            size=520,
        ),
    )
    assert distributions[0].key == "foo-bar"
    assert str(distributions[1]) == "six 1.16.0"


def test_a_dist_info_without_record_is_an_error() -> None:
    with pytest.raises(DistributionMetadataError, match="x-1.dist-info has no RECORD"):
        read_distributions({"x-1.dist-info/METADATA": metadata("x", "1")}, {})


def test_dependency_closure_follows_markers_but_not_extras() -> None:
    distributions = [
        dist("boto3", "botocore<2,>=1.35", "s3transfer", "jmespath"),
        dist(
            "botocore",
            "jmespath",
            "python-dateutil<3.0.0,>=2.1",
            'urllib3<1.27,>=1.25.4; python_version < "3.10"',
            'urllib3!=2.2.0,<3,>=1.25.4; python_version >= "3.10"',
            'awscrt==0.21.2; extra == "crt"',
        ),
        dist("s3transfer", "botocore"),
        dist("jmespath"),
        dist("python_dateutil", "six>=1.5"),
        dist("six"),
        dist("urllib3", 'brotli; extra == "brotli"'),
        dist("awscrt"),
        dist("requests", "urllib3", "idna"),
        dist("idna"),
        dist("msgspec"),
    ]
    closure = dependency_closure(["boto3"], distributions, LINUX_311)
    assert closure == {
        "boto3",
        "botocore",
        "s3transfer",
        "jmespath",
        "python-dateutil",
        "six",
        "urllib3",
    }


def test_dependency_closure_follows_requested_extras_transitively() -> None:
    distributions = [
        dist("requests", "urllib3", 'pysocks!=1.5.7; extra == "socks"', 'chardet; extra == "x"'),
        dist("urllib3", 'brotli; extra == "brotli"'),
        dist("app", "urllib3[brotli]"),
        dist("pysocks"),
        dist("brotli"),
        dist("chardet"),
    ]
    assert dependency_closure(["requests"], distributions, LINUX_311) == {"requests", "urllib3"}
    assert dependency_closure(["requests[socks]>=2"], distributions, LINUX_311) == {
        "requests",
        "urllib3",
        "pysocks",
    }
    assert dependency_closure(["requests", "app"], distributions, LINUX_311) == {
        "requests",
        "urllib3",
        "app",
        "brotli",
    }


def test_dependency_closure_skips_requirements_whose_marker_does_not_hold() -> None:
    distributions = [dist("a"), dist("b")]
    closure = dependency_closure(['a; python_version < "3.10"', "b"], distributions, LINUX_311)
    assert closure == {"b"}


def test_dependency_closure_of_roots_that_are_not_installed_is_empty() -> None:
    assert dependency_closure(["boto3"], [dist("six")], LINUX_311) == frozenset()


def test_dependency_closure_skips_environment_specific_requirements() -> None:
    distributions = [dist("a", 'b; sys_platform == "win32"', 'c; platform_machine == "x86_64"')]
    distributions += [dist("b"), dist("c")]
    assert dependency_closure(["a"], distributions, LINUX_311) == {"a", "c"}
    arm = marker_environment("3.11.11", "aarch64")
    assert dependency_closure(["a"], distributions, arm) == {"a"}


def test_invalid_requirement_names_its_distribution() -> None:
    with pytest.raises(DistributionMetadataError, match="a 1.0 has an invalid requirement 'b >"):
        dependency_closure(["a"], [dist("a", "b >>> 1")], LINUX_311)


def test_match_provided() -> None:
    numpy = dist("numpy", version="2.2.6")
    needed = [numpy, dist("Pillow", version="12.2.0"), dist("six", version="1.16.0")]
    provided, conflicts = match_provided(
        needed,
        [
            ("layers:science", [dist("numpy", version="2.2.6.0"), dist("pillow", version="12.1")]),
            ("layers:other", [dist("numpy", version="1.0")]),
        ],
    )
    assert provided == (ProvidedDistribution(numpy, "layers:science"),)
    assert conflicts == (VersionConflict("Pillow", "12.2.0", "12.1", "layers:science"),)


def test_metadata_headers_are_parsed_like_email() -> None:
    content = dedent(
        """\
        Metadata-Version: 2.1
        Name: pkg
        Version: 2.0
        Summary: A folded
          summary line

        Requires-Dist: not-a-header
        """
    ).encode()
    (distribution,) = read_distributions(
        {"pkg-2.0.dist-info/METADATA": content, "pkg-2.0.dist-info/RECORD": b""}, {}
    )
    assert (distribution.name, distribution.version, distribution.requires) == ("pkg", "2.0", ())


def test_unmet_requirements_name_what_was_found() -> None:
    distributions = [dist("six", version="1.16.0"), dist("msgspec", version="0.18.6")]
    assert unmet_requirements(
        [
            "six>=1.16",
            "msgspec>=0.19",
            "requests[socks]",
            'pywin32; sys_platform == "win32"',
        ],
        distributions,
        LINUX_311,
    ) == ("msgspec>=0.19 (found msgspec 0.18.6)", "requests[socks] (not found)")


def test_shadowed_modules() -> None:
    numpy = Distribution("numpy", "2.2.6", ("numpy/__init__.py", "numpy-2.2.6.dist-info/RECORD"), 1)
    six = Distribution("six", "1.17.0", ("six.py",), 1)
    ujson = Distribution("ujson", "5.0", ("ujson.cpython-311-x86_64-linux-gnu.so",), 1)
    google = Distribution("protobuf", "5.0", ("google/protobuf/__init__.py",), 1)
    first_party = ["numpy.py", "six/__init__.py", "ujson.py", "google/cloud.py", "app/handler.py"]
    assert shadowed_modules(first_party, [numpy, six, ujson, google]) == (
        ShadowedModule("numpy", "numpy.py", numpy, "numpy/"),
        ShadowedModule("six", "six/", six, "six.py"),
        ShadowedModule("ujson", "ujson.py", ujson, "ujson.cpython-311-x86_64-linux-gnu.so"),
    )
