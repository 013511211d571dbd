"""Prepare a webhook call with the `legacy` resolve's requests (sending it is not the point)."""

import requests
from common.http import json_body, respond


def handler(event, context):
    webhook = json_body(event)
    request = requests.Request("POST", webhook["url"], json=webhook["payload"]).prepare()
    body = {
        "requests": requests.__version__,
        "url": request.url,
        "content_type": request.headers["Content-Type"],
        "payload": request.body.decode(),
    }
    return respond(200, body)
