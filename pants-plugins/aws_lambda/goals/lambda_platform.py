"""`lambda-platform`: print the complete platform JSON that builds for a Lambda runtime use."""

from __future__ import annotations

from pants.backend.python.util_rules.pex import CompletePlatforms
from pants.engine.console import Console
from pants.engine.fs import Digest, DigestContents
from pants.engine.goal import Goal, GoalSubsystem
from pants.engine.rules import Get, collect_rules, goal_rule
from pants.util.strutil import softwrap

from aws_lambda import subsystem
from aws_lambda.runtimes import LambdaPlatform
from aws_lambda.subsystem import LambdaPlatformOptions, LambdaSettings, LambdaSettingsRequest
from aws_lambda.util_rules import platform


class LambdaPlatformSubsystem(LambdaPlatformOptions, GoalSubsystem):
    name = "lambda-platform"
    help = softwrap(
        """
        Print the PEX complete platform JSON generated for an AWS Lambda runtime and
        architecture: the same file `package` builds with. Diff it against
        `pex3 interpreter inspect --markers --tags` run inside the runtime's image, or save it
        and point a `lambda_function`'s `complete_platforms` at it.
        """
    )


class LambdaPlatformGoal(Goal):
    subsystem_cls = LambdaPlatformSubsystem
    environment_behavior = Goal.EnvironmentBehavior.LOCAL_ONLY


@goal_rule
async def print_lambda_platform(
    goal_subsystem: LambdaPlatformSubsystem, console: Console
) -> LambdaPlatformGoal:
    settings = await Get(LambdaSettings, LambdaSettingsRequest, goal_subsystem.settings_request)
    complete_platforms = await Get(CompletePlatforms, LambdaPlatform, settings.platform)
    contents = await Get(DigestContents, Digest, complete_platforms.digest)
    console.write_stdout(contents[0].content.decode())
    return LambdaPlatformGoal(exit_code=0)


def rules():
    return (*collect_rules(), *platform.rules(), *subsystem.rules())
