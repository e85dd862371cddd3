"""`medai up`: prepare the data root, then run JupyterHub (and through it the proxy, the formgrader and the
other services) in the foreground. Ctrl-C stops the hub, which stops everything it started.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

from medai.course import Course, Roster
from medai.errors import UserError
from medai.hub import roster_sync
from medai.hub.hub_api import HubAPI, write_url
from medai.hub.runtime import cli_token, load_saved_roster, prepare
from medai.hub.settings import HubSettings
from medai.settings import ENV_NAMES

CONFIG_FILE = Path(__file__).with_name("jupyterhub_config.py")


def demo_roster_file(course_file: Path) -> Path:
    """The demo cohort shipped beside course.yaml (course/roster.example.csv)."""
    path = course_file.parent / "roster.example.csv"
    if not path.exists():
        path = Path(__file__).resolve().parent.parent / "course" / "roster.example.csv"
    return path


def prepare_deployment(*, course: Course, settings: HubSettings, demo: bool,
                       system: bool) -> tuple[Roster, list[str]]:
    """Import the roster (the demo one with `demo`) and build the data root. Returns the roster and what was done."""
    layout = settings.layout
    if demo:
        report = roster_sync.import_roster(path=demo_roster_file(course.source_path), course=course,
                                           settings=settings, system=system)
        return load_saved_roster(layout, course), report.lines()
    if not layout.roster_file.exists():
        raise UserError(
            f"no roster imported into {layout.root} yet: run `medai roster import FILE.csv` first "
            "(or `medai up --demo` for the demo cohort)")
    roster = load_saved_roster(layout, course)
    lines = prepare(course=course, roster=roster, settings=settings, system=system).lines()
    lines.append(f"gradebook: {roster_sync.sync_gradebook(roster=roster, layout=layout)} students")
    return roster, lines


def hub_environment(settings: HubSettings) -> dict[str, str]:
    """The hub process's environment: ours, with every setting written as jupyterhub_config.py reads it back
    (HubSettings.from_env), and the environment's bin/ first on PATH."""
    env = {k: v for k, v in os.environ.items() if k not in ENV_NAMES}  # a setting not set is its default there too
    env.update(settings.to_env())
    env["PATH"] = f"{settings.venv_bin}:{env.get('PATH', '/usr/bin:/bin')}"
    return env


def wait_until_serving(api: HubAPI, public: HubAPI, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    """Wait for the hub's own API, then for the proxy to route to it (asking the proxy before the hub is up
    only fills the log with the proxy's connection errors)."""
    deadline = time.monotonic() + timeout
    for target in (api, public):
        while not target.alive():
            if proc.poll() is not None:
                raise UserError(f"JupyterHub exited during start-up (status {proc.returncode}); see its log above")
            if time.monotonic() > deadline:
                raise UserError(f"JupyterHub did not answer at {target.url} within {timeout:.0f} s")
            time.sleep(0.25)


def print_logins(roster: Roster, settings: HubSettings, password: str | None) -> None:
    print(f"\nmedai hub: http://{settings.ip}:{settings.port}/")
    for person in roster.people:
        what = person.role + (f", {person.track} track" if person.track else "")
        secret = f"  password: {password}" if password else ""
        print(f"  {person.id:<12} {person.name} ({what}){secret}")
    print("Ctrl-C stops the hub and everything it started.\n", flush=True)


def _stop_orphaned_proxy(pid_file: Path) -> None:
    """A hub stopped while still starting can leave its proxy running: end it (by the PID the hub recorded)."""
    try:
        pid = int(pid_file.read_text())
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            if b"configurable-http-proxy" not in f.read():
                return
        os.kill(pid, signal.SIGTERM)
    except (OSError, ValueError):
        return
    pid_file.unlink(missing_ok=True)


def _default_signal_handling() -> None:
    """Started from a background shell, we inherit SIGINT ignored; the hub and every service and server it
    starts would inherit that too, and each would then take the slow SIGTERM path when stopped."""
    for sig in (signal.SIGINT, signal.SIGQUIT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)


def run_hub(*, settings: HubSettings, course: Course, roster: Roster, show_password: str | None = None) -> int:
    """Run JupyterHub in the foreground until it exits or Ctrl-C/SIGTERM; returns its exit status."""
    cmd = [str(settings.venv_bin / "jupyterhub"), "-f", str(CONFIG_FILE)]
    proc = subprocess.Popen(cmd, cwd=settings.layout.hub_dir, env=hub_environment(settings),
                            preexec_fn=_default_signal_handling)

    def stop(signum, frame):  # forward, then let the hub clean up its servers and proxy
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        # the hub's own API port (loopback), not through the proxy, which has no route until the hub adds it
        api = HubAPI(f"http://127.0.0.1:{settings.hub_api_port}/hub/api", cli_token(settings.layout))
        write_url(settings.layout, api.url)
        wait_until_serving(api, replace(api, url=f"http://{settings.ip}:{settings.port}/hub/api"), proc)
        report = roster_sync.ImportReport()
        roster_sync.sync_hub(api=api, course=course, roster=roster, report=report)
        print_logins(roster, settings, show_password)
        return proc.wait()
    except BaseException:
        stop(None, None)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        raise
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        (settings.layout.hub_dir / "hub-api-url").unlink(missing_ok=True)
        _stop_orphaned_proxy(settings.layout.hub_dir / "proxy.pid")
        sys.stdout.flush()
