"""Storage limits that need no filesystem quotas: each user's home, and the exchange, is a size-limited ext4
filesystem of its own, a sparse image file under <root>/storage/ loop-mounted on the directory.

A student who fills their home fills that filesystem only (ENOSPC at the limit): not the disk that holds
the hub's database, the course directory and the gradebook, and not another student's home. The exchange
gets one filesystem for everyone's submissions, so no submission flood reaches the hub or the gradebook
either. Images are sparse (a new one costs about a megabyte of disk) and made once; mounting is idempotent,
so `medai up` runs it at every start. Mounts persist until `medai storage --unmount` (or a reboot; the
next `medai up` mounts them again). Where this cannot be done (not root, no mkfs.ext4, no loop devices)
the directory stays a plain one and the caller gets a warning to show.

Files found in a directory before its filesystem is first mounted there are moved into it (files already
in the filesystem win), so turning limits on keeps everyone's work; if they do not fit, the directory is
left as it is, unlimited, with a warning.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from medai.course.layout import Layout
from medai.settings import UNITS, parse_size  # noqa: F401 - re-exported: sizes are settings' business
MKFS_OPTIONS = ["-q", "-F", "-m", "0", "-E", "lazy_itable_init=1,lazy_journal_init=1"]
NEAR_FULL = 0.9  # `medai storage` and the storage guard flag homes at 90 % of their limit


def format_size(n: int) -> str:
    for unit in ("T", "G", "M", "K"):
        if n >= UNITS[unit]:
            return f"{n / UNITS[unit]:.1f} {unit}B"
    return f"{n} B"


def image_path(layout: Layout, name: str) -> Path:
    """Where the filesystem image of a home (`name` = the user) or of the exchange (`name` = "exchange") lives."""
    return layout.storage_dir / f"{name}.img"


def _mountinfo() -> list[tuple[str, str]]:
    """(mount point, source) of every mount this process sees, in mount order."""
    out = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        left, _, right = line.partition(" - ")
        point = left.split()[4].encode().decode("unicode_escape")
        out.append((point, right.split()[1]))
    return out


def mount_source(path: Path) -> str | None:
    """The device mounted exactly at `path` (the latest mount wins), else None."""
    found = None
    for point, source in _mountinfo():
        if point == str(path):
            found = source
    return found


def mounts_under(root: Path) -> list[Path]:
    """Mount points at or below `root`, deepest first (the order to unmount them in)."""
    prefix = str(root).rstrip("/") + "/"
    points = {Path(p) for p, _ in _mountinfo() if p == str(root) or p.startswith(prefix)}
    return sorted(points, key=lambda p: len(p.parts), reverse=True)


def unmount_under(root: Path) -> list[Path]:
    """Unmount every filesystem mounted at or below `root` (their loop devices go with them). Returns them."""
    done = []
    for point in mounts_under(root):
        proc = subprocess.run(["umount", str(point)], capture_output=True, text=True)
        if proc.returncode != 0:  # busy (a process still inside): detach now, freed when the last one exits
            subprocess.run(["umount", "--lazy", str(point)], capture_output=True)
        done.append(point)
    return done


@dataclass(frozen=True)
class Usage:
    """How full one directory's filesystem is; `limited` False: it is a plain directory on a shared disk."""

    name: str
    path: Path
    used: int
    size: int
    limited: bool

    @property
    def fraction(self) -> float:
        return self.used / self.size if self.size else 0.0

    @property
    def state(self) -> str:
        if not self.limited:
            return "no limit"
        return "FULL" if self.fraction >= 0.99 else "near the limit" if self.fraction >= NEAR_FULL else "ok"


def usage(path: Path, name: str = "") -> Usage:
    st = os.statvfs(path)
    return Usage(name=name or path.name, path=path, used=(st.f_blocks - st.f_bfree) * st.f_frsize,
                 size=st.f_blocks * st.f_frsize, limited=mount_source(path) is not None)


def _run(cmd: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True)


