"""Playwright driving Debian's chromium (headless) for the browser tests, and what a user does in JupyterLab.

`Browser` launches chromium once; `Browser.session(name)` gives a fresh profile (its own cookies) with one
page, a console watch and numbered screenshots. Console messages of type "error" from the hub's own origin,
and uncaught page errors, are collected in `Session.errors`; the few known third-party messages allowed are
listed, with their reason, in ALLOWED_CONSOLE_ERRORS. Waiting is Playwright's own (expect / wait_for).

Offline, as on a campus network without internet: every request a page makes (scripts, styles, fonts, frames,
fetches) to a host other than 127.0.0.1, localhost or *.localhost is refused before it leaves the browser and
is an error of that session (`LOCAL_HOSTS`), so every browser test fails on a page that needs the internet.
"""
from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Locator, Page, expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"  # Debian's package; never `playwright install`
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 800}
TIMEOUT_MS = 90_000  # generous: two cores, other tests running beside us


@dataclass(frozen=True)
class Allowed:
    """A console error that is not ours to fix: where (URL pattern) and what (message pattern), and why."""

    url: str
    message: str
    why: str

    def matches(self, url: str, message: str) -> bool:
        return bool(re.search(self.url, url) and re.search(self.message, message))


ALLOWED_CONSOLE_ERRORS: list[Allowed] = []

# where a page may send requests: this machine only
LOCAL_HOSTS = re.compile(r"^(127\.0\.0\.1|localhost|[a-z0-9.-]+\.localhost)$", re.IGNORECASE)


def is_local(url: str) -> bool:
    """True for a URL that stays on this machine (or needs no network: data:, blob:, about:)."""
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True
    return parts.scheme in ("http", "https", "ws", "wss") and bool(LOCAL_HOSTS.match(parts.hostname or ""))


def chromium_available() -> bool:
    return Path(CHROMIUM).exists()


@dataclass
class Session:
    """One user's browser profile (own cookies) and its page."""

    name: str
    page: Page
    browser: "Browser"
    errors: list[str] = field(default_factory=list)

    def watch(self) -> None:
        page = self.page
        page.on("console", lambda msg: msg.type == "error" and self._error(
            (msg.location or {}).get("url") or page.url, msg.text))
        page.on("pageerror", lambda err: self._error(page.url, err.message, f"uncaught {err.name}: "))
        # WebSockets are not routed: one to another host is reported all the same
        page.on("websocket", lambda ws: is_local(ws.url) or self.errors.append(
            f"[{self.name}] {page.url}: WebSocket left 127.0.0.1: {ws.url}"))

    def guard(self, route) -> None:
        """Playwright route handler: requests to this machine go on, any other is refused and is an error."""
        url = route.request.url
        if is_local(url):
            route.continue_()
        else:
            self.errors.append(f"[{self.name}] {self.page.url}: request left 127.0.0.1: {url}")
            route.abort("addressunreachable")

    def _error(self, url: str, message: str, kind: str = "") -> None:
        if not url.startswith(self.browser.origin):
            return  # another origin's message (a request there is refused and reported by `guard`)
        if not any(a.matches(url, message) for a in ALLOWED_CONSOLE_ERRORS):
            self.errors.append(f"[{self.name}] {url}: {kind}{message}")

    def shot(self, what: str, *, tour: str = "") -> Path:
        """A numbered screenshot among the artefacts, e.g. 03-medicine-self-check.png; `tour` also names it
        as one of the README's pictures (see save_tour)."""
        b = self.browser
        path = b.shots / f"{len(b.taken) + 1:02d}-{what}.png"
        self.page.screenshot(path=path)
        b.taken.append(path)
        if tour:
            b.tour[tour] = path
        return path

    def login(self, user: str, password: str) -> None:
        """Fill in the hub's login form (the page must show it)."""
        page = self.page
        expect(page.locator("#login_submit")).to_be_visible()
        page.fill("#username_input", user)
        page.fill("#password_input", password)
        page.click("#login_submit")


class Browser:
    """Headless chromium for the duration of a `with` block; screenshots go to `shots` (emptied first)."""

    def __init__(self, origin: str, shots: Path):
        self.origin = origin.rstrip("/")
        self.shots = shots
        self.taken: list[Path] = []
        self.tour: dict[str, Path] = {}
        self.sessions: list[Session] = []

    def __enter__(self) -> "Browser":
        shutil.rmtree(self.shots, ignore_errors=True)
        self.shots.mkdir(parents=True)
        expect.set_options(timeout=TIMEOUT_MS)
        self._pw = sync_playwright().start()
        self._browser = self._pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        return self

    def __exit__(self, *exc) -> None:
        self._browser.close()
        self._pw.stop()

    def session(self, name: str) -> Session:
        """A fresh profile with one page, as a new user opening the browser."""
        context = self._browser.new_context(viewport=VIEWPORT, accept_downloads=True, locale="en-US",
                                            timezone_id="Asia/Seoul")
        context.set_default_timeout(TIMEOUT_MS)
        s = Session(name=name, page=context.new_page(), browser=self)
        context.route(re.compile(r".*"), s.guard)  # before the first request: nothing leaves unchecked
        s.watch()
        self.sessions.append(s)
        return s

    @property
    def errors(self) -> list[str]:
        return [e for s in self.sessions for e in s.errors]


