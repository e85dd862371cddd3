"""Hostile submissions against the sandbox, graded in one batch next to an honest one.

A deployment-shaped data root (course directory owned by a grader account and closed to others, exchange,
homes, a dataset) and one assignment whose answer cell is where each "student" attacks: reading another
submission, the gradebook, the source notebook with its hidden tests, the exchange, another slot; opening
sockets; forking without end; allocating too much memory; printing 100 MB; looping forever with SIGINT
ignored; killing its own kernel; deleting files; leaving a daemon and files behind for the next submission.
The locked grade cell scores 1 only when the attack found nothing. The batch must finish, the honest student
must get full marks, nothing of the host may change, and no process of a sandbox account may survive.
"""
from __future__ import annotations

import os
import pwd
import shutil
import socket
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest

from medai.course.layout import Layout
from medai.grader.context import GradeOptions
from medai.grader.pipeline import grade
from medai.grader.results import Status
from medai.grader.sandbox import GiB, Limits, account_names
from medai.grader.target import load_target
from tests.grade_support import SandboxAccounts, chown_tree, make_account, make_course, remove_account, submit, tag

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning"),
    pytest.mark.skipif(os.geteuid() != 0, reason="the sandbox needs root (own accounts, namespaces)"),
]

HELPERS = '''
import os, socket, subprocess, sys
def can_read(path):
    try:
        with open(path, "rb") as fh:
            fh.read(1)
        return True
    except Exception:
        return False
def can_list(path):
    try:
        return len(os.listdir(path)) > 0
    except Exception:
        return False
'''


def source_notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    nb.cells = [
        nbformat.v4.new_code_cell("### BEGIN SOLUTION\nleaked = False\n### END SOLUTION", metadata={"nbgrader": {
            "grade": False, "grade_id": "attack", "locked": False, "solution": True, "schema_version": 3}}),
        nbformat.v4.new_code_cell("### BEGIN HIDDEN TESTS\nHIDDEN_MARKER = 'hidden-test-text'\n### END HIDDEN TESTS\n"
                                  "assert leaked is False, leaked",
                                  metadata={"nbgrader": {"grade": True, "grade_id": "isolated", "locked": True,
                                                         "points": 1, "solution": False, "schema_version": 3}}),
    ]
    return nb


def attacks(root: Path, course: Path, port: int, grader_uid: int) -> dict[str, str]:
    c = str(course)
    return {
        "honest": "leaked = False",
        "identity": f"leaked = [os.getuid(), os.getgroups()] if os.getuid() in (0, {grader_uid}) or os.getgroups() "
                    "else False",
        "other_submission": f"leaked = can_read('{c}/submitted/honest/hostile/hostile.ipynb') or "
                            f"can_list('{c}/submitted')",
        "gradebook": f"leaked = can_read('{c}/gradebook.db')",
        "source": f"leaked = can_read('{c}/source/hostile/hostile.ipynb') or can_read('{c}/release/hostile/hostile.ipynb')",
        "autograded": f"leaked = can_list('{c}/autograded') or can_list('{c}/.medai-grade')",
        "exchange_homes": f"leaked = can_list('{root}/exchange') or can_list('{root}/home') or can_list('/root')",
        "other_slots": "leaked = can_list('/run/medai-grade')",
        "procs": "leaked = '1' in os.listdir('/proc') and [p for p in os.listdir('/proc') if p.isdigit()][:5]",
        "dataset": f"leaked = not can_read('{root}/data/cohort.csv')",
        "network": f"""
def reach(host, port):
    s = socket.socket(); s.settimeout(2)
    try:
        s.connect((host, port)); return True
    except OSError:
        return False
    finally:
        s.close()
leaked = reach('127.0.0.1', {port}) or reach('1.1.1.1', 53) or reach('8.8.8.8', 443)""",
        "delete_files": f"""
import shutil
for target in ['{c}/gradebook.db', '{root}/data/cohort.csv', sys.executable]:
    try:
        os.remove(target)
    except OSError:
        pass
shutil.rmtree('{c}', ignore_errors=True)
os.remove('hostile.ipynb')  # its own copy: allowed, harmless
leaked = False  # what counts is checked on the host afterwards""",
        "plant": "open('/tmp/medai-planted', 'w').write('x'); open('/dev/shm/medai-planted', 'w').write('x')\n"
                 "subprocess.Popen(['sleep', '600'], start_new_session=True)\nleaked = False",
        "find_planted": "leaked = os.path.exists('/tmp/medai-planted') or os.path.exists('/dev/shm/medai-planted')",
        "memory": "try:\n    hog = bytearray(6 * 1024**3)\n    leaked = 'allocated 6 GiB'\nexcept MemoryError:\n"
                  "    leaked = False",
        "big_output": "print('x' * 100_000_000)\nleaked = False",
        "fork_bomb": "while True:\n    try:\n        os.fork()\n    except OSError:\n        pass",
        "stubborn_loop": "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass",
        "kill_kernel": "os.kill(os.getpid(), 9)",
    }


