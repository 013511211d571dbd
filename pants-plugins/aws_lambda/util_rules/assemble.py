"""Turn a Lambda target's contents into its zip and `<zip>.metadata.json`, within its budget.

For a function with layers, everything a layer provides is left out first.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Optional

from pants.backend.python.target_types import PythonResolveField
from pants.core.goals.package import (
    BuiltPackage,
    BuiltPackageArtifact,
    OutputPathField,
    PackageFieldSet,
)
from pants.engine.addresses import Address
from pants.engine.fs import CreateDigest, Digest, DigestEntries, FileContent, MergeDigests
from pants.engine.rules import Get, collect_rules, rule
from pants.engine.target import AllTargets, InvalidFieldException
from pants.util.frozendict import FrozenDict
from pants.util.strutil import softwrap

from aws_lambda.distributions import (
    Distribution,
    ProvidedDistribution,
    match_provided,
    shadowed_modules,
)
from aws_lambda.report import LayerSize, PackageReport, ZippedDistribution, ZipSettings
from aws_lambda.runtimes import RUNTIME_MODULES, LambdaRuntime, runtime_lifecycle_warning
from aws_lambda.scripts.shared import top_level_module
from aws_lambda.scripts.zip_writer import FirstPartyCheck
from aws_lambda.subsystem import LambdaSettings, LambdaSettingsRequest
from aws_lambda.target_types import (
    LambdaArchitectureField,
    LambdaCompileBytecodeField,
    LambdaCompletePlatformsField,
    LambdaMaxUnzippedSizeField,
    LambdaRuntimeField,
    LambdaRuntimeProvidedField,
    LambdaSlimField,
    RuntimeProvided,
)
from aws_lambda.util_rules import zips
from aws_lambda.util_rules.contents import LambdaContents, LambdaContentsRequest
from aws_lambda.util_rules.zips import (
    BuildLambdaZipRequest,
    BuiltLambdaZip,
    ZipInterpreter,
    ZipInterpreterRequest,
)

logger = logging.getLogger(__name__)


class LambdaLayerConflictError(Exception):
    pass


class LambdaSizeBudgetError(Exception):
    pass


class LambdaPathCollisionError(Exception):
    pass


class LambdaOutputPathCollisionError(InvalidFieldException):
    pass


@dataclass(frozen=True)
class LambdaOutputPaths:
    """The targets that write each Lambda zip path, to refuse two that write one."""

    targets: FrozenDict[str, tuple[Address, ...]]


@rule
def find_lambda_output_paths(all_targets: AllTargets) -> LambdaOutputPaths:
    targets = defaultdict(list)
    for tgt in all_targets:
        if tgt.has_fields((LambdaRuntimeField, OutputPathField)):
            targets[tgt[OutputPathField].value_or_default(file_ending="zip")].append(tgt.address)
    return LambdaOutputPaths(FrozenDict((path, tuple(t)) for path, t in targets.items()))


@dataclass(frozen=True)
class PackageLambdaRequest:
    kind: str
    settings: LambdaSettings
    contents: LambdaContents
    output_file: str
    prefix: str
    max_unzipped_size: Optional[int]
    interpreter: ZipInterpreter
    handler: Optional[str] = None
    layers: tuple[PackagedLayer, ...] = ()
    check_imports: bool = False


@dataclass(frozen=True)
class PackagedLambda:
    built: BuiltPackage
    report: PackageReport


@dataclass(frozen=True)
class PackagedLayer:
    """A layer's zip, and what it holds: the functions that use it leave that out."""

    contents: LambdaContents
    packaged: PackagedLambda