def save_tour(shots: dict[str, Path], dest: Path, *, colours: int = 128) -> list[Path]:
    """Copy the tour's screenshots to `dest` as small PNGs (a palette of `colours`, no dithering, optimised)."""
    from PIL import Image

    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for name, path in sorted(shots.items()):
        with Image.open(path) as image:
            small = image.convert("RGB").quantize(colors=colours, method=Image.Quantize.MEDIANCUT,
                                                  dither=Image.Dither.NONE)
        out = dest / f"{name}.png"
        small.save(out, optimize=True)
        written.append(out)
    return written


# -- JupyterLab and nbgrader's Assignments tab --------------------------------------------------------------


def wait_for_grading_page(page: Page) -> None:
    """nbgrader's grading page binds its score and comment boxes only once it has fetched the grades and the
    comments (formgrade.js, after the window's load): a value typed before then is never saved."""
    page.wait_for_function("() => window.formgrader && formgrader.grades && formgrader.grades.loaded"
                           " && formgrader.comments && formgrader.comments.loaded")


def wait_for_lab(page: Page) -> None:
    page.wait_for_url(re.compile(r"/user/[^/]+/lab"))
    expect(page.locator("#jp-main-dock-panel")).to_be_visible()


def open_assignments(page: Page) -> None:
    """Nbgrader -> Assignment List: nbgrader's own lab extension, in a tab called "Assignments"."""
    page.locator("#jp-menu-panel .lm-MenuBar-itemLabel", has_text="Nbgrader").click()
    page.locator('#jp-mainmenu-nbgrader li[data-command="nbgrader:open-assignment-list"]').click()
    expect(page.locator("#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current")).to_have_text(re.compile("Assignments"))


def assignment_row(page: Page, section: str, assignment: str) -> Locator:
    """The row of `assignment` under released, fetched or submitted."""
    return page.locator(f"#{section}_assignments_list > .list_item").filter(
        has=page.locator(".item_name", has_text=assignment))


def fetch(page: Page, assignment: str) -> None:
    assignment_row(page, "released", assignment).locator(".item_status button", has_text="Fetch").click()
    expect(assignment_row(page, "fetched", assignment)).to_be_visible()


def open_notebook(page: Page, assignment: str, notebook: str) -> Locator:
    """Expand the fetched assignment, open its notebook, wait for the kernel; returns the notebook panel."""
    row = assignment_row(page, "fetched", assignment)
    row.locator(".item_name a", has_text=assignment).first.click()
    row.locator(".nested_list_item .item_name a", has_text=notebook).click()
    panel = page.locator(".jp-NotebookPanel:visible")
    expect(panel.locator(".jp-Toolbar-kernelName")).to_have_text(re.compile("Python 3"))
    expect(page.locator(".jp-Notebook-ExecutionIndicator").first).to_have_attribute("data-status", "idle")
    return panel


def cell(panel: Locator, index: int) -> Locator:
    """The notebook's cell number `index` (from 0, as in the .ipynb). By position, not by text: CodeMirror
    leaves out the lines of an editor scrolled far out of view, so a cell's text is not always in the page."""
    return panel.locator(f'.jp-Cell[data-windowed-list-index="{index}"]')


def run_cell(cell: Locator, *, timeout: float = TIMEOUT_MS) -> Locator:
    """Run one cell (Shift+Enter) and wait for its new execution count; returns its output area."""
    prompt = cell.locator(".jp-InputPrompt")
    before = prompt.inner_text()
    cell.locator(".cm-content").click()
    cell.page.keyboard.press("Shift+Enter")
    expect(prompt).not_to_have_text(before, timeout=timeout)
    expect(prompt).to_have_text(re.compile(r"\[\d+\]"), timeout=timeout)
    return cell.locator(".jp-OutputArea")


def type_into(cell: Locator, text: str) -> None:
    """Replace the cell's source by `text` as typed (inserted, so the editor does not auto-indent it)."""
    cell.locator(".cm-content").click()
    cell.page.keyboard.press("Control+a")
    cell.page.keyboard.insert_text(text)


def markdown_answer(cell: Locator, text: str) -> None:
    """Open a markdown cell's editor (double click), type `text` over what it says, and render it."""
    cell.scroll_into_view_if_needed()
    cell.dblclick()
    type_into(cell, text)
    cell.page.keyboard.press("Shift+Enter")
    expect(cell.locator(".jp-RenderedMarkdown")).to_have_text(text)


def save(page: Page) -> None:
    page.keyboard.press("Control+s")
    expect(page.locator("#jp-main-dock-panel .lm-TabBar-tab.jp-mod-dirty")).to_have_count(0)


def submit(page: Page, assignment: str) -> Locator:
    page.locator("#jp-main-dock-panel .lm-TabBar-tab", has_text="Assignments").click()
    assignment_row(page, "fetched", assignment).locator(".item_status button", has_text="Submit").click()
    submitted = assignment_row(page, "submitted", assignment)
    expect(submitted).to_be_visible()
    return submitted
