"""Check a password with bcrypt and issue an EdDSA-signed JWT (PyJWT on cryptography)."""

import bcrypt
import jwt
from common.http import json_body, respond
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

# A real function would load these from Secrets Manager.
SIGNING_KEY = Ed25519PrivateKey.generate()
PASSWORD_HASH = bcrypt.hashpw(b"correct horse", bcrypt.gensalt(rounds=4))


def handler(event, context):
    credentials = json_body(event)
    if not bcrypt.checkpw(credentials["password"].encode(), PASSWORD_HASH):
        return respond(401, {"error": "wrong password"})
    token = jwt.encode({"sub": credentials["user"]}, SIGNING_KEY, algorithm="EdDSA")
    claims = jwt.decode(token, SIGNING_KEY.public_key(), algorithms=["EdDSA"])
    forged = jwt.encode(claims, Ed25519PrivateKey.generate(), algorithm="EdDSA")
    try:
        jwt.decode(forged, SIGNING_KEY.public_key(), algorithms=["EdDSA"])
        forged_rejected = False
    except jwt.InvalidSignatureError:
        forged_rejected = True
    return respond(200, {"claims": claims, "forged_rejected": forged_rejected})
