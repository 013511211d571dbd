"""What a packaged Lambda zip holds, as log lines and as the `<zip>.metadata.json` beside it."""

from __future__ import annotations

import dataclasses
import itertools
import json
from dataclasses import dataclass
from typing import Optional

from aws_lambda.distributions import Distribution, ProvidedDistribution
from aws_lambda.scripts.zip_writer import TreeBytes
from aws_lambda.sizes import DIRECT_UPLOAD_LIMIT, UNZIPPED_LIMIT, format_size, largest


@dataclass(frozen=True)
class LayerSize:
    address: str
    unzipped_size: int
    distribution_sizes: tuple[tuple[str, int], ...] = ()  # (key, size) as the layer zips it.


@dataclass(frozen=True)
class ZipSettings:
    """The settings that decide how large a zip of the same code is."""

    compile_bytecode: bool
    sourceless: bool = False
    slim: bool = True
    include_sdk: bool = False  # `runtime_provided="include"`, with boto3 in the zip.


def _tree_size(tree: TreeBytes, settings: ZipSettings, first_party: bool = False) -> int:
    """The size of a tree measured as built, as `settings` would build it (never more bytecode)."""
    sources = tree.sources if first_party or not settings.sourceless else 0
    return tree.other + sources + (tree.bytecode if settings.compile_bytecode else 0)


@dataclass(frozen=True)
class ZippedDistribution:
    """A distribution as a zip holds it: every byte it adds, its bytecode included."""

    distribution: Distribution
    tree: TreeBytes
    slimmed_size: int = 0
    slimmable: TreeBytes = TreeBytes()  # Measured when slimming was off.
    kept_for_imports: tuple[str, ...] = ()
    sdk: bool = False  # In boto3's closure, which every Lambda runtime provides.

    @property
    def key(self) -> str:
        return self.distribution.key

    @property
    def size(self) -> int:
        return self.tree.sources + self.tree.bytecode + self.tree.other

    def size_with(self, settings: ZipSettings) -> int:
        if self.sdk and not settings.include_sdk:
            return 0
        slimmed = _tree_size(self.slimmable, settings) if settings.slim else 0
        return _tree_size(self.tree, settings) - slimmed

    def __str__(self) -> str:
        return str(self.distribution)


