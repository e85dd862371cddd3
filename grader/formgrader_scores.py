"""The formgrader's scores, as every other view shows them: late penalty included, totals per track.

nbgrader's formgrader shows raw points (no late penalty anywhere) and sums, per student, every assignment in the
gradebook (both tracks' at once). Served by medai.grader.formgrader_guard, in front of nbgrader's own routes:

- every formgrader API handler builds its NbGraderAPI as `ScoredAPI`: a submission's or notebook's `score` is the
  gradebook's stored late penalty already taken off (medai.nbgrader_adapter.late_penalty), `late_penalty` says by
  how much; a student's total and their list of assignments cover their own track (common + theirs, from
  course.yaml and the roster), plus any assignment course.yaml does not list;
- saving a hand grade (`PUT /formgrader/api/grade/<id>`) stores the submission's late penalty again, on the new
  total (`StoringGradeHandler`); autograding and feedback from the formgrader's buttons store it through
  medai.grader.late.StoreLatePenalty (the grader's nbgrader configuration);
- the pages that show a total add "(late -x)" next to it (`late_note_script` on SCORE_SCRIPTS).

Which course: the hub's settings in this server's environment (MEDAI_COURSE, MEDAI_ROOT: course.yaml and the
roster); without them, scores are nbgrader's own less the stored penalty, totals over every assignment.
"""
from __future__ import annotations

from nbgrader.apps.api import NbGraderAPI
from nbgrader.server_extensions.formgrader import apihandlers

from medai.grader.late import course_from_settings
from medai.nbgrader_adapter.late_penalty import store_late_penalty, stored_penalties


_TRACKS: dict[tuple, dict[str, str]] = {}


def student_tracks(course) -> dict[str, str]:
    """student id -> track, from the deployment's roster (read again when it changes; empty when there is none)."""
    from medai.course import parse_roster
    from medai.settings import Settings

    path = Settings.from_env().layout.roster_file
    try:
        key = (str(path), path.stat().st_mtime_ns, id(course))
        if key not in _TRACKS:
            roster = parse_roster(path, course=course)
            _TRACKS.clear()
            _TRACKS[key] = {p.id: p.track for p in roster.by_role("student") if p.track}
        return _TRACKS[key]
    except (FileNotFoundError, PermissionError):
        return {}


def _net(item: dict, penalty: float) -> dict:
    item["late_penalty"] = round(penalty, 6)
    item["score"] = max(0.0, float(item.get("score") or 0) - penalty)
    return item


