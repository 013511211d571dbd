"""`lambda-platform`: print the complete platform JSON that builds for a Lambda runtime use."""

from __future__ import annotations

from pants.backend.python.util_rules.pex import CompletePlatforms
from pants.engine.console import Console
from pants.engine.fs import Digest, DigestContents
from pants.engine.goal import Goal, GoalSubsystem
from pants.engine.rules import Get, collect_rules, goal_rule
from pants.option.option_types import StrOption
from pants.util.docutil import bin_name
from pants.util.strutil import softwrap

from aws_lambda import platform_rules
from aws_lambda.platform_rules import LambdaPlatform, LambdaPlatformRequest


class LambdaPlatformSubsystem(GoalSubsystem):
    name = "lambda-platform"
    help = softwrap(
        """
        Print the PEX complete platform JSON generated for an AWS Lambda runtime and
        architecture: the same file `package` builds with. Diff it against
        `pex3 interpreter inspect --markers --tags` run inside the runtime's image, or save it
        and point a `lambda_function`'s `complete_platforms` at it.
        """
    )

    runtime = StrOption(
        default=None, help="The runtime, e.g. `python3.12`. Defaults to `[lambda].runtime`."
    )
    architecture = StrOption(
        default=None,
        help="The architecture, `x86_64` or `arm64`. Defaults to `[lambda].architecture`.",
    )


class LambdaPlatformGoal(Goal):
    subsystem_cls = LambdaPlatformSubsystem
    environment_behavior = Goal.EnvironmentBehavior.LOCAL_ONLY


@goal_rule
async def print_lambda_platform(
    subsystem: LambdaPlatformSubsystem, console: Console
) -> LambdaPlatformGoal:
    platform = await Get(
        LambdaPlatform,
        LambdaPlatformRequest(
            subsystem.runtime,
            subsystem.architecture,
            f"`{bin_name()} {LambdaPlatformSubsystem.name}`",
        ),
    )
    complete_platforms = await Get(CompletePlatforms, LambdaPlatform, platform)
    contents = await Get(DigestContents, Digest, complete_platforms.digest)
    console.write_stdout(contents[0].content.decode())
    return LambdaPlatformGoal(exit_code=0)


def rules():
    return (*collect_rules(), *platform_rules.rules())
