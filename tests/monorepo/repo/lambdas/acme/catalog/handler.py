"""The `acme.catalog` portion of the `acme` namespace package, using the `acme.pricing` one."""

import acme  # pants: no-infer-dep (a namespace package has no file to own it)
import orjson
from acme.pricing.discounts import discounted


def handler(event, context):
    percent = event["discount_percent"]
    prices = {sku: discounted(cents, percent) for sku, cents in event["prices"].items()}
    body = {
        "prices": prices,
        # PEP 420: a namespace package has no `__init__.py`, so no file of its own.
        "acme_is_a_namespace": getattr(acme, "__file__", None) is None,
    }
    return {"statusCode": 200, "body": orjson.dumps(body, option=orjson.OPT_SORT_KEYS).decode()}
