"""The `aws_lambda.scripts` package as a digest, for the processes that run its programs."""

from __future__ import annotations

from dataclasses import dataclass

from pants.backend.python.util_rules.pex_environment import PythonExecutable
from pants.core.util_rules.adhoc_binaries import PythonBuildStandaloneBinary
from pants.engine.fs import CreateDigest, Digest, FileContent
from pants.engine.rules import Get, collect_rules, rule
from pants.util.resources import read_resource

from aws_lambda import scripts

_MODULES = (
    "__init__.py",
    "elf.py",
    "local_invoke.py",
    "shared.py",
    "slim.py",
    "source_check.py",
    "wheel_install.py",
    "zip_verify.py",
    "zip_writer.py",
)

# With a remote cache, our processes wait this long for its answer before starting locally (a
# miss ends the wait at once): many are quicker than a hit's fetch of their outputs, and a
# local run that wins that race is work the cache was there to save.
REMOTE_CACHE_FIRST_MILLIS = 10_000


@dataclass(frozen=True)
class LambdaScripts:
    """The stdlib-only scripts at `aws_lambda/scripts/`, each runnable with `python -m`."""

    digest: Digest

    @staticmethod
    def argv(
        python: PythonExecutable | PythonBuildStandaloneBinary, module: str, *args: str
    ) -> tuple[str, ...]:
        """Run `aws_lambda.scripts.<module>` from the sandbox root, with nothing but the stdlib."""
        # `-I` would leave the sandbox off `sys.path`, and `-m` needs it.
        return (python.path, "-E", "-s", "-B", "-m", f"aws_lambda.scripts.{module}", *args)


@rule
async def lambda_scripts() -> LambdaScripts:
    files = [FileContent("aws_lambda/__init__.py", b"")]
    for module in _MODULES:
        content = read_resource(scripts.__name__, module)
        assert content is not None, f"aws_lambda/scripts/{module} is missing"
        files.append(FileContent(f"aws_lambda/scripts/{module}", content))
    return LambdaScripts(await Get(Digest, CreateDigest(files)))


def rules():
    return collect_rules()
