"""Validate an order with pydantic v2."""

import pydantic
from common.http import json_body, respond
from pydantic import BaseModel, Field, ValidationError


class Order(BaseModel):
    sku: str = Field(pattern=r"^[A-Z]{3}-\d{4}$")
    quantity: int = Field(gt=0)
    unit_price_cents: int = Field(ge=0)


def handler(event, context):
    try:
        order = Order.model_validate(json_body(event))
    except ValidationError as error:
        return respond(422, {"invalid": [".".join(map(str, e["loc"])) for e in error.errors()]})
    total = order.quantity * order.unit_price_cents
    body = {"order": order.model_dump(), "total_cents": total, "pydantic": pydantic.VERSION}
    return respond(200, body)
