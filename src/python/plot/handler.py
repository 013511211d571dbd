"""Renders a small PNG chart and returns it base64-encoded."""

from __future__ import annotations

import base64
import io
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from logs.structured import get_logger  # noqa: E402

log = get_logger(__name__)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    values = event.get("values", [1, 3, 2, 4])
    figure, axes = plt.subplots(figsize=(2, 2), dpi=50)
    axes.plot(values)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    png = buffer.getvalue()
    log.info("plot", points=len(values), png_bytes=len(png))
    return {"size": len(png), "png_base64": base64.b64encode(png).decode("ascii")}
