"""LocalProcessSpawner with enforced per-user limits: each user's server (and every kernel it starts) runs as
the user's own Unix account inside a cgroup that caps memory and CPU, with a cap on processes.

cgroup v2 (unified) and v1 (separate memory/cpu hierarchies) are both handled. Where no cgroup can be created
(no privileges, read-only /sys/fs/cgroup), the hub logs a warning and only the process cap applies.

Each server also gets a mount namespace of its own (medai.mountns, as the grading sandbox does): a /proc
mounted hidepid=invisible, so a student sees only their own processes and command lines, and private
size-limited tmpfs on /tmp, /var/tmp, /dev/shm and /run/lock, so the disk cannot be filled through them.
Every file a server (or anything it starts) writes is capped in size (RLIMIT_FSIZE). Where no namespace can
be made, the hub logs a warning and the server runs with the machine's /proc and /tmp.

Each server's HOME and root folder are <home_root>/<user> (the deployment's <root>/home/<user>), whatever
home the account's passwd entry names, so a user's fetched work is always under the data root this hub uses.
"""
from __future__ import annotations

import os
import resource
from pathlib import Path

from jupyterhub.spawner import LocalProcessSpawner
from traitlets import Bool, Integer, List, Unicode, default

from medai import mountns

CPU_PERIOD_US = 100_000


def own_cgroup(controller: str) -> str:
    """This process's cgroup path in a v1 hierarchy, from /proc/self/cgroup."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            return path
    return "/"


def cgroup_limit_files(base: Path, name: str, mem_bytes: int | None, cpus: float | None) -> list[Path]:
    """Create the cgroup(s) for one user, write the limits, and return the `cgroup.procs` files a process must
    join. Raises OSError when cgroups cannot be used here."""
    if (base / "cgroup.controllers").exists():  # v2
        parent = base / "medai"
        parent.mkdir(exist_ok=True)
        wanted = [c for c in ("memory", "cpu") if c in (base / "cgroup.controllers").read_text().split()]
        for level in (base, parent):
            (level / "cgroup.subtree_control").write_text(" ".join(f"+{c}" for c in wanted))
        group = parent / name
        group.mkdir(exist_ok=True)
        if mem_bytes:
            (group / "memory.max").write_text(str(mem_bytes))
        if cpus:
            (group / "cpu.max").write_text(f"{int(cpus * CPU_PERIOD_US)} {CPU_PERIOD_US}")
        return [group / "cgroup.procs"]
    procs = []  # v1: nested under the hub's own cgroup, so the machine's (or container's) limits still hold
    for controller, limits in (
        ("memory", {"memory.limit_in_bytes": mem_bytes}),
        ("cpu", {"cpu.cfs_period_us": CPU_PERIOD_US, "cpu.cfs_quota_us": int(cpus * CPU_PERIOD_US) if cpus else None}),
    ):
        group = base / controller / own_cgroup(controller).lstrip("/") / "medai" / name
        group.mkdir(parents=True, exist_ok=True)
        for fname, value in limits.items():
            if value:
                (group / fname).write_text(str(value))
        procs.append(group / "cgroup.procs")
    return procs


class LimitedLocalProcessSpawner(LocalProcessSpawner):
    """Runs each server as the user's own Unix account, with memory, CPU and process limits enforced."""

    max_processes = Integer(512, config=True, help="Most processes a user's account may run (RLIMIT_NPROC).")
    cgroup_root = Unicode("/sys/fs/cgroup", config=True, help="Where the cgroup file system is mounted.")
    file_size_limit = Integer(0, config=True, help="Largest file a user's processes may write, bytes "
                              "(RLIMIT_FSIZE); 0: no cap.")
    private_mounts = Bool(True, config=True, help="Give each server its own /proc (hidepid) and /tmp.")
    tmp_size = Integer(512 << 20, config=True, help="Size of each server's private /tmp, /var/tmp, /dev/shm.")
    keep_paths = List(Unicode(), config=True, help="Directories (e.g. the data root) to keep visible when a "
                      "private /tmp covers them.")
    home_root = Unicode("", config=True, help="The deployment's homes (<root>/home): each server's HOME and root "
                        "folder are <home_root>/<user>, whatever the account's passwd entry says; empty: the passwd home.")
    _namespace_problem: str | None = None
    _namespace_probed = False

    async def progress(self):
        """JupyterHub's "Spawning server...", in both languages (medai.hub.spawn_progress)."""
        from medai.hub.spawn_progress import starting_event

        yield starting_event()

    @default("notebook_dir")
    def _notebook_dir_default(self) -> str:
        return str(Path(self.home_root) / "{username}") if self.home_root else ""

    def user_env(self, env):
        env = super().user_env(env)
        if self.home_root:
            env["HOME"] = str(Path(self.home_root) / self.user.name)
        return env

    def _cgroup_procs(self) -> list[Path]:
        try:
            return cgroup_limit_files(Path(self.cgroup_root), self.user.name, self.mem_limit, self.cpu_limit)
        except OSError as err:
            self.log.warning("memory/CPU limits for %s are NOT enforced (no usable cgroup: %s)", self.user.name, err)
            return []

    _cgroups: list[Path] = []

    async def stop(self, now=False):
        await super().stop(now=now)
        for procs in self._cgroups:  # an empty cgroup can go; one still holding processes stays
            try:
                procs.parent.rmdir()
            except OSError:
                pass
        self._cgroups = []

    def _private_mounts(self) -> bool:
        """Whether this machine lets each server have its own mount namespace (probed once per hub)."""
        if not self.private_mounts:
            return False
        cls = type(self)
        if not cls._namespace_probed:
            cls._namespace_problem, cls._namespace_probed = mountns.unavailable_reason(), True
        if cls._namespace_problem:
            self.log.warning("%s's server sees every user's processes in /proc and shares /tmp (%s)",
                             self.user.name, cls._namespace_problem)
        return cls._namespace_problem is None

    def make_preexec_fn(self, name):
        become_user = super().make_preexec_fn(name)
        procs_files = self._cgroups = self._cgroup_procs()
        nproc, fsize = self.max_processes, self.file_size_limit
        private, tmp_size, keep = self._private_mounts(), self.tmp_size, tuple(self.keep_paths)

        def preexec():
            for procs in procs_files:
                with open(procs, "w") as f:
                    f.write(str(os.getpid()))
            resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
            if fsize:
                resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
            if private:
                mountns.private_namespace()
                if tmp_size:  # 0: the machine's /tmp (tmpfs would read size=0 as no limit at all)
                    mountns.private_tmpfs(mountns.USER_TMP_DIRS, tmp_size, keep=keep, read_only=False)
                mountns.private_proc()
            become_user()

        return preexec
