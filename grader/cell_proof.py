"""The grader's side of grade-cell integrity: reset the kernel before each grade cell, check the cell's proof.

nbgrader's configured `Execute` preprocessor runs every notebook; :func:`guarded` gives it a subclass that,
for each autograded test cell (a locked grade cell nbgrader restored from the source), first asks the kernel's
guard (medai.grader.kernel_guard, over a message type of its own) to put back everything the submission changed,
then runs the cell with one call to the guard's `prove` added at its end (around its last expression, so
that a partial-credit result is still displayed), and afterwards checks the outputs for the proof: a display
output derived from a fresh random key that was sent only with the reset, never in any cell's code. The
proof is removed from the outputs, so the executed notebook is what stock nbgrader would have produced.

A grade cell is tampered when the reset had to undo something, when it ran without an error but without the
proof (it was cut short, rewritten, or a hook was changed again), when a proof is forged, when the guard did
not answer, or when the hidden tests found a stand-in value (medai.grader.checks.StandInValue). Its outputs
then start with an error output named :data:`TAMPERED` whose text names the cell and the reason, so that
nbgrader's own `SaveAutoGrades` scores it 0 and medai.grader.record reports it (:func:`tampered_cells`).
"""
from __future__ import annotations

import ast
import secrets

from nbformat import NotebookNode

from medai.grader.kernel_guard import MSG_TYPE, PROOF_MIME, token

TAMPERED = "GradeCellTampered"
PROVE = '__import__("medai.grader.kernel_guard", fromlist=["prove"]).prove'
GUARD_TIMEOUT = 10  # seconds for the guard to answer (it takes milliseconds)


def is_test_cell(cell) -> bool:
    """An autograded test cell: a grade cell that is code and not a student's answer."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def instrument(source: str) -> str:
    """The cell's code with the proof at its end; a last expression stays the last and is displayed."""
    from IPython.core.inputtransformer2 import TransformerManager

    python = TransformerManager().transform_cell(source)
    try:
        tree = ast.parse(python)
    except SyntaxError:  # it fails the same way with the proof: an error, scored 0 as usual
        return source.rstrip("\n") + f"\n{PROVE}()\n"
    last = tree.body[-1] if tree.body else None
    if isinstance(last, ast.Expr) and not python.rstrip().endswith(";"):
        lines = python.splitlines(keepends=True)

        def at(lineno: int, col: int) -> int:
            line = lines[lineno - 1]
            return sum(len(x) for x in lines[:lineno - 1]) + len(line.encode()[:col].decode(errors="ignore"))

        start, end = at(last.lineno, last.col_offset), at(last.end_lineno, last.end_col_offset)
        return f"{python[:start]}{PROVE}({python[start:end]}){python[end:]}"
    return source.rstrip("\n") + f"\n{PROVE}()\n"


def _locked(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.get("cell_type") == "code" and not meta.get("solution") and bool(meta.get("locked") or meta.get("grade"))


def imports_before(cells, index: int) -> str:
    """The top-level import statements of the locked cells before `index`, one a line (the names the grade
    cell relies on, which the guard binds again before it runs)."""
    from IPython.core.inputtransformer2 import TransformerManager

    lines: dict[str, None] = {}
    for cell in cells[:index]:
        if not _locked(cell):
            continue
        try:
            tree = ast.parse(TransformerManager().transform_cell(cell.source))
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)) and not getattr(node, "level", 0):
                lines[ast.unparse(node)] = None
    return "\n".join(lines)


def _error(reason: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=TAMPERED, evalue=reason, traceback=[f"{TAMPERED}: {reason}"])


def verdict(cell, key: str, before: dict | None, after: dict | None) -> str | None:
    """Strip the proof from the cell's outputs; the reason it is tampered, or None."""
    outputs = list(cell.get("outputs", []))
    proofs = [o for o in outputs if o.get("output_type") in ("display_data", "execute_result")
              and PROOF_MIME in o.get("data", {})]
    outputs = [o for o in outputs if not any(o is p for p in proofs)]
    good = [p for p in proofs if isinstance(p["data"][PROOF_MIME], dict)
            and p["data"][PROOF_MIME].get("proof") == token(key)]
    errors = [o for o in outputs if o.get("output_type") == "error"]
    reasons = []
    if before is None:
        reasons.append("the kernel did not answer the grader's integrity check")
    elif before.get("status") != "ok":
        reasons.append(f"the grader's integrity check failed in the kernel ({before.get('error', '?')})")
    elif before.get("restored"):
        changed = before["restored"]
        reasons.append("the submission had changed " + ", ".join(changed[:5])
                       + (f" and {len(changed) - 5} more" if len(changed) > 5 else "") + " (put back before it ran)")
    if len(good) != len(proofs) or len(good) > 1:
        reasons.append("its proof of execution was forged")
    if not good and not errors:
        problems = (after or {}).get("problems") or []
        reasons.append("it did not run to its end as written" + (f" ({', '.join(problems)})" if problems else ""))
    stand_ins = [o for o in errors if o.get("ename") == "StandInValue"]
    if stand_ins:
        reasons.append(f"a stand-in value: {stand_ins[0].get('evalue', '')}")
    for out in errors:  # only the grader writes this name
        if out.get("ename") == TAMPERED:
            out["ename"] = f"{TAMPERED}(raised by the submission)"
    grade_id = cell["metadata"]["nbgrader"].get("grade_id", "?")
    reason = f"grade cell {grade_id}: " + "; ".join(reasons) + "; scored 0" if reasons else None
    cell["outputs"] = ([_error(reason)] if reason else []) + outputs
    return reason


def tampered_cells(nb) -> list[str]:
    """The reasons the executed notebook's grade cells were found tampered with (from their error outputs)."""
    return [out["evalue"] for cell in nb.cells if is_test_cell(cell) for out in cell.get("outputs", [])
            if out.get("output_type") == "error" and out.get("ename") == TAMPERED]


class GuardedExecution:
    """Mixed into nbgrader's configured Execute preprocessor (see the module docstring)."""

    _guard_alive = True

    def _guard(self, op: str, **content) -> dict | None:
        if not self._guard_alive:
            return None
        msg = self.kc.session.msg(MSG_TYPE, {"op": op, **content})
        self.kc.shell_channel.send(msg)
        timeout, self.timeout = self.timeout, GUARD_TIMEOUT
        try:
            reply = self.wait_for_reply(msg["header"]["msg_id"])
        except TimeoutError:
            reply = None
        finally:
            self.timeout = timeout
        if reply is None or reply.get("msg_type") != "medai_guard_reply":
            self._guard_alive = False  # not again for every later cell
            return None
        return reply["content"]

    def preprocess_cell(self, cell, resources, index):
        language = self.nb.metadata.get("language_info", {}).get("name", "python")
        if not is_test_cell(cell) or language != "python" or not cell.source.strip():
            return super().preprocess_cell(cell, resources, index)
        original, key = cell.source, secrets.token_hex(16)
        code = instrument(original)
        before = self._guard("reset", key=key, code=code, imports=imports_before(self.nb.cells, index))
        cell.source = code
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        finally:
            cell.source = original
        after = self._guard("after") if before is not None else None
        verdict(cell, key, before, after)
        return cell, resources


def guarded(cls: type) -> type:
    """nbgrader's (or the configured) Execute class, with grade-cell integrity."""
    return type(f"Guarded{cls.__name__}", (GuardedExecution, cls), {})
