"""medai grade: autograde an assignment in parallel, sandboxed, resumably, with nbgrader's own scores."""
from __future__ import annotations

import os
from pathlib import Path
from typing import get_args

from medai.cli._common import add_command, layout, settings
from medai.course.model import GradingPolicy
from medai.errors import UserError
from medai.settings import Settings

POLICY = GradingPolicy.model_fields  # course.yaml's grading defaults, for the help below


def _course(args):
    """(course.yaml or None, a note saying which and why): the one named (--course, $MEDAI_COURSE), else the
    default one only when grading the deployment's own course directory (medai.grader.target.course_file_for)."""
    from medai.course import load_course
    from medai.grader.target import course_file_for

    given, deployment = settings(args), Settings.from_env()
    named_by = "--course" if getattr(args, "course", None) else (
        "MEDAI_COURSE" if "course_file" in deployment.model_fields_set else None)
    path, note = course_file_for(course_dir=given.layout.course_dir, deployment_course_dir=deployment.layout.course_dir,
                                 course_file=given.course_file, named_by=named_by)
    return (load_course(path) if path else None), note


def options_from(args, course=None):
    """GradeOptions from the command line (medai.compose.grading_options fills in course.yaml's policy)."""
    from medai.compose import grading_options

    return grading_options(
        course=course, sandbox_prefix=settings(args).sandbox_prefix, workers=args.workers, executor=args.executor,
        scheduler=args.scheduler, students=tuple(getattr(args, "student", None) or ()),
        force=getattr(args, "force", False), feedback=not getattr(args, "no_feedback", False),
        collect=not getattr(args, "no_collect", False), unsafe=args.unsafe, memory=args.memory,
        timeout=args.timeout, preload=not args.no_preload, progress=False if args.quiet else None,
        hidden_tests=args.hidden_tests, standby=args.standby)


def _grade(args) -> int:
    from medai.grader.pipeline import grade

    lay, (course, note) = layout(args), _course(args)
    summary = grade(target=_target_factory(args, lay, course, note)(args.assignment),
                    options=options_from(args, course))
    print("\n".join(summary.lines()))
    _push_to_lms(args, course)
    return summary.exit_code


def _push_to_lms(args, course) -> None:
    """After grading, the new scores go to the LMS when one is configured (MEDAI_LTI_*, MEDAI_LTI_PUSH); a post
    that fails stays in the outbox for `medai lms sync` and is reported here, grading itself has succeeded."""
    s = settings(args)
    if course is None or not (s.lms_configured and s.lti_push):
        return
    from medai.lms.service import sync
    from medai.lms.text import prefixed

    try:
        report = sync(course=course, settings=s, assignment=args.assignment)
    except UserError as err:
        print("\n".join(prefixed(str(err).splitlines(), s.lang)))
        return
    print("\n".join(prefixed(report.lines(s.lang), s.lang)))


def _target_factory(args, lay, course, note=""):
    from medai.compose import grading_targets

    return grading_targets(layout=lay, course=course, db_url=args.db, note=note)


def _enqueue(args) -> int:
    from medai.grader.on_submit import SubmitQueue
    from medai.privileges import run_as_owner_of

    course_dir = layout(args).course_dir
    if not course_dir.is_dir():
        raise UserError("course directory {path} does not exist", path=course_dir)
    queue = SubmitQueue(course_dir)
    for student in args.student:
        path = run_as_owner_of(course_dir, queue.put, args.assignment, student, source="cli")
        print(f"queued {args.assignment} for {student} ({path.name})")
    return 0


def _watch(args) -> int:
    from medai.grader.on_submit import watch
    from medai.nbgrader_adapter.config import exchange_root, grader_config

    lay = layout(args)
    course, note = _course(args)
    config = grader_config(course_dir=lay.course_dir, course=course, layout=lay)
    inbound = exchange_root(config) / config.CourseDirectory.course_id / "inbound"
    options = options_from(args, course)
    every = args.every or (course.grading if course is not None else GradingPolicy()).poll_seconds
    print(f"grade-on-submit: watching {inbound} and {lay.course_dir}/.medai-grade/queue every {every:g} s; "
          f"hidden tests in feedback: {options.hidden_tests}", flush=True)
    watch(course_dir=lay.course_dir, make_target=_target_factory(args, lay, course, note), options=options,
          inbound=None if args.no_exchange else inbound, every=every, rounds=args.rounds,
          log=lambda line: print(line, flush=True))
    return 0


