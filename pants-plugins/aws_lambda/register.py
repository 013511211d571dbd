"""AWS Lambda packaging for Python: the `lambda_function` and `lambda_layer` targets."""

from aws_lambda.goals import generate_lockfiles, lambda_platform, package, run, verify_zip
from aws_lambda.target_types import target_types as lambda_target_types


def rules():
    return (
        *generate_lockfiles.rules(),
        *package.rules(),
        *run.rules(),
        *lambda_platform.rules(),
        *verify_zip.rules(),
    )


def target_types():
    return lambda_target_types()
