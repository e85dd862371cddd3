"""A grading kernel starts as jupyter_client would start it, less some waiting (medai.grader.kernels.
ReadyKernelClient, medai.grader.zygote.KERNEL_MODULES): its first cell's outputs are exactly that cell's."""
from __future__ import annotations

import os

import nbformat
from traitlets.config import Config

from medai.grader.execute import ExecJob, Slot
from medai.grader.kernels import ReadyKernelClient, SandboxKernelManager, zygote_for
from medai.grader.results import Status
from medai.grader.sandbox import ExecSpec
from medai.grader.zygote import KERNEL_MODULES


def test_the_grading_kernel_client_is_the_ready_one():
    km = SandboxKernelManager(job=None, ipc_dir="/tmp")
    assert isinstance(km.client(), ReadyKernelClient)


def test_first_cells_get_their_own_outputs_only_and_kernels_start_from_preloaded_modules():
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    nb.cells = [nbformat.v4.new_code_cell("print('안녕')\n1 + 1"),
                nbformat.v4.new_code_cell("import sys\nprint(sorted(m for m in %r if m not in sys.modules))"
                                          % list(KERNEL_MODULES))]
    spec = ExecSpec(enabled=False, client_uid=os.getuid(), client_gid=os.getgid(), threads=1)
    zygote = zygote_for(spec, count=1)
    try:
        assert not zygote.report.get("failed")
        slot = Slot(client=zygote.client(), slot=zygote.slots[0], ipc_dir=zygote.slot_dirs[zygote.slots[0]])
        names = [f"n{i}.ipynb" for i in range(3)]
        job = ExecJob(assignment="a", student="s", notebooks=names, config=Config(), wall_seconds=120,
                      files={name: nbformat.writes(nb).encode() for name in names})
        result = slot.run(job)
    finally:
        zygote.stop()
    assert [n.status for n in result.notebooks] == [Status.GRADED] * 3 and result.preloaded
    for executed in (nbformat.reads(n.executed, as_version=4) for n in result.notebooks):
        first, second = executed.cells
        assert [(o.output_type, o.get("text"), o.get("data", {}).get("text/plain")) for o in first.outputs] == [
            ("stream", "안녕\n", None), ("execute_result", None, "2")]
        assert [o.get("text") for o in second.outputs] == ["[]\n"]  # each kernel found them imported already


def test_a_zygote_can_be_left_importing_while_the_run_prepares():
    spec = ExecSpec(enabled=False, client_uid=os.getuid(), client_gid=os.getgid(), threads=1,
                    preload=("json", "no_such_module_of_medai"))
    zygote = zygote_for(spec, count=1, wait=False)  # its slots are claimed; its imports may still run
    try:
        assert zygote.ready() is zygote and zygote.ready().report["ready"]  # waits once, then knows
        assert list(zygote.report["failed"]) == ["no_such_module_of_medai"]
        slot = Slot(client=zygote.client(), slot=zygote.slots[0], ipc_dir=zygote.slot_dirs[zygote.slots[0]])
        nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                               "language": "python"}})
        nb.cells = [nbformat.v4.new_code_cell("print(6 * 7)")]
        result = slot.run(ExecJob(assignment="a", student="s", notebooks=["n.ipynb"], config=Config(),
                                  wall_seconds=60, files={"n.ipynb": nbformat.writes(nb).encode()}))
    finally:
        zygote.stop()
    assert nbformat.reads(result.notebooks[0].executed, as_version=4).cells[0].outputs[0].text == "42\n"
