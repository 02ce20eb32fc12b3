"""summary.html: parsed with html.parser, it says what summary.md says and inlines every figure.

The Dataset and summary come from ``tests/report_fixtures.py``; the end-to-end check that
``macrosim run`` writes the page is in tests/test_cli_run.py.
"""

from __future__ import annotations

import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
import xarray as xr

sys.path.insert(0, str(Path(__file__).parent))
from report_fixtures import make_results, make_summary

from simulator.report import render_summary_html, render_summary_md, write_figures
from simulator.report.summary_html import inline_svg
from simulator.report.summary_page import FIGURE_CAPTIONS, summary_figures

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}
RESOURCE_ATTRS = {"src", "href", "xlink:href", "srcset", "poster", "data", "action"}


class Page(HTMLParser):
    """Parse a page, checking every element closes in order, and collect what tests need."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: list[str] = []
        self.ids: list[str] = []
        self.svg_roots: list[dict[str, str | None]] = []
        self.resources: list[str] = []
        self.chunks: list[str] = []
        self.errors: list[str] = []
        self.doctype = ""
        self.feed(text)
        self.close()
        if self.stack:
            self.errors.append(f"unclosed: {self.stack}")

    def _tag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "svg" and "svg" not in self.stack:
            self.svg_roots.append(dict(attrs))
        for k, v in attrs:
            if k == "id" and v is not None:
                self.ids.append(v)
            if k in RESOURCE_ATTRS and v is not None:
                self.resources.append(v)

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._tag(tag, attrs)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._tag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not self.stack or self.stack[-1] not in ("style", "script"):
            self.chunks.append(data)

    @property
    def text(self) -> str:
        """The visible text, runs of white space made one space."""
        return re.sub(r"\s+", " ", " ".join(self.chunks))


def md_table_cells(md: str, heading: str) -> list[list[str]]:
    """The body rows of the first table under ``## heading`` in a Markdown page."""
    section = md.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    rows = [ln for ln in section.splitlines() if ln.startswith("|")]
    return [[c.strip() for c in r.strip("|").split("|")] for r in rows[2:]]


@pytest.fixture(scope="module")
def ds() -> xr.Dataset:
    return make_results(levels=(3.5, 4.5), n_sim=600)


