"""A notebook submission's predictions, computed in the grading sandbox on the hidden inputs only.

The same parts as `medai grade`: an ExecSpec (no network, own account, rlimits, the course directory and every
private path covered, datasets readable), a kernel zygote on a free sandbox account, and
medai.grader.execute.Slot, which runs the notebook through nbgrader's configured Execute preprocessor. The job's
files are the submitted notebook, with one cell appended that calls `predict(inputs)`, and the hidden inputs
(features; the labels never leave the course directory). The appended cell's display output carries the
predictions back; they are scored by the caller, outside the sandbox. Nothing else of the executed notebook
(its outputs, whatever it printed of the inputs) reaches the team: only a summary of a failure.

Segmentation contests append MASK_CELL instead: predict() gets the hidden images (the `image` column, each an
array of its shape) and returns one mask per image, which travels back as packed bits (1 = lesion, > 0.5).
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING
from dataclasses import dataclass, replace
from pathlib import Path

from medai.course.layout import Layout
from medai.grader.contest.paths import PREDICTIONS_MIME
from medai.grader.contest.words import N_
from medai.grader.sandbox import ExecSpec, Limits

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

NOTEBOOK = "submission.ipynb"
INPUTS = "contest_inputs.parquet"
PRELOAD = ("numpy", "pandas", "sklearn")
PREDICT_CELL = f'''# medai contest: predict on the hidden inputs (appended by medai)
import pandas as _medai_pd
from IPython.display import display as _medai_display
_medai_inputs = _medai_pd.read_parquet({INPUTS!r})
_medai_p = predict(_medai_inputs.copy())
_medai_p = [float(v) for v in __import__("numpy").asarray(_medai_p, dtype=float).ravel()]
_medai_display({{{PREDICTIONS_MIME!r}: {{"predictions": _medai_p}}}}, raw=True)
'''
MASK_CELL = f'''# medai contest: predict a lesion mask for each hidden image (appended by medai)
import base64 as _medai_b64, numpy as _medai_np, pandas as _medai_pd
from IPython.display import display as _medai_display
_medai_inputs = _medai_pd.read_parquet({INPUTS!r})
_medai_inputs["image"] = [_medai_np.asarray(v).reshape(tuple(s)) for v, s in zip(_medai_inputs["image"], _medai_inputs["shape"])]
_medai_m = _medai_np.stack([_medai_np.asarray(m, dtype=float) for m in predict(_medai_inputs.copy())]) > 0.5
_medai_display({{{PREDICTIONS_MIME!r}: {{"masks": _medai_b64.b64encode(_medai_np.packbits(_medai_m.ravel())).decode(),
                                        "shape": list(_medai_m.shape)}}}}, raw=True)
'''


@dataclass
class Outcome:
    predictions: "list[float] | np.ndarray | None"  # masks: a boolean array (images, *shape)
    summary: str = ""  # msgid (English) of what the team sees, with `fields`
    fields: dict | None = None
    reason: str = ""  # for instructors: the error in full
    seconds: float = 0.0


def exec_spec(*, layout: Layout, data_dir: Path, unsafe: bool, prefix: str, limits: Limits) -> ExecSpec:
    from medai.grader.pipeline import hidden_paths

    hide = hidden_paths(course_dir=layout.course_dir, db_url=layout.gradebook_url, exchange=layout.exchange_dir,
                        layout=layout, data=str(data_dir))
    return ExecSpec(enabled=not unsafe, client_uid=os.getuid(), client_gid=os.getgid(), threads=1, prefix=prefix,
                    hide=tuple(hide), readable=(str(data_dir),), preload=PRELOAD, limits=limits)


def job_notebook(text: str, cell: str = PREDICT_CELL) -> str:
    """The submission with the predict cell appended; ValueError when it is not a notebook."""
    import nbformat

    nb = nbformat.reads(text, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(cell))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nbformat.writes(nb)


def first_error(nb) -> tuple[int, dict] | None:
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return i, out
    return None


def read_masks(data: dict, *, rows: int, shape: tuple[int, ...]) -> Outcome:
    """The masks MASK_CELL sent back, checked against the hidden images' number and shape."""
    import base64

    import numpy as np

    got = tuple(int(v) for v in data.get("shape") or ())
    if not got or got[0] != rows:
        n = got[0] if got else 0
        return Outcome(None, N_("predict() returned {got} predictions for {rows} inputs"), {"got": n, "rows": rows},
                       f"predict() returned {n} masks for {rows} images")
    if got[1:] != tuple(shape):
        size, wanted = "x".join(map(str, got[1:])) or "-", "x".join(map(str, shape))
        return Outcome(None, N_("predict() returned masks of {got} pixels for images of {shape}"),
                       {"got": size, "shape": wanted}, f"masks {size}, images {wanted}")
    bits = np.unpackbits(np.frombuffer(base64.b64decode(data.get("masks") or ""), np.uint8))
    return Outcome(bits[: int(np.prod(got))].astype(bool).reshape(got))