class ScoredAPI(NbGraderAPI):
    """nbgrader's API with the stored late penalty taken off every score, and students' totals per track."""

    def _penalties(self, assignment_id: str | None = None) -> dict[tuple[str, str], float]:
        with self.gradebook as gb:
            return stored_penalties(gb, assignment_id=assignment_id)

    def _notebook_penalties(self, ids) -> dict[str, float]:
        from nbgrader.api import SubmittedNotebook

        wanted = [i for i in ids if i]
        if not wanted:
            return {}
        with self.gradebook as gb:
            rows = gb.db.query(SubmittedNotebook.id, SubmittedNotebook.late_submission_penalty).filter(
                SubmittedNotebook.id.in_(wanted)).all()
        return {i: float(p or 0) for i, p in rows}

    def _scope(self):
        """student id -> the assignments that count for them (their track's, and any course.yaml does not
        list), or None when the course or the student's track is unknown (all count)."""
        course = course_from_settings()
        tracks = student_tracks(course) if course is not None else {}
        if not tracks:
            return lambda student_id: None
        with self.gradebook as gb:
            unlisted = {a.name for a in gb.assignments} - {a.id for a in course.assignments}
        per_track = {t: {a.id for a in course.assignments_for_track(t)} | unlisted for t in set(tracks.values())}
        return lambda student_id: per_track.get(tracks.get(student_id))

    def get_submission(self, assignment_id, student_id, ungraded=None, students=None):
        submission = super().get_submission(assignment_id, student_id, ungraded=ungraded, students=students)
        if submission is not None:
            _net(submission, self._penalties(assignment_id).get((student_id, assignment_id), 0.0))
        return submission

    def get_submissions(self, assignment_id):
        penalties = self._penalties(assignment_id)  # ungraded ones come through get_submission, already net
        return [s if "late_penalty" in s else _net(s, penalties.get((s["student"], assignment_id), 0.0))
                for s in super().get_submissions(assignment_id)]

    def get_notebook_submissions(self, assignment_id, notebook_id):
        submissions = super().get_notebook_submissions(assignment_id, notebook_id)
        penalties = self._notebook_penalties(s["id"] for s in submissions)
        return [_net(s, penalties.get(s["id"], 0.0)) for s in submissions]

    def get_student_notebook_submissions(self, student_id, assignment_id):
        submissions = super().get_student_notebook_submissions(student_id, assignment_id)
        penalties = self._notebook_penalties(s["id"] for s in submissions)
        return [_net(s, penalties.get(s["id"], 0.0)) for s in submissions]

    def get_student_submissions(self, student_id):
        counted = self._scope()(student_id)
        return [s for s in super().get_student_submissions(student_id) if counted is None or s["name"] in counted]

    def _with_totals(self, students: list[dict]) -> list[dict]:
        """Each student's score and maximum over the assignments that count for them, penalties taken off."""
        from medai.nbgrader_adapter.gradebook import submission_totals

        with self.gradebook as gb:
            top = {a.name: float(a.max_score or 0) for a in gb.assignments}
            scores = {(s, a): float(score or 0) for s, a, _, score, _, _ in submission_totals(gb)}
            penalties = stored_penalties(gb)
        scope = self._scope()
        for student in students:
            sid, counted = student["id"], scope(student["id"])
            names = set(top) if counted is None else counted & set(top)
            student["max_score"] = sum(top[a] for a in names)
            student["score"] = sum(max(0.0, scores.get((sid, a), 0.0) - penalties.get((sid, a), 0.0)) for a in names)
        return students

    def get_students(self):
        return self._with_totals(super().get_students())

    def get_student(self, student_id, submitted=None):
        student = super().get_student(student_id, submitted=submitted)
        return None if student is None else self._with_totals([student])[0]


class ScoredApiMixin:
    """A formgrader API handler whose `api` is ScoredAPI (nbgrader's BaseHandler.api, with that class)."""

    @property
    def api(self):
        level = self.log.level
        self.coursedir.parent.load_config_file()
        api = ScoredAPI(self.coursedir, self.authenticator, parent=self.coursedir.parent)
        api.log_level = level
        return api


class StoringGradeHandler(apihandlers.GradeHandler):
    """nbgrader's grade API; after a hand grade is saved, the submission's late penalty is stored again on the
    new total."""

    def put(self, grade_id):
        super().put(grade_id)
        course = course_from_settings()
        if course is None:
            return
        grade = self.gradebook.find_grade_by_id(grade_id)
        submission = grade.notebook.assignment
        store_late_penalty(self.gradebook, course, assignment_id=submission.assignment.name,
                           student_id=submission.student.id)


REPLACED = {apihandlers.GradeHandler: StoringGradeHandler}

# nbgrader's scripts that show a submission's or notebook's total
SCORE_SCRIPTS = ("manage_submissions.js", "manage_students_assignments.js", "manage_students_notebook_submissions.js",
                 "gradebook_notebook_submissions.js")
_TOTAL = 'this.$score.text(score + " / " + max_score);'
_NOTE = ('var medaiLate = this.model.get("late_penalty"); '
         'this.$score.text(score + " / " + max_score + (medaiLate ? " (late \\u2212" + '
         'roundToPrecision(medaiLate, 2) + ")" : ""));')


def late_note_script(source: str) -> str:
    """One of SCORE_SCRIPTS with "(late -x)" after the total when a penalty was taken off. Raises ValueError
    when nbgrader's script has changed."""
    if _TOTAL not in source:
        raise ValueError("nbgrader's formgrader script no longer writes a total as score + \" / \" + max_score")
    return source.replace(_TOTAL, _NOTE, 1)
