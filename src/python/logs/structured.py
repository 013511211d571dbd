"""Structured JSON logging shared by every lambda."""

from __future__ import annotations

import structlog


def get_logger(name: str) -> structlog.typing.FilteringBoundLogger:
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            structlog.processors.JSONRenderer(sort_keys=True),
        ],
        cache_logger_on_first_use=True,
    )
    return structlog.get_logger(name)
