"""`package` for `lambda_function` and `lambda_layer`: platform-correct, reproducible zips."""

from __future__ import annotations

from dataclasses import dataclass

from pants.core.goals.package import BuiltPackage, PackageFieldSet
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.engine.unions import UnionRule
from pants.util.logging import LogLevel

from aws_lambda.subsystem import LambdaSettings, LambdaSettingsRequest
from aws_lambda.target_types import LambdaCheckImportsField, LambdaHandlerField, LambdaLayersField
from aws_lambda.util_rules import handler, layers
from aws_lambda.util_rules.assemble import (
    LambdaPackageFieldSet,
    PackagedLambda,
    PackagedLayer,
    PackageLambdaRequest,
    check_runtime_lifecycle,
)
from aws_lambda.util_rules.contents import LambdaContents, LambdaContentsRequest
from aws_lambda.util_rules.handler import ResolvedLambdaHandler, ValidateLambdaHandlerRequest
from aws_lambda.util_rules.layers import FunctionLayers, FunctionLayersRequest, LambdaLayerFieldSet
from aws_lambda.util_rules.zips import ZipInterpreter, ZipInterpreterRequest


@dataclass(frozen=True)
class LambdaFunctionFieldSet(LambdaPackageFieldSet):
    required_fields = (LambdaHandlerField,)

    handler: LambdaHandlerField
    layers: LambdaLayersField
    check_imports: LambdaCheckImportsField


@rule(desc="Package AWS Lambda function", level=LogLevel.DEBUG)
async def package_lambda_function(field_set: LambdaFunctionFieldSet) -> BuiltPackage:
    settings = await Get(LambdaSettings, LambdaSettingsRequest, field_set.settings_request)
    check_runtime_lifecycle(field_set.address, settings.platform.runtime)
    resolved_handler, function_layers, contents, interpreter = await MultiGet(
        Get(ResolvedLambdaHandler, ValidateLambdaHandlerRequest(field_set.handler)),
        Get(
            FunctionLayers,
            FunctionLayersRequest(
                field_set.layers, settings.platform, field_set.complete_platforms
            ),
        ),
        Get(LambdaContents, LambdaContentsRequest, field_set.contents_request(settings)),
        Get(ZipInterpreter, ZipInterpreterRequest, field_set.zip_interpreter_request(settings)),
    )
    packaged = await Get(
        PackagedLambda,
        PackageLambdaRequest,
        field_set.package_request(
            "function",
            settings,
            contents,
            interpreter,
            prefix="",
            handler=resolved_handler.aws_handler,
            layers=function_layers.layers,
            check_imports=field_set.check_imports.value,
        ),
    )
    return packaged.built


@rule
async def package_lambda_layer(field_set: LambdaLayerFieldSet) -> BuiltPackage:
    layer = await Get(PackagedLayer, LambdaLayerFieldSet, field_set)
    return layer.packaged.built


def rules():
    return (
        *collect_rules(),
        *handler.rules(),
        *layers.rules(),
        UnionRule(PackageFieldSet, LambdaFunctionFieldSet),
        UnionRule(PackageFieldSet, LambdaLayerFieldSet),
    )
