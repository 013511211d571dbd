"""Package a `lambda_layer`, and the layers a `lambda_function` runs with."""

from __future__ import annotations

from dataclasses import dataclass

from pants.engine.addresses import Addresses, UnparsedAddressInputs
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.engine.target import AllTargets, InvalidFieldException, Targets
from pants.util.logging import LogLevel
from pants.util.strutil import softwrap

from aws_lambda import subsystem
from aws_lambda.runtimes import LambdaPlatform
from aws_lambda.subsystem import LambdaSettings, LambdaSettingsRequest
from aws_lambda.target_types import (
    LambdaCompletePlatformsField,
    LambdaIncludeSourcesField,
    LambdaLayerDependenciesField,
    LambdaLayersField,
)
from aws_lambda.util_rules import assemble, contents
from aws_lambda.util_rules.assemble import (
    LambdaPackageFieldSet,
    PackagedLambda,
    PackagedLayer,
    PackageLambdaRequest,
    check_runtime_lifecycle,
)
from aws_lambda.util_rules.contents import LambdaContents, LambdaContentsRequest
from aws_lambda.util_rules.platform import LambdaLockfileStaleError
from aws_lambda.util_rules.zips import ZipInterpreter, ZipInterpreterRequest

LAYER_PREFIX = "python/"


class LambdaLayerMismatchError(InvalidFieldException):
    pass


@dataclass(frozen=True)
class LambdaLayerFieldSet(LambdaPackageFieldSet):
    required_fields = (LambdaLayerDependenciesField,)

    include_sources: LambdaIncludeSourcesField


@dataclass(frozen=True)
class FunctionLayersRequest:
    """The `layers` of a function built for `platform` with its `complete_platforms`."""

    layers: LambdaLayersField
    platform: LambdaPlatform
    complete_platforms: LambdaCompletePlatformsField


@dataclass(frozen=True)
class FunctionLayers:
    layers: tuple[PackagedLayer, ...]


@dataclass(frozen=True)
class LayerPlatformRequest:
    layer: LambdaLayerFieldSet
    platform: LambdaPlatform


@dataclass(frozen=True)
class LayerMatchesItsFunctions:
    pass


@rule(desc="Package AWS Lambda layer", level=LogLevel.DEBUG)
async def build_lambda_layer(field_set: LambdaLayerFieldSet) -> PackagedLayer:
    settings = await Get(LambdaSettings, LambdaSettingsRequest, field_set.settings_request)
    check_runtime_lifecycle(field_set.address, settings.platform.runtime)
    try:
        layer_contents, interpreter = await MultiGet(
            Get(
                LambdaContents,
                LambdaContentsRequest,
                field_set.contents_request(settings, field_set.include_sources.value),
            ),
            Get(ZipInterpreter, ZipInterpreterRequest, field_set.zip_interpreter_request(settings)),
        )
    except LambdaLockfileStaleError:
        # A layer whose platform was never locked is more likely on the wrong platform.
        await Get(LayerMatchesItsFunctions, LayerPlatformRequest(field_set, settings.platform))
        raise
    packaged = await Get(
        PackagedLambda,
        PackageLambdaRequest,
        field_set.package_request(
            "layer", settings, layer_contents, interpreter, prefix=LAYER_PREFIX
        ),
    )
    return PackagedLayer(layer_contents, packaged)


@rule
async def check_layer_matches_its_functions(
    request: LayerPlatformRequest, all_targets: AllTargets
) -> LayerMatchesItsFunctions:
    """Check that every function that uses the layer is built for the layer's platform."""
    functions = [tgt for tgt in all_targets if tgt.has_field(LambdaLayersField)]
    layers_of_functions = await MultiGet(
        Get(Addresses, UnparsedAddressInputs, tgt[LambdaLayersField].to_unparsed_address_inputs())
        for tgt in functions
    )
    settings_of_functions = await MultiGet(
        Get(LambdaSettings, LambdaSettingsRequest, LambdaSettingsRequest.for_target(tgt))
        for tgt in functions
    )
    for tgt, layers, settings in zip(functions, layers_of_functions, settings_of_functions):
        if request.layer.address in layers:
            function = FunctionLayersRequest(
                tgt[LambdaLayersField], settings.platform, tgt[LambdaCompletePlatformsField]
            )
            _check_same_platform(function, request.layer, request.platform)
    return LayerMatchesItsFunctions()


@rule
async def package_function_layers(request: FunctionLayersRequest) -> FunctionLayers:
    function_address = request.layers.address
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
    layer_settings = await MultiGet(
        Get(LambdaSettings, LambdaSettingsRequest, field_set.settings_request)
        for field_set in field_sets
    )
    for field_set, settings in zip(field_sets, layer_settings):
        _check_same_platform(request, field_set, settings.platform)
    # The layers' own zips, bytecode included, count against the function's budget.
    packaged = await MultiGet(
        Get(PackagedLayer, LambdaLayerFieldSet, field_set) for field_set in field_sets
    )
    return FunctionLayers(packaged)


def _check_same_platform(
    function: FunctionLayersRequest, layer: LambdaLayerFieldSet, layer_platform: LambdaPlatform
) -> None:
    function_address = function.layers.address
    if function.platform != layer_platform:
        raise LambdaLayerMismatchError(
            softwrap(
                f"""
                The function {function_address} is built for {function.platform}, but its
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
                The function {function_address} and its layer {layer.address} set different
                `{layer.complete_platforms.alias}`
                ({function.complete_platforms.value or 'none'} and
                {layer.complete_platforms.value or 'none'}). Set the same on both.
                """
            )
        )


def rules():
    return (*collect_rules(), *assemble.rules(), *contents.rules(), *subsystem.rules())
