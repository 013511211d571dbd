"""`package` for `lambda_function`: a platform-correct, reproducible Lambda zip."""

from __future__ import annotations

from dataclasses import dataclass

from pants.core.goals.package import BuiltPackage, PackageFieldSet
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.engine.unions import UnionRule
from pants.util.logging import LogLevel

from aws_lambda import assemble_rules, contents_rules, handler_rules, layer_rules
from aws_lambda.assemble_rules import LambdaPackageFieldSet, PackagedLambda, PackageLambdaRequest
from aws_lambda.contents_rules import LambdaContents, LambdaContentsRequest
from aws_lambda.handler_rules import ResolvedLambdaHandler, ValidateLambdaHandlerRequest
from aws_lambda.layer_rules import LambdaLayers, LambdaLayersRequest
from aws_lambda.target_types import (
    LambdaHandlerField,
    LambdaLayersField,
)
from aws_lambda.zip_rules import LambdaZipWriter, LambdaZipWriterRequest


@dataclass(frozen=True)
class LambdaFunctionFieldSet(LambdaPackageFieldSet):
    required_fields = (LambdaHandlerField,)

    handler: LambdaHandlerField
    layers: LambdaLayersField


@rule(desc="Package AWS Lambda function", level=LogLevel.DEBUG)
async def package_lambda_function(field_set: LambdaFunctionFieldSet) -> BuiltPackage:
    handler, layers, contents, writer = await MultiGet(
        Get(
            ResolvedLambdaHandler,
            ValidateLambdaHandlerRequest(field_set.address, field_set.handler),
        ),
        Get(LambdaLayers, LambdaLayersRequest(field_set.layers, field_set.platform_fields)),
        Get(
            LambdaContents,
            LambdaContentsRequest(field_set.platform_fields, field_set.runtime_provided),
        ),
        Get(LambdaZipWriter, LambdaZipWriterRequest, field_set.zip_writer_request),
    )
    packaged = await Get(
        PackagedLambda,
        PackageLambdaRequest,
        field_set.package_request(
            "function",
            contents,
            writer,
            prefix="",
            handler=handler.aws_handler,
            layers=layers.layers,
        ),
    )
    return packaged.built


def rules():
    return (
        *collect_rules(),
        *assemble_rules.rules(),
        *contents_rules.rules(),
        *handler_rules.rules(),
        *layer_rules.rules(),
        UnionRule(PackageFieldSet, LambdaFunctionFieldSet),
    )
