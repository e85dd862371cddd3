"""`medai grade`: collect, then for every submission prepare -> execute (in parallel, sandboxed) -> record.

    root process   checks the sandbox, creates the slot accounts, starts the kernel zygote, then
    writer         (the course directory's owner) the only process that opens the gradebook: collects,
                   sanitizes with nbgrader, hands jobs to the executor, records results as they come back,
                   generates feedback, and keeps the resumable state
    workers        (local pool or Dask) execute jobs in sandbox slots, and never see the gradebook
"""
from __future__ import annotations

import collections
import copy
import json
import os
import pwd
import sys
import time
from pathlib import Path

from medai.errors import UserError
from medai.grader import prepare, record, sandbox
from medai.grader.arrivals import Arrivals, collect_into, no_submission_note, submitted_students
from medai.grader.context import GradeOptions, Run, Submission, run_steps
from medai.grader.run_progress import Progress
from medai.grader.results import Summary
from medai.grader.state import GradeState, course_lock
from medai.grader.target import Target
from medai.privileges import run_as_owner_of


# -- what the sandbox hides and shows ----------------------------------------------------------------------


def data_dir(target: Target) -> str | None:
    """The datasets student code may read: MEDAI_DATA when set, else the deployment's data directory."""
    from medai.settings import Settings

    data = Settings.from_env().data_dir
    if data:
        return str(data)
    return str(target.layout.data_dir) if target.layout else None


def exchange_root(target: Target) -> Path:
    from medai.nbgrader_adapter.config import exchange_root as root_of

    return root_of(target.config)


def private_paths(target: Target) -> list[str]:
    """Everything student code must not read: the course directory, the gradebook, the exchange, users'
    homes, the hub's secrets."""
    return hidden_paths(course_dir=target.course_dir, db_url=target.db_url, exchange=exchange_root(target),
                        layout=target.layout, data=data_dir(target))


def hidden_paths(*, course_dir: Path, db_url: str, exchange: Path | None, layout, data: str | None) -> list[str]:
    """What the sandbox covers for a run on `course_dir` (also a contest's, medai.grader.contest.sandboxed)."""
    paths = [str(course_dir)]
    if db_url.startswith("sqlite:///"):
        paths.append(db_url[len("sqlite:///"):])
    if exchange is not None:
        paths.append(str(exchange))
    if layout is not None:
        lay = layout
        paths += [str(lay.hub_dir), str(lay.home_dir), str(lay.exchange_dir), str(lay.etc_dir), str(lay.roster_file)]
    paths += ["/root", "/home"]
    keep = [os.path.realpath(p) for p in (sys.prefix, data or "/nonexistent", "/run")]
    out = []
    for p in dict.fromkeys(os.path.realpath(p) for p in paths):
        if not any(k == p or k.startswith(p.rstrip("/") + "/") for k in keep):
            out.append(p)
    return out


def preload_modules(target: Target, options: GradeOptions) -> list[str]:
    if not options.preload:
        return []
    from medai.grader.preload import assignment_imports

    source = target.course_dir / "source" / target.assignment
    return assignment_imports(source if source.is_dir() else target.course_dir / "release" / target.assignment)


def exec_spec(target: Target, options: GradeOptions, *, client_uid: int, client_gid: int) -> sandbox.ExecSpec:
    """The one ExecSpec of a run: what the local executor's zygote and every Dask worker run jobs by."""
    data = data_dir(target)
    return sandbox.ExecSpec(enabled=not options.unsafe, client_uid=client_uid, client_gid=client_gid,
                            threads=options.threads, prefix=options.sandbox_prefix, hide=tuple(private_paths(target)),
                            readable=(data,) if data else (), preload=tuple(preload_modules(target, options)),
                            limits=options.limits)


# -- the run ------------------------------------------------------------------------------------------------


def _has_hidden_tests(assignment) -> bool:
    """Whether a cell of the assignment (as the gradebook keeps the source) holds hidden tests."""
    from nbgrader.preprocessors import ClearHiddenTests

    begin = ClearHiddenTests().begin_test_delimeter
    return any(begin in (cell.source or "") for nb in assignment.notebooks for cell in nb.source_cells)


def make_run(target: Target, options: GradeOptions) -> Run:
    from nbgrader.api import MissingEntry

    from medai.nbgrader_adapter.gradebook import gradebook, sync_due_date

    notes = []
    with gradebook(target.db_url, target.course_id) as gb:
        try:
            assignment = gb.find_assignment(target.assignment)
        except MissingEntry:
            raise UserError(f"{target.assignment!r} is not in the gradebook ({target.db_url}); generate it first "
                            f"(`medai release {target.assignment}` or `nbgrader generate_assignment`)") from None
        notebooks = sorted(nb.name for nb in assignment.notebooks)
        if target.course is not None:
            due = target.course.assignment(target.assignment).due
            if sync_due_date(gb, target.assignment, due):
                notes.append("gradebook due date set from course.yaml: "  # shown in the course's time zone
                             + due.astimezone(target.course.course.tz).strftime("%Y-%m-%d %H:%M %Z"))
        if (options.feedback and options.hidden_tests == "after-due" and target.course is None
                and assignment.duedate is None and _has_hidden_tests(assignment)):
            notes.append(f"hidden tests withheld from feedback: {target.assignment} has no due date (hidden tests "
                         "'after-due'); set its due date, or grade with --hidden-tests always, to show them")
    record_config = copy.deepcopy(target.config)  # with a course: StoreLatePenalty applies its late policy
    worker_config = copy.deepcopy(target.config)
    worker_config.pop("StoreLatePenalty", None)  # the sandbox scores nothing and needs no course
    scoring = {k: dict(target.config[k]) for k in ("Execute", "ExecutePreprocessor", "LimitOutput", "IgnorePattern",
                                                  "Autograde", "ClearMetadataPreprocessor") if k in target.config}
    # the late policy is not part of it: a changed policy or extension re-stores penalties, it re-runs nothing
    settings_key = json.dumps({"scoring": scoring}, sort_keys=True, default=str)
    target.notes.extend(notes)
    state = GradeState(target.course_dir, target.assignment)
    state.ensure()
    return Run(target=target, options=options, state=state, worker_config=worker_config,
               record_config=record_config, settings_key=settings_key, notebooks=notebooks)


