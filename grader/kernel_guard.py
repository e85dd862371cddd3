"""Inside the kernel: put back what a submission changed before each grade cell, and prove the cell ran as written.

A submission runs in the same Python process as the hidden tests that grade it, so it can change how they run:
an input or AST transformer that deletes the asserts, a custom exception handler that swallows their failures,
a replaced `run_cell`, `sys.excepthook` or `sys.displayhook`, a trace function, `builtins.isinstance` or
`math.isclose` that always agree, `numpy.allclose` or `pandas.testing.assert_frame_equal` that never fail.

:func:`launch` starts the kernel (ipykernel's own application) and, before any cell runs, takes a snapshot of
the pristine state: IPython's transformers, hooks, exception handlers, display hook and event callbacks; the
functions and classes of IPython, ipykernel, jupyter_client's Session, builtins, `sys`, `math`, NumPy,
pandas, medai.grader.checks and the assignment's own imports (`MEDAI_GUARD_PROTECT`), and `sys.modules` for
them. The grader (medai.grader.cell_proof) talks to it with a message type of its own on the shell channel, which
never goes through `run_cell`, the transformers or `user_expressions`:

- ``reset`` (before a grade cell): restores everything from the snapshot and reports what it had to restore
  (a new function an installed library made of its own, like torch's wrappers, is accepted as the new
  pristine; a few self-changing internals, `_SELF_CHANGING`, are not watched); runs the import statements of
  the notebook's locked cells again, so `math`, `np` or `roc_auc_score` mean the real thing; hides, for the
  length of the cell, notebook globals that shadow a builtin; arms a one-cell key.
- the grade cell ends with a call to :func:`prove`, added by the grader: it checks that the hooks are still
  pristine and that the code IPython compiled is exactly the code the grader sent (IPython keeps it in
  `linecache`), then publishes a display output derived from the key. The grader checks it and strips it.
- ``after``: puts the hidden globals back and says why no proof was given, if none was.

What this does not stop, honestly: code in the same process can do anything the guard can. A submission
written against medai's guard in particular can replace the guard's own message handler, read the one-cell
key out of memory, re-poison the state right after the reset from a wrapper around ipykernel's dispatch, or
from a thread, and clean up before :func:`prove` runs; or patch C-level state through ctypes. Helpers that a
locked cell *defines* (rather than imports) are not restored, nor are stand-ins built from a library's own
wrappers around other library functions; a file next to the notebook named like a module (`numpy.py`) is
imported instead of it, as in stock nbgrader. What the proof
catches anyway: any change that is still in place when the cell ends, any rewriting of the cell's code on
its way to the compiler, a cell cut short (a swallowed exception, a replaced `run_cell`, a transformer that
drops code) and a guard that no longer answers: those cells score 0 and are reported as tampered.
"""
from __future__ import annotations

import builtins
import hashlib
import hmac
import linecache
import os
import sys
import types

MSG_TYPE = "medai_guard_request"
PROOF_MIME = "application/vnd.medai.proof+json"
PROTECT_ENV = "MEDAI_GUARD_PROTECT"
# what the hidden tests and the machinery that runs them rely on, always protected when loaded
PROTECTED = ("math", "cmath", "operator", "numbers", "statistics", "functools", "ast", "linecache", "codeop",
             "traceback", "copy", "IPython", "ipykernel", "jupyter_client.session", "comm", "numpy", "pandas",
             "medai.grader.checks", "medai.grader.kernel_guard")
# parts of libraries that change their own functions and classes as they run, and that no test compares with
_SELF_CHANGING = ("torch._C", "torch._dynamo", "torch._inductor", "torch.compiler", "torch.fx", "matplotlib",
                  "matplotlib_inline")
_SYS_HOOKS = ("displayhook", "excepthook", "breakpointhook", "stdout", "stderr", "stdin")
_SHELL_TRAITS = ("input_transformers_post", "ast_transformers", "ast_node_interactivity", "autoawait",
                 "loop_runner", "input_transformer_manager", "autocall", "automagic")
