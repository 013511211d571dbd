"""`lambda-verify-zip`: check zips built by any tool, as `package` checks its own.

    ./pants lambda-verify-zip --runtime=python3.11 --architecture=x86_64 [--layer] -- ZIP ...

It runs the checks that `package` runs on every zip it writes (native code for the right OS,
CPU, CPython and glibc; world-readable files; no two owners of one path) on zips on disk, which
need not be known to Pants, and exits 1, listing the problems, when any zip has one.
"""

from __future__ import annotations

import os
import zipfile

from pants.base.build_root import BuildRoot
from pants.engine.console import Console
from pants.engine.goal import Goal, GoalSubsystem
from pants.engine.rules import Get, collect_rules, goal_rule
from pants.option.option_types import ArgsListOption, BoolOption
from pants.util.strutil import softwrap

from aws_lambda import subsystem
from aws_lambda.scripts.shared import UnreadableTreeError
from aws_lambda.scripts.zip_verify import RuntimePlatform, verify
from aws_lambda.subsystem import LambdaPlatformOptions, LambdaSettings, LambdaSettingsRequest


class LambdaVerifyZipSubsystem(LambdaPlatformOptions, GoalSubsystem):
    name = "lambda-verify-zip"
    help = softwrap(
        """
        Check AWS Lambda zips built by any tool for what would stop them from loading on their
        runtime: native code for another OS, CPU, CPython or glibc, files that are not
        world-readable, and paths that two distributions own. `package` runs the same checks on
        every zip it writes.
        """
    )

    layer = BoolOption(default=False, help="The zips are layers: their code is under `python/`.")
    args = ArgsListOption(
        example="build/fn.zip build/layer.zip",
        tool_name="the check",
        passthrough=True,
        extra_help="The zips to check, relative to the build root: pass them after `--`.",
    )


class LambdaVerifyZipGoal(Goal):
    subsystem_cls = LambdaVerifyZipSubsystem
    environment_behavior = Goal.EnvironmentBehavior.LOCAL_ONLY


@goal_rule
async def verify_lambda_zips(
    goal_subsystem: LambdaVerifyZipSubsystem, console: Console
) -> LambdaVerifyZipGoal:
    settings = await Get(LambdaSettings, LambdaSettingsRequest, goal_subsystem.settings_request)
    if not goal_subsystem.args:
        console.print_stderr("Name the zips to check after `--`, e.g. `-- build/fn.zip`.")
        return LambdaVerifyZipGoal(exit_code=2)
    platform = RuntimePlatform.of(settings.platform)
    prefix = "python/" if goal_subsystem.layer else ""
    problems = []
    for path in goal_subsystem.args:
        try:
            problems.extend(verify(os.path.join(BuildRoot().path, path), platform, prefix))
        except (OSError, zipfile.BadZipFile, UnreadableTreeError) as e:
            console.print_stderr(f"Cannot read {path}: {e}")
            return LambdaVerifyZipGoal(exit_code=2)
    for problem in problems:
        console.print_stdout(problem.message)
    if problems:
        console.print_stderr(
            f"{len(problems)} problem(s) for {settings.platform}, {platform.description}."
        )
        return LambdaVerifyZipGoal(exit_code=1)
    console.print_stderr(
        f"{len(goal_subsystem.args)} zip(s) can load on {settings.platform} "
        f"({platform.description})."
    )
    return LambdaVerifyZipGoal(exit_code=0)


def rules():
    return (*collect_rules(), *subsystem.rules())