@dataclass(frozen=True)
class LambdaPackageFieldSet(PackageFieldSet):
    """The fields that `lambda_function` and `lambda_layer` share."""

    runtime: LambdaRuntimeField
    architecture: LambdaArchitectureField
    complete_platforms: LambdaCompletePlatformsField
    resolve: PythonResolveField
    runtime_provided: LambdaRuntimeProvidedField
    compile_bytecode: LambdaCompileBytecodeField
    slim: LambdaSlimField
    max_unzipped_size: LambdaMaxUnzippedSizeField
    output_path: OutputPathField

    @property
    def settings_request(self) -> LambdaSettingsRequest:
        return LambdaSettingsRequest(
            runtime=self.runtime.value,
            architecture=self.architecture.value,
            runtime_provided=self.runtime_provided.value,
            compile_bytecode=self.compile_bytecode.value,
            slim=self.slim.value,
        )

    def contents_request(
        self, settings: LambdaSettings, include_sources: bool = True
    ) -> LambdaContentsRequest:
        return LambdaContentsRequest(
            self.address, settings, self.complete_platforms, self.resolve, include_sources
        )

    def zip_interpreter_request(self, settings: LambdaSettings) -> ZipInterpreterRequest:
        compile_for = (
            settings.platform.runtime.python_version if settings.compile_bytecode else None
        )
        return ZipInterpreterRequest(self.address, compile_for)

    def package_request(
        self,
        kind: str,
        settings: LambdaSettings,
        contents: LambdaContents,
        interpreter: ZipInterpreter,
        prefix: str,
        handler: Optional[str] = None,
        layers: tuple[PackagedLayer, ...] = (),
        check_imports: bool = False,
    ) -> PackageLambdaRequest:
        return PackageLambdaRequest(
            kind=kind,
            settings=settings,
            contents=contents,
            output_file=self.output_path.value_or_default(file_ending="zip"),
            prefix=prefix,
            max_unzipped_size=self.max_unzipped_size.value,
            interpreter=interpreter,
            handler=handler,
            layers=layers,
            check_imports=check_imports,
        )


def check_runtime_lifecycle(address: Address, runtime: LambdaRuntime) -> None:
    """Warn once about a deprecated runtime; fail for one whose functions AWS blocks updating."""
    warning = runtime_lifecycle_warning(runtime, date.today(), f"The target {address}")
    if warning:
        logger.warning(warning)


def _check_no_source_shadows_a_dependency(contents: LambdaContents) -> None:
    owners = {path: dist for dist in contents.distributions for path in dist.files}
    for entry in contents.source_files:
        if entry.path in owners:
            raise LambdaPathCollisionError(
                softwrap(
                    f"""
                    The first-party file {entry.path} of {contents.address} has the same path
                    as a file of the distribution {owners[entry.path]}, so one would shadow the
                    other in the zip. Rename the first-party module, or drop the dependency.
                    """
                )
            )
    paths = [entry.path for entry in contents.source_files]
    for shadowed in shadowed_modules(paths, contents.distributions):
        raise LambdaPathCollisionError(
            softwrap(
                f"""
                The first-party {_what(shadowed.first_party)} of {contents.address} and the
                {_what(shadowed.distribution_path)} of the distribution {shadowed.distribution}
                are both the module `{shadowed.name}` at the root of the zip, so one shadows the
                other when the code imports `{shadowed.name}`. Rename the first-party module, or
                drop the dependency.
                """
            )
        )


def _what(path: str) -> str:
    return f"package {path}" if path.endswith("/") else f"module {path}"


def _layer_provisions(
    contents: LambdaContents, layers: tuple[LambdaContents, ...]
) -> tuple[tuple[ProvidedDistribution, ...], frozenset[str]]:
    """The distributions and first-party paths of `contents` that `layers` provide."""
    provided, conflicts = match_provided(
        contents.distributions,
        [(str(layer.address), layer.distributions) for layer in layers],
    )
    if conflicts:
        raise LambdaLayerConflictError(
            "\n".join(
                softwrap(
                    f"""
                    The function {contents.address} needs {conflict.name}
                    {conflict.needed_version}, but its layer {conflict.provider} provides
                    {conflict.name} {conflict.provided_version}, which would shadow it at run
                    time. Use one version in both, e.g. by putting them in the same resolve.
                    """
                )
                for conflict in conflicts
            )
        )
    layer_sources = {entry.path: (layer, entry) for layer in layers for entry in layer.source_files}
    provided_paths = set()
    for entry in contents.source_files:
        if entry.path not in layer_sources:
            continue
        layer, layer_entry = layer_sources[entry.path]
        if layer_entry.file_digest != entry.file_digest:
            raise LambdaLayerConflictError(
                softwrap(
                    f"""
                    The function {contents.address} and its layer {layer.address} both have
                    the first-party file {entry.path}, with different content. Rename one of
                    them, or let the function use the layer's.
                    """
                )
            )
        provided_paths.add(entry.path)
    return provided, frozenset(provided_paths)


def _provided_modules(
    layers: tuple[PackagedLayer, ...], runtime_provided: tuple[Distribution, ...]
) -> tuple[str, ...]:
    """The top-level modules that a function's layers and its runtime provide."""
    paths = [
        *(path for dist in runtime_provided for path in dist.files),
        *(path for layer in layers for dist in layer.contents.distributions for path in dist.files),
        *(entry.path for layer in layers for entry in layer.contents.source_files),
    ]
    modules = {module for module in map(top_level_module, paths) if module}
    return tuple(sorted(modules | set(RUNTIME_MODULES)))