def _session(target: Target, options: GradeOptions, spec: sandbox.ExecSpec, zygote, intake=None) -> Summary:
    """The writer: everything that touches the course directory and the gradebook, in one process; with an
    intake (grade on submit), it also takes in what arrives while it runs (medai.grader.arrivals)."""
    import warnings

    from sqlalchemy.exc import SAWarning

    from medai.nbgrader_adapter.caches import writer_caches

    warnings.filterwarnings("ignore", category=SAWarning)  # nbgrader's gradebook autoflush chatter
    with writer_caches():  # what nbgrader recomputes per call, once (medai.nbgrader_adapter.caches)
        return _write(target, options, spec, zygote, intake)


def _write(target: Target, options: GradeOptions, spec: sandbox.ExecSpec, zygote, intake) -> Summary:
    from medai.grader.executors import make_executor

    started = time.monotonic()
    summary = Summary(assignment=target.assignment, notes=target.notes)
    if options.collect:
        collect_into(target, summary)
    run = make_run(target, options)
    students = submitted_students(target)
    if options.students:
        unknown = sorted(set(options.students) - set(students))
        if unknown and options.missing_ok:
            target.notes.append(no_submission_note(unknown))
        elif unknown:
            raise UserError(f"no submission of {target.assignment!r} from: {', '.join(unknown)}")
        students = [s for s in students if s in options.students]
    progress = Progress(len(students), label=f"grading {target.assignment}", enabled=options.progress)
    if zygote is not None:
        failed = zygote.ready().report.get("failed") or {}
        if failed:
            target.notes.append("not preloaded (imported per kernel instead): " + ", ".join(sorted(failed)))
    executor = make_executor(options, spec, zygote=zygote)
    pending = collections.deque(students)
    inflight: dict[str, Submission] = {}
    arrivals = Arrivals(target, summary, intake, collect=options.collect)

    def finish(sub: Submission) -> None:
        if sub.skipped:
            record.refresh_late_penalty(sub)
            record.refresh_feedback(sub)
            summary.skipped.append(sub.student)
            if sub.result.needs_attention:
                summary.carried.append(sub.result)
        else:
            summary.results.append(sub.result)
        progress.update(skipped=sub.skipped, attention=sub.result.needs_attention)
        progress.total += arrivals.finished(sub.student, pending)

    try:
        executor.start()
        while True:
            progress.total += arrivals.take(pending, inflight)
            if not (pending or inflight):
                if not arrivals.lingering():
                    break
                time.sleep(0.25)
                continue
            while pending and executor.busy < executor.capacity + 1:  # one queued: no worker waits on us
                sub = run_steps(prepare.STEPS, Submission(run=run, student=pending.popleft()))
                if sub.done:
                    if not sub.skipped:
                        run_steps(record.SETTLED_STEPS, sub)
                    finish(sub)
                elif sub.job is None:
                    finish(run_steps(record.STEPS, sub))
                else:
                    inflight[sub.student] = sub
                    executor.submit(sub.job)
            for result in executor.wait(timeout=1.0):
                sub = inflight.pop(result.student)
                sub.execution = result
                finish(run_steps(record.STEPS, sub))
    except BaseException as err:
        arrivals.close(err)
        raise
    finally:
        executor.close()
        progress.finish()
    arrivals.close()
    summary.seconds = time.monotonic() - started
    return summary


def grade(*, target: Target, options: GradeOptions, intake=None) -> Summary:
    """Grade every (or the chosen) submission of one assignment; see the module docstring. `intake`: grade on
    submit's source of students arriving while the run is open (medai.grader.arrivals)."""
    if not options.unsafe:
        reason = sandbox.unavailable_reason()
        if reason:
            raise UserError(f"cannot sandbox student code: {reason}")
    if options.executor == "dask" and not options.scheduler:
        raise UserError("--executor dask needs --scheduler ADDRESS (e.g. tcp://127.0.0.1:8786)")
    owner = target.course_dir.stat().st_uid if os.geteuid() == 0 else os.getuid()
    owner_gid = pwd.getpwuid(owner).pw_gid
    with course_lock(target.course_dir, on_wait=lambda msg: print(msg, file=sys.stderr, flush=True)):
        return _grade_locked(target, options, owner, owner_gid, intake)


def _grade_locked(target: Target, options: GradeOptions, owner: int, owner_gid: int, intake) -> Summary:
    spec = exec_spec(target, options, client_uid=owner, client_gid=owner_gid)
    zygote = None
    if options.executor != "dask":  # Dask workers start zygotes of their own, from the same spec
        from medai.grader.executors import local_slots
        from medai.grader.kernels import zygote_for

        # as root: the sandbox accounts, before the writer drops; it imports while the writer collects
        zygote = zygote_for(spec, count=local_slots(options), wait=False)
    try:
        return run_as_owner_of(target.course_dir, _session, target, options, spec, zygote, intake)
    finally:
        if zygote is not None:
            zygote.stop()
