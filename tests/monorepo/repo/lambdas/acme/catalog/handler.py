"""The `acme.catalog` portion of the `acme` namespace package, using the `acme.pricing` one."""

import acme  # pants: no-infer-dep (a namespace package has no file to own it)
import orjson
from acme.pricing.discounts import discounted
from docopt import docopt  # published as an sdist only

USAGE = """Usage: catalog --discount=<percent>"""


def handler(event, context):
    percent = int(docopt(USAGE, argv=event["argv"])["--discount"])
    prices = {sku: discounted(cents, percent) for sku, cents in event["prices"].items()}
    body = {
        "prices": prices,
        # PEP 420: a namespace package has no `__init__.py`, so no file of its own.
        "acme_is_a_namespace": getattr(acme, "__file__", None) is None,
    }
    return {"statusCode": 200, "body": orjson.dumps(body, option=orjson.OPT_SORT_KEYS).decode()}