@rule
async def package_lambda(
    request: PackageLambdaRequest, output_paths: LambdaOutputPaths
) -> PackagedLambda:
    contents = request.contents
    others = [a for a in output_paths.targets.get(request.output_file, ()) if a != contents.address]
    if others:
        raise LambdaOutputPathCollisionError(
            softwrap(
                f"""
                The target {contents.address} writes its zip to {request.output_file}, and so
                does {', '.join(map(str, others))}: one would overwrite the other in `dist/`.
                Set another `{OutputPathField.alias}` on one of them, or leave it unset to
                write to a path named after the target.
                """
            )
        )
    _check_no_source_shadows_a_dependency(contents)
    provided, provided_paths = _layer_provisions(
        contents, tuple(layer.contents for layer in request.layers)
    )
    provided_dists = {p.distribution for p in provided}
    dependencies = tuple(
        dist for dist in contents.dependencies if dist.distribution not in provided_dists
    )
    sources = contents.sources
    if provided_paths:
        source_entries = await Get(DigestEntries, Digest, sources)
        sources = await Get(
            Digest,
            CreateDigest(entry for entry in source_entries if entry.path not in provided_paths),
        )

    first_party = FirstPartyCheck(
        contents.platform.runtime.python_version,
        request.check_imports,
        _provided_modules(request.layers, contents.runtime_provided),
    )
    settings = request.settings
    built_zip = await Get(
        BuiltLambdaZip,
        BuildLambdaZipRequest(
            address=contents.address,
            platform=contents.platform,
            dependencies=dependencies,
            sources=sources,
            first_party=first_party,
            prefix=request.prefix,
            output_file=request.output_file,
            interpreter=request.interpreter,
            slim=settings.slim,
            sourceless=settings.sourceless,
        ),
    )
    lambda_zip = built_zip.zip
    include_sdk = settings.runtime_provided is RuntimeProvided.include
    report = PackageReport(
        target=str(contents.address),
        kind=request.kind,
        runtime=contents.platform.runtime.value,
        architecture=contents.platform.architecture.value,
        handler=request.handler,
        zipped_size=lambda_zip.zipped_size,
        unzipped_size=lambda_zip.unzipped_size,
        file_count=lambda_zip.file_count,
        code_sha256=lambda_zip.sha256_base64,
        distributions=tuple(
            ZippedDistribution(
                dist,
                dist_zip.tree,
                dist_zip.slimmed_size,
                dist_zip.slimmable,
                dist_zip.kept_for_imports,
                sdk=dist.key in contents.sdk,
            )
            for dist, dist_zip in built_zip.dependencies
        ),
        settings=ZipSettings(
            compile_bytecode=settings.compile_bytecode,
            sourceless=settings.sourceless,
            slim=settings.slim is not None,
            include_sdk=include_sdk,
        ),
        first_party=lambda_zip.tree,
        provided_by_layers=provided,
        runtime_provided=contents.runtime_provided,
        layers=tuple(
            LayerSize(
                str(layer.contents.address),
                layer.packaged.report.unzipped_size,
                tuple((d.key, d.size) for d in layer.packaged.report.distributions),
            )
            for layer in request.layers
        ),
    )
    budget_error = report.budget_error(request.max_unzipped_size)
    if budget_error:
        raise LambdaSizeBudgetError(budget_error)
    upload_warning = report.upload_warning()
    if upload_warning:
        logger.warning(upload_warning)

    report_file = f"{request.output_file}.metadata.json"
    report_digest = await Get(
        Digest, CreateDigest([FileContent(report_file, report.to_json().encode())])
    )
    digest = await Get(Digest, MergeDigests([lambda_zip.digest, report_digest]))
    handler_lines = (f"    Handler: {request.handler}",) if request.handler else ()
    built = BuiltPackage(
        digest=digest,
        artifacts=(
            BuiltPackageArtifact(
                request.output_file,
                extra_log_lines=(
                    *handler_lines,
                    contents.platform_log_line,
                    *report.log_lines(),
                ),
            ),
            BuiltPackageArtifact(report_file),
        ),
    )
    return PackagedLambda(built, report)


def rules():
    return (*collect_rules(), *zips.rules())
