from __future__ import annotations

import json

from aws_lambda.distributions import Distribution, ProvidedDistribution
from aws_lambda.report import LayerSize, PackageReport, ZippedDistribution, ZipSettings
from aws_lambda.scripts.zip_writer import TreeBytes
from aws_lambda.sizes import MB, format_size

NUMPY = Distribution("numpy", "2.2.6", ("numpy/__init__.py",), 60 * MB)
MSGSPEC = Distribution("msgspec", "0.19.0", ("msgspec/__init__.py",), 500_000)
BOTO3 = Distribution("boto3", "1.35.0", ("boto3/__init__.py",), 1_000_000)


def report(**overrides: object) -> PackageReport:
    fields: dict = dict(
        target="src/app:app",
        kind="function",
        runtime="python3.11",
        architecture="x86_64",
        handler="app.handler.handler",
        zipped_size=300_000,
        unzipped_size=800_000,
        file_count=55,
        code_sha256="qZRTI+73OXrjwMHJqOB6UTVlEUPnKPYt+QCxZa1PfxA=",
        distributions=(ZippedDistribution(MSGSPEC, TreeBytes(other=MSGSPEC.size)),),
        settings=ZipSettings(compile_bytecode=True),
        first_party=TreeBytes(other=300_000),
    )
    return PackageReport(**{**fields, **overrides})


def test_json_has_what_deployment_scripts_read() -> None:
    data = json.loads(
        report(
            provided_by_layers=(ProvidedDistribution(NUMPY, "src/layers:science"),),
            runtime_provided=(BOTO3,),
            layers=(LayerSize("src/layers:science", 70 * MB),),
        ).to_json()
    )
    assert data["code_sha256"] == "qZRTI+73OXrjwMHJqOB6UTVlEUPnKPYt+QCxZa1PfxA="
    assert (data["zipped_size"], data["unzipped_size"], data["file_count"]) == (
        300_000,
        800_000,
        55,
    )
    assert data["unzipped_size_with_layers"] == 800_000 + 70 * MB
    assert data["largest_distributions"] == [
        {
            "name": "msgspec",
            "version": "0.19.0",
            "unzipped_size": 500_000,
            "bytecode_size": 0,
            "slimmed_size": 0,
            "kept_for_imports": [],
        }
    ]
    assert data["provided_by_layers"] == [
        {
            "name": "numpy",
            "version": "2.2.6",
            "unzipped_size": 60 * MB,
            "layer": "src/layers:science",
        }
    ]
    assert data["runtime_provided"][0]["name"] == "boto3"


def test_layer_json_leaves_out_function_facts() -> None:
    data = json.loads(report(kind="layer", handler=None).to_json())
    assert not {"handler", "layers", "provided_by_layers", "unzipped_size_with_layers"} & set(data)


def test_log_lines() -> None:
    lines = report(
        provided_by_layers=(ProvidedDistribution(NUMPY, "src/layers:science"),),
        runtime_provided=(BOTO3,),
        layers=(LayerSize("src/layers:science", 70 * MB),),
    ).log_lines()
    assert lines == (
        "    Size: 293.0 KiB zipped, 781.2 KiB unzipped, 55 files",
        "    With layers: 70.8 MiB unzipped of the 250.0 MiB Lambda allows",
        "    Largest: msgspec 0.19.0 (488.3 KiB)",
        "    Left out, provided by src/layers:science: numpy 2.2.6",
        "    Left out, provided by the runtime: boto3 1.35.0",
    )


def test_budget() -> None:
    assert report().budget_error(None) is None
    assert report().budget_error(800_000) is None
    error = report().budget_error(799_999)
    assert error is not None
    assert error.startswith(
        "The function src/app:app is 781.2 KiB unzipped (src/app:app: 781.2 KiB), over its "
        "`max_unzipped_size` of 781.2 KiB. Its 1 distribution takes 488.3 KiB, bytecode "
        "included (msgspec 0.19.0 488.3 KiB), and its first-party code 293.0 KiB."
    )
    assert error.endswith("Drop dependencies or raise `max_unzipped_size`: 1 B must go.")