_TRANSFORM_LISTS = ("cleanup_transforms", "line_transforms", "token_transformers")
_IGNORED_BUILTINS = {"_", "__", "___"}  # the display hook's own
_MISSING = object()


def token(key: str) -> str:
    """The proof for a one-cell key (the grader computes the same)."""
    return hmac.new(key.encode(), b"medai grade cell ran as written", hashlib.sha256).hexdigest()


def _behaviour(value) -> bool:
    """What restoring is about: code and the objects that carry it; data (caches, options) is left alone."""
    return callable(value) or hasattr(type(value), "__get__") or isinstance(value, types.ModuleType)


class _Namespace:
    """The behaviour entries of one module's, class's or object's namespace, as they were."""

    def __init__(self, label: str, owner, *, shadows: bool = False, keep: frozenset = frozenset()):
        self.label = label
        self.owner = owner
        self.shadows = shadows  # additions that hide a base class's (or the class's) attribute are undone too
        self.keep = keep
        space = self._space()
        self.saved = {k: v for k, v in space.items() if k not in keep and _behaviour(v)}

    def _space(self) -> dict:
        return self.owner if isinstance(self.owner, dict) else vars(self.owner)

    def _set(self, name, value) -> None:
        if isinstance(self.owner, dict):
            self.owner[name] = value
        elif isinstance(self.owner, type):
            type.__setattr__(self.owner, name, value)
        else:
            object.__setattr__(self.owner, name, value)

    def _delete(self, name) -> None:
        if isinstance(self.owner, dict):
            self.owner.pop(name, None)
        elif isinstance(self.owner, type):
            type.__delattr__(self.owner, name)
        else:
            object.__delattr__(self.owner, name)

    def _shadowed(self, name) -> bool:
        if isinstance(self.owner, type):
            return any(name in vars(base) for base in self.owner.__mro__[1:])
        return hasattr(type(self.owner), name)

    def restore(self, known: set[int]) -> list[str]:
        changed = []
        space = self._space()
        for name, value in self.saved.items():
            current = space.get(name, _MISSING)
            if current is value:
                continue
            if current is not _MISSING and _library_made(current, known):
                self.saved[name] = current  # the library's own doing (torch wraps its functions as it goes)
                continue
            self._set(name, value)
            changed.append(f"{self.label}.{name}")
        if self.shadows:
            for name in [n for n, v in space.items() if n not in self.saved and n not in self.keep]:
                if _behaviour(space[name]) and self._shadowed(name):
                    if _library_made(space[name], known):
                        self.saved[name] = space[name]
                        continue
                    self._delete(name)
                    changed.append(f"{self.label}.{name}")
        return changed


def _protected(names: tuple[str, ...]) -> list[types.ModuleType]:
    modules = []
    for key, module in list(sys.modules.items()):
        if isinstance(module, types.ModuleType) and _under(key, names) and not _under(key, _SELF_CHANGING):
            modules.append(module)
    return modules


