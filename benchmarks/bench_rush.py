"""A deadline rush on a real hub: N students log in, start their servers, fetch and submit an assignment.

A throw-away deployment (data root under /tmp, roster of N students with real Unix accounts, `medai up` on a
free 127.0.0.1 port) takes the rush of tests/rush.py, the same driver tests/test_deadline_rush.py runs:
each student, at most --concurrency at once, logs in through the login form, starts their server (through
the spawn-pending page's progress stream, as a browser does), lists and fetches the released assignment,
submits it; then every student stops their server. It prints p50/p95/max latency of each step, the wall
time, and the CPU and memory (RSS) of the hub, the proxy, the users' servers and the rest, sampled from /proc
every second. There is no stock tool to compare with: STACK-NOTES' figures for one user alone on the stock
stack are printed as a reference. Everything it starts it stops; the accounts it creates it removes.

With `--grade-on-submit` (issue 18's deadline rush) the grade-on-submit service runs, and it also reports, per
student, the seconds from their submit returning to their feedback being fetchable (the file nbgrader's own
`list` looks for, `<exchange>/<course>/feedback/<hash of the submission secret>.html`, read every 0.5 s), the
hub's latency meanwhile (`GET /hub/api` every 0.5 s, from the first login to the last feedback), and whether
the gradebook holds exactly one scored submission per student (none lost, none duplicated). Target (issue
18): feedback p95 <= 30 s. `--students 10` is a quick run.

    sudo /opt/medai/venv/bin/python benchmarks/bench_rush.py [--students 50] [--concurrency 25]
    sudo /opt/medai/venv/bin/python benchmarks/bench_rush.py --grade-on-submit [--students 50]
"""
from __future__ import annotations

import argparse
import json
import os
import pwd
import sys
import threading
import time
from dataclasses import asdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ASSIGNMENT = "c02-diagnostic-metrics"
NOTEBOOK = "diagnostic-metrics"
STOCK = ("stock stack, one user alone (STACK-NOTES): server ready 4.5-7.2 s after login (2.3 s without the "
         "jsonschema import cost); hub 126 MB, proxy 67 MB, each user server 150-170 MB")


def mb(n: int) -> str:
    return f"{n / 2**20:,.0f} MB"


def report(result, *, students: int, concurrency: int, setup: dict[str, float]) -> None:
    from tests.rush import STEPS, percentile

    print(f"deadline rush: {students} students, at most {concurrency} at once, on loopback")
    print("set-up (not in the figures): " + ", ".join(f"{k} {v:.1f} s" for k, v in setup.items()))
    print(f"\n{'step':<24} {'n':>4} {'p50 s':>7} {'p95 s':>7} {'max s':>7}")
    labels = {"fetch": "fetch (list + fetch)", "stop": "stop (after the rush)"}
    for step in (*STEPS, "stop"):
        values = result.latencies(step)
        print(f"{labels.get(step, step):<24} {len(values):>4} {percentile(values, 50):7.2f} "
              f"{percentile(values, 95):7.2f} {max(values, default=float('nan')):7.2f}")
    print(f"\nwall time, first login to last submission: {result.wall:.1f} s; failures: {len(result.failures)}")
    for failure in result.failures:
        print(f"  {failure}")
    print(f"\n{'processes (CPU: % of one core)':<34} {'CPU peak':>9} {'CPU mean':>9} {'RSS peak':>10}")
    names = {"hub": "hub", "proxy": "proxy (configurable-http-proxy)", "servers": "users' servers, total",
             "other": "services + medai up", "client": "this load generator"}
    for group, usage in result.usage.items():
        print(f"{names[group]:<34} {usage.cpu_peak:8.0f}% {usage.cpu_mean:8.0f}% {mb(usage.rss_peak):>10}")
    servers = result.usage["servers"]
    if servers.accounts_at_peak:
        print(f"users' servers at their peak: {servers.accounts_at_peak} servers in {servers.processes_at_peak} "
              f"processes, {mb(servers.rss_peak // servers.accounts_at_peak)} a server (RSS counts shared pages "
              f"in every process)")
    print(f"({result.samples} samples, {os.cpu_count()} CPUs)\n\nreference, {STOCK}")


class Poller(threading.Thread):
    """Calls `probe()` every `every` seconds until stopped (`halt`)."""

    def __init__(self, probe, every: float = 0.5):
        super().__init__(daemon=True)
        self.probe, self.every = probe, every
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            self.probe()
            self.halt.wait(self.every)


class HubLatency:
    """`GET /hub/api` (the hub answering, no login) timed: (time.time(), seconds or None when it failed)."""

    def __init__(self, url: str):
        import requests

        self.url, self.session, self.samples = f"{url}/hub/api", requests.Session(), []

    def __call__(self) -> None:
        started = time.perf_counter()
        try:
            ok = self.session.get(self.url, timeout=30).status_code == 200
        except Exception:  # noqa: BLE001 - a failure is a sample too
            ok = False
        self.samples.append((time.time(), time.perf_counter() - started if ok else None))


class FeedbackSeen:
    """When each student's feedback became fetchable: the feedback file nbgrader's list looks for (the hash of
    the submission's secret), for the student's latest submission in the inbound folder."""

    def __init__(self, exchange: Path, students: list[str], notebook: str):
        self.exchange, self.pending, self.notebook = exchange, set(students), notebook
        self.seen: dict[str, float] = {}

    def __call__(self) -> None:
        from nbgrader.utils import notebook_hash

        inbound = self.exchange / "inbound"
        for student in sorted(self.pending):
            folders = sorted(inbound.glob(f"{student}+{ASSIGNMENT}+*"))
            secret = folders[-1] / "submission_secret.txt" if folders else None
            try:
                key = notebook_hash(secret=secret.read_text(), notebook_id=self.notebook) if secret else None
            except OSError:
                continue
            if key and (self.exchange / "feedback" / f"{key}.html").is_file():
                self.seen[student] = time.time()
                self.pending.discard(student)


