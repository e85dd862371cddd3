"""Assignment and Grade Services 2.0: line items and scores (https://www.imsglobal.org/spec/lti-ags/v2p0).

One line item per assignment, identified by `resourceId` = the assignment's id and `tag` = "medai": looked up
first (the platform's filter, then the same test here, since some platforms ignore the filter), created only
when none is found, so a second sync, a new machine or a lost ledger never adds a second column.
"""
from __future__ import annotations

from dataclasses import dataclass

from .client import LmsClient, LmsError

LINEITEM_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM = "application/vnd.ims.lis.v2.lineitem+json"
LINEITEMS = "application/vnd.ims.lis.v2.lineitemcontainer+json"
SCORE = "application/vnd.ims.lis.v1.score+json"
TAG = "medai"


@dataclass(frozen=True)
class LineItem:
    id: str  # its URL
    resource_id: str
    label: str
    score_maximum: float


def _items(body) -> list[dict]:
    if isinstance(body, list):
        return body
    if isinstance(body, dict):  # some platforms wrap the list (lti1p3platform: {"content": [...]})
        for key in ("content", "lineItems", "items"):
            if isinstance(body.get(key), list):
                return body[key]
    raise LmsError("the line items answer is not a list")


def find_line_item(client: LmsClient, lineitems_url: str, *, resource_id: str) -> LineItem | None:
    found = []
    for page in client.pages(lineitems_url, scopes=(LINEITEM_SCOPE,), accept=LINEITEMS,
                             params={"resource_id": resource_id, "tag": TAG}):
        found += [i for i in _items(page) if i.get("resourceId") == resource_id and i.get("tag") == TAG]
    if not found:
        return None
    first = sorted(found, key=lambda i: str(i.get("id")))[0]  # several (made by hand): always the same one
    return LineItem(first["id"], resource_id, first.get("label", ""), float(first.get("scoreMaximum", 0)))


def ensure_line_item(client: LmsClient, lineitems_url: str, *, resource_id: str, label: str,
                     score_maximum: float, end: str | None = None) -> tuple[LineItem, bool]:
    """(the assignment's line item, whether it was created now)."""
    item = find_line_item(client, lineitems_url, resource_id=resource_id)
    if item is not None:
        return item, False
    body = {"scoreMaximum": score_maximum, "label": label, "resourceId": resource_id, "tag": TAG}
    if end:
        body["endDateTime"] = end
    made, _ = client.call("POST", lineitems_url, scopes=(LINEITEM_SCOPE,), accept=LINEITEM, json=body,
                          content_type=LINEITEM)
    if not isinstance(made, dict) or not made.get("id"):
        raise LmsError(f"POST {lineitems_url}: the new line item has no id")
    return LineItem(made["id"], resource_id, label, score_maximum), True


def scores_url(line_item_id: str) -> str:
    """The scores endpoint is the line item's URL with /scores appended to its path (query kept)."""
    base, _, query = line_item_id.partition("?")
    return f"{base.rstrip('/')}/scores" + (f"?{query}" if query else "")


def post_score(client: LmsClient, line_item_id: str, score: dict) -> None:
    client.call("POST", scores_url(line_item_id), scopes=(SCORE_SCOPE,), accept="application/json", json=score,
                content_type=SCORE)