@pytest.fixture(scope="module")
def deployment():
    base = Path(tempfile.mkdtemp(prefix="medai-sbx-", dir="/tmp"))
    base.chmod(0o755)
    root = base / "root"
    grader = f"t{tag()}grader"
    accounts = SandboxAccounts(4)  # 2 workers, each with a standby slot (medai.grader.standby)
    entry = make_account(grader, root / "home" / grader)
    try:
        course = make_course(root / "course", {"hostile": {"hostile.ipynb": source_notebook()}})
        for folder in ("exchange/medai101/inbound/x", f"home/{grader}", "home/med01"):
            (root / folder).mkdir(parents=True, exist_ok=True)
            (root / folder / "secret.txt").write_text("secret")
        (root / "data").mkdir()
        (root / "data" / "cohort.csv").write_text("id,age\n1,50\n")
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.settimeout(0.1)
        port = listener.getsockname()[1]
        for student, code in attacks(root, course, port, entry.pw_uid).items():
            nb = source_notebook()
            nb.cells[0].source = HELPERS + code
            submit(course, "hostile", student, {"hostile.ipynb": nb})
        submit(course, "hostile", "not_json", {"hostile.ipynb": b"\x00\x01 not json"})
        chown_tree(course, entry.pw_uid, entry.pw_gid)
        course.chmod(0o700)
        yield root, course, accounts, listener, entry
    finally:
        remove_account(grader)
        accounts.remove()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def graded(deployment):
    root, course, accounts, listener, entry = deployment
    before = {p: p.read_bytes() for p in [course / "source" / "hostile" / "hostile.ipynb",
                                          root / "data" / "cohort.csv", Path(sys.executable).resolve()]}
    course.joinpath("nbgrader_config.py").write_text(course.joinpath("nbgrader_config.py").read_text()
                                                     + "c.Execute.timeout = 4\n")
    target = load_target(course_dir=course, assignment="hostile", course=None, layout=Layout(root=root))
    options = GradeOptions(workers=2, progress=False, sandbox_prefix=accounts.prefix, feedback=False,
                           limits=Limits(memory_bytes=2 * GiB, wall_seconds=20, processes=64))
    summary = grade(target=target, options=options)
    return summary, {r.student: r for r in summary.results}, before


def test_the_batch_finishes_and_the_honest_student_gets_full_marks(graded):
    summary, results, _ = graded
    assert results["honest"].status == Status.GRADED and results["honest"].score == 1
    assert len(results) == len(attacks(Path("/"), Path("/"), 0, 0)) + 1
    assert summary.exit_code == 1  # the hostile ones need a person


ISOLATED = ["identity", "other_submission", "gradebook", "source", "autograded", "exchange_homes", "other_slots",
            "procs", "dataset", "network", "delete_files", "plant", "find_planted", "memory", "big_output"]


@pytest.mark.parametrize("attack", ISOLATED)
def test_the_attack_found_nothing(graded, attack):
    _, results, _ = graded
    result = results[attack]
    assert result.status == Status.GRADED, result.reason
    assert result.score == 1, result


