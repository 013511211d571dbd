"""Echoes the message of an event, decoded into a typed struct."""

from __future__ import annotations

from typing import Any

import msgspec

from logs.structured import get_logger

log = get_logger(__name__)


class Event(msgspec.Struct):
    message: str


def handler(event: dict[str, Any], context: Any) -> dict[str, str]:
    decoded = msgspec.convert(event, Event)
    log.info("echo", message=decoded.message)
    return {"message": decoded.message}
