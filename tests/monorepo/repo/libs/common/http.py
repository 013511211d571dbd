"""API Gateway proxy events and responses, shared by every lambda."""

from __future__ import annotations

import json
from typing import Any


def json_body(event: dict[str, Any]) -> Any:
    """The request's JSON body: a string from API Gateway, or already decoded in a direct call."""
    body = event.get("body")
    return json.loads(body) if isinstance(body, str) else body


def respond(status: int, body: Any) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(body, sort_keys=True),
    }