def graded_rows(hub) -> dict[str, int]:
    """Autograded submissions of the assignment per student, as the gradebook holds them."""
    from medai.nbgrader_adapter.gradebook import gradebook

    rows: dict[str, int] = {}
    with gradebook(f"sqlite:///{hub.root / 'course' / 'gradebook.db'}", "medai101") as gb:
        for sub in gb.find_assignment(ASSIGNMENT).submissions:
            if any(g.auto_score is not None for nb in sub.notebooks for g in nb.grades):
                rows[sub.student.id] = rows.get(sub.student.id, 0) + 1
    return rows


def report_grading(result, seen: FeedbackSeen, hub_latency: HubLatency, rows: dict[str, int],
                   students: list[str], window: tuple[float, float]) -> bool:
    from tests.rush import percentile

    submitted = {r.name: r.at["submit"] for r in result.runs if "submit" in r.at}
    waits = sorted(seen.seen[n] - t for n, t in submitted.items() if n in seen.seen)
    first, last = min(submitted.values(), default=0), max(submitted.values(), default=0)
    print(f"\ngrade on submit: {len(submitted)} submissions within {last - first:.1f} s (first to last)")
    print(f"submit -> feedback fetchable: n {len(waits)}  p50 {percentile(waits, 50):.1f} s  "
          f"p95 {percentile(waits, 95):.1f} s  max {max(waits, default=float('nan')):.1f} s   (target p95 <= 30 s)")
    missing = sorted(set(submitted) - set(seen.seen))
    if missing:
        print(f"  no feedback in time for {len(missing)}: {', '.join(missing[:10])}")
    during = sorted(v for t, v in hub_latency.samples if window[0] <= t <= window[1] and v is not None)
    failed = sum(1 for t, v in hub_latency.samples if window[0] <= t <= window[1] and v is None)
    print(f"hub latency meanwhile (GET /hub/api every 0.5 s): n {len(during)}  "
          f"p50 {percentile(during, 50) * 1000:.0f} ms  p95 {percentile(during, 95) * 1000:.0f} ms  max {max(during, default=float('nan')) * 1000:.0f} ms  "
          f"failed {failed}")
    lost = sorted(set(submitted) - set(rows))
    duplicated = sorted(n for n, k in rows.items() if k > 1)  # nbgrader's schema allows one row per student
    print(f"gradebook: {len(rows)} students scored, lost {len(lost)}, duplicated {len(duplicated)}"
          + (f" (lost: {', '.join(lost[:10])})" if lost else ""))
    return not missing and not lost and not duplicated


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=25, help="students at once (default 25)")
    parser.add_argument("--grade-on-submit", action="store_true",
                        help="run the grade-on-submit service during the rush (default: off)")
    parser.add_argument("--feedback-timeout", type=float, default=900,
                        help="with --grade-on-submit: seconds to wait for the last feedback after the rush")
    parser.add_argument("--json", type=Path, help="also write every student's latencies and the usage here")
    args = parser.parse_args()
    if os.geteuid() != 0:
        parser.error("run as root: every student's server runs as their own Unix account")
    sys.path.insert(0, str(REPO))
    from tests.deployment import PASSWORD, Deployment
    from tests.rush import Target, rush

    hub = Deployment({"MEDAI_GRADE_ON_SUBMIT": "1" if args.grade_on_submit else "0"}, students=args.students)
    try:
        started = time.perf_counter()
        hub.medai("roster", "import", str(hub.roster_csv()))
        imported = time.perf_counter()
        hub.start(timeout=600)  # medai up takes over 2 min on a loaded 2-core machine
        setup = {"roster import (accounts)": imported - started, "medai up": time.perf_counter() - imported}
        names = [hub.ids[k] for k in hub.extra]
        seen = FeedbackSeen(hub.root / "exchange" / "medai101", names, NOTEBOOK)
        latency = HubLatency(hub.url)
        pollers = [Poller(latency)] + ([Poller(seen)] if args.grade_on_submit else [])
        for poller in pollers:
            poller.start()
        began = time.time()
        try:
            result = rush(target=Target(hub.url, hub.root, "medai101", ASSIGNMENT, PASSWORD), students=names,
                          uids={pwd.getpwnam(n).pw_uid for n in names}, concurrency=args.concurrency,
                          stop=not args.grade_on_submit)
            deadline = time.time() + args.feedback_timeout
            while args.grade_on_submit and seen.pending and time.time() < deadline:
                time.sleep(0.5)
            ended = time.time()
        finally:
            for poller in pollers:
                poller.halt.set()
                poller.join()
        rows = graded_rows(hub) if args.grade_on_submit else {}
    finally:
        hub.cleanup()
    report(result, students=args.students, concurrency=args.concurrency, setup=setup)
    good = True
    if args.grade_on_submit:
        good = report_grading(result, seen, latency, rows, names, (began, ended))
    else:
        during = sorted(v for _, v in latency.samples if v is not None)
        from tests.rush import percentile

        print(f"hub latency during the rush (GET /hub/api every 0.5 s): p50 {percentile(during, 50) * 1000:.0f} ms, "
              f"p95 {percentile(during, 95) * 1000:.0f} ms")
    if args.json:
        args.json.write_text(json.dumps(asdict(result), indent=1))
    return 1 if result.failures or not good else 0


if __name__ == "__main__":
    sys.exit(main())
