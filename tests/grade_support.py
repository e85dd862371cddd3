"""Helpers for the grading tests: nbgrader course directories built from notebooks, stock autograde as the
reference, the gradebook's per-cell scores, throw-away sandbox accounts and grader accounts."""
from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

from tests.conftest import PEER, REPO

PEER_FILES = PEER / "nbgrader-files"
PS1 = PEER / "nbgrader-ps1"
C02 = REPO / "assignments" / "c02-diagnostic-metrics"
VENV_BIN = os.path.dirname(sys.executable)


def use_venv_path() -> None:
    """Kernels run `python`, a new gradebook runs `alembic`: both from this interpreter's environment."""
    if not os.environ.get("PATH", "").startswith(VENV_BIN + os.pathsep):
        os.environ["PATH"] = VENV_BIN + os.pathsep + os.environ.get("PATH", "")


def notebook(path: Path, *, kernel: str | None = "python3") -> nbformat.NotebookNode:
    """Read a notebook; by default point its kernelspec at this environment's python3 (peer notebooks say
    "python", which no kernel here is called)."""
    nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    if kernel:
        nb.metadata["kernelspec"] = {"name": kernel, "display_name": "Python 3", "language": "python"}
    return nb


def nbgrader_config(course_id: str, extra: str = "") -> str:
    return f"c.CourseDirectory.course_id = {course_id!r}\n{extra}"


def make_course(root: Path, assignments: dict[str, dict[str, object]], *, course_id: str = "peer",
                extra_config: str = "") -> Path:
    """A course directory with each assignment's source files (notebooks as NotebookNode, other files as
    bytes or a path), generated into the gradebook and release/ by nbgrader itself."""
    from nbgrader.apps import NbGraderAPI

    from medai.nbgrader_adapter.config import load_course_config

    use_venv_path()
    root.mkdir(parents=True, exist_ok=True)
    (root / "nbgrader_config.py").write_text(nbgrader_config(course_id, extra_config))
    for assignment, files in assignments.items():
        folder = root / "source" / assignment
        folder.mkdir(parents=True)
        for name, content in files.items():
            write_file(folder / name, content)
    config = load_course_config(root)
    config.CourseDirectory.root = str(root)
    api = NbGraderAPI(config=config)
    for assignment in assignments:
        result = api.generate_assignment(assignment, force=True, create=True)
        assert result["success"], result.get("log", "") + (result.get("error") or "")
    return root


def write_file(path: Path, content) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, nbformat.NotebookNode):
        nbformat.write(content, path)
    elif isinstance(content, Path):
        shutil.copy(content, path)
    elif isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)


def submit(root: Path, assignment: str, student: str, files: dict[str, object], *,
           timestamp: str = "2026-09-20 10:00:00.000000 UTC") -> None:
    folder = root / "submitted" / student / assignment
    if folder.exists():
        shutil.rmtree(folder)
    for name, content in files.items():
        write_file(folder / name, content)
    if timestamp:
        (folder / "timestamp.txt").write_text(timestamp)


def released(root: Path, assignment: str, name: str) -> nbformat.NotebookNode:
    return nbformat.read(root / "release" / assignment / name, as_version=nbformat.NO_CONVERT)


def stock_autograde(root: Path, assignment: str, students: list[str]) -> dict[str, bool]:
    """Reference: nbgrader's own autograde (its API, in this process), one student at a time."""
    from nbgrader.apps import NbGraderAPI

    from medai.nbgrader_adapter.config import load_course_config

    use_venv_path()
    config = load_course_config(root)
    config.CourseDirectory.root = str(root)
    config.Execute.shutdown_kernel = "immediate"
    api = NbGraderAPI(config=config)
    return {s: bool(api.autograde(assignment, s, force=True, create=True)["success"]) for s in students}


def gradebook_scores(root: Path, assignment: str, students: list[str], *, db_url: str | None = None) -> dict:
    """{student: {(notebook, grade cell): (score, max_score, needs_manual_grade)}} as nbgrader stored them."""
    from nbgrader.api import Gradebook, MissingEntry

    course_id = (root / "nbgrader_config.py").read_text().split("=")[1].split("\n")[0].strip().strip("'\"")
    out = {}
    with Gradebook(db_url or f"sqlite:///{root / 'gradebook.db'}", course_id) as gb:
        notebooks = [nb.name for nb in gb.find_assignment(assignment).notebooks]
        for student in students:
            cells = {}
            for name in notebooks:
                try:
                    snb = gb.find_submission_notebook(name, assignment, student)
                except MissingEntry:
                    continue
                for g in snb.grades:
                    cells[(name, g.name)] = (g.score, g.max_score, g.needs_manual_grade)
            out[student] = cells
    return out


