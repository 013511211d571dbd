"""`package` for `lambda_function`: a platform-correct, reproducible Lambda zip."""

from __future__ import annotations

from dataclasses import dataclass

from pants.backend.python.target_types import PythonResolveField
from pants.core.goals.package import BuiltPackage, OutputPathField, PackageFieldSet
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.engine.unions import UnionRule
from pants.util.logging import LogLevel

from aws_lambda import assemble_rules, contents_rules, handler_rules, layer_rules
from aws_lambda.assemble_rules import PackagedLambda, PackageLambdaRequest
from aws_lambda.contents_rules import LambdaContents, LambdaContentsRequest, LambdaPlatformFields
from aws_lambda.handler_rules import ResolvedLambdaHandler, ValidateLambdaHandlerRequest
from aws_lambda.layer_rules import LambdaLayers, LambdaLayersRequest
from aws_lambda.target_types import (
    LambdaArchitectureField,
    LambdaCompileBytecodeField,
    LambdaCompletePlatformsField,
    LambdaHandlerField,
    LambdaLayersField,
    LambdaMaxUnzippedSizeField,
    LambdaRuntimeField,
    LambdaRuntimeProvidedField,
)


@dataclass(frozen=True)
class LambdaFunctionFieldSet(PackageFieldSet):
    required_fields = (LambdaHandlerField,)

    handler: LambdaHandlerField
    runtime: LambdaRuntimeField
    architecture: LambdaArchitectureField
    complete_platforms: LambdaCompletePlatformsField
    layers: LambdaLayersField
    runtime_provided: LambdaRuntimeProvidedField
    max_unzipped_size: LambdaMaxUnzippedSizeField
    compile_bytecode: LambdaCompileBytecodeField
    output_path: OutputPathField
    resolve: PythonResolveField

    @property
    def platform_fields(self) -> LambdaPlatformFields:
        return LambdaPlatformFields(
            self.address, self.runtime, self.architecture, self.complete_platforms, self.resolve
        )


@rule(desc="Package AWS Lambda function", level=LogLevel.DEBUG)
async def package_lambda_function(field_set: LambdaFunctionFieldSet) -> BuiltPackage:
    handler, layers, contents = await MultiGet(
        Get(
            ResolvedLambdaHandler,
            ValidateLambdaHandlerRequest(field_set.address, field_set.handler),
        ),
        Get(LambdaLayers, LambdaLayersRequest(field_set.layers, field_set.platform_fields)),
        Get(
            LambdaContents,
            LambdaContentsRequest(field_set.platform_fields, field_set.runtime_provided),
        ),
    )
    packaged = await Get(
        PackagedLambda,
        PackageLambdaRequest(
            kind="function",
            contents=contents,
            output_file=field_set.output_path.value_or_default(file_ending="zip"),
            prefix="",
            max_unzipped_size=field_set.max_unzipped_size.value,
            compile_bytecode=field_set.compile_bytecode.value,
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
