"""A deadline rush against a running hub: N roster students, a bounded number at a time, each log in through
the login form, start their server, list and fetch a released assignment and submit it, with the HTTP calls
a browser makes (tests.hubclient.HubUser); then every student stops their server. Each step's latency and
any failure, with its reason, is recorded per student, while a sampler reads the CPU and memory (RSS) of the
hub, the proxy, the users' servers and the deployment's other processes from /proc, by PID.

One implementation for tests/test_deadline_rush.py (zero failures) and benchmarks/bench_rush.py (figures).
"""
from __future__ import annotations

import math
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from tests.hubclient import HubUser, processes_for_root

STEPS = ("login", "spawn", "fetch", "submit")  # "stop" is timed too, after the rush
# longer than the hub's own Spawner.start_timeout (180 s): a spawn the hub gives up on is reported by the hub
# (through the progress stream), not cut short by the client on a busy machine
SPAWN_TIMEOUT = 300.0
TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
GROUPS = ("hub", "proxy", "servers", "other", "client")


@dataclass
class StudentRun:
    """One student's rush: seconds per step done, and the first failure as 'step: reason' ('' when none)."""

    name: str
    seconds: dict[str, float] = field(default_factory=dict)
    failure: str = ""
    at: dict[str, float] = field(default_factory=dict)  # time.time() when each step done ended


@dataclass
class GroupUsage:
    """CPU (percent of one core, per sampling interval) and resident memory of one group of processes."""

    cpu_peak: float = 0.0
    cpu_mean: float = 0.0
    rss_peak: int = 0  # bytes, the group's sum at the sample where it was largest
    processes_at_peak: int = 0
    accounts_at_peak: int = 0  # distinct Unix accounts among them (for users' servers: servers running)


@dataclass
class RushResult:
    runs: list[StudentRun]
    wall: float  # seconds from the first login to the last submission
    usage: dict[str, GroupUsage]
    samples: int

    @property
    def failures(self) -> list[str]:
        return [f"{r.name}: {r.failure}" for r in self.runs if r.failure]

    def latencies(self, step: str) -> list[float]:
        return sorted(r.seconds[step] for r in self.runs if step in r.seconds)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of sorted values; nan when there are none."""
    if not values:
        return math.nan
    return values[max(0, math.ceil(p / 100 * len(values)) - 1)]


@dataclass
class Target:
    """What the rush runs against: the hub's public URL, its data root (for PIDs) and the course's assignment."""

    url: str
    root: Path
    course_id: str
    assignment: str
    password: str


def student_flow(user: HubUser, target: Target, run: StudentRun) -> None:
    """Log in, spawn, list + fetch, submit; record each step's seconds; stop at the first failure."""
    base = f"/user/{user.name}/assignments"
    form = {"course_id": target.course_id, "assignment_id": target.assignment}

    def login():
        r = user.login(target.password)
        if r.status_code != 302:
            raise RuntimeError(f"HTTP {r.status_code}")

    def fetch():
        listing = user.server("GET", base, params={"course_id": target.course_id})
        if listing.status_code != 200:
            raise RuntimeError(f"list: HTTP {listing.status_code}")
        released = {a["assignment_id"] for a in listing.json()["value"] if a["status"] == "released"}
        if target.assignment not in released:
            raise RuntimeError(f"{target.assignment} not listed as released: {sorted(released)}")
        nbgrader_call(user, f"{base}/fetch", form)

    steps = {"login": login, "spawn": lambda: user.spawn(timeout=SPAWN_TIMEOUT), "fetch": fetch,
             "submit": lambda: nbgrader_call(user, f"{base}/submit", form)}
    for step in STEPS:
        if not timed(run, step, steps[step]):
            return


def nbgrader_call(user: HubUser, path: str, form: dict) -> None:
    r = user.server("POST", path, data=form)
    if r.status_code != 200 or not r.json().get("success"):
        raise RuntimeError(f"HTTP {r.status_code} {r.text[:300]}")


def timed(run: StudentRun, step: str, action) -> bool:
    started = time.perf_counter()
    try:
        action()
    except Exception as err:  # noqa: BLE001 - any failure is recorded with its reason, the rush goes on
        run.failure = f"{step}: {type(err).__name__}: {err}"
        return False
    run.seconds[step] = time.perf_counter() - started
    run.at[step] = time.time()
    return True