def _under(name: str, packages: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def _library_made(value, known: set[int], depth: int = 3) -> bool:
    """A new function object made by an installed library at run time (a wrapper torch or matplotlib put in
    place of its own function), with nothing of the submission's inside it: neither its code, nor what it
    wraps or closes over. A library function that existed before (a swap: `np.allclose = np.testing.assert_`)
    and anything without Python code (a builtin, `functools.partial`) are not."""
    if id(value) in known or depth == 0:
        return False
    funcs = [getattr(value, "__func__", None), getattr(value, "fget", None), getattr(value, "fset", None),
             value if isinstance(value, types.FunctionType) else None]
    funcs = [f for f in funcs if f is not None]
    if not funcs or not all(isinstance(f, types.FunctionType) and _library_code(f) for f in funcs):
        return False
    for func in funcs:
        inner = [getattr(func, "__wrapped__", None)] + [c.cell_contents for c in (func.__closure__ or ())
                                                       if _has_contents(c)]
        for item in inner:
            if callable(item) and not isinstance(item, type) and not _library_made(item, set(), depth - 1) \
                    and not _is_builtin(item):
                return False
    return True


def _has_contents(cell) -> bool:
    try:
        cell.cell_contents
        return True
    except ValueError:
        return False


def _is_builtin(value) -> bool:
    return isinstance(value, (types.BuiltinFunctionType, types.BuiltinMethodType, types.WrapperDescriptorType,
                              types.MethodDescriptorType))


def _library_code(func) -> bool:
    """A callback whose code lives in an installed library (matplotlib's figure flushing, autoreload), not in
    a cell or a file of the submission."""
    from medai.grader.checks import library_file

    code = getattr(getattr(func, "__func__", func), "__code__", None)
    return code is not None and library_file(code.co_filename)


class Guard:
    """The pristine state of one kernel, and the operations the grader asks for."""

    def __init__(self, kernel, shell, protect: tuple[str, ...] = ()):
        self.kernel, self.shell = kernel, shell
        self.key: str | None = None
        self.expected: str | None = None
        self.hidden: dict = {}
        self.problems: list[str] = []
        self.modules = {m.__name__: m for m in _protected(PROTECTED + tuple(protect))}
        self.spaces: list[_Namespace] = [_Namespace("builtins", builtins.__dict__, keep=frozenset(_IGNORED_BUILTINS))]
        classes: dict[type, None] = {}
        for name, module in self.modules.items():
            self.spaces.append(_Namespace(name, module.__dict__))
            for value in list(vars(module).values()):
                if isinstance(value, type) and getattr(value, "__module__", "") == name:
                    classes[value] = None
        self.spaces.append(_Namespace("sys", sys.__dict__, keep=frozenset(_SYS_HOOKS)))
        self.objects = [("shell", shell), ("kernel", kernel), ("shell.input_transformer_manager",
                                                               shell.input_transformer_manager),
                        ("shell.compile", shell.compile), ("shell.events", shell.events),
                        ("shell.displayhook", shell.displayhook), ("shell.display_pub", shell.display_pub),
                        ("kernel.session", kernel.session)]
        for obj in [o for _, o in self.objects] + [sys.stdout, sys.stderr]:
            for cls in type(obj).__mro__:
                classes[cls] = None
        self.spaces += [_Namespace(f"{c.__module__}.{c.__qualname__}", c, shadows=True) for c in classes
                        if c is not object and not _immutable(c)]
        self.spaces += [_Namespace(label, obj, shadows=True) for label, obj in self.objects if hasattr(obj, "__dict__")]
        self.sys_hooks = {name: getattr(sys, name) for name in _SYS_HOOKS}
        self.cell_hooks = {"displayhook": shell.displayhook, "excepthook": shell.excepthook}  # while a cell runs
        self.traits = {name: _copy(getattr(shell, name)) for name in _SHELL_TRAITS}  # defaults are lazy
        self.notifiers = _copy(shell._trait_notifiers)
        tm = shell.input_transformer_manager
        self.transforms = {name: list(getattr(tm, name)) for name in _TRANSFORM_LISTS}
        self.callbacks = {event: list(cbs) for event, cbs in shell.events.callbacks.items()}
        self.handlers = dict(kernel.shell_handlers)
        self.display_pub = shell.display_pub

    # -- reset -----------------------------------------------------------------------------------------------

    def restore(self) -> list[str]:
        """Put the pristine state back; what had to be put back."""
        changed: list[str] = []
        if sys.gettrace() is not None or sys.getprofile() is not None:
            changed.append("sys.settrace/setprofile")
            sys.settrace(None)
            sys.setprofile(None)
        import threading

        if threading._trace_hook is not None or threading._profile_hook is not None:
            changed.append("threading.settrace/setprofile")
            threading.settrace(None)
            threading.setprofile(None)
        for name, module in self.modules.items():
            if sys.modules.get(name) is not module:
                sys.modules[name] = module
                changed.append(f"sys.modules[{name!r}]")
        for name, value in self.sys_hooks.items():
            if getattr(sys, name) is not value:
                setattr(sys, name, value)
                changed.append(f"sys.{name}")
        known = {id(v) for space in self.spaces for v in space.saved.values()}
        for space in self.spaces:
            changed += space.restore(known)
        shell = self.shell
        for name, value in self.traits.items():
            current = shell._trait_values.get(name, _MISSING)
            if current is not value and (current != value or type(current) is not type(value)):
                changed.append(f"shell.{name}")
            shell._trait_values[name] = _copy(value)
        if shell._trait_notifiers != self.notifiers:
            changed.append("shell observers")
            shell._trait_notifiers.clear()
            shell._trait_notifiers.update(_copy(self.notifiers))
        tm = shell.input_transformer_manager
        for name, saved in self.transforms.items():
            if getattr(tm, name) != saved:
                changed.append(f"shell.input_transformer_manager.{name}")
                getattr(tm, name)[:] = saved
        for event, cbs in shell.events.callbacks.items():
            pristine = self.callbacks.get(event, [])
            keep = [cb for cb in cbs if cb in pristine or _library_code(cb)]
            if len(keep) != len(cbs) or any(cb not in cbs for cb in pristine):
                changed.append(f"shell.events[{event!r}]")
                cbs[:] = pristine + [cb for cb in keep if cb not in pristine]
        if self.kernel.shell_handlers != self.handlers:
            changed.append("kernel.shell_handlers")
            self.kernel.shell_handlers.clear()
            self.kernel.shell_handlers.update(self.handlers)
        return changed

    def hide_shadowing_globals(self) -> None:
        """Notebook globals named like a builtin (`sum = 0`, or a stand-in `isinstance`) step aside for the
        grade cell: its code means the builtin. They come back after it."""
        ns, own = self.shell.user_ns, self.shell.user_ns_hidden
        names = [n for n, v in ns.items() if not n.startswith("_") and n in builtins.__dict__
                 and v is not builtins.__dict__[n] and not (n in own and own[n] is v)]
        self.hidden = {name: ns.pop(name) for name in names}

    def rebind_imports(self, imports: str) -> list[str]:
        """Run the notebook's own import statements (from its locked cells) again, so that a name like `math`,
        `np` or `roc_auc_score` means the real thing in the grade cell; the rebound names that had been
        replaced by a stand-in (a module, function, class or namespace)."""
        ns, changed = self.shell.user_ns, []
        for statement in [s for s in imports.splitlines() if s.strip()]:
            fresh = {"__builtins__": builtins, "__name__": "__main__"}
            try:
                exec(compile(statement, "<medai-guard>", "exec"), fresh)  # noqa: S102 - the instructor's imports
            except Exception:  # noqa: BLE001 - the grade cell fails the same way on its own
                continue
            for name, value in fresh.items():
                if name in ("__builtins__", "__name__"):
                    continue
                old = ns.get(name, _MISSING)
                if old is not value:
                    ns[name] = value
                    if old is not _MISSING and (callable(old) or isinstance(old, types.ModuleType)
                                                or isinstance(old, types.SimpleNamespace)):
                        changed.append(f"the notebook's name {name!r}")
        return changed

    def reset(self, key: str, code: str, imports: str = "") -> dict:
        restored = self.restore()
        self.hide_shadowing_globals()
        restored += self.rebind_imports(imports)
        self.problems = []
        self.key = key
        self.expected = self.shell.transform_cell(code)
        used = _names(self.expected)
        restored += [f"the notebook's name {n!r} (a stand-in for the builtin)" for n, v in self.hidden.items()
                     if n in used and callable(v)]
        return {"status": "ok", "restored": restored}

    def after(self) -> dict:
        ns = self.shell.user_ns
        for name, value in self.hidden.items():
            ns.setdefault(name, value)  # unless the grade cell bound the name itself
        self.hidden = {}
        problems, self.problems, self.key, self.expected = self.problems, [], None, None
        return {"status": "ok", "problems": problems}

    # -- the proof ------------------------------------------------------------------------------------------

    def quick_check(self) -> list[str]:
        """The hooks that decide how a cell runs, as the reset left them."""
        shell, tm, bad = self.shell, self.shell.input_transformer_manager, []
        for name, saved in self.transforms.items():
            if getattr(tm, name) != saved:
                bad.append(f"input_transformer_manager.{name}")
        for name in ("input_transformers_post", "ast_transformers"):
            if list(shell._trait_values.get(name) or []) != list(self.traits[name] or []):
                bad.append(name)
        if sys.gettrace() is not None or sys.getprofile() is not None:
            bad.append("a trace or profile function")
        for name, value in self.sys_hooks.items():
            current = getattr(sys, name)
            if current is not value and not (name in self.cell_hooks and current == self.cell_hooks[name]):
                bad.append(f"sys.{name}")
        return bad

    def prove(self, frame) -> None:
        if self.key is None:
            return
        bad = self.quick_check()
        entry = linecache.cache.get(frame.f_code.co_filename)
        compiled = "".join(entry[2]) if entry else None
        if compiled is None or compiled.rstrip("\n") != (self.expected or "").rstrip("\n"):
            bad.append("the cell's code was changed on its way to the compiler")
        if bad:
            self.problems += bad
            return
        self.display_pub.publish({PROOF_MIME: {"proof": token(self.key)}}, metadata={})
        self.key = None  # one proof per cell

    def handle(self, stream, ident, parent) -> None:
        content = parent.get("content", {})
        try:
            if content.get("op") == "reset":
                reply = self.reset(str(content["key"]), str(content["code"]), str(content.get("imports", "")))
            elif content.get("op") == "after":
                reply = self.after()
            else:
                reply = {"status": "error", "error": f"unknown op {content.get('op')!r}"}
        except Exception as err:  # noqa: BLE001 - told to the grader, which scores the cell 0
            reply = {"status": "error", "error": f"{type(err).__name__}: {err}"}
        self.kernel.session.send(stream, "medai_guard_reply", reply, parent, ident)


def _names(code: str) -> set[str]:
    import ast

    try:
        return {node.id for node in ast.walk(ast.parse(code)) if isinstance(node, ast.Name)}
    except SyntaxError:
        return set()


def _immutable(cls: type) -> bool:
    return not (cls.__flags__ & (1 << 9))  # Py_TPFLAGS_HEAPTYPE: classes written in Python can be changed


def _copy(value):
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


_GUARD: Guard | None = None


def prove(value=_MISSING):
    """Called by the grader's last line of a grade cell (wrapping the cell's last expression, if any)."""
    if _GUARD is not None:
        _GUARD.prove(sys._getframe(1))
    return None if value is _MISSING else value


def _protect_env() -> tuple[str, ...]:
    return tuple(n for n in os.environ.get(PROTECT_ENV, "").split(",") if n)


def install(app) -> Guard:
    """Snapshot the pristine state of an initialised kernel application and answer the grader's requests."""
    global _GUARD
    _GUARD = Guard(app.kernel, app.shell, _protect_env())
    app.kernel.shell_handlers[MSG_TYPE] = _GUARD.handle
    _GUARD.handlers = dict(app.kernel.shell_handlers)
    return _GUARD


def launch(argv: list[str]) -> None:
    """ipykernel's `launch_instance`, with the guard installed between initialising and starting."""
    import importlib

    from ipykernel.kernelapp import IPKernelApp

    for name in ("medai.grader.checks", *_protect_env()):  # before the submission's directory is on sys.path
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - not there: nothing of it to protect
            pass
    if "" not in sys.path:  # `python -P -c` left it out; the notebook imports its own files (checks.py) as stock
        sys.path.insert(0, "")
    app = IPKernelApp.instance()
    app.initialize(argv)
    install(app)
    app.start()


# a kernel executed afresh (the submission shadows a preloaded module): `python -P -c BOOTSTRAP ARGS...`, so that
# this module comes from the environment and not from the submission's directory
BOOTSTRAP = "import sys; from medai.grader.kernel_guard import launch; launch(sys.argv[1:])"
