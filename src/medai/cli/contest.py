"""medai contest prepare | team-create | team-join | submit | choose | leaderboard | reveal | serve."""
from __future__ import annotations

from medai.cli._common import add_command, layout, load, settings


def _ctx(args):
    from medai.course.roster import parse_roster
    from medai.grader.contest.paths import ContestPaths

    course = load(args)
    if args.contest not in {k.id for k in course.contests}:
        _unknown(course, args.contest)
    s = settings(args)
    paths = ContestPaths.of(s.layout, args.contest, data_dir=s.data_path)
    roster_path = getattr(args, "roster", None) or s.layout.roster_file
    roster = (lambda: parse_roster(roster_path, course=course))
    return course, paths, roster


def _unknown(course, contest_id):
    from medai.errors import UserError

    if not course.contests:
        raise UserError("no contest {contest!r} in course.yaml: it has no contests", contest=contest_id)
    raise UserError("no contest {contest!r} in course.yaml; known: {known}", contest=contest_id,
                    known=", ".join(k.id for k in course.contests))


def _prepare(args) -> int:
    from medai.grader.contest.background import marked
    from medai.grader.contest.prepare import prepare

    course, paths, _ = _ctx(args)
    with marked(paths):  # while it runs (its report written too), a submission is refused as "being prepared"
        done = prepare(contest=course.contest(args.contest), paths=paths, force=args.force)
        print("\n".join(done.lines()), flush=True)
    return 0


def _team(args, create: bool) -> int:
    from medai.grader.contest import teams
    from medai.grader.contest.store import Store

    course, paths, roster = _ctx(args)
    members = teams.enrol(course.contest(args.contest), Store(paths.database), teams.Students.of(roster()),
                          student=args.student, team=args.team, create=create)
    print(f"{args.student} is in team {args.team}: {', '.join(members)}")
    return 0


def _submit(args) -> int:
    from medai.grader.contest.submit import SubmitOptions, bytes_of, submit

    course, paths, roster = _ctx(args)
    result = submit(course=course, contest_id=args.contest, paths=paths, roster=roster(), student=args.student,
                    data=bytes_of(args.file), layout=layout(args),
                    options=SubmitOptions(unsafe=args.unsafe, sandbox_prefix=settings(args).sandbox_prefix))
    print("\n".join(result.lines()))
    return 0 if result.status == "scored" else 1


def _choose(args) -> int:
    from medai.grader.contest.submit import choose

    course, paths, roster = _ctx(args)
    choose(course=course, contest_id=args.contest, paths=paths, roster=roster(), student=args.student, ids=args.ids)
    print(f"chosen for the final ranking: {', '.join(f'#{i}' for i in args.ids) or 'none (best public counts)'}")
    return 0


def _leaderboard(args) -> int:
    from medai.grader.contest.leaderboard import private_board, public_board
    from medai.grader.contest.store import Store
    from medai.grader.contest.text import board_lines, submission_lines

    course, paths, _ = _ctx(args)
    contest, store = course.contest(args.contest), Store(paths.database)
    board = private_board(contest, store) if args.private else public_board(contest, store)
    lines = board_lines(board)
    if args.submissions:
        lines += ["", *submission_lines(store.submissions())]
    print("\n".join(lines))
    return 0


def _reveal(args) -> int:
    import getpass

    from medai.grader.contest.submit import reveal

    course, paths, _ = _ctx(args)
    when = reveal(course=course, contest_id=args.contest, paths=paths, by=getpass.getuser())
    print(f"private leaderboard of {args.contest} revealed at {when.astimezone(course.course.tz):%Y-%m-%d %H:%M %Z}")
    return 0


def _serve(args) -> int:
    from medai.grader.contest.page import serve

    serve(course_path=args.course, layout=layout(args), data_dir=settings(args).data_path, port=args.port)
    return 0


def register(sub, common) -> None:
    group = sub.add_parser("contest", help="code competitions on hidden data (course.yaml contests:)",
                           description="Contests: teams submit notebooks that run in the grading sandbox on a hidden "
                                       "test set; public and private leaderboards.")
    inner = group.add_subparsers(dest="contest_command", metavar="SUBCOMMAND", required=True)

    def command(name, func, help, example, *, student=False):
        p = add_command(inner, common, name, func=func, help=help, example=example)
        p.add_argument("contest", help="the contest id (course.yaml contests:)")
        if student:
            p.add_argument("--student", required=True, help="the student acting (login name)")
            p.add_argument("--roster", metavar="CSV", help="the roster (default: <data root>/roster.csv)")
        return p

    p = command("prepare", _prepare, "split the task's data: training part for students, hidden test set in the "
                "course directory", "medai contest prepare mi-1y")
    p.add_argument("--force", action="store_true", help="split again although submissions were scored on the set")
    p = command("team-create", lambda a: _team(a, True), "create a team (when students form their own)",
                "medai contest team-create mi-1y --student med01 heartbeat", student=True)
    p.add_argument("team", help="the new team's name (lowercase slug)")
    p = command("team-join", lambda a: _team(a, False), "join a team within the size limit",
                "medai contest team-join mi-1y --student eng01 heartbeat", student=True)
    p.add_argument("team", help="the team to join")
    p = command("submit", _submit, "run a submission in the grading sandbox on the hidden inputs and score it",
                "medai contest submit mi-1y --student med01 baseline.ipynb", student=True)
    p.add_argument("file", help="the notebook defining predict(inputs) (or the predictions CSV: id,prediction)")
    p.add_argument("--unsafe", action="store_true", help="run without the sandbox (no root; never for students' code)")
    p = command("choose", _choose, "choose the team's submissions that count for the final ranking",
                "medai contest choose mi-1y --student med01 3 7", student=True)
    p.add_argument("ids", type=int, nargs="*", help="submission numbers (none: the best public one counts)")
    p = command("leaderboard", _leaderboard, "print the public (or private) leaderboard",
                "medai contest leaderboard mi-1y --private --submissions")
    p.add_argument("--private", action="store_true", help="the private leaderboard (instructors)")
    p.add_argument("--submissions", action="store_true", help="also every submission, failed ones with reasons")
    command("reveal", _reveal, "reveal the private leaderboard (after the final phase)", "medai contest reveal mi-1y")
    p = add_command(inner, common, "serve", func=_serve, help="run the leaderboard page (a hub service)",
                    example="medai contest serve --port 8013")
    p.add_argument("--port", type=int, default=0, help="port (default: from $JUPYTERHUB_SERVICE_URL)")
