"""Where the class is stuck before the deadline: per assignment and question, how many students tried its
self-check, how many got it to pass, which check fails most often, and how many asked for a hint.

Read from the self-check log (medai.progress.insight.selfcheck_log), which the progress service appends to as
students work, so the numbers are live during the assignment window. Plain dataclasses, JSON-serialisable
(`SelfCheckSummary.to_dict()`); `medai report selfchecks ASSIGNMENT` prints them, the instructor's page shows them.

"Most common failing check": the check (the `expect` line in checks.py, or for code that crashed the exception's
type) that the most students met when their check did not pass; ties go to the one met more often, then by
name. Its message is the last one a student was shown for it (messages are in each student's language).
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable

from medai.course.layout import Layout
from medai.progress.insight.selfcheck_log import SelfCheckUse, read


@dataclass(frozen=True)
class FailingCheck:
    """One check that did not pass, across the class."""

    check: str  # "<function>:<line>" in checks.py, or an exception type for code that crashed
    status: str  # "not yet" (a check said what is wrong) or "error" (the student's code raised)
    students: int  # students who met it at least once
    times: int  # how often it was met
    message: str  # an example of what students were shown (the latest)


@dataclass(frozen=True)
class QuestionUse:
    """One question's self-check use."""

    question: str  # "q1"
    title: str  # its name in checks.py (English)
    tried: int  # students who ran its check at least once
    passed: int  # of them, students whose check passed at least once
    passing_now: int  # of them, students whose latest check passes
    checks: int  # check runs, all students
    hints: int  # students who asked for its hint at least once
    failures: list[FailingCheck] = field(default_factory=list)  # most common first

    @property
    def top_failure(self) -> FailingCheck | None:
        return self.failures[0] if self.failures else None


@dataclass(frozen=True)
class SelfCheckSummary:
    """One assignment's self-check use, question by question."""

    assignment: str
    students: int  # students with any record for the assignment
    records: int
    first: str | None  # the earliest and latest record, ISO 8601 UTC
    last: str | None
    questions: list[QuestionUse] = field(default_factory=list)

    def to_dict(self) -> dict:
        out = asdict(self)
        for q, data in zip(self.questions, out["questions"]):
            data["top_failure"] = asdict(q.top_failure) if q.top_failure else None
        return out


def _natural(text: str) -> tuple:
    """q2 before q10."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text))


def _question(question: str, uses: list[SelfCheckUse]) -> QuestionUse:
    checks = [u for u in uses if u.action == "check"]
    latest: dict[str, SelfCheckUse] = {}
    for u in checks:  # oldest first: the last one wins
        latest[u.student] = u
    met: dict[str, set[str]] = defaultdict(set)
    times: Counter[str] = Counter()
    example: dict[str, SelfCheckUse] = {}
    for u in checks:
        if u.status != "pass" and u.failed:
            met[u.failed].add(u.student)
            times[u.failed] += 1
            example[u.failed] = u
    failures = [FailingCheck(check=key, status=example[key].status or "", students=len(met[key]), times=times[key],
                             message=example[key].message) for key in met]
    failures.sort(key=lambda f: (-f.students, -f.times, f.check))
    titles = [u.title for u in uses if u.title]
    return QuestionUse(
        question=question, title=titles[-1] if titles else "",
        tried=len({u.student for u in checks}),
        passed=len({u.student for u in checks if u.status == "pass"}),
        passing_now=sum(u.status == "pass" for u in latest.values()),
        checks=len(checks),
        hints=len({u.student for u in uses if u.action == "hint"}),
        failures=failures)


def summarise(uses: Iterable[SelfCheckUse], assignment: str, *, students: Iterable[str] | None = None) -> SelfCheckSummary:
    """The summary of `assignment` from records (oldest first); with `students`, only theirs count (the roster's
    students: an instructor trying the checks is not the class)."""
    keep = set(students) if students is not None else None
    mine = [u for u in uses if u.assignment == assignment and (keep is None or u.student in keep)]
    mine.sort(key=lambda u: (u.at, u.student))
    by_question: dict[str, list[SelfCheckUse]] = defaultdict(list)
    for u in mine:
        by_question[u.question].append(u)
    return SelfCheckSummary(
        assignment=assignment, students=len({u.student for u in mine}), records=len(mine),
        first=mine[0].at if mine else None, last=mine[-1].at if mine else None,
        questions=[_question(q, by_question[q]) for q in sorted(by_question, key=_natural)])


def selfcheck_use(*, layout: Layout, assignment: str, students: Iterable[str] | None = None) -> SelfCheckSummary:
    """The live summary of one assignment, read from the deployment's self-check log."""
    return summarise(read(Path(layout.selfcheck_dir), assignment=assignment), assignment, students=students)


# --- output: CSV and JSON for programs (stable English columns), a table for people (the reports' words) ---
CSV_COLUMNS = ("assignment", "question", "title", "tried", "passed", "passing_now", "checks", "hints",
               "top_failing_check", "top_failing_status", "top_failing_students", "top_failing_times",
               "top_failing_message")


def summary_rows(summary: SelfCheckSummary) -> list[dict]:
    """One row per question, CSV_COLUMNS."""
    rows = []
    for q in summary.questions:
        top = q.top_failure
        rows.append({"assignment": summary.assignment, "question": q.question, "title": q.title, "tried": q.tried,
                     "passed": q.passed, "passing_now": q.passing_now, "checks": q.checks, "hints": q.hints,
                     "top_failing_check": top.check if top else "", "top_failing_status": top.status if top else "",
                     "top_failing_students": top.students if top else 0, "top_failing_times": top.times if top else 0,
                     "top_failing_message": top.message if top else ""})
    return rows


def summary_csv(summary: SelfCheckSummary) -> str:
    import csv
    import io

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(summary_rows(summary))
    return out.getvalue()


def summary_table(summary: SelfCheckSummary, *, lang: str = "ko", timezone: str = "UTC", recording: bool = True) -> str:
    """The summary as a person reads it in a terminal: Korean or English, times in the course's zone."""
    from medai.progress.reports.text_width import cut, pad, width
    from medai.progress.reports.words import words

    w = words(lang)
    _ = w.gettext
    lines = []
    if not recording:
        lines.append(_("Recording is off (course.yaml: selfchecks.record: false): nothing new is recorded."))
    if not summary.questions:
        lines.append(_("No self-check use recorded for {assignment} yet.").format(assignment=summary.assignment))
        return "\n".join(lines) + "\n"
    lines.append(w.ngettext("{assignment}: {n} student used the self-checks, {records} times ({first} to {last})",
                            "{assignment}: {n} students used the self-checks, {records} times ({first} to {last})",
                            summary.students).format(
        assignment=summary.assignment, n=summary.students, records=summary.records,
        first=w.date(summary.first, timezone), last=w.date(summary.last, timezone)))
    head = [_("question"), _("tried"), _("passed"), _("passing now"), _("hints"), _("most common failing check")]
    body = []
    for q in summary.questions:
        top = q.top_failure
        failing = w.ngettext("{check}: {n} student, {times} times: {message}",
                             "{check}: {n} students, {times} times: {message}", top.students if top else 0).format(
            check=top.check, n=top.students, times=top.times, message=top.message.replace("\n", " ")) if top else ""
        body.append([q.question, str(q.tried), str(q.passed), str(q.passing_now), str(q.hints), cut(failing, 100)])
    widths = [max(width(row[i]) for row in [head, *body]) for i in range(len(head))]
    for row in [head, *body]:
        lines.append("  ".join(pad(cell, widths[i]) for i, cell in enumerate(row)).rstrip())
    return "\n".join(lines) + "\n"