@pytest.fixture(scope="module")
def drawn(ds: xr.Dataset, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    folder = tmp_path_factory.mktemp("run")
    return folder, write_figures(ds, folder, workers=1)


def _check_page(page: Page) -> None:
    assert page.doctype.lower() == "doctype html"
    assert page.errors == []
    assert page.tags[0] == "html"
    assert len(page.ids) == len(set(page.ids)), "ids repeat"


def check_summary_html(html_text: str, md: str, folder: Path) -> Page:
    """The checks of a written summary.html beside its summary.md and figures/ folder."""
    page = Page(html_text)
    _check_page(page)
    # every figure file appears inline exactly once
    svgs = sorted((folder / "figures").glob("*.svg"))
    assert svgs
    roots = [r.get("id") for r in page.svg_roots]
    assert sorted(roots) == sorted(f"fig-{p.stem}" for p in svgs)
    for p in svgs:
        assert html_text.count(f'<figure id="{p.stem}">') == 1, p.stem
    # every cell of summary.md's tables is in the page's text
    cells = md_table_cells(md, "Answers")
    assert len(cells) >= 5
    if "## Best entry month" in md:
        cells += md_table_cells(md, "Best entry month")
    for row in cells:
        for cell in row:
            assert cell in page.text, cell
    # nothing is loaded from elsewhere
    assert not [r for r in page.resources if not r.startswith("#")]
    assert not {"script", "link", "img", "iframe", "object"} & set(page.tags)
    assert not re.search(r"url\(\s*['\"]?(?:https?:)?//|@import", html_text, re.IGNORECASE)
    return page


def test_page_says_what_summary_md_says_with_every_figure_inline(
    ds: xr.Dataset, drawn: tuple[Path, list[Path]]
) -> None:
    folder, paths = drawn
    summary = make_summary(ds)
    md = render_summary_md(summary, ds, [p for p in paths if p.suffix == ".png"], base=folder)
    text = render_summary_html(summary, ds, paths, base=folder)
    page = check_summary_html(text, md, folder)
    for a in summary["assumptions"]:
        assert a in page.text
    diag = re.search(r"^Diagnostics: .*$", md, re.MULTILINE)
    assert diag and diag[0] in page.text
    foot = re.search(r"<sub>(.*)</sub>", md)
    assert foot and foot[1] in page.text  # source line and provenance hashes
    title = md.splitlines()[0].removeprefix("# ")
    assert f"<title>{title}</title>" in text and title in page.text
    for name in summary_figures(summary):
        assert FIGURE_CAPTIONS[name] in page.text
    assert "Not drawn" not in page.text
    # relative paths under base give the same page
    rel = [p.relative_to(folder) for p in paths]
    assert render_summary_html(summary, ds, rel, base=folder) == text


def test_each_figure_svg_is_inlined_whole(drawn: tuple[Path, list[Path]]) -> None:
    _folder, paths = drawn
    svg = next(p for p in paths if p.stem == "touch_curve" and p.suffix == ".svg")
    raw = svg.read_text()
    inl = inline_svg(raw, "touch_curve")
    assert inl.startswith('<svg id="fig-touch_curve"') and inl.endswith("</svg>")
    assert "<?xml" not in inl and "<!DOCTYPE" not in inl and "<metadata" not in inl
    # every id is prefixed, and every reference points at a prefixed id of the same figure
    ids = set(re.findall(r'\bid="([^"]+)"', inl))
    refs = re.findall(r'url\(#([^)]+)\)|href="#([^"]+)"', inl)
    assert refs and all((a or b) in ids for a, b in refs)
    assert all(i.startswith("touch_curve-") or i == "fig-touch_curve" for i in ids)
    # the drawing itself (paths and text) is unchanged
    assert raw.count("<path") == inl.count("<path") and raw.count("<text") == inl.count("<text")
    assert "#fig-touch_curve *{" in inl
    root = ElementTree.fromstring(inl)  # still well-formed XML, an SVG root
    assert root.tag == "{http://www.w3.org/2000/svg}svg" and root.get("viewBox")


def test_absent_figures_are_named_and_the_page_still_renders(
    ds: xr.Dataset, drawn: tuple[Path, list[Path]], tmp_path: Path
) -> None:
    folder, _paths = drawn
    summary = make_summary(ds)
    fan = folder / "figures" / "fan_chart.svg"
    text = render_summary_html(summary, ds, [fan, tmp_path / "figures" / "decomposition.svg"])
    page = Page(text)
    _check_page(page)
    assert [r.get("id") for r in page.svg_roots] == ["fig-fan_chart"]
    absent = re.search(r"Not drawn for this page: (.*)\.", page.text)
    assert absent
    for name in summary_figures(summary):
        assert (name in absent[1]) == (name != "fan_chart"), name
    # no figures at all (figures off): every one is named, the answers are all there
    bare = render_summary_html(summary, None, [])
    page = Page(bare)
    _check_page(page)
    assert page.svg_roots == []
    assert "Not drawn for this page: fan_chart" in page.text
    md = render_summary_md(summary, None, [])
    for row in md_table_cells(md, "Answers"):
        assert row[1] in page.text


def test_posterior_figure_expected_only_when_fitted() -> None:
    fitted = make_summary(make_results(n_sim=300, fitted=True))
    assert "posterior_densities" in summary_figures(fitted)
    assert "posterior_densities" not in summary_figures(make_summary(make_results(n_sim=300)))


def test_text_is_escaped_and_warnings_shown_in_both_pages(ds: xr.Dataset) -> None:
    summary: dict[str, Any] = make_summary(ds)
    summary["assumptions"] = ['View <b>"3 cuts"</b> & more']
    summary["warnings"] = ["from the data: 10y <4% on 2026-01-20 & closes"]
    summary["scenario"] = "a<b>"
    text = render_summary_html(summary, None, [])
    assert "<b>" not in text and "&lt;b&gt;&quot;3 cuts&quot;&lt;/b&gt; &amp; more" in text
    assert "<title>a&lt;b&gt;:" in text
    page = Page(text)
    _check_page(page)
    assert 'View <b>"3 cuts"</b> & more' in page.text
    assert summary["warnings"][0] in page.text
    md = render_summary_md(summary, None, [])
    assert "## Warnings\n\n- from the data: 10y <4% on 2026-01-20 & closes\n" in md
    assert "## Warnings" not in render_summary_md(make_summary(ds), None, [])


def test_a_warning_that_is_already_an_assumption_is_said_once() -> None:
    from simulator.report.summary_page import summary_page

    ds = make_results(n_sim=300)
    summary = dict(make_summary(ds))
    note = "offline run: dynamics from calibrated.yaml"
    summary["assumptions"] = [f"Dynamics: {note}."]
    summary["warnings"] = [note, "the snapshot disagrees with the data"]
    page = summary_page(summary, ds)
    assert page.warnings == ["the snapshot disagrees with the data"]
    assert page.assumptions == [f"Dynamics: {note}."]
