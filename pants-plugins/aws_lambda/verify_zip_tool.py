"""Verify zips built by any tool for a Lambda runtime and architecture.

    ./pants run pants-plugins/aws_lambda:verify-zip -- \\
        --runtime python3.11 --architecture x86_64 [--layer] ZIP [ZIP ...]

It runs the checks that `package` runs on every zip it writes (native code for the right OS,
CPU, CPython and glibc; world-readable files; no two owners of one path) and exits 1, listing
the problems, when any zip has one.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Optional

from aws_lambda import zip_verify
from aws_lambda.runtimes import (
    ARCHITECTURES,
    RUNTIMES,
    UnknownArchitectureError,
    UnknownRuntimeError,
    architecture_for,
    runtime_for,
)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="verify-zip", description=__doc__.split("\n\n")[0].strip()
    )
    parser.add_argument("--runtime", required=True, help=", ".join(r.name for r in RUNTIMES))
    parser.add_argument(
        "--architecture", default="x86_64", help=", ".join(a.lambda_name for a in ARCHITECTURES)
    )
    parser.add_argument(
        "--layer", action="store_true", help="The zips are layers: their code is under python/."
    )
    parser.add_argument("--json", action="store_true", help="Print the problems as JSON.")
    parser.add_argument("zips", nargs="+", metavar="ZIP")
    args = parser.parse_args(argv)
    try:
        runtime, architecture = runtime_for(args.runtime), architecture_for(args.architecture)
    except (UnknownRuntimeError, UnknownArchitectureError) as e:
        parser.error(str(e))
    platform = zip_verify.RuntimePlatform.of(runtime, architecture)
    return zip_verify.main(
        [
            *platform.cli_args(),
            "--prefix",
            "python/" if args.layer else "",
            *(["--json"] if args.json else []),
            *args.zips,
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
