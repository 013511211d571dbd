"""What a packaged Lambda zip holds, as log lines and as the `<zip>.metadata.json` beside it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Optional

from aws_lambda.distributions import Distribution, ProvidedDistribution
from aws_lambda.sizes import DIRECT_UPLOAD_LIMIT, UNZIPPED_LIMIT, format_size, largest


@dataclass(frozen=True)
class LayerSize:
    address: str
    unzipped_size: int


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
    distributions: tuple[Distribution, ...]
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
            "largest_distributions": [_dist_json(dist) for dist in largest(self.distributions)],
            "distributions": [_dist_json(dist) for dist in self.distributions],
            "layers": [
                {"target": layer.address, "unzipped_size": layer.unzipped_size}
                for layer in self.layers
            ],
            "provided_by_layers": [
                _dist_json(provided.distribution, layer=provided.provider)
                for provided in self.provided_by_layers
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

    def budget_error(self, max_unzipped_size: Optional[int]) -> Optional[str]:
        """Why this zip (with its layers) is over its unzipped budget, if it is."""
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
        largest_dists = ", ".join(
            f"{dist} ({format_size(dist.size)})" for dist in largest(self.distributions)
        )
        return (
            f"The {self.kind} {self.target} is {format_size(total)} unzipped {what}"
            f"({'; '.join(parts)}), over {limit}. Its largest distributions: "
            f"{largest_dists or 'none'}. Move large distributions into a `lambda_layer`, set "
            '`runtime_provided="exclude"` to leave out boto3, or drop dependencies'
            + (", or raise `max_unzipped_size`." if budget < UNZIPPED_LIMIT else ".")
        )


def _dist_json(dist: Distribution, **extra: object) -> dict[str, object]:
    return {"name": dist.name, "version": dist.version, "unzipped_size": dist.size, **extra}