def test_runaway_submissions_are_stopped_with_a_reason(graded):
    _, results, _ = graded
    stubborn = results["stubborn_loop"]  # SIGINT ignored: the interrupt at the cell timeout does not stop it
    assert stubborn.status == Status.TIMED_OUT and "did not finish in time" in stubborn.reason, stubborn.reason
    bomb = results["fork_bomb"]  # the process cap stops the forks, the cell timeout the loop; or the wall clock
    assert (bomb.status.scored and bomb.score == 0) or bomb.status == Status.TIMED_OUT, bomb
    assert results["kill_kernel"].status == Status.FAILED and "kernel died" in results["kill_kernel"].reason
    assert results["not_json"].status == Status.INVALID


def test_the_wall_clock_limit_kills_the_whole_submission(deployment, graded):
    root, course, accounts, _, _ = deployment
    target = load_target(course_dir=course, assignment="hostile", course=None, layout=Layout(root=root))
    options = GradeOptions(workers=1, progress=False, sandbox_prefix=accounts.prefix, feedback=False, force=True,
                           students=("stubborn_loop",), limits=Limits(wall_seconds=2))
    (result,) = grade(target=target, options=options).results
    assert result.status == Status.TIMED_OUT and "2 s wall-clock limit" in result.reason, result.reason



def test_the_next_submission_in_a_fork_bombed_slot_still_runs(deployment, graded):
    """One sandbox account grades a fork bomb, then the honest notebook: the bomb's killed processes must be
    reaped before the next kernel forks, or they still count against the account's process cap (EAGAIN)."""
    root, course, accounts, _, _ = deployment
    target = load_target(course_dir=course, assignment="hostile", course=None, layout=Layout(root=root))
    options = GradeOptions(workers=1, progress=False, sandbox_prefix=accounts.prefix, feedback=False, force=True,
                           students=("fork_bomb", "honest"), limits=Limits(wall_seconds=6, processes=64))
    results = {r.student: r for r in grade(target=target, options=options).results}
    assert set(results) == {"fork_bomb", "honest"}
    assert results["honest"].status == Status.GRADED and results["honest"].score == 1, results["honest"].reason


def test_nothing_on_the_host_changed_and_nothing_survived(deployment, graded):
    root, course, accounts, listener, _ = deployment
    _, _, before = graded
    for path, data in before.items():
        assert path.read_bytes() == data
    assert (course / "submitted" / "honest" / "hostile" / "hostile.ipynb").is_file()
    from tests.grade_support import gradebook_scores

    scores = gradebook_scores(course, "hostile", ["honest", "delete_files"])  # the gradebook is intact
    assert scores["honest"][("hostile", "isolated")][0] == 1
    assert not Path("/tmp/medai-planted").exists() and not Path("/dev/shm/medai-planted").exists()
    with pytest.raises(OSError):
        listener.accept()  # nobody reached the test's loopback port
    uids = {pwd.getpwnam(n).pw_uid for n in account_names(2, accounts.prefix)}
    alive = [_describe(p) for p in Path("/proc").iterdir() if p.name.isdigit() and _owner(p) in uids]
    assert alive == []


def test_outputs_are_capped_and_written_by_nbgrader(deployment, graded):
    _, course, _, _, entry = deployment
    autograded = course / "autograded" / "big_output" / "hostile" / "hostile.ipynb"
    assert autograded.stat().st_size < 3 * 2**20
    assert autograded.stat().st_uid == entry.pw_uid  # written by the grader account, not root
    assert "hidden-test-text" in autograded.read_text()  # the hidden tests ran (restored from the source)


def _describe(proc: Path) -> str:
    try:
        cmdline = proc.joinpath("cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        state = next(line for line in proc.joinpath("status").read_text().splitlines() if line.startswith("State"))
        state += " ppid " + next(line.split()[1] for line in proc.joinpath("status").read_text().splitlines() if line.startswith("PPid"))
    except (OSError, StopIteration):
        cmdline, state = "?", "?"
    return f"{proc.name} [{state}] {cmdline[:120]}"


def _owner(proc: Path) -> int | None:
    try:
        return proc.stat().st_uid
    except OSError:
        return None
