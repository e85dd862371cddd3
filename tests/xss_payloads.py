"""What an attacking student plants in a submission, for tests/test_security_xss.py.

Every payload, if it ever runs, appends its tag to `top.__pwned`, sets `top.document.title` to PWNED and sends a
request to the test's listener on 127.0.0.1 (fetch and an image), so a test sees an execution three ways.
Payloads are spread over markdown (the written answer), outputs the student's code produces when the grader
re-runs it (text/html, text/markdown, image/svg+xml, application/javascript, isolated HTML, widget views),
raw cells, attachments, cell and notebook metadata, and files handed in beside the notebook.
"""
from __future__ import annotations

import base64
import json

import nbformat

FLAG = "__pwned"
PWNED_TITLE = "PWNED"


def js(tag: str, port: int) -> str:
    """The script a payload runs: no double quotes, so it fits in a double-quoted attribute."""
    url = f"http://127.0.0.1:{port}/{tag}"
    return (f"top.{FLAG}=(top.{FLAG}||[]).concat('{tag}');top.document.title='{PWNED_TITLE}';"
            f"fetch('{url}',{{mode:'no-cors'}}).catch(function(){{}});(new Image()).src='{url}-img'")


def js_short(tag: str, port: int) -> str:
    """The same without commas, for places that forbid them (cell tags, roster names)."""
    return f"top.{FLAG}=['{tag}'];top.document.title='{PWNED_TITLE}';(new Image()).src='http://127.0.0.1:{port}/{tag}'"


def markdown_payloads(port: int) -> list[str]:
    """HTML and markdown an attacker writes into a written answer."""
    j = lambda tag: js(tag, port)  # noqa: E731
    b64 = lambda s: base64.b64encode(s.encode()).decode()  # noqa: E731
    listener = f"http://127.0.0.1:{port}"
    return [
        f"<script>{j('md-script')}</script>",
        f'<img src=x onerror="{j("md-img-onerror")}">',
        f'<svg onload="{j("md-svg-onload")}"><circle r="4"/></svg>',
        f"<svg><script>{j('md-svg-script')}</script></svg>",
        f"[see the appendix](javascript:{j('md-js-link').replace(' ', '%20')})",
        f'<a href="javascript:{j("md-js-href")}">appendix</a>',
        f'<iframe srcdoc="&lt;script&gt;{j("md-srcdoc")}&lt;/script&gt;"></iframe>',
        f'<iframe src="data:text/html;base64,{b64("<script>" + j("md-iframe-data") + "</script>")}"></iframe>',
        f'<details open ontoggle="{j("md-details")}"><summary>more</summary>text</details>',
        f'<math><mtext><table><mglyph><style><img src=x onerror="{j("md-mxss")}">',
        f'<div onmouseover="{j("md-mouseover")}" style="position:fixed;top:0;left:0;width:100%;height:100%">x</div>',
        f"<style>body{{background:url({listener}/md-css-background)}}</style>",
        f'<span style="background-image:url({listener}/md-css-attribute)">styled</span>',
        f'<img src="{listener}/md-remote-image">',
        f'<meta http-equiv="refresh" content="0;url={listener}/md-meta-refresh">',
        f'<base href="{listener}/md-base/">',
        f'<object data="data:text/html;base64,{b64("<script>" + j("md-object") + "</script>")}"></object>',
        f'<embed src="data:image/svg+xml;base64,{b64("<svg xmlns=%22http://www.w3.org/2000/svg%22 onload=%22" + j("md-embed") + "%22/>")}">',  # noqa: E501
        f'<form action="{listener}/md-form"><button formaction="javascript:{j("md-formaction")}">go</button></form>',
        f'<link rel="stylesheet" href="{listener}/md-stylesheet.css">',
        f'<video><source onerror="{j("md-video")}"></video>',
        f'<body onload="{j("md-body-onload")}">',
        f'<input autofocus onfocus="{j("md-autofocus")}">',
    ]


def output_code(port: int) -> str:
    """Code the student leaves in their answer cell: the grader's re-run displays every kind of output."""
    j = lambda tag: js(tag, port)  # noqa: E731
    html = f'<script>{j("out-html-script")}</script><img src=x onerror="{j("out-html-img")}">'
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" onload="{j("out-svg-onload")}">'
           f'<script>{j("out-svg-script")}</script><circle r="4"/></svg>')
    markdown = f'<img src=x onerror="{j("out-markdown")}">'
    isolated = {"text/html": f'<script>{j("out-isolated")}</script>'}
    widget = {"application/vnd.jupyter.widget-view+json": {"model_id": "x", "version_major": 2, "version_minor": 0},
              "text/html": f'<b>widget</b><script>{j("out-widget")}</script>'}
    unknown = {"text/html": f'<img src=x onerror="{j("out-raw-html")}">',
               "application/x-unknown": f'<script>{j("out-unknown")}</script>'}
    return "\n".join([
        "from IPython.display import HTML, SVG, Javascript, Markdown, display",
        f"display(HTML({html!r}))",
        f"display(Javascript({j('out-javascript')!r}))",
        f"display(SVG({svg!r}))",
        f"display(Markdown({markdown!r}))",
        f"display({isolated!r}, raw=True, metadata={{'text/html': {{'isolated': True}}}})",
        f"display({widget!r}, raw=True)",
        f"display({unknown!r}, raw=True)",
    ]) + "\n"


def plant(nb: nbformat.NotebookNode, *, answer_cell: int, written_cell: int, answer_source: str,
          written: str, port: int) -> nbformat.NotebookNode:
    """The attacker's notebook: an honest answer and written response, with every payload around them."""
    nb.cells[answer_cell].source = answer_source + "\n\n" + output_code(port)
    nb.cells[written_cell].source = written + "\n\n" + "\n\n".join(markdown_payloads(port))
    nb.cells[written_cell].metadata["tags"] = [f'x" onmouseover="{js_short("meta-tag", port)}" data-x="',
                                              f'"><img src=x onerror="{js_short("meta-tag-img", port)}">']
    svg = f'<svg xmlns="http://www.w3.org/2000/svg" onload="{js("attachment", port)}"><circle r="4"/></svg>'
    attached = nbformat.v4.new_markdown_cell("![figure](attachment:figure.svg)")
    attached.attachments = {"figure.svg": {"image/svg+xml": base64.b64encode(svg.encode()).decode()}}
    raw = nbformat.v4.new_raw_cell(f"<script>{js('raw-cell', port)}</script>", metadata={"raw_mimetype": "text/html"})
    nb.cells[written_cell + 1:written_cell + 1] = [attached, raw]
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {
        "version_major": 2, "version_minor": 0,
        "state": {"x": {"model_name": f"</script><script>{js('meta-widgets', port)}</script>"}}}}
    nb.metadata["title"] = f"</title><script>{js('meta-title', port)}</script>"
    return nb


def handed_in_files(port: int) -> dict[str, str]:
    """Files beside the notebook, which the formgrader serves from the submission's folder."""
    return {
        "appendix.html": f"<html><body><h1>appendix</h1><script>{js('file-html', port)}</script></body></html>",
        "figure.svg": f'<svg xmlns="http://www.w3.org/2000/svg" onload="{js("file-svg", port)}"><circle r="4"/></svg>',
    }


def as_json(nb: nbformat.NotebookNode) -> dict:
    return json.loads(nbformat.writes(nb))
