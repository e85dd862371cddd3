"""medai release | collect | feedback: instructors' work over nbgrader, without typing nbgrader's commands."""
from __future__ import annotations

import sys
import time

from medai.cli._common import add_command, layout, load
from medai.course import ProblemsError
from medai.errors import UserError


def _release(args) -> int:
    from medai.grader.nbgrader_ops import FAILED, release, release_due

    if bool(args.assignment) == bool(args.due):
        raise UserError("medai release: give an ASSIGNMENT or --due (not both)")
    while True:
        try:
            course = load(args)  # re-read every round: course.yaml may have changed
            if args.due:
                results = release_due(course=course, layout=layout(args))
            else:
                results = [release(course=course, layout=layout(args), assignment_id=args.assignment)]
            print("\n".join(str(r) for r in results), flush=True)
            failed = [r for r in results if r.action == FAILED]
            if failed and not args.every:
                raise UserError("assignments that could not be released: {names}",
                                names=", ".join(r.assignment for r in failed))
        except (UserError, ProblemsError) as err:
            if not args.every:
                raise
            # the scheduler keeps going: a course.yaml mid-edit must not stop future releases
            print(f"medai release: {err}", file=sys.stderr, flush=True)
        if not args.every:
            return 0
        time.sleep(args.every)


def _collect(args) -> int:
    from medai.grader.nbgrader_ops import collect

    result = collect(course=load(args), layout=layout(args), assignment_id=args.assignment)
    print(result)
    return 1 if result.attention else 0


def _feedback(args) -> int:
    from medai.grader.nbgrader_ops import feedback

    print(feedback(course=load(args), layout=layout(args), assignment_id=args.assignment))
    return 0


def register(sub, common) -> None:
    p = add_command(sub, common, "release", func=_release,
                    help="generate the student version of an assignment and release it (once)",
                    example="medai release c02-diagnostic-metrics\n  medai release --due --every 300")
    p.add_argument("assignment", nargs="?", help="assignment id from course.yaml")
    p.add_argument("--due", action="store_true", help="release every assignment whose release date has passed")
    p.add_argument("--every", type=int, default=0, metavar="SECONDS",
                   help="repeat every SECONDS (the hub's release-scheduler service runs this)")
    p = add_command(sub, common, "collect", func=_collect,
                    help="collect students' submissions from the exchange into the course directory",
                    example="medai collect c02-diagnostic-metrics")
    p.add_argument("assignment", help="assignment id from course.yaml")
    p = add_command(sub, common, "feedback", func=_feedback,
                    help="generate feedback for graded submissions and return it to students",
                    example="medai feedback c02-diagnostic-metrics")
    p.add_argument("assignment", help="assignment id from course.yaml")