def tag() -> str:
    return secrets.token_hex(2)


def make_account(name: str, home: Path) -> pwd.struct_passwd:
    subprocess.run(["useradd", "--system", "--user-group", "--no-create-home", "--home-dir", str(home),
                    "--shell", "/usr/sbin/nologin", name], check=True, capture_output=True)
    return pwd.getpwnam(name)


def remove_account(name: str) -> None:
    try:
        uid = pwd.getpwnam(name).pw_uid
    except KeyError:
        return
    from medai.grader.sandbox import kill_account

    kill_account(uid)  # only this test's own account
    subprocess.run(["userdel", name], capture_output=True)
    subprocess.run(["groupdel", name], capture_output=True)


def chown_tree(root: Path, uid: int, gid: int) -> None:
    for dirpath, dirnames, filenames in os.walk(root):
        os.chown(dirpath, uid, gid)
        for name in filenames:
            os.chown(os.path.join(dirpath, name), uid, gid)


def results_json(root: Path, assignment: str) -> dict[str, dict]:
    folder = root / ".medai-grade" / assignment
    return {p.stem: json.loads(p.read_text()) for p in folder.glob("*.json")}


class SandboxAccounts:
    """Slot accounts under a prefix unique to one test module; removed again at the end."""

    def __init__(self, count: int = 2):
        from medai.grader.sandbox import ensure_accounts

        self.prefix = f"medai-sbx{tag()}"
        self.names = ensure_accounts(count, self.prefix)

    def remove(self) -> None:
        from medai.grader.sandbox import remove_accounts

        remove_accounts(self.names)


def module_accounts():
    """A module-scoped fixture's body: four slot accounts of the module's own when root (removed at the end);
    None otherwise (the tests then grade --unsafe). Use as
    `accounts = pytest.fixture(scope="module", name="accounts")(module_accounts)`."""
    if os.geteuid() != 0:
        yield None
        return
    accounts = SandboxAccounts(4)  # 2 workers, each with a standby slot (medai.grader.standby)
    try:
        yield accounts
    finally:
        accounts.remove()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """A throw-away PostgreSQL server (Debian's postgresql) on 127.0.0.1: initdb into a temporary directory as
    the `postgres` account (or as this user when not root), pg_ctl start on a free port, stop at the end."""

    BIN = Path("/usr/lib/postgresql")

    def __init__(self):
        import tempfile

        versions = sorted(self.BIN.glob("*/bin/pg_ctl"))
        if not versions:
            raise RuntimeError("PostgreSQL is not installed (apt-get install postgresql)")
        self.bin = versions[-1].parent
        self.base = Path(tempfile.mkdtemp(prefix="medai-pg-", dir="/tmp"))
        self.data = self.base / "data"
        self.port = free_port()
        self.user = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
        if self.user:
            os.chown(self.base, self.user.pw_uid, self.user.pw_gid)
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.base / "log"), "-w", "-t", "60", "-o",
                  f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -F", "start")
        self.started = True

    def _run(self, tool: str, *args: str) -> None:
        def drop():
            if self.user:
                os.setgid(self.user.pw_gid)
                os.setuid(self.user.pw_uid)

        proc = subprocess.run([str(self.bin / tool), *args], preexec_fn=drop, capture_output=True, text=True,
                              cwd=self.base, timeout=120)
        if proc.returncode != 0:
            raise RuntimeError(f"{tool} failed: {proc.stdout}{proc.stderr}")

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import sqlalchemy

        engine = sqlalchemy.create_engine(self.url("postgres"), isolation_level="AUTOCOMMIT")
        with engine.connect() as con:
            con.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        return self.url(name)

    def stop(self) -> None:
        if getattr(self, "started", False):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
            self.started = False
        shutil.rmtree(self.base, ignore_errors=True)
