"""What the reports and the staff page say, in the reader's language: Korean by default, English one switch away.

One catalogue, domain "reports": progress/locale/ko/LC_MESSAGES/reports.po (medai.i18n; English is the msgid).
`words(lang)` gives a `Words`: gettext/ngettext for the domain, and the few things said the same way
everywhere: state and level names, at-risk reasons (from the flag's kind and values, not its English text),
titles (course.yaml's `title_ko` in Korean, `title` in English) and dates as the reader writes them, in the
course's time zone.

    w = words("ko")
    _ = w.gettext
    _("Students at risk")            # -> "위험 학생"
    w.date("2026-11-23T23:59:00+09:00", "Asia/Seoul")   # -> "2026년 11월 23일 23:59"
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from medai.i18n import normalise, translator
from medai.progress.model import recent_scores, trend_slope

DOMAIN = "reports"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"  # progress/locale
# which course.yaml title a reader of each language sees (data, not a branch: a new language adds a line)
TITLE_FIELD = {"ko": "title_ko", "en": "title"}


def number(v: float) -> str:
    """66.666 -> "66.7", 60.0 -> "60" (as the model writes numbers in its reasons)."""
    return f"{v:.1f}".rstrip("0").rstrip(".")


def _state_names(_: Callable[[str], str]) -> dict[str, str]:
    return {
        "not_released": _("not released"), "released": _("released"), "fetched": _("fetched"),
        "submitted": _("submitted"), "late": _("late (missing)"), "graded": _("graded"),
        "needs_manual_grading": _("manual grading"), "not_in_course": _("not in course.yaml"),
    }


def _level_names(_: Callable[[str], str]) -> dict[str, str]:
    return {"mastered": _("mastered"), "developing": _("developing"), "not_yet": _("not yet"),
            "not_assessed": _("not assessed")}


@dataclass(frozen=True)
class Words:
    lang: str
    gettext: Callable[[str], str]
    ngettext: Callable[[str, str, int], str]
    states: dict[str, str]
    levels: dict[str, str]

    def state(self, name: str) -> str:
        return self.states.get(name, name)

    def level(self, name: str) -> str:
        return self.levels.get(name, name)

    def yes_no(self, value: bool) -> str:
        _ = self.gettext
        return _("yes") if value else _("no")

    def title(self, item) -> str:
        """An item's title (course, track, competency, assignment) in the reader's language."""
        return getattr(item, TITLE_FIELD[self.lang], None) or getattr(item, "title", None) or getattr(item, "id", "")

    def track(self, report, track: str) -> str:
        """e.g. "의학 트랙 (medicine)"; a track course.yaml does not list: its id."""
        t = next((t for t in report.tracks if t.id == track), None)
        return self.gettext("{title} ({id})").format(title=self.title(t), id=t.id) if t else track

    def competency_titles(self, report) -> dict[str, str]:
        return {c.id: self.title(c) for c in report.competencies}

    def date(self, ts: str | None, tz: str, *, time: bool = True, year: bool = True) -> str:
        """An ISO 8601 moment in the course's time zone `tz`, as the reader writes it ("" for none):
        2026년 11월 23일 23:59 / 2026-11-23 23:59; without the time, or (for tables) without the year."""
        if not ts:
            return ""
        d = datetime.fromisoformat(ts).astimezone(ZoneInfo(tz))
        _ = self.gettext
        if not year:
            text = _("{month:02d}-{day:02d} {hour:02d}:{minute:02d}")
        elif time:
            text = _("{year}-{month:02d}-{day:02d} {hour:02d}:{minute:02d}")
        else:
            text = _("{year}-{month:02d}-{day:02d}")
        return text.format(year=d.year, month=d.month, day=d.day, hour=d.hour, minute=d.minute)

    def flag(self, f, s, report) -> str:
        """An at-risk reason of student `s`, said from the flag's kind and the student's numbers (in English:
        the model's own `reason`, word for word); a kind without words here: its English reason."""
        _ = self.gettext
        t = report.thresholds
        if f.kind == "missing":
            missing = [a.assignment for a in s.assignments if a.state == "late"]
            return self.ngettext("{n} assignment past due and not submitted: {names}",
                                 "{n} assignments past due and not submitted: {names}", len(missing)).format(
                n=len(missing), names=", ".join(missing))
        if f.kind == "low_score" and s.weighted_score is not None:
            return _("weighted score {score}% is under {limit}%").format(score=number(s.weighted_score),
                                                                          limit=number(t.low_score))
        recent = recent_scores(s.assignments, t)
        if f.kind == "falling" and len(recent) >= 3:
            return _("scores falling: {path} ({slope} points per assignment)").format(
                path=" → ".join(number(v) for v in recent), slope=number(trend_slope(recent)))
        return f.reason

    def flags(self, s, report, sep: str = "; ") -> str:
        return sep.join(self.flag(f, s, report) for f in s.flags)


@lru_cache(maxsize=None)
def words(lang: str | None = "ko") -> Words:
    """The reports' words in `lang` ("ko" or "en"; None: Korean)."""
    lang = normalise(lang)
    t = translator(lang, domain=DOMAIN, localedir=LOCALE_DIR)
    return Words(lang=lang, gettext=t.gettext, ngettext=t.ngettext, states=_state_names(t.gettext),
                 levels=_level_names(t.gettext))
