"""Invoke a Lambda handler from its zip on this machine, the way the Lambda runtime does.

Stdlib only; run it with the CPython of the runtime's version, isolated:

    python -I -S local_invoke.py --zip fn.zip [--layer layer.zip ...] --handler mod.func \\
        --function-name NAME [--timeout SECONDS] [--memory MB] [EVENT_JSON | - | --event-file F]

The zip is extracted to a temporary `task` folder and each layer's `python/` to `opt`, and only
those are importable. The handler's JSON result is printed to stdout; if the handler raises or
times out, the traceback (or `Task timed out after N seconds`) goes to stderr and the exit code
is 1. The handler runs in a child process, which is killed at the timeout, as Lambda does.
"""

from __future__ import annotations

import argparse
import importlib
import io
import json
import os
import select
import signal
import sys
import tempfile
import time
import traceback
import uuid
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Optional

DEFAULT_TIMEOUT_SECONDS = 3
DEFAULT_MEMORY_MB = 128
_REGION = "us-east-1"
_ACCOUNT = "000000000000"


class LambdaContext:
    """The attributes and method of the Lambda Python runtime's `context` object."""

    def __init__(self, function_name: str, memory_mb: int, timeout_seconds: float) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{_REGION}:{_ACCOUNT}:function:{function_name}"
        self.memory_limit_in_mb = memory_mb
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = f"{time.strftime('%Y/%m/%d')}/[$LATEST]{uuid.uuid4().hex}"
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def read_event(event: Optional[str], event_file: Optional[str]) -> Any:
    if event is not None and event_file is not None:
        raise ValueError("Give the event either as an argument or with --event-file, not both.")
    if event_file is not None:
        text = Path(event_file).read_text()
    elif event == "-":
        text = sys.stdin.read()
    else:
        text = event if event is not None else "{}"
    return json.loads(text)


def extract(zip_path: str, destination: Path) -> Path:
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(destination)
    return destination


def load_handler(handler: str) -> Any:
    module_name, _, function_name = handler.rpartition(".")
    module = importlib.import_module(module_name)
    return getattr(module, function_name)


def invoke(args: argparse.Namespace, event: Any, root: Path) -> int:
    """Call the handler in a child process, stopped at the timeout as Lambda stops it.

    The handler's JSON result is printed; on an error or at the timeout, the exit code is 1.
    """
    task = extract(args.zip, root / "task")
    opt = root / "opt"
    for layer in args.layer:
        extract(layer, opt)
    context = LambdaContext(args.function_name, args.memory, args.timeout)
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(read_end)
        os._exit(_run_handler(args, event, context, task, opt, write_end))
    os.close(write_end)
    with os.fdopen(read_end, "rb") as result_pipe:
        ready, _, _ = select.select([result_pipe], [], [], args.timeout)
        if not ready:
            # Lambda stops the whole runtime at the deadline, whatever the handler catches.
            os.kill(child, signal.SIGKILL)
            os.waitpid(child, 0)
            print(f"Task timed out after {args.timeout:.2f} seconds", file=sys.stderr)
            return 1
        output = result_pipe.read()
    _, status = os.waitpid(child, 0)
    if os.WEXITSTATUS(status) != 0 or not output:
        return 1
    print(output.decode())
    return 0


def _run_handler(
    args: argparse.Namespace, event: Any, context: LambdaContext, task: Path, opt: Path, out: int
) -> int:
    # Only the function and its layers, as in /var/task and /opt/python; not this script's folder.
    sys.path[:] = [str(task), str(opt / "python"), *sys.path[1:]]
    os.environ.update(
        {
            "AWS_LAMBDA_FUNCTION_NAME": args.function_name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(args.memory),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_REGION": _REGION,
            "LAMBDA_TASK_ROOT": str(task),
            "_HANDLER": args.handler,
        }
    )
    # Lambda sends each log line on as it is written: keep them through a failure or a timeout.
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(line_buffering=True)
    try:
        output = json.dumps(load_handler(args.handler)(event, context))
    except Exception:
        traceback.print_exc()
        return 1
    finally:
        sys.stdout.flush()
    with os.fdopen(out, "wb") as result_pipe:
        result_pipe.write(output.encode())
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zip", required=True, help="The function's zip.")
    parser.add_argument("--layer", action="append", default=[], help="A layer's zip, in order.")
    parser.add_argument("--handler", required=True, help="As Lambda names it: module.function.")
    parser.add_argument("--function-name", required=True)
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT_SECONDS,
        help=f"Seconds the handler may run (default {DEFAULT_TIMEOUT_SECONDS}, as on Lambda).",
    )
    parser.add_argument(
        "--memory",
        type=int,
        default=DEFAULT_MEMORY_MB,
        help=f"The context's memory_limit_in_mb (default {DEFAULT_MEMORY_MB}); not enforced.",
    )
    parser.add_argument("--event-file", help="Read the event JSON from this file.")
    parser.add_argument("event", nargs="?", help="The event JSON, or - to read standard input.")
    args = parser.parse_args(argv)
    try:
        event = read_event(args.event, args.event_file)
    except json.JSONDecodeError as e:
        shown = e.doc if len(e.doc) <= 200 else f"{e.doc[:200]}..."
        print(f"local_invoke: the event is not valid JSON ({e}): {shown!r}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as e:
        print(f"local_invoke: {e}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="lambda-invoke-") as root:
        return invoke(args, event, Path(root))


if __name__ == "__main__":
    sys.exit(main())
