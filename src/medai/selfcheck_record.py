"""Recording self-check use for the instructor, from the student's kernel: each `q1.check()` and `q1.hint()`
is sent to the hub's progress service (medai.progress.staff_page.selfcheck_api), which appends it to the
self-check log (why there and not in a file of the student's: medai.progress.insight.selfcheck_log).

The kernel finds the service through the hub's API with its server's own hub token ($JUPYTERHUB_API_URL,
$JUPYTERHUB_API_TOKEN, which every user's server and its kernels have; JupyterHub places services where a
deployment likes), as the My-course panel does (medai.hub.my_course). Outside a hub (a laptop, the grading
sandbox, whose kernels get a minimal environment) there is no token and nothing is sent.

Never in the way: a record is put on a queue and sent by one background thread, so a check answers at once,
whether the hub is up, slow or gone; every failure (no service, a refusal, a full queue) drops the record
silently, and course.yaml's `selfchecks.record: false` is the service's to apply (it writes nothing). The
students are told in each notebook that self-check use is recorded.

Standard library only: it runs in every student's kernel.
"""
from __future__ import annotations

import atexit
import json
import os
import queue
import threading
import urllib.request
from typing import Any

SERVICE = "progress"  # medai.hub.apply.PROGRESS_SERVICE (this module runs in kernels: no hub imports)
ROUTE = "api/selfchecks"
TIMEOUT = 5.0  # seconds per request, in the background thread
AT_EXIT = 2.0  # seconds a kernel that is shutting down waits for its last records to go
QUEUE_SIZE = 200  # records waiting to be sent; more are dropped (a loop of check() calls, a dead service)

_queue: queue.Queue[dict[str, Any]] = queue.Queue(QUEUE_SIZE)
_lock = threading.Lock()
_worker: threading.Thread | None = None
_endpoint: str | None = None


def _join(base: str, path: str) -> str:
    return base.rstrip("/") + "/" + path.lstrip("/")


def _hub() -> tuple[str, str] | None:
    api, token = os.environ.get("JUPYTERHUB_API_URL", ""), os.environ.get("JUPYTERHUB_API_TOKEN", "")
    return (api, token) if api and token else None


def _request(url: str, token: str, body: dict | None = None) -> dict:
    data = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=data, method="GET" if body is None else "POST",
                                     headers={"Authorization": f"token {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310  the hub's own URLs
        return json.loads(response.read() or b"{}")


def endpoint(api: str, token: str) -> str:
    """The service's record URL, found once per kernel through the hub's API."""
    global _endpoint
    if _endpoint is None:
        model = _request(_join(api, f"services/{SERVICE}"), token)
        if not model.get("url"):
            raise OSError(f"the hub's {SERVICE} service has no URL")
        _endpoint = _join(_join(model["url"], model.get("prefix") or f"/services/{SERVICE}/"), ROUTE)
    return _endpoint


def _send_all() -> None:
    global _endpoint
    while True:
        record = _queue.get()
        try:
            hub = _hub()
            if hub is not None:
                _request(endpoint(*hub), hub[1], record)
        except Exception:  # noqa: BLE001  no hub, no service, a refusal: the record is lost, never the check
            _endpoint = None  # found again next time (the service may have moved)
        finally:
            _queue.task_done()


def record(**fields: Any) -> None:
    """Queue one use for sending (assignment, question, title, action, status, failed, message); returns at once
    and never raises."""
    global _worker
    try:
        if _hub() is None:
            return
        with _lock:
            if _worker is None or not _worker.is_alive():
                if _worker is None:
                    atexit.register(flush, AT_EXIT)  # a kernel shutting down sends its last records first
                _worker = threading.Thread(target=_send_all, name="medai-selfcheck-record", daemon=True)
                _worker.start()
        _queue.put_nowait(fields)
    except Exception:  # noqa: BLE001  a full queue, no threads left: nothing recorded, the check still answers
        pass


def flush(timeout: float = 10.0) -> bool:
    """Wait until every queued record was sent (or dropped); False when `timeout` seconds were not enough."""
    done = threading.Event()

    def wait() -> None:
        _queue.join()
        done.set()

    threading.Thread(target=wait, daemon=True).start()
    return done.wait(timeout)
