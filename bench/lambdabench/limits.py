"""The physical limit of a cold build: download the locked wheels once, deflate their files once.

Nothing can build the zips faster than fetching their bytes and compressing them; every figure
of the `cold` scenario is reported against the sum. Both are timed alone: the download with 8
connections at once, the deflate (zlib level 6, as `zip` and our writer use) on one core, from
files already unpacked in memory.
"""

from __future__ import annotations

import io
import ssl
import time
import urllib.request
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Optional

from lambdabench import proc

_CONNECTIONS = 8


@dataclass(frozen=True)
class Limit:
    workload: str
    wheels: int
    downloaded_bytes: int
    download_seconds: float
    unpacked_bytes: int
    deflate_seconds: float

    @property
    def seconds(self) -> float:
        return self.download_seconds + self.deflate_seconds


def measure(workload: str, urls: tuple[str, ...]) -> Limit:
    context = ssl.create_default_context(cafile=proc.ca_bundle())
    start = time.perf_counter()
    with ThreadPoolExecutor(_CONNECTIONS) as pool:
        wheels = list(pool.map(lambda url: _fetch(url, context), urls))
    download_seconds = time.perf_counter() - start
    files = [data for wheel in wheels for data in _unpacked(wheel)]
    start = time.perf_counter()
    for data in files:
        compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
        compressor.compress(data)
        compressor.flush()
    deflate_seconds = time.perf_counter() - start
    return Limit(
        workload,
        len(wheels),
        sum(map(len, wheels)),
        download_seconds,
        sum(map(len, files)),
        deflate_seconds,
    )


def _fetch(url: str, context: Optional[ssl.SSLContext]) -> bytes:
    with urllib.request.urlopen(url, context=context, timeout=120) as response:
        return response.read()


def _unpacked(wheel: bytes) -> list[bytes]:
    with zipfile.ZipFile(io.BytesIO(wheel)) as archive:
        return [archive.read(info) for info in archive.infolist() if not info.is_dir()]
