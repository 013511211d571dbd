"""`package` for `lambda_layer`, and the layers a `lambda_function` runs with."""

from __future__ import annotations

from dataclasses import dataclass

from pants.core.goals.package import BuiltPackage, PackageFieldSet
from pants.engine.addresses import UnparsedAddressInputs
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.engine.target import InvalidFieldException, Targets
from pants.engine.unions import UnionRule
from pants.util.logging import LogLevel
from pants.util.strutil import softwrap

from aws_lambda import assemble_rules, contents_rules
from aws_lambda.assemble_rules import (
    LambdaPackageFieldSet,
    PackagedLambda,
    PackagedLayer,
    PackageLambdaRequest,
)
from aws_lambda.contents_rules import LambdaContents, LambdaContentsRequest, LambdaPlatformFields
from aws_lambda.platform_rules import LambdaPlatform
from aws_lambda.target_types import (
    LambdaIncludeSourcesField,
    LambdaLayerDependenciesField,
    LambdaLayersField,
)
from aws_lambda.zip_rules import LambdaZipWriter, LambdaZipWriterRequest

LAYER_PREFIX = "python/"


@dataclass(frozen=True)
class LambdaLayerFieldSet(LambdaPackageFieldSet):
    required_fields = (LambdaLayerDependenciesField,)

    include_sources: LambdaIncludeSourcesField

    @property
    def contents_request(self) -> LambdaContentsRequest:
        return LambdaContentsRequest(
            self.platform_fields, self.runtime_provided, self.include_sources.value
        )

    def layer_package_request(
        self, contents: LambdaContents, writer: LambdaZipWriter
    ) -> PackageLambdaRequest:
        return self.package_request("layer", contents, writer, prefix=LAYER_PREFIX)


@dataclass(frozen=True)
class LambdaLayersRequest:
    """The `layers` of the function whose platform fields are `function`."""

    layers: LambdaLayersField
    function: LambdaPlatformFields


@dataclass(frozen=True)
class LambdaLayers:
    layers: tuple[PackagedLayer, ...]


class LambdaLayerMismatchError(InvalidFieldException):
    pass


@rule(desc="Package AWS Lambda layer", level=LogLevel.DEBUG)
async def package_lambda_layer(field_set: LambdaLayerFieldSet) -> BuiltPackage:
    contents, writer = await MultiGet(
        Get(LambdaContents, LambdaContentsRequest, field_set.contents_request),
        Get(LambdaZipWriter, LambdaZipWriterRequest, field_set.zip_writer_request),
    )
    packaged = await Get(
        PackagedLambda, PackageLambdaRequest, field_set.layer_package_request(contents, writer)
    )
    return packaged.built


@rule
async def resolve_lambda_layers(request: LambdaLayersRequest) -> LambdaLayers:
    function_address = request.function.address
    targets = await Get(Targets, UnparsedAddressInputs, request.layers.to_unparsed_address_inputs())
    not_layers = [tgt.address for tgt in targets if not LambdaLayerFieldSet.is_applicable(tgt)]
    if not_layers:
        raise InvalidFieldException(
            f"The `{request.layers.alias}` field of the target {function_address} names "
            f"{', '.join(map(str, not_layers))}, which "
            f"{'is not a' if len(not_layers) == 1 else 'are not'} `lambda_layer` target"
            f"{'' if len(not_layers) == 1 else 's'}. List only `lambda_layer` targets there."
        )
    field_sets = [LambdaLayerFieldSet.create(tgt) for tgt in targets]
    function_platform, *layer_platforms = await MultiGet(
        Get(LambdaPlatform, LambdaPlatformFields, fields)
        for fields in (request.function, *(fs.platform_fields for fs in field_sets))
    )
    for field_set, platform in zip(field_sets, layer_platforms):
        _check_same_platform(request.function, function_platform, field_set, platform)
    contents = await MultiGet(
        Get(LambdaContents, LambdaContentsRequest, field_set.contents_request)
        for field_set in field_sets
    )
    writers = await MultiGet(
        Get(LambdaZipWriter, LambdaZipWriterRequest, field_set.zip_writer_request)
        for field_set in field_sets
    )
    # The layers' own zips, bytecode included, count against the function's budget.
    packaged = await MultiGet(
        Get(
            PackagedLambda,
            PackageLambdaRequest,
            field_set.layer_package_request(layer_contents, writer),
        )
        for field_set, layer_contents, writer in zip(field_sets, contents, writers)
    )
    return LambdaLayers(
        tuple(
            PackagedLayer(layer_contents, layer.report.unzipped_size)
            for layer_contents, layer in zip(contents, packaged)
        )
    )


def _check_same_platform(
    function: LambdaPlatformFields,
    function_platform: LambdaPlatform,
    layer: LambdaLayerFieldSet,
    layer_platform: LambdaPlatform,
) -> None:
    if function_platform != layer_platform:
        raise LambdaLayerMismatchError(
            softwrap(
                f"""
                The function {function.address} is built for {function_platform}, but its
                layer {layer.address} is built for {layer_platform}. Lambda runs a function and
                its layers on one platform: set the same `{layer.runtime.alias}` and
                `{layer.architecture.alias}` on both (or in `[lambda]`).
                """
            )
        )
    if function.complete_platforms.value != layer.complete_platforms.value:
        raise LambdaLayerMismatchError(
            softwrap(
                f"""
                The function {function.address} and its layer {layer.address} set different
                `{layer.complete_platforms.alias}`
                ({function.complete_platforms.value or 'none'} and
                {layer.complete_platforms.value or 'none'}). Set the same on both.
                """
            )
        )


def rules():
    return (
        *collect_rules(),
        *contents_rules.rules(),
        *assemble_rules.rules(),
        UnionRule(PackageFieldSet, LambdaLayerFieldSet),
    )
