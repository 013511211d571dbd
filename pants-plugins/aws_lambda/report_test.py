from __future__ import annotations

import json

from aws_lambda.distributions import Distribution, ProvidedDistribution
from aws_lambda.report import LayerSize, PackageReport
from aws_lambda.sizes import MB

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
        distributions=(MSGSPEC,),
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
        {"name": "msgspec", "version": "0.19.0", "unzipped_size": 500_000}
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
        "`max_unzipped_size` of 781.2 KiB. Its largest distributions: msgspec 0.19.0 (488.3 KiB)."
    )
    assert error.endswith("or raise `max_unzipped_size`.")


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