def stop_server(user: HubUser, run: StudentRun) -> None:
    """Every student who got in stops their server, failed or not; a failure to stop is recorded (after the
    reason of an earlier failure, which is kept)."""
    if "login" not in run.seconds:
        return
    earlier = run.failure
    if not timed(run, "stop", user.stop_server) and earlier:
        run.failure = f"{earlier}; then {run.failure}"


class Sampler(threading.Thread):
    """Samples the deployment's processes every `every` seconds until stopped: CPU from utime+stime deltas,
    RSS from statm. Groups: the hub and the proxy (their PID files), users' servers (the students' uids), the
    deployment's other processes (services, `medai up`), and this process (the load generator)."""

    def __init__(self, root: Path, uids: set[int], every: float = 1.0):
        super().__init__(daemon=True)
        self.root, self.uids, self.every = root, uids, every
        self.halt = threading.Event()
        self.cpu: dict[str, list[float]] = {g: [] for g in GROUPS}
        self.rss: dict[str, list[tuple[int, int, int]]] = {g: [] for g in GROUPS}  # bytes, processes, accounts

    def groups(self) -> dict[int, tuple[str, int]]:
        """PID -> (group, uid) of every process of the deployment, and of this one."""
        own = {}
        for name, pid_file in (("hub", "jupyterhub.pid"), ("proxy", "proxy.pid")):
            try:
                own[int((self.root / "hub" / pid_file).read_text())] = (name, 0)
            except (OSError, ValueError):
                pass
        found = {}
        for pid in processes_for_root(self.root, self.uids):
            try:
                uid = Path(f"/proc/{pid}").stat().st_uid
            except OSError:
                continue
            found[pid] = ("servers" if uid in self.uids else "other", uid)
        return {**found, **own, os.getpid(): ("client", os.getuid())}

    def run(self) -> None:
        before: dict[int, int] = {}
        last = None
        while not self.halt.is_set():
            groups = self.groups()  # the slow part (every process's environ): done before the clock starts
            started = time.monotonic()
            ticks, pages = {}, {}
            for pid in groups:
                try:
                    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                    pages[pid] = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
                except (OSError, IndexError, ValueError):
                    continue
                ticks[pid] = int(stat[11]) + int(stat[12])  # utime, stime
            now = (started + time.monotonic()) / 2
            cpu = dict.fromkeys(GROUPS, 0.0)
            rss = {g: [0, 0, set()] for g in GROUPS}
            for pid, t in ticks.items():
                group, uid = groups[pid]
                cpu[group] += (t - before.get(pid, 0)) / TICKS  # a new process: all its time is new
                rss[group][0] += pages[pid] * PAGE
                rss[group][1] += 1
                rss[group][2].add(uid)
            if last is not None:
                for g in GROUPS:
                    self.cpu[g].append(100 * cpu[g] / (now - last))
            for g in GROUPS:
                self.rss[g].append((rss[g][0], rss[g][1], len(rss[g][2])))
            before, last = ticks, now
            self.halt.wait(self.every)

    def usage(self) -> dict[str, GroupUsage]:
        out = {}
        for g in GROUPS:
            peak = max(self.rss[g], default=(0, 0, 0))
            cpu = self.cpu[g]
            out[g] = GroupUsage(cpu_peak=max(cpu, default=0.0), cpu_mean=sum(cpu) / len(cpu) if cpu else 0.0,
                                rss_peak=peak[0], processes_at_peak=peak[1], accounts_at_peak=peak[2])
        return out


def rush(*, target: Target, students: list[str], uids: set[int], concurrency: int = 25,
         stop: bool = True) -> RushResult:
    """Run the rush (at most `concurrency` students at once) and, with `stop`, stop every server afterwards
    (timed as step "stop"). Never raises for a student's failure: it is in the result."""
    users = [HubUser(target.url, name) for name in students]
    runs = [StudentRun(name) for name in students]
    sampler = Sampler(target.root, uids)
    sampler.start()
    started = time.perf_counter()
    try:
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            list(pool.map(lambda ur: student_flow(ur[0], target, ur[1]), zip(users, runs)))
        wall = time.perf_counter() - started
    finally:
        sampler.halt.set()
        sampler.join()
    if stop:
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            list(pool.map(stop_server, users, runs))
    return RushResult(runs=runs, wall=wall, usage=sampler.usage(), samples=len(sampler.cpu["hub"]))