def _make_image(image: Path, size: int, uid: int, gid: int) -> str | None:
    image.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = image.with_suffix(".new")
    with open(tmp, "wb") as f:
        f.truncate(size)
    made = _run(["mkfs.ext4", *MKFS_OPTIONS[:-1], f"{MKFS_OPTIONS[-1]},root_owner={uid}:{gid}", str(tmp)])
    if made.returncode != 0:
        tmp.unlink(missing_ok=True)
        return f"mkfs.ext4 failed: {made.stderr.strip()}"
    tmp.replace(image)
    return None


def _mount(image: Path, target: Path) -> str | None:
    done = _run(["mount", "-o", "loop,nosuid,nodev", str(image), str(target)])
    return None if done.returncode == 0 else (done.stderr.strip() or f"mount exited {done.returncode}")


def _grow(image: Path, size: int) -> str | None:
    """Grow an unmounted image to `size` (offline: online resizing needs more than root in a container)."""
    if image.stat().st_size >= size:
        return None
    with open(image, "r+b") as f:
        f.truncate(size)
    for cmd in (["e2fsck", "-f", "-p", str(image)], ["resize2fs", str(image)]):
        done = _run(cmd)
        if done.returncode not in (0, 1):  # e2fsck: 1 = errors corrected
            return f"{cmd[0]} failed: {done.stderr.strip()}"
    return None


def _move_in(target: Path, image: Path, staging: Path) -> str | None:
    """Copy what `target` holds into the image (its files win), then remove it from `target`."""
    staging.mkdir(mode=0o700, parents=True, exist_ok=True)
    failed = _mount(image, staging)
    if failed:
        return failed
    try:
        copied = _run(["cp", "-a", "--no-clobber", f"{target}/.", f"{staging}/"])
        if copied.returncode != 0:
            return f"its files do not fit in the limit ({copied.stderr.strip()[:200]})"
    finally:
        _run(["umount", str(staging)])
        staging.rmdir()
    for entry in target.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    return None


def limit_directory(target: Path, *, image: Path, size: int, uid: int = 0, gid: int = 0,
                    mode: int = 0o700) -> str | None:
    """Make `target` a filesystem of `size` bytes of its own, owned by uid:gid with `mode`. Idempotent: an
    image is made once (grown when `size` grew, before it is mounted), a mounted one is left mounted. Returns
    None when `target` is limited, else a warning that says why it is not (or not yet at `size`)."""
    if os.geteuid() != 0:
        return f"{target}: no storage limit (needs root to mount a filesystem of its own)"
    if not shutil.which("mkfs.ext4"):
        return f"{target}: no storage limit (mkfs.ext4 not installed: apt-get install e2fsprogs)"
    target.mkdir(parents=True, exist_ok=True)
    warning = None
    if mount_source(target) is None:
        failed = _grow(image, size) if image.exists() else _make_image(image, size, uid, gid)
        if failed:
            return f"{target}: no storage limit ({failed})"
        if any(target.iterdir()):
            failed = _move_in(target, image, image.with_suffix(".staging"))
            if failed:
                return f"{target}: no storage limit ({failed}); its files were left where they are"
        failed = _mount(image, target)
        if failed:
            return f"{target}: no storage limit (cannot mount a loop filesystem here: {failed})"
        lost = target / "lost+found"  # made by mkfs; e2fsck makes it again when it needs one
        if lost.is_dir() and not any(lost.iterdir()):
            lost.rmdir()
    elif image.exists() and image.stat().st_size < size:
        warning = (f"{target}: its limit grows to {format_size(size)} when it is next mounted (stop the hub, "
                   "`medai storage --unmount`, `medai up`)")
    os.chown(target, uid, gid)
    target.chmod(mode)
    return warning


def storage_report(layout: Layout) -> list[Usage]:
    """Usage of every user's home and of the exchange, fullest first."""
    found = [usage(home) for home in sorted(layout.home_dir.iterdir()) if home.is_dir()] \
        if layout.home_dir.is_dir() else []
    found.sort(key=lambda u: u.fraction, reverse=True)
    if layout.exchange_dir.is_dir():
        found.append(usage(layout.exchange_dir, "(exchange)"))
    return found


def report_lines(report: list[Usage]) -> list[str]:
    return [f"{u.name:<20} {format_size(u.used):>10} of {format_size(u.size):>10}  {u.fraction:6.1%}  {u.state}"
            for u in report]
