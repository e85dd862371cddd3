"""The spawn-pending page's progress lines, Korean first with English beside them (domain "medai"): JupyterHub
shows each event's message under its progress bar while a server starts. Ours: "starting" (the local spawner's
own progress) and "ready" (Spawner.progress_ready_hook, for any spawner). JupyterHub's first line ("Server
requested") and its failure line come from JupyterHub itself and stay English."""
from __future__ import annotations

from html import escape

from medai.i18n import both


def starting_event() -> dict:
    return {"progress": 50, "message": both("Starting your server (JupyterLab)...")}


def ready_event(spawner, event: dict) -> dict:
    """Spawner.progress_ready_hook: JupyterHub's "Server ready at <url>", in both languages, the link kept."""
    url = event.get("url", "")
    text = both("Your server is ready: {url}")
    return {**event, "message": text.format(url=url),
            "html_message": escape(text).format(url=f'<a href="{escape(url)}">{escape(url)}</a>')}
