"""Cold-start time of a Lambda zip under AWS's own runtime client, `awslambdaric`.

Each run starts the runtime's CPython as the Lambda base images do (`python -m awslambdaric
<handler>`, cwd the task folder) against a local Runtime API serving one event, and times
process start → first `GET .../invocation/next` (init: imports and module code) and → first
response (init and the first invoke).

Stand-ins for Lambda's folders: `task` (/var/task: the zip, read-only), `opt` (/opt: the
layers), `runtime` (/var/runtime: awslambdaric, pip-installed once per CPython into the cache)
and `lang` (/var/lang: a venv of the CPython, so the host's site-packages stay out).

Sources for the environment (python3.11 and python3.12+ alike): the reserved variables and
TZ=:UTC from the Lambda developer guide's "Defined runtime environment variables" (its older
table also gives PYTHONPATH=$LAMBDA_RUNTIME_DIR and LD_LIBRARY_PATH); PATH, LANG and
LD_LIBRARY_PATH from aws/aws-lambda-base-images x86_64/Dockerfile.python3.11 and .python3.12,
which set the same values. sys.path: /var/task first (python-image, python-package), then the
layer's python/lib/pythonX.Y/site-packages and python/ (packaging-layers), then /var/runtime.
The guide's python-image page puts /var/lang/lib/python3.x/site-packages before /var/runtime
for 3.11+; it is empty here, so its place changes nothing. `-m` also puts the cwd, the task
folder, first, so it appears twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from lambdabench import proc

AWSLAMBDARIC_VERSION = "4.2.2"  # the newest on PyPI; wheels for cp310-cp314, x86_64 and aarch64
REGION = "us-east-1"
MEMORY_MB = 128
_API = "/2018-06-01/runtime"
_TAIL_LINES = 30


class SetupError(Exception):
    pass


@dataclass(frozen=True)
class Runtime:
    """A CPython with awslambdaric, standing for a Lambda Python runtime."""

    python: Path  # in `lang`, a venv without the host's site-packages
    python_version: str  # "3.11"
    lang_lib: Path  # the CPython's lib/, standing for /var/lang/lib
    runtime_dir: Path  # /var/runtime


@dataclass(frozen=True)
class Variant:
    label: str
    zip_path: Path
    handler: str  # as Lambda names it: package.module.function
    layers: tuple[Path, ...] = ()


@dataclass(frozen=True)
class ColdStart:
    """One cold start; times in seconds from process start, None when it never got there."""

    init_seconds: float | None
    response_seconds: float | None
    body: bytes
    failure: str | None = None


@dataclass(frozen=True)
class InitTimes:
    """Medians over the timed runs of a variant, or why it failed."""

    label: str
    zip_bytes: int
    runs: int
    init_seconds: float | None
    response_seconds: float | None
    failure: str | None = None


def install_runtime(python: str | os.PathLike[str], cache: Path) -> Runtime:
    """awslambdaric for `python`, installed once into `cache` and reused.

    Keyed by the CPython's version and location and awslambdaric's version; built beside its
    final folder and renamed, so an interrupted install is never reused.
    """
    facts = json.loads(
        _check_output(
            [
                str(python),
                "-I",
                "-c",
                "import json, platform, sys; print(json.dumps([platform.python_version(), "
                "sys.base_prefix, platform.machine()]))",
            ]
        )
    )
    full_version, base_prefix, machine = facts
    where = hashlib.sha256(os.path.realpath(base_prefix).encode()).hexdigest()[:8]
    root = cache / f"cpython{full_version}-{machine}-{where}-awslambdaric{AWSLAMBDARIC_VERSION}"
    if not root.is_dir():
        cache.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(prefix=".building-", dir=cache))
        try:
            _check_output([str(python), "-I", "-m", "venv", "--without-pip", building / "lang"])
            _pip_install_awslambdaric(python, building / "runtime", full_version)
            try:
                building.rename(root)
            except OSError:  # another run got there first
                pass
        finally:
            shutil.rmtree(building, ignore_errors=True)
    return Runtime(
        python=root / "lang" / "bin" / "python3",
        python_version=".".join(full_version.split(".")[:2]),
        lang_lib=Path(base_prefix) / "lib",
        runtime_dir=root / "runtime",
    )


def _pip_install_awslambdaric(python: str | os.PathLike[str], target: Path, version: str) -> None:
    ca = proc.ca_bundle()
    argv = [
        str(python),
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-input",
        "--target",
        str(target),
        "--only-binary=:all:",
        *(["--cert", ca] if ca else []),
        f"awslambdaric=={AWSLAMBDARIC_VERSION}",
    ]
    try:
        _check_output(argv)
    except SetupError as e:
        tag = "cp" + "".join(version.split(".")[:2])
        raise SetupError(
            f"Could not install awslambdaric=={AWSLAMBDARIC_VERSION} from PyPI for CPython "
            f"{version} (it needs a {tag} wheel for this platform, and network access to "
            f"PyPI): {e}"
        ) from None


def _check_output(argv: Sequence[str | os.PathLike[str]]) -> str:
    done = subprocess.run(
        [str(a) for a in argv], env=proc.clean_env(), capture_output=True, text=True
    )
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-_TAIL_LINES:])
        raise SetupError(f"`{' '.join(map(str, argv))}` failed:\n{tail}")
    return done.stdout


class RuntimeApi:
    """A local Lambda Runtime API on 127.0.0.1 that hands out one event.

    Records the `perf_counter()` of the first `next` and of the first result posted (the
    response, an invocation error or an init error). Later `next` calls block until close.
    """

    def __init__(self, event: bytes, function_name: str = "bench") -> None:
        self.event = event
        self.request_id = str(uuid.uuid4())
        self.function_arn = f"arn:aws:lambda:{REGION}:000000000000:function:{function_name}"
        self.first_next_at: float | None = None
        self.result_at: float | None = None
        self.result_kind: str | None = None  # "response", "error" or "init-error"
        self.result_body = b""
        self.finished = threading.Event()
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _ApiHandler)
        self._server.api = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self._server.server_port}"

    def __enter__(self) -> RuntimeApi:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closed.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def take_next(self) -> bool:
        """True for the first `next` (it gets the event); later ones wait for close."""
        with self._lock:
            first = self.first_next_at is None
            if first:
                self.first_next_at = time.perf_counter()
        if not first:
            self._closed.wait()
        return first

    def record_result(self, kind: str, body: bytes) -> None:
        with self._lock:
            if self.result_kind is None:
                self.result_at = time.perf_counter()
                self.result_kind, self.result_body = kind, body
        self.finished.set()


class _Server(ThreadingHTTPServer):
    api: RuntimeApi

    def handle_error(self, request: Any, client_address: Any) -> None:
        # The runtime is killed with its connection open; anything else is worth a traceback.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _ApiHandler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"  # awslambdaric's native client keeps its connection

    def log_message(self, format: str, *args: object) -> None:
        pass

    @property
    def api(self) -> RuntimeApi:
        return self.server.api

    def do_GET(self) -> None:
        if self.path != f"{_API}/invocation/next":
            return self._reply(404, b'{"errorMessage": "no such endpoint"}')
        if not self.api.take_next():
            self.close_connection = True
            return None
        deadline_ms = int((time.time() + 300) * 1000)
        trace = f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Sampled=0"
        return self._reply(
            200,
            self.api.event,
            {
                "Lambda-Runtime-Aws-Request-Id": self.api.request_id,
                "Lambda-Runtime-Deadline-Ms": str(deadline_ms),
                "Lambda-Runtime-Invoked-Function-Arn": self.api.function_arn,
                "Lambda-Runtime-Trace-Id": trace,
            },
        )

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        kinds = {
            f"{_API}/invocation/{self.api.request_id}/response": "response",
            f"{_API}/invocation/{self.api.request_id}/error": "error",
            f"{_API}/init/error": "init-error",
        }
        kind = kinds.get(self.path)
        if kind is None:
            return self._reply(404, b'{"errorMessage": "no such endpoint"}')
        self.api.record_result(kind, body)
        return self._reply(202, b'{"status": "OK"}')

    def _reply(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@dataclass(frozen=True)
class Function:
    """A zip and its layers extracted as Lambda mounts them, and a writable /tmp."""

    task: Path
    opt: Path
    tmp: Path
    handler: str
    name: str = "bench"


def lambda_env(runtime: Runtime, function: Function, api_address: str) -> dict[str, str]:
    """The environment Lambda gives a Python function (see the module docstring)."""
    task, opt, runtime_dir = function.task, function.opt, runtime.runtime_dir
    return {
        "AWS_LAMBDA_RUNTIME_API": api_address,
        "_HANDLER": function.handler,
        "LAMBDA_TASK_ROOT": str(task),
        "LAMBDA_RUNTIME_DIR": str(runtime_dir),
        "AWS_LAMBDA_FUNCTION_NAME": function.name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(MEMORY_MB),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function.name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": f"2024/01/01/[$LATEST]{uuid.uuid4().hex}",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_python{runtime.python_version}",
        "TZ": ":UTC",
        "LANG": "en_US.UTF-8",
        "PATH": f"{runtime.python.parent}:/usr/local/bin:/usr/bin/:/bin:{opt}/bin",
        "LD_LIBRARY_PATH": ":".join(
            [
                str(runtime.lang_lib),
                "/lib64",
                "/usr/lib64",
                str(runtime_dir),
                f"{runtime_dir}/lib",
                str(task),
                f"{task}/lib",
                f"{opt}/lib",
            ]
        ),
        "PYTHONPATH": ":".join(
            [
                str(task),
                f"{opt}/python/lib/python{runtime.python_version}/site-packages",
                f"{opt}/python",
                str(runtime_dir),
            ]
        ),
        # Not Lambda's: as root the read-only task folder would not stop .pyc writes.
        "PYTHONDONTWRITEBYTECODE": "1",
        "MPLCONFIGDIR": str(function.tmp / "matplotlib"),
    }


def cold_start(
    runtime: Runtime, function: Function, event: bytes, timeout: float = 120
) -> ColdStart:
    """Starts the runtime, serves it `event`, and kills it once it has posted a result."""
    log = function.tmp / "cold-start.log"
    with RuntimeApi(event, function.name) as api, log.open("wb") as output:
        env = lambda_env(runtime, function, api.address)
        start = time.perf_counter()
        process = subprocess.Popen(
            [str(runtime.python), "-m", "awslambdaric", function.handler],
            cwd=function.task,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            while not api.finished.wait(0.02):
                if process.poll() is not None or time.perf_counter() - start > timeout:
                    break
        finally:
            process.kill()
            process.wait()

    def since_start(at: float | None) -> float | None:
        return None if at is None else at - start

    init, response = since_start(api.first_next_at), since_start(api.result_at)
    failure = None
    if api.result_kind != "response":
        failure = _failure(api.result_kind, api.result_body, log, timeout)
    return ColdStart(init, response, api.result_body, failure)


def _failure(kind: str | None, body: bytes, log: Path, timeout: float) -> str:
    if kind is None:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-_TAIL_LINES:])
        return f"no result within {timeout:.0f}s, or the runtime exited; its output:\n{tail}"
    try:
        error = json.loads(body)
        detail = f"{error.get('errorType')}: {error.get('errorMessage')}"
    except (ValueError, AttributeError):
        detail = body.decode(errors="replace")
    return f"{kind}: {detail}"


def time_init(
    variants: Sequence[Variant],
    runtime: Runtime,
    runs: int = 10,
    event: str = "{}",
    timeout: float = 120,
) -> list[InitTimes]:
    """Median cold-start times per variant: one untimed warm-up each, then alternating runs.

    The warm-up also leaves what a function writes to /tmp (matplotlib's font cache), as a
    reused execution environment would. Raises if a run changed the read-only task folder.
    """
    payload = event.encode()
    with tempfile.TemporaryDirectory(prefix="inittime-") as tmp, ExitStack() as stack:
        functions = [
            stack.enter_context(mounted(v, Path(tmp, f"v{i}"))) for i, v in enumerate(variants)
        ]
        before = [_tree(f.task) + _tree(f.opt) for f in functions]
        samples: list[list[ColdStart]] = [[] for _ in variants]
        failures = [cold_start(runtime, f, payload, timeout).failure for f in functions]
        for _ in range(runs):
            for i, function in enumerate(functions):
                if failures[i] is None:
                    run = cold_start(runtime, function, payload, timeout)
                    failures[i] = run.failure
                    samples[i].append(run)
        for variant, function, tree in zip(variants, functions, before):
            if _tree(function.task) + _tree(function.opt) != tree:
                raise RuntimeError(f"{variant.label}: a run changed {function.task}")
    return [
        _summary(variant, sample, failure)
        for variant, sample, failure in zip(variants, samples, failures)
    ]


def _summary(variant: Variant, sample: list[ColdStart], failure: str | None) -> InitTimes:
    size = variant.zip_path.stat().st_size
    if failure is not None:
        return InitTimes(variant.label, size, len(sample), None, None, failure)
    return InitTimes(
        variant.label,
        size,
        len(sample),
        _median([run.init_seconds for run in sample]),
        _median([run.response_seconds for run in sample]),
    )


def _median(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known and len(known) == len(values) else None


@contextmanager
def mounted(variant: Variant, root: Path) -> Iterator[Function]:
    """The zip extracted to `root/task` and its layers to `root/opt`, both read-only."""
    task, opt, tmp = root / "task", root / "opt", root / "tmp"
    with zipfile.ZipFile(variant.zip_path) as archive:
        archive.extractall(task)
    opt.mkdir(parents=True)
    for layer in variant.layers:
        with zipfile.ZipFile(layer) as archive:
            archive.extractall(opt)
    tmp.mkdir()
    _set_writable(task, False)
    _set_writable(opt, False)
    try:
        yield Function(task, opt, tmp, variant.handler, variant.handler.split(".")[0])
    finally:
        _set_writable(task, True)
        _set_writable(opt, True)


def _set_writable(root: Path, writable: bool) -> None:
    """`chmod -R u+w` or `chmod -R a-w`."""
    for path in [root, *root.rglob("*")]:
        if path.is_symlink():
            continue
        mode = path.stat().st_mode
        path.chmod(mode | 0o200 if writable else mode & ~0o222)


def _tree(root: Path) -> tuple[tuple[str, int, int, int], ...]:
    """Every path under root with its size, mtime and mode: to see that nothing changed."""
    return tuple(
        (str(p.relative_to(root)), s.st_size, s.st_mtime_ns, s.st_mode)
        for p in sorted(root.rglob("*"))
        for s in [p.lstat()]
    )


def without_bytecode(zip_path: Path, destination: Path) -> Path:
    """A copy of the zip without any `.pyc` file or `__pycache__` folder."""
    with zipfile.ZipFile(zip_path) as source, zipfile.ZipFile(destination, "w") as out:
        for info in source.infolist():
            if info.filename.endswith(".pyc") or "__pycache__/" in info.filename:
                continue
            out.writestr(info, source.read(info), compress_type=info.compress_type)
    return destination
