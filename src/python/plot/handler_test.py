import base64

# numpy is no requirement of its own here: matplotlib requires it.
import numpy  # pants: no-infer-dep

from plot.handler import handler


def test_renders_a_png() -> None:
    result = handler({"values": numpy.linspace(0, 1, 5).tolist()}, None)
    assert base64.b64decode(result["png_base64"]).startswith(b"\x89PNG")