def read_outcome(executed: str, *, rows: int, masks: tuple[int, ...] | None = None) -> Outcome:
    """The predictions of the appended cell; `masks`: the images' shape, when predict() returns masks."""
    import nbformat

    nb = nbformat.reads(executed, as_version=4)
    last = nb.cells[-1]
    for out in last.get("outputs", []):
        data = out.get("data", {}).get(PREDICTIONS_MIME)
        if data is not None and masks is not None:
            return read_masks(data if isinstance(data, dict) else {}, rows=rows, shape=masks)
        if data is not None:
            preds = data.get("predictions") if isinstance(data, dict) else None
            if not isinstance(preds, list) or len(preds) != rows:
                got = len(preds) if isinstance(preds, list) else 0
                return Outcome(None, N_("predict() returned {got} predictions for {rows} inputs"),
                               {"got": got, "rows": rows}, f"predict() returned {got} values for {rows} rows")
            return Outcome(preds)
    err = first_error(nb)
    if err is None:
        return Outcome(None, N_("predict() gave no predictions"), {}, "no predictions output")
    index, out = err
    ename = str(out.get("ename", "Error"))
    where = "predict" if index == len(nb.cells) - 1 else "cell"
    reason = f"cell {index + 1}: {ename}: {out.get('evalue', '')}"
    if where == "predict":
        return Outcome(None, N_("calling predict() raised {error}"), {"error": ename}, reason)
    return Outcome(None, N_("cell {cell} of the notebook raised {error}"), {"cell": index + 1, "error": ename}, reason)


def run_notebook(*, notebook: bytes, inputs: bytes, rows: int, spec: ExecSpec, wall_seconds: float,
                 cell_timeout: int, masks: tuple[int, ...] | None = None) -> Outcome:
    """Execute the submission in a fresh sandbox slot (a zygote of one account), return its predictions (with
    `masks`, the images' shape: predict() returns a mask per image)."""
    from traitlets.config import Config

    from medai.grader.execute import ExecJob, Slot
    from medai.grader.kernels import zygote_for
    from medai.grader.results import Status

    try:
        text = job_notebook(notebook.decode("utf-8"), PREDICT_CELL if masks is None else MASK_CELL)
    except Exception as err:  # noqa: BLE001 - not a notebook
        return Outcome(None, N_("the file is not a Jupyter notebook"), {}, f"{type(err).__name__}: {err}")
    config = Config()
    config.Execute.timeout = cell_timeout
    config.Execute.shutdown_kernel = "immediate"
    job = ExecJob(assignment="contest", student="team", notebooks=[NOTEBOOK],
                  files={NOTEBOOK: text.encode(), INPUTS: inputs}, config=config, wall_seconds=wall_seconds)
    zygote = zygote_for(spec, count=1)
    try:
        slot = zygote.slots[0]
        result = Slot(client=zygote.client(), slot=slot, ipc_dir=zygote.slot_dirs[slot]).run(job)
    finally:
        zygote.stop()
    (nb,) = result.notebooks
    if nb.status == Status.TIMED_OUT:
        return Outcome(None, N_("the submission ran past its time limit"), {}, nb.reason, result.seconds)
    if nb.status != Status.GRADED or nb.executed is None:
        return Outcome(None, N_("the submission failed to run"), {}, nb.reason, result.seconds)
    return replace(read_outcome(nb.executed, rows=rows, masks=masks), seconds=result.seconds)
