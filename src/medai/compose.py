"""What medai's commands orchestrate across the layers, as keyword-only functions (the CLI only parses and prints).

- `start_platform`: everything `medai up` does before running the hub: the data root, accounts and roster
  (medai.hub), the datasets the assignments read (medai.datasets), the releases that are due (medai.grader).
- `grading_options`: a grading run's options, each one the command line leaves out taken from course.yaml's
  `grading` policy (or its defaults when there is no course.yaml).
- `grading_targets`: assignment -> what to grade, for one course directory, course.yaml and gradebook.
"""
from __future__ import annotations

from medai.course import Course
from medai.errors import UserError


def start_platform(*, course: Course, settings, demo: bool, system: bool):
    """(roster, lines to show) after preparing everything the hub needs; idempotent (`medai up` at every start)."""
    from medai.datasets.build import build_datasets, missing_datasets
    from medai.grader.nbgrader_ops import release_due
    from medai.hub.up import prepare_deployment

    lay = settings.layout
    roster, lines = prepare_deployment(course=course, settings=settings, demo=demo, system=system)
    missing = missing_datasets(lay.data_dir)
    if missing:  # the assignments read them; built once, kept across restarts
        build_datasets(out_dir=lay.data_dir, truth_dir=lay.course_dir / "truth", names=missing)
        lines.append(f"built datasets: {', '.join(missing)}")
    lines += [str(r) for r in release_due(course=course, layout=lay)]
    if demo and course.contests:  # the demo's contests, prepared while the hub starts (not before it)
        from medai.grader.contest.background import start_preparing

        lines += start_preparing(course=course, settings=settings)
    return roster, lines


def grading_options(*, course: Course | None, sandbox_prefix: str, workers: int, executor: str = "local",
                    scheduler: str | None = None, students: tuple[str, ...] = (), force: bool = False,
                    feedback: bool = True, collect: bool = True, unsafe: bool = False, memory: str | None = None,
                    timeout: float | None = None, preload: bool = True, progress: bool | None = None,
                    hidden_tests: str | None = None, standby: bool = False):
    """GradeOptions: what is given wins; memory, timeout and hidden tests default to course.yaml's policy."""
    from medai.course.model import GradingPolicy
    from medai.grader.context import GradeOptions
    from medai.grader.sandbox import Limits
    from medai.settings import parse_size

    policy = course.grading if course is not None else GradingPolicy()
    if workers < 1:
        raise UserError("--workers must be at least 1")
    try:
        memory_bytes = parse_size(memory or policy.memory)
    except ValueError as err:
        raise UserError(f"--memory: {err}") from None
    if memory_bytes <= 0:
        raise UserError("--memory must be more than 0")
    limits = Limits(memory_bytes=memory_bytes, wall_seconds=float(timeout or policy.timeout_seconds))
    return GradeOptions(workers=workers, executor=executor, scheduler=scheduler, students=tuple(students),
                        force=force, feedback=feedback, collect=collect, unsafe=unsafe, limits=limits,
                        preload=preload, progress=progress, hidden_tests=hidden_tests or policy.hidden_tests,
                        sandbox_prefix=sandbox_prefix, standby=standby)


def grading_targets(*, layout, course: Course | None, db_url: str | None = None, note: str = ""):
    """assignment -> Target, for this course directory, course.yaml (or None; `note`: which one and why) and
    gradebook (`db_url`, else the deployment's)."""
    from medai.grader.target import load_target

    db = db_url or layout.gradebook_override
    return lambda assignment: load_target(course_dir=layout.course_dir, assignment=assignment, course=course,
                                          layout=layout, db_url=db, note=note)