def _grading_options(p) -> None:
    p.add_argument("--workers", type=int, default=max(1, os.cpu_count() or 1),
                   help="submissions executing at once on this machine (default: CPU count)")
    p.add_argument("--executor", choices=("local", "dask"), default="local",
                   help="local process pool (default) or a Dask distributed cluster")
    p.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler address for --executor dask")
    p.add_argument("--db", metavar="URL", help="gradebook URL, e.g. postgresql://user@host/db (default: the course's "
                                               "nbgrader setting, $MEDAI_GRADEBOOK_URL, or <course-dir>/gradebook.db)")
    p.add_argument("--unsafe", action="store_true",
                   help="run student code without the sandbox (as yourself, with network): only where no sandbox "
                        "can be built and the code is trusted")
    p.add_argument("--memory", metavar="SIZE",
                   help="address-space limit per process, e.g. 4G (default: course.yaml grading.memory, "
                        f"else {POLICY['memory'].default})")
    p.add_argument("--timeout", type=float, metavar="SECONDS",
                   help="wall-clock limit per submission (default: course.yaml grading.timeout_seconds, "
                        f"else {POLICY['timeout_seconds'].default}); cell timeouts are nbgrader's setting")
    p.add_argument("--hidden-tests", choices=get_args(POLICY["hidden_tests"].annotation),
                   help="what feedback shows of hidden tests: their code, outputs and scores always, only after the "
                        "student's deadline, or never (default: course.yaml grading.hidden_tests, "
                        f"else {POLICY['hidden_tests'].default})")
    p.add_argument("--no-preload", action="store_true",
                   help="start every kernel afresh instead of forking it from a preloaded one")
    p.add_argument("--standby", action="store_true",
                   help="a spare sandbox slot per worker, the next submission opened with its kernel started "
                        "ahead, and a slot lent while a submission waits CPU-idle in a cell (pays off when "
                        "submissions wait in cells)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def register(sub, common) -> None:
    p = add_command(
        sub, common, "grade", func=_grade,
        help="autograde an assignment: parallel, sandboxed, resumable, with nbgrader's own scores",
        example="medai grade c02-diagnostic-metrics --workers 4\n"
                "  medai grade ps1 --course-dir ~/course --student alice --force\n"
                "  medai grade c02-diagnostic-metrics --executor dask --scheduler tcp://10.0.0.5:8786 "
                "--db postgresql://grader@db/medai",
        description="Collects submissions, restores locked cells with nbgrader's sanitizing preprocessors, runs "
                    "each submission in a sandbox (own account, no network, rlimits, wall-clock limit), writes "
                    "scores into nbgrader's gradebook from one writer process and generates feedback. Works on any "
                    "nbgrader course directory. Run again after an interruption: finished submissions are kept. "
                    "Exit status 0: all graded cleanly; 1: something needs attention (failed, timed out, a cell "
                    "timeout, invalid, tampered); 2: a usage or setup error.")
    p.add_argument("assignment", help="the assignment id (nbgrader's name)")
    p.add_argument("--student", action="append", metavar="ID", help="grade only this student (repeatable)")
    _grading_options(p)
    p.add_argument("--force", action="store_true", help="grade again even submissions unchanged since the last run")
    p.add_argument("--no-feedback", action="store_true", help="do not generate feedback")
    p.add_argument("--no-collect", action="store_true", help="do not collect from the exchange first")

    p = add_command(
        sub, common, "grade-enqueue", func=_enqueue,
        help="queue a student's submission for grading on submit (what the hub feeds)",
        example="medai grade-enqueue c02-diagnostic-metrics --student med01",
        description="Adds a request to the course directory's grading queue; `medai grade-watch` grades it, "
                    "generates feedback and returns it to the student.")
    p.add_argument("assignment", help="the assignment id")
    p.add_argument("--student", action="append", required=True, metavar="ID", help="the student (repeatable)")

    p = add_command(
        sub, common, "grade-watch", func=_watch,
        help="grade on submit: watch the exchange and the queue, grade new submissions, return feedback",
        example="medai grade-watch --every 10 --hidden-tests after-due",
        description="A service: every few seconds it queues new submissions found in the exchange's inbound "
                    "folder, takes the queue, grades per assignment with the same sandboxed pipeline as "
                    "`medai grade`, and returns each student's feedback through the exchange. Hidden-test "
                    "results are withheld from that feedback until the student's deadline unless told otherwise.")
    _grading_options(p)
    p.add_argument("--every", type=float, metavar="SECONDS",
                   help="seconds between rounds (default: course.yaml grading.poll_seconds, "
                        f"else {POLICY['poll_seconds'].default:g})")
    p.add_argument("--rounds", type=int, default=0, help="stop after N rounds (default: run until stopped)")
    p.add_argument("--no-exchange", action="store_true", help="only the queue; do not scan the exchange's inbound")