@dataclass(frozen=True)
class PackageReport:
    """The facts about one packaged zip that people and deployment scripts ask for."""

    target: str
    kind: str
    runtime: str
    architecture: str
    handler: Optional[str]
    zipped_size: int
    unzipped_size: int
    file_count: int
    code_sha256: str
    distributions: tuple[ZippedDistribution, ...]
    settings: ZipSettings
    first_party: TreeBytes = TreeBytes()
    provided_by_layers: tuple[ProvidedDistribution, ...] = ()
    runtime_provided: tuple[Distribution, ...] = ()
    layers: tuple[LayerSize, ...] = ()

    @property
    def unzipped_size_with_layers(self) -> int:
        return self.unzipped_size + sum(layer.unzipped_size for layer in self.layers)

    def to_json(self) -> str:
        report: dict[str, object] = {
            "target": self.target,
            "kind": self.kind,
            "runtime": self.runtime,
            "architecture": self.architecture,
            "handler": self.handler,
            "zipped_size": self.zipped_size,
            "unzipped_size": self.unzipped_size,
            "unzipped_size_with_layers": self.unzipped_size_with_layers,
            "file_count": self.file_count,
            "code_sha256": self.code_sha256,
            "bytecode_size": self.bytecode_size,
            "slimmed_size": sum(dist.slimmed_size for dist in self.distributions),
            "largest_distributions": [_zipped_json(d) for d in largest(self.distributions)],
            "distributions": [_zipped_json(dist) for dist in self.distributions],
            "layers": [
                {"target": layer.address, "unzipped_size": layer.unzipped_size}
                for layer in self.layers
            ],
            "provided_by_layers": [
                _dist_json(p.distribution, unzipped_size=self._in_layer(p), layer=p.provider)
                for p in self.provided_by_layers
            ],
            "runtime_provided": [_dist_json(dist) for dist in self.runtime_provided],
        }
        if self.kind == "layer":
            del report["handler"], report["layers"], report["provided_by_layers"]
            del report["unzipped_size_with_layers"]
        return json.dumps(report, indent=2) + "\n"

    def log_lines(self) -> tuple[str, ...]:
        lines = [
            f"    Size: {format_size(self.zipped_size)} zipped, "
            f"{format_size(self.unzipped_size)} unzipped, {self.file_count} files"
        ]
        if self.layers:
            lines.append(
                f"    With layers: {format_size(self.unzipped_size_with_layers)} unzipped "
                f"of the {format_size(UNZIPPED_LIMIT)} Lambda allows"
            )
        if self.distributions:
            lines.append(
                "    Largest: "
                + ", ".join(
                    f"{dist} ({format_size(dist.size)})" for dist in largest(self.distributions)
                )
            )
        slimmed = [dist for dist in self.distributions if dist.slimmed_size]
        if slimmed:
            lines.append(
                f"    Slimmed: {format_size(sum(d.slimmed_size for d in slimmed))} left out of "
                f"{len(slimmed)} distribution(s) (per distribution in the .metadata.json)"
            )
        kept = [path for dist in self.distributions for path in dist.kept_for_imports]
        if kept:
            lines.append(f"    Kept, as kept modules import them: {', '.join(kept)}")
        providers = sorted({provided.provider for provided in self.provided_by_layers})
        for provider in providers:
            names = [str(p.distribution) for p in self.provided_by_layers if p.provider == provider]
            lines.append(f"    Left out, provided by {provider}: {', '.join(names)}")
        if self.runtime_provided:
            provided = ", ".join(str(dist) for dist in self.runtime_provided)
            lines.append(f"    Left out, provided by the runtime: {provided}")
        return tuple(lines)

    def upload_warning(self) -> Optional[str]:
        """Why this zip cannot be uploaded directly, if it is too large for that."""
        if self.zipped_size <= DIRECT_UPLOAD_LIMIT:
            return None
        return (
            f"The {self.kind} {self.target} is {format_size(self.zipped_size)} zipped, over the "
            f"{format_size(DIRECT_UPLOAD_LIMIT)} that Lambda accepts in a direct upload. Upload "
            "it to S3 and deploy it from there (e.g. `aws lambda update-function-code "
            "--s3-bucket ... --s3-key ...`), or move large distributions into a `lambda_layer`."
        )

    def _in_layer(self, provided: ProvidedDistribution) -> int:
        """What a distribution that a layer provides takes in the layer's zip."""
        for layer in self.layers:
            sizes = dict(layer.distribution_sizes)
            if layer.address == provided.provider and provided.distribution.key in sizes:
                return sizes[provided.distribution.key]
        return provided.distribution.size

    @property
    def bytecode_size(self) -> int:
        return self.first_party.bytecode + sum(dist.tree.bytecode for dist in self.distributions)

    def unzipped_size_with(self, settings: ZipSettings) -> int:
        """The unzipped size with its layers, were the zip built with `settings`."""
        change = _tree_size(self.first_party, settings, first_party=True) - _tree_size(
            self.first_party, self.settings, first_party=True
        )
        change += sum(
            d.size_with(settings) - d.size_with(self.settings) for d in self.distributions
        )
        return self.unzipped_size_with_layers + change

    def budget_error(self, max_unzipped_size: Optional[int]) -> Optional[str]:
        """Why this zip (with its layers) is over its unzipped budget, if it is, and what fits."""
        total = self.unzipped_size_with_layers
        budget = min(UNZIPPED_LIMIT, max_unzipped_size or UNZIPPED_LIMIT)
        if total <= budget:
            return None
        what = "with its layers " if self.layers else ""
        parts = [f"{self.target}: {format_size(self.unzipped_size)}"] + [
            f"{layer.address}: {format_size(layer.unzipped_size)}" for layer in self.layers
        ]
        limit = (
            f"its `max_unzipped_size` of {format_size(budget)}"
            if budget < UNZIPPED_LIMIT
            else f"the {format_size(UNZIPPED_LIMIT)} Lambda allows"
        )
        shown = largest(self.distributions)
        dists = "; ".join(f"{dist} {format_size(dist.size)}" for dist in shown)
        first_party = _tree_size(self.first_party, self.settings, first_party=True)
        which = "the largest: " if len(shown) < len(self.distributions) else ""
        count = len(self.distributions)
        contents = (
            f"Its {count} distribution{'s take' if count != 1 else ' takes'} "
            f"{format_size(sum(d.size for d in self.distributions))}, bytecode included "
            f"({which}{dists}), and its first-party code {format_size(first_party)}."
        )
        return "\n\n".join(
            [
                f"The {self.kind} {self.target} is {format_size(total)} unzipped {what}"
                f"({'; '.join(parts)}), over {limit}. {contents}",
                self._fixes(budget),
            ]
        )

    def _fixes(self, budget: int) -> str:
        """The settings that would bring the zip within `budget`, with the size each gives."""
        levers = self._levers()
        for count in range(1, len(levers) + 1):
            fitting = []
            for combination in itertools.combinations(levers, count):
                changes: dict[str, object] = {}
                for _, change in combination:
                    changes.update(change)
                if changes.get("sourceless") and not changes.get("compile_bytecode", True):
                    continue  # Sourceless bytecode is bytecode.
                size = self.unzipped_size_with(dataclasses.replace(self.settings, **changes))
                if size <= budget:
                    fitting.append((size, " and ".join(fix for fix, _ in combination)))
            if fitting:
                intro = (
                    "Any of these would fit it" if count == 1 else "Together, these would fit it"
                )
                fits = "\n".join(f"  - {fix}: {format_size(size)}" for size, fix in sorted(fitting))
                return f"{intro} (on the target, with the unzipped size it would give):\n{fits}"
        raise_it = " or raise `max_unzipped_size`" if budget < UNZIPPED_LIMIT else ""
        all_changes = {key: value for _, change in levers for key, value in change.items()}
        all_changes["sourceless"] = False
        smallest = self.unzipped_size_with(dataclasses.replace(self.settings, **all_changes))
        return (
            f"No setting of the target fits it: with every one that makes it smaller "
            f"({', '.join(fix for fix, _ in levers) or 'none apply'}), it would still be "
            f"{format_size(smallest)}. Drop dependencies{raise_it}: "
            f"{format_size(smallest - budget)} must go."
        )

    def _levers(self) -> list[tuple[str, dict[str, object]]]:
        settings = self.settings
        levers: list[tuple[str, dict[str, object]]] = []
        if settings.compile_bytecode:
            levers.append(
                ("`compile_bytecode=False`", {"compile_bytecode": False, "sourceless": False})
            )
        if settings.compile_bytecode and not settings.sourceless:
            levers.append(('`compile_bytecode="sourceless"`', {"sourceless": True}))
        if not settings.slim and any(_tree_size(d.slimmable, settings) for d in self.distributions):
            levers.append(("`slim=True`", {"slim": True}))
        if settings.include_sdk and any(dist.sdk for dist in self.distributions):
            levers.append(('`runtime_provided="exclude"`', {"include_sdk": False}))
        return levers


def _zipped_json(dist: ZippedDistribution) -> dict[str, object]:
    return _dist_json(
        dist.distribution,
        unzipped_size=dist.size,
        bytecode_size=dist.tree.bytecode,
        slimmed_size=dist.slimmed_size,
        kept_for_imports=list(dist.kept_for_imports),
    )


def _dist_json(dist: Distribution, **extra: object) -> dict[str, object]:
    return {"name": dist.name, "version": dist.version, "unzipped_size": dist.size, **extra}