def scientific(settings: ZipSettings, **zipped: TreeBytes) -> PackageReport:
    """pandas, numpy and pyarrow for python3.11, as they measured before slimming."""
    dists = [
        ZippedDistribution(
            Distribution(name, "1.0", (f"{name}/__init__.py",), 0),
            tree,
            slimmable=TreeBytes(sources=tree.sources // 2, bytecode=tree.bytecode // 2)
            if not settings.slim
            else TreeBytes(),
        )
        for name, tree in zipped.items()
    ]
    first_party = TreeBytes(sources=10_000, bytecode=12_000, other=0)
    return report(
        distributions=tuple(dists),
        settings=settings,
        first_party=first_party,
        unzipped_size=sum(d.size for d in dists) + 22_000,
    )


UNSLIMMED = ZipSettings(compile_bytecode=True, slim=False)
SCIENTIFIC = {
    "pandas": TreeBytes(sources=30 * MB, bytecode=30 * MB, other=11 * MB),
    "numpy": TreeBytes(sources=9 * MB, bytecode=13 * MB, other=47 * MB),
    "pyarrow": TreeBytes(sources=6 * MB, bytecode=5 * MB, other=130 * MB),
}


def test_budget_error_suggests_only_what_fits_with_the_size_it_gives() -> None:
    heavy = scientific(UNSLIMMED, **SCIENTIFIC)
    assert heavy.unzipped_size == 281 * MB + 22_000
    error = heavy.budget_error(None)
    assert error is not None
    assert (
        "Its 3 distributions take 281.0 MiB, bytecode included (pyarrow 1.0 141.0 MiB; pandas "
        "1.0 71.0 MiB; numpy 1.0 69.0 MiB), and its first-party code 21.5 KiB."
    ) in error, "every size has its bytecode in it, and they add up"
    assert "lambda_layer" not in error, "a layer counts against the same limit"
    # Without bytecode: 281 - 48 MiB, and the first-party code's own 12,000 bytes.
    without_bytecode = 233 * MB + 10_000
    # Sourceless: 281 - 45 MiB of third-party sources; first-party code keeps its own.
    sourceless = 236 * MB + 22_000
    # Slimmed: half the sources and bytecode.
    slimmed = int((281 - (45 + 48) / 2) * MB) + 22_000
    assert error.endswith(
        "Any of these would fit it (on the target, with the unzipped size it would give):\n"
        f"  - `compile_bytecode=False`: {format_size(without_bytecode)}\n"
        f"  - `slim=True`: {format_size(slimmed)}\n"
        f'  - `compile_bytecode="sourceless"`: {format_size(sourceless)}'
    )
    assert (
        heavy.unzipped_size_with(ZipSettings(compile_bytecode=False, slim=False))
        == without_bytecode
    )


def test_budget_error_combines_settings_when_none_fits_alone() -> None:
    heavy = scientific(UNSLIMMED, **SCIENTIFIC)
    error = heavy.budget_error(215 * MB)
    assert error is not None
    # Slimming leaves out half the sources, so without bytecode too it saves 48 + 22.5 MiB.
    smallest = int((281 - 48 - 22.5) * MB) + 10_000
    assert error.endswith(
        "Together, these would fit it (on the target, with the unzipped size it would give):\n"
        f"  - `compile_bytecode=False` and `slim=True`: {format_size(smallest)}\n"
        '  - `compile_bytecode="sourceless"` and `slim=True`: 212.0 MiB'
    )
    too_heavy = heavy.budget_error(100 * MB)
    assert too_heavy is not None
    assert too_heavy.endswith(
        "No setting of the target fits it: with every one that makes it smaller "
        '(`compile_bytecode=False`, `compile_bytecode="sourceless"`, `slim=True`), it would '
        f"still be {format_size(smallest)}. Drop dependencies or raise `max_unzipped_size`: "
        f"{format_size(smallest - 100 * MB)} must go."
    )


def test_budget_error_counts_what_excluding_boto3_saves() -> None:
    boto3 = ZippedDistribution(BOTO3, TreeBytes(sources=MB, bytecode=MB, other=0), sdk=True)
    settings = ZipSettings(compile_bytecode=True, include_sdk=True)
    error = report(
        distributions=(boto3,), settings=settings, unzipped_size=2 * MB + 300_000
    ).budget_error(MB)
    assert error is not None
    assert '  - `runtime_provided="exclude"`: 293.0 KiB' in error


def test_layers_count_against_lambdas_own_limit() -> None:
    heavy = report(layers=(LayerSize("src/layers:a", 200 * MB), LayerSize("src/layers:b", 50 * MB)))
    error = heavy.budget_error(None)
    assert error is not None
    assert "is 250.8 MiB unzipped with its layers (src/app:app: 781.2 KiB; src/layers:a: " in error
    assert "over the 250.0 MiB Lambda allows." in error
    assert "raise `max_unzipped_size`" not in error
    # A tighter budget of its own never loosens Lambda's.
    assert heavy.budget_error(250 * MB) == error


def test_upload_warning() -> None:
    assert report(zipped_size=50 * MB).upload_warning() is None
    warning = report(zipped_size=50 * MB + 1).upload_warning()
    assert warning is not None
    assert warning.startswith(
        "The function src/app:app is 50.0 MiB zipped, over the 50.0 MiB that Lambda accepts in "
        "a direct upload. Upload it to S3"
    )
