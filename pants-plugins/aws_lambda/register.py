"""AWS Lambda packaging for Python: the `lambda_function` and `lambda_layer` targets."""

from aws_lambda import lockfile, platform_goal, run_rules
from aws_lambda import rules as package_rules
from aws_lambda.target_types import target_types as lambda_target_types


def rules():
    return (
        *package_rules.rules(),
        *run_rules.rules(),
        *lockfile.rules(),
        *platform_goal.rules(),
    )


def target_types():
    return lambda_target_types()
