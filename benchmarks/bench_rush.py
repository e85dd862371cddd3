"""A deadline rush on a real hub: N students log in, start their servers, fetch and submit an assignment.

A throw-away deployment (data root under /tmp, roster of N students with real Unix accounts, `medai up` on a
free 127.0.0.1 port) takes the rush of tests/rush.py, the same driver tests/test_deadline_rush.py runs:
each student, at most --concurrency at once, logs in through the login form, starts their server (through
the spawn-pending page's progress stream, as a browser does), lists and fetches the released assignment,
submits it; then every student stops their server. It prints p50/p95/max latency of each step, the wall
time, and the CPU and memory (RSS) of the hub, the proxy, the users' servers and the rest, sampled from /proc
every second. There is no stock tool to compare with: STACK-NOTES' figures for one user alone on the stock
stack are printed as a reference. Everything it starts it stops; the accounts it creates it removes.

    sudo /opt/medai/venv/bin/python benchmarks/bench_rush.py [--students 50] [--concurrency 25]
"""
from __future__ import annotations

import argparse
import json
import os
import pwd
import sys
import time
from dataclasses import asdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ASSIGNMENT = "c02-diagnostic-metrics"
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=25, help="students at once (default 25)")
    parser.add_argument("--grade-on-submit", action="store_true",
                        help="run the grade-on-submit service during the rush (default: off)")
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
        hub.start()
        setup = {"roster import (accounts)": imported - started, "medai up": time.perf_counter() - imported}
        names = [hub.ids[k] for k in hub.extra]
        result = rush(target=Target(hub.url, hub.root, "medai101", ASSIGNMENT, PASSWORD), students=names,
                      uids={pwd.getpwnam(n).pw_uid for n in names}, concurrency=args.concurrency)
    finally:
        hub.cleanup()
    report(result, students=args.students, concurrency=args.concurrency, setup=setup)
    if args.json:
        args.json.write_text(json.dumps(asdict(result), indent=1))
    return 1 if result.failures else 0


if __name__ == "__main__":
    sys.exit(main())
