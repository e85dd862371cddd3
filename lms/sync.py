"""`medai lms sync [ASSIGNMENT]`: make the LMS's gradebook hold medai's scores, posting only what changed.

1. the course's members (NRPS) say which LMS user each roster student is;
2. each assignment's line item is found (resourceId = assignment id, tag "medai") or created once;
3. every score whose value differs from the last one the LMS accepted is posted (AGS scores); the outbox's
   scores, failed before, go first, or their newer value does;
4. a post that fails stays in the outbox with its error and is reported; the command then exits non-zero.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from medai.progress.model import ProgressReport

from .ags import ensure_line_item, post_score
from .client import LmsClient, LmsError
from .endpoints import Endpoints
from .ledger import Ledger
from .scores import Wanted, wanted_scores
from .text import LOCALE, lms_text as _t

__all__ = ["LOCALE", "SyncReport", "sync_scores"]


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)  # assignments whose line item was made now
    posted: list[str] = field(default_factory=list)  # "assignment/student"
    unchanged: int = 0
    kept_best: list[str] = field(default_factory=list)
    retried: int = 0  # outbox entries tried again
    failed: dict[str, str] = field(default_factory=dict)  # key -> error
    unknown: list[str] = field(default_factory=list)  # roster students the LMS does not list
    endpoints: Endpoints | None = None  # which endpoints were used: the launch's or the settings'

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0

    def lines(self, lang: str | None = None) -> list[str]:
        t = _t(lang)
        out = []
        if self.created:
            out.append(t.gettext("line items created: {names}").format(names=", ".join(self.created)))
        out.append(t.gettext("scores posted: {n}; unchanged: {m}").format(n=len(self.posted), m=self.unchanged))
        if self.endpoints is not None:
            out += self.endpoints.lines(lang)
        if self.kept_best:
            out.append(t.gettext("lower than the best already sent, not posted (resubmissions: best): {keys}")
                       .format(keys=", ".join(self.kept_best)))
        if self.retried:
            out.append(t.gettext("tried again from the outbox: {n}").format(n=self.retried))
        if self.unknown:
            out.append(t.gettext("not in the LMS course, nothing sent: {ids}").format(ids=", ".join(self.unknown)))
        for key, err in sorted(self.failed.items()):
            out.append(t.gettext("FAILED {key}: {error} (kept in the outbox; the next sync tries again)")
                       .format(key=key, error=err))
        return out


def _stamp(now: datetime | None) -> str:
    now = now or datetime.now(timezone.utc)
    return now.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _post(client: LmsClient, ledger: Ledger, report: SyncReport, *, key: str, line_item: str, body: dict,
          fingerprint: str, now: datetime | None) -> None:
    try:
        post_score(client, line_item, {**body, "timestamp": _stamp(now)})
    except LmsError as err:
        tries = ledger.outbox.get(key, {}).get("tries", 0) + 1
        ledger.outbox[key] = {"line_item": line_item, "body": body, "fingerprint": fingerprint,
                              "error": str(err), "tries": tries}
        report.failed[key] = str(err)
    else:
        ledger.outbox.pop(key, None)
        ledger.sent[key] = {"fingerprint": fingerprint, "scoreGiven": body.get("scoreGiven"),
                            "gradingProgress": body.get("gradingProgress")}
        report.posted.append(key)
    ledger.save()


def _best_kept(w: Wanted, sent: dict | None) -> bool:
    """Under `best`: a fully graded score under the best fully graded one already sent stays unsent."""
    if not sent or w.body.get("gradingProgress") != "FullyGraded" or sent.get("gradingProgress") != "FullyGraded":
        return False
    return (w.score_given or 0) < (sent.get("best", sent.get("scoreGiven")) or 0)


def sync_scores(*, client: LmsClient, report: ProgressReport, lineitems_url: str, user_ids: dict[str, str],
                ledger: Ledger, resubmissions: str = "latest", assignment: str | None = None,
                now: datetime | None = None) -> SyncReport:
    if assignment is not None and assignment not in {a.id for a in report.assignments}:
        raise LmsError(f"unknown assignment {assignment!r}")
    out = SyncReport()
    wanted, out.unknown = wanted_scores(report, user_ids=user_ids, assignment=assignment)
    by_key = {w.key: w for w in wanted}
    # outbox first: what the LMS still owes is tried before anything new (its newer value when there is one)
    for key, entry in sorted(ledger.outbox.items()):
        if assignment is not None and not key.startswith(f"{assignment}/"):
            continue
        out.retried += 1
        line_item = entry["line_item"] or ledger.line_items.get(key.split("/")[0], "")
        if key not in by_key and line_item:
            _post(client, ledger, out, key=key, line_item=line_item, body=entry["body"],
                  fingerprint=entry["fingerprint"], now=now)
        elif key not in by_key:
            out.failed[key] = entry["error"]
    items: dict[str, str] = {}
    for a in report.assignments:
        if assignment is not None and a.id != assignment:
            continue
        try:
            item, created = ensure_line_item(client, lineitems_url, resource_id=a.id, label=a.title,
                                             score_maximum=a.points, end=a.due)
        except LmsError as err:
            for w in wanted:
                if w.assignment == a.id:
                    ledger.outbox[w.key] = {"line_item": "", "body": w.body, "fingerprint": w.fingerprint,
                                            "error": str(err), "tries": ledger.outbox.get(w.key, {}).get("tries", 0) + 1}
                    out.failed[w.key] = str(err)
            ledger.save()
            continue
        items[a.id] = item.id
        ledger.line_items[a.id] = item.id
        if created:
            out.created.append(a.id)
    ledger.save()
    for w in wanted:
        if w.assignment not in items:
            continue
        sent = ledger.sent.get(w.key)
        if w.key not in ledger.outbox and sent and sent.get("fingerprint") == w.fingerprint:
            out.unchanged += 1
            continue
        if resubmissions == "best" and _best_kept(w, sent):
            out.kept_best.append(w.key)
            continue
        _post(client, ledger, out, key=w.key, line_item=items[w.assignment], body=w.body,
              fingerprint=w.fingerprint, now=now)
        if resubmissions == "best" and w.key in ledger.sent and sent:
            best = max(sent.get("best", sent.get("scoreGiven")) or 0, w.score_given or 0)
            ledger.sent[w.key]["best"] = best
            ledger.save()
    return out
