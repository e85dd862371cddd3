"""The typed context the grading steps share: options of a run, the run, and one submission on its way.

Steps are plain functions `step(sub: Submission) -> None`, composed as lists (medai.grader.prepare.STEPS
before execution, medai.grader.record.STEPS after), as nbgrader's converters chain preprocessors. A step that
settles a submission early (unchanged since the last run, not gradable) sets `sub.done`.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

from traitlets.config import Config

from medai.grader.execute import ExecJob, ExecResult
from medai.grader.results import SubmissionResult
from medai.grader.sandbox import ACCOUNT_PREFIX, POLICY, Limits
from medai.grader.state import GradeState
from medai.grader.target import Target


@dataclass(frozen=True)
class GradeOptions:
    workers: int = 2
    # local: a spare slot per worker, next submissions' kernels pre-started (medai.grader.standby); opt-in: it pays
    # off only where submissions wait in a cell (kernels start fast anyway)
    standby: bool = False
    executor: str = "local"  # local | dask
    scheduler: str | None = None  # dask scheduler address
    students: tuple[str, ...] = ()
    force: bool = False  # grade again even when unchanged since the last run
    feedback: bool = True  # generate feedback (HTML) for every graded submission
    collect: bool = True  # collect from the exchange first, when there is one
    unsafe: bool = False  # run student code without the sandbox (no root here)
    limits: Limits = field(default_factory=Limits)
    preload: bool = True  # import the assignment's modules once in the zygote
    threads: int = 1  # BLAS/OpenMP threads per kernel
    sandbox_prefix: str = ACCOUNT_PREFIX
    progress: bool | None = None  # None: when stderr is a terminal
    missing_ok: bool = False  # a chosen student without a submission is skipped, not an error (the queue)
    return_feedback: bool = False  # release each graded student's feedback through the exchange at once
    hidden_tests: str = POLICY.hidden_tests  # what feedback shows of hidden tests: always | after-due | never


@dataclass
class Run:
    """One `medai grade` run over one assignment."""

    target: Target
    options: GradeOptions
    state: GradeState
    worker_config: Config  # what the execution side needs (no gradebook)
    record_config: Config  # the writer's (late policy plugin, gradebook)
    settings_key: str = ""  # part of every fingerprint: settings that change scores
    notebooks: list[str] = field(default_factory=list)  # the assignment's notebooks in the gradebook


@dataclass
class Submission:
    run: Run
    student: str
    fingerprint: str = ""
    result: SubmissionResult | None = None
    job: ExecJob | None = None
    execution: ExecResult | None = None
    executed: dict[str, str] | None = None  # notebook name -> executed JSON, awaiting recording
    warnings: list[str] = field(default_factory=list)
    skipped: bool = False
    done: bool = False
    started: float = field(default_factory=time.monotonic)


Step = Callable[[Submission], None]


def run_steps(steps: list[Step], sub: Submission) -> Submission:
    for step in steps:
        if sub.done:
            break
        step(sub)
    return sub
