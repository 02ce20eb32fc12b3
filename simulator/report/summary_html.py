"""summary.html: summary.md as one self-contained page, figures inline as SVG.

The content is :func:`simulator.report.summary_page.summary_page`, the same as summary.md;
this module lays it out as HTML5 with a small inline style sheet and each figure's SVG
(as written by ``write_figures``) inlined. The page loads nothing (no scripts, fonts,
style sheets or images from elsewhere), so it opens offline and can be attached to an
email. All text is escaped.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import xarray as xr

from simulator.report.fx_summary import HEDGE_HEADER, HEDGE_NOTE, hedge_answers
from simulator.report.summary_page import (
    ANSWERS_HEADER,
    BEST_ENTRY_HEADER,
    BEST_ENTRY_NOTE,
    FIGURE_CAPTIONS,
    summary_page,
)

__all__ = ["inline_svg", "render_summary_html"]

STYLE = """
body { font: 15px/1.45 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
  color: #222; background: #fff; margin: 0; }
main { max-width: 50em; margin: 0 auto; padding: 1.5em 1em 3em; }
h1 { font-size: 1.5em; margin: 0 0 .4em; }
h2 { font-size: 1.15em; margin: 1.6em 0 .5em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: .5em 0; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: .25em .8em .25em 0; border-bottom: 1px solid #eee;
  vertical-align: top; }
th { border-bottom: 1px solid #999; }
figure { margin: 1.2em 0; break-inside: avoid; page-break-inside: avoid; }
figure svg { display: block; max-width: 100%; height: auto; }
figcaption { font-size: .9em; color: #555; }
.warnings li { color: #8a4b00; }
footer { margin-top: 2em; font-size: .8em; color: #666; }
@media print {
  body { font-size: 10.5pt; }
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid; page-break-after: avoid; }
  tr { break-inside: avoid; page-break-inside: avoid; }
}
""".strip()

_PROLOG = re.compile(r"\A\s*(?:<\?xml[^>]*\?>\s*)?(?:<!DOCTYPE[^>]*>\s*)?", re.IGNORECASE)
_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.DOTALL)
_ID = re.compile(r'\bid="([^"]+)"')
_URL_REF = re.compile(r"url\(#([^)]+)\)")
_HREF_REF = re.compile(r'((?:xlink:)?href=")#([^"]+)"')


def _esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


def inline_svg(text: str, name: str) -> str:
    """An SVG file's text made fit to sit inside an HTML5 page beside other SVGs.

    Drops the XML prolog, doctype and RDF metadata; prefixes every ``id`` (and the
    ``url(#...)`` and ``href="#..."`` references to it) with ``name``, so several
    figures on one page cannot collide; gives the root ``id="fig-<name>"`` and scopes
    the SVG's own style sheet to that root.

    Examples
    --------
    >>> inline_svg('<?xml version="1.0"?><svg><g id="a" clip-path="url(#a)"/></svg>', "f")
    '<svg id="fig-f"><g id="f-a" clip-path="url(#f-a)"/></svg>'
    """
    body = _PROLOG.sub("", text, count=1)
    body = _METADATA.sub("", body, count=1)
    body = _ID.sub(lambda m: f'id="{name}-{m[1]}"', body)
    body = _URL_REF.sub(lambda m: f"url(#{name}-{m[1]})", body)
    body = _HREF_REF.sub(lambda m: f'{m[1]}#{name}-{m[2]}"', body)
    root_id = f"fig-{name}"
    body = re.sub(r"<svg\b", f'<svg id="{root_id}"', body, count=1)
    # matplotlib's sheet is "*{...}": inside an HTML page it would apply to the whole page
    body = re.sub(r"(<style[^>]*>)\s*\*\s*\{", lambda m: f"{m[1]}#{root_id} *{{", body, count=1)
    return body.strip()


def _table(header: Sequence[str], rows: Iterable[Sequence[str]], cls: str) -> list[str]:
    out = [f'<table class="{cls}">', "<thead><tr>"]
    out += [f"<th>{_esc(h)}</th>" for h in header]
    out += ["</tr></thead>", "<tbody>"]
    for row in rows:
        out.append("<tr>" + "".join(f"<td>{_esc(c)}</td>" for c in row) + "</tr>")
    out += ["</tbody>", "</table>"]
    return out


def _svg_items(svgs: Any, base: Path | None) -> list[tuple[str, Path]]:
    items: Iterable[Any] = svgs.values() if isinstance(svgs, Mapping) else (svgs or [])
    out = []
    for p in items:
        path = Path(p)
        if path.suffix.lower() != ".svg":
            continue
        if base is not None and not path.is_absolute():
            path = base / path
        out.append((path.stem, path))
    return out


def render_summary_html(
    summary: Mapping[str, Any],
    ds: xr.Dataset | None,
    svgs: Sequence[str | Path] | Mapping[str, str | Path],
    *,
    base: str | Path | None = None,
    expected: Sequence[str] | None = None,
) -> str:
    """Render summary.html: summary.md's content with each figure's SVG inline.

    Parameters
    ----------
    summary
        The run's summary (as summary.json), as for :func:`render_summary_md`.
    ds
        The results Dataset, for the description and source line (may be None).
    svgs
        The SVG files to inline, in order (other suffixes are skipped); relative paths are
        taken under ``base``. A file that cannot be read is reported as absent.
    base
        The folder relative paths in ``svgs`` are relative to.
    expected
        The figures the page should show (default: the summary.md figures, the posterior
        densities only when fitted); those not in ``svgs`` are listed as not drawn.

    Returns
    -------
    str
        An HTML5 document ending in a newline.

    Examples
    --------
    >>> page = render_summary_html(summary, ds, ["figures/fan_chart.svg"], base=d)  # doctest: +SKIP
    """
    page = summary_page(summary, ds)
    root = Path(base) if base is not None else None
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_esc(page.title)}</title>",
        f"<style>\n{STYLE}\n</style>",
        "</head>",
        "<body>",
        "<main>",
        f"<h1>{_esc(page.title)}</h1>",
    ]
    if page.description:
        out.append(f'<p class="description">{_esc(page.description)}</p>')
    out.append(f'<p class="run">{_esc(page.run_line)}</p>')
    out += ['<h2 id="answers">Answers</h2>', *_table(ANSWERS_HEADER, page.answers, "answers")]
    if page.best_entry:
        out += [
            '<h2 id="best-entry">Best entry month</h2>',
            f"<p>{_esc(BEST_ENTRY_NOTE)}</p>",
            *_table(BEST_ENTRY_HEADER, page.best_entry, "best-entry"),
        ]
    for fx in hedge_answers(summary):  # the FX leg's answer (runs with an fx block)
        out += [f'<h2 id="hedge-{_esc(fx.currency.lower())}">{_esc(fx.heading)}</h2>']
        out += [f"<p>{_esc(fx.answer)}</p>", f"<p>{_esc(HEDGE_NOTE)}</p>"]
        out += _table(HEDGE_HEADER, fx.rows, "hedge-choice")
    out += ['<h2 id="assumptions">Assumptions</h2>', '<ul class="assumptions">']
    out += [f"<li>{_esc(a)}</li>" for a in page.assumptions] or ["<li>(none stated)</li>"]
    out.append("</ul>")
    if page.warnings:
        out += ['<h2 id="warnings">Warnings</h2>', '<ul class="warnings">']
        out += [f"<li>{_esc(w)}</li>" for w in page.warnings]
        out.append("</ul>")
    out += ['<h2 id="diagnostics">Diagnostics</h2>', f"<p>{_esc(page.diagnostics)}</p>"]

    figures: list[str] = []
    shown: set[str] = set()
    for name, path in _svg_items(svgs, root):
        if name in shown:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            continue
        caption = FIGURE_CAPTIONS.get(name, name.replace("_", " "))
        figures += [
            f'<figure id="{_esc(name)}">',
            inline_svg(text, name),
            f"<figcaption>{_esc(caption)}</figcaption>",
            "</figure>",
        ]
        shown.add(name)
    missing = [n for n in (page.figures if expected is None else expected) if n not in shown]
    out.append('<h2 id="figures">Figures</h2>')
    out += figures
    if missing:
        listed = "; ".join(f"{n} ({FIGURE_CAPTIONS.get(n, n.replace('_', ' '))})" for n in missing)
        out.append(f'<p class="absent">Not drawn for this page: {_esc(listed)}.</p>')
    out += [
        f"<footer><p>{_esc(page.footer)}</p></footer>",
        "</main>",
        "</body>",
        "</html>",
        "",
    ]
    return "\n".join(out)
