"""Build registered datasets into the data directory: all or nothing, read-only for students, with a manifest.

For each dataset: write every file into a temporary sibling directory (``.NAME.*.partial``), add ``card.md`` and
``manifest.json`` (sha256 and size of every file, the seed, the size, the library versions), make directories
0755 and files 0644, then rename it to ``<data dir>/NAME`` (replacing an older build). A failure removes the
temporary directory, so no partial dataset is ever left under its name. The same seed, size and library
versions give byte-identical files.

Ground truth (synthetic datasets only) goes to ``<truth dir>/NAME/truth.json`` (directory 0700, file 0600),
by default the course directory's ``truth/`` — the graders' private directory — never under the data directory.
When root builds, the truth belongs to the owner of that directory's parent (the grader account).
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

from medai.datasets import registry
from medai.datasets.errors import DatasetError, check_size

MANIFEST = "manifest.json"
CARD = "card.md"
TRUTH = "truth.json"
MAX_SEED = 2**63 - 1


@dataclass(frozen=True)
class BuiltDataset:
    name: str
    path: str
    seed: int | None
    size: int | None
    files: int
    bytes: int
    truth: str | None


@dataclass(frozen=True)
class BuildReport:
    data_dir: str
    truth_dir: str
    datasets: tuple[BuiltDataset, ...]

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, ensure_ascii=False)


def _versions() -> dict[str, str]:
    from importlib import metadata

    out = {"python": ".".join(map(str, sys.version_info[:3])), "sqlite": sqlite3.sqlite_version}
    for dist in ("medai", "numpy", "pandas", "pyarrow", "scikit-learn", "scikit-survival", "nibabel", "pydicom"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return out


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def manifest(root: Path, *, spec: registry.DatasetSpec, seed: int | None, size: int | None) -> dict:
    files = {p.relative_to(root).as_posix(): {"sha256": sha256(p), "bytes": p.stat().st_size}
             for p in _files(root) if p.name != MANIFEST}
    return {"dataset": spec.name, "kind": spec.kind, "generator": spec.card.generator, "seed": seed, "size": size,
            "software": _versions(), "files": files}


def verify(path: str | Path) -> list[str]:
    """Problems with a built dataset directory: files missing, added or changed since its manifest."""
    root = Path(path)
    try:
        recorded = json.loads((root / MANIFEST).read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError) as err:
        return [f"{root / MANIFEST}: unreadable ({err})"]
    present = {p.relative_to(root).as_posix() for p in _files(root) if p.name != MANIFEST}
    problems = [f"{name}: missing" for name in sorted(set(recorded) - present)]
    problems += [f"{name}: not in the manifest" for name in sorted(present - set(recorded))]
    problems += [f"{name}: content changed" for name in sorted(set(recorded) & present)
                 if sha256(root / name) != recorded[name]["sha256"]]
    return problems


def _read_only_for_others(root: Path) -> None:
    for dirpath, dirnames, filenames in os.walk(root):
        os.chmod(dirpath, 0o755)
        for name in filenames:
            os.chmod(os.path.join(dirpath, name), 0o644)


def _writable_dir(path: Path, *, what: str, mode: int) -> Path:
    path = Path(path).resolve()
    try:
        existed = path.is_dir()
        path.mkdir(parents=True, exist_ok=True)
        if not existed:
            os.chmod(path, mode)
    except (FileExistsError, NotADirectoryError):
        raise DatasetError(f"{what} {path} is not a directory") from None
    except OSError as err:
        raise DatasetError(f"cannot create {what} {path}: {err.strerror or err}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise DatasetError(f"{what} {path} is not writable by this user")
    return path


def _owner(truth_dir: Path) -> tuple[int, int] | None:
    """Who should own the truth when root builds: the owner of the truth directory's parent (by default the
    course directory, owned by the grader account), so that graders can read it and students cannot."""
    if os.geteuid() != 0:
        return None
    st = truth_dir.parent.stat()
    return st.st_uid, st.st_gid


def _write_truth(truth_dir: Path, name: str, text: str) -> tuple[Path, Path]:
    """Write the truth to a temporary file next to its final place; the caller renames it."""
    folder = truth_dir / name
    folder.mkdir(mode=0o700, exist_ok=True)
    os.chmod(folder, 0o700)
    fd, tmp = tempfile.mkstemp(prefix=f".{TRUTH}.", dir=folder)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(tmp, 0o600)
    owner = _owner(truth_dir)
    if owner:
        for path in (truth_dir, folder, tmp):
            os.chown(path, *owner)
    return Path(tmp), folder / TRUTH


def _build_one(spec: registry.DatasetSpec, *, out_dir: Path, truth_dir: Path, seed: int,
               size: int | None) -> BuiltDataset:
    for stale in out_dir.glob(f".{spec.name}.*.partial"):  # left by a build that was killed
        shutil.rmtree(stale, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{spec.name}.", suffix=".partial", dir=out_dir))
    truth_tmp = None
    try:
        ctx = registry.BuildContext(out=tmp, seed=seed, size=size)
        written = spec.writer(ctx)
        used_seed = seed if spec.kind == "synthetic" else None
        (tmp / CARD).write_text(spec.card.to_markdown(seed=used_seed, size=size), encoding="utf-8")
        meta = manifest(tmp, spec=spec, seed=used_seed, size=size)
        (tmp / MANIFEST).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        _read_only_for_others(tmp)
        if written.truth is not None:
            truth_tmp, truth_final = _write_truth(truth_dir, spec.name, written.truth)
        final = out_dir / spec.name
        old = None
        if final.exists() or final.is_symlink():
            old = out_dir / f".{spec.name}.{os.getpid()}.old"
            os.rename(final, old)
        os.rename(tmp, final)
        if truth_tmp is not None:
            os.replace(truth_tmp, truth_final)
            truth_tmp = None
        if old is not None:
            shutil.rmtree(old, ignore_errors=True) if old.is_dir() else old.unlink()
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if truth_tmp is not None:
            truth_tmp.unlink(missing_ok=True)
        raise
    return BuiltDataset(name=spec.name, path=str(final), seed=used_seed, size=size, files=len(meta["files"]) + 1,
                        bytes=sum(f["bytes"] for f in meta["files"].values()),
                        truth=str(truth_final) if written.truth is not None else None)


def build_datasets(*, out_dir: str | Path, truth_dir: str | Path, names: Sequence[str] | None = None,
                   seed: int = 0, size: int | None = None) -> BuildReport:
    """Build `names` (default: every registered dataset) into `out_dir`, truth into `truth_dir`.

    `size` overrides each synthetic dataset's default size (persons, images, records). Every parameter is
    checked before anything is written; a dataset that fails leaves nothing behind under its name."""
    specs = [registry.get(n) for n in (names or registry.names())]
    order = registry.names()  # registry order, so that omop-cohort is built before ecg-omop, which links to it
    specs = sorted({spec.name: spec for spec in specs}.values(), key=lambda spec: order.index(spec.name))
    seed = check_size("seed", seed, minimum=0, maximum=MAX_SEED)
    sizes = {}
    for spec in specs:
        if spec.kind == "synthetic":
            sizes[spec.name] = check_size(f"size of {spec.name} ({spec.size_unit})",
                                          spec.default_size if size is None else size, maximum=spec.max_size)
    out = Path(out_dir).resolve()
    truth = Path(truth_dir).resolve()
    if truth == out or out in truth.parents:
        raise DatasetError(f"the truth directory {truth} must not be inside the data directory {out}: "
                           "students can read everything there")
    out = _writable_dir(out, what="data directory", mode=0o755)
    if sizes:
        truth = _writable_dir(truth, what="truth directory", mode=0o700)
    built = tuple(_build_one(spec, out_dir=out, truth_dir=truth, seed=seed, size=sizes.get(spec.name))
                  for spec in specs)
    return BuildReport(data_dir=str(out), truth_dir=str(truth), datasets=built)


def missing_datasets(out_dir: str | Path) -> list[str]:
    """Registered datasets that have no complete build (no manifest) under `out_dir`."""
    return [n for n in registry.names() if not (Path(out_dir) / n / "manifest.json").is_file()]
