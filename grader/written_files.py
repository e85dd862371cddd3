"""Files the student code wrote, kept in the autograded directory as `nbgrader autograde` keeps them.

Stock nbgrader runs each kernel in `autograded/<student>/<assignment>/`, so a CSV or a plot a notebook writes
stays there beside the executed notebook. medai runs it in the job's private working directory instead; when
the notebooks are done, the job process lists what differs from what it was given (:func:`changes`: new or
changed regular files, and given files that are gone), and the single writer applies that to the autograded
directory (:func:`apply`). Names are checked on both sides: no absolute paths, no `..`, no symbolic links.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

LIMIT = 64 << 20  # bytes of written files kept per submission; beyond it, files are listed in `dropped`


@dataclass
class Written:
    files: dict[str, bytes] = field(default_factory=dict)  # relative name -> content (new or changed)
    removed: list[str] = field(default_factory=list)  # given files the code deleted
    dropped: list[str] = field(default_factory=list)  # written, but over LIMIT: not kept


def safe_name(name: str) -> bool:
    path = PurePosixPath(name)
    return bool(path.parts) and not path.is_absolute() and ".." not in path.parts


def changes(workdir: str, given: dict[str, bytes], *, skip: frozenset[str] = frozenset(),
            limit: int = LIMIT) -> Written:
    """What differs in `workdir` from the files it was given (`skip`: names the grader writes itself)."""
    out, total, seen = Written(), 0, set()
    for folder, dirs, names in os.walk(workdir):
        dirs[:] = sorted(d for d in dirs if not os.path.islink(os.path.join(folder, d)))
        for name in sorted(names):
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, workdir).replace(os.sep, "/")
            seen.add(rel)
            if rel in skip or os.path.islink(path) or not os.path.isfile(path):
                continue
            try:
                size = os.path.getsize(path)
                if total + size > limit:
                    out.dropped.append(rel)
                    continue
                with open(path, "rb") as fh:
                    data = fh.read(limit - total + 1)
            except OSError:  # made unreadable by the code that wrote it: not kept
                out.dropped.append(rel)
                continue
            if given.get(rel) == data:
                continue
            if total + len(data) > limit:  # it grew while read
                out.dropped.append(rel)
                continue
            out.files[rel] = data
            total += len(data)
    out.removed = sorted(name for name in given if name not in seen and name not in skip)
    return out


def apply(folder: Path, written: Written) -> None:
    """Write the files into the autograded directory `folder` (and remove the deleted ones), inside it only."""
    root = folder.resolve()
    for name, data in sorted(written.files.items()):
        target = folder / name
        if not safe_name(name) or not target.parent.resolve().is_relative_to(root):
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_symlink() or target.exists():
            target.unlink()
        target.write_bytes(data)
    for name in written.removed:
        target = folder / name
        if safe_name(name) and target.parent.resolve().is_relative_to(root) and (target.is_file() or
                                                                              target.is_symlink()):
            target.unlink()
