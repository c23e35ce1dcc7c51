"""PDF documents (the PPA brief, the portfolio report, the budget-execution report): HTML from
the gateway's templates, with its formatting filters, made into PDF by WeasyPrint; and their
charts, drawn server-side by pygal as SVG whose text stays text (a PDF reader finds and copies
the charts' labels and figures).

WeasyPrint is large (about 50 MB once loaded) and a document takes it a few hundred
milliseconds of CPU: it runs in a worker process (`anyio.to_process`, HTML in, PDF bytes out;
`gateway_service.pdf_writer`), never loaded by the gateway's own process, whose event loop and
memory stay as they were. The workers are anyio's, at most ``OBCMS_GATEWAY_PDF_WORKERS`` (1)
at a time, kept for the next document (anyio ends only those of a pool of several idle for 5
minutes). Starting one takes seconds: it loads the gateway's modules again, as a child of
its main module (`obcms-gateway`), then WeasyPrint (measured on a busy 2-core machine: 4.5 s
and 80 MB, then 3 s and 30 MB more; the first PDF took 7 to 10 s, the next 1.3 to 2 s). So
the gateway starts one in the background as it starts (`warm_up`;
``OBCMS_GATEWAY_PDF_WARM_UP``): the first document is as quick as the next, and the memory is
what the first document took until the gateway stopped anyway. pygal (2 MB) is imported by the
first chart, not by every gateway worker at its start."""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from anyio import CapacityLimiter, to_process
from fastapi import FastAPI, Request
from markupsafe import Markup
from starlette.responses import Response

from gateway_service import formatting, pdf_writer
from gateway_service.web import templates
from obcms_platform.attachments import content_disposition
from obcms_platform.formatting import money

if TYPE_CHECKING:
    from pygal.graph.graph import Graph
    from pygal.style import Style

logger = logging.getLogger(__name__)

PDF_MEDIA_TYPE = "application/pdf"
# The series of a budget chart: its words and colour (as the dashboard's Chart.js charts).
BUDGET_SERIES = {
    "budget_allocation": ("Budget allocation", "#0b5394"),
    "allocated": ("Allocated", "#3d85c6"),
    "obligated": ("Obligated", "#e69138"),
    "disbursed": ("Disbursed", "#6aa84f"),
}
PALETTE = ("#0b5394", "#3d85c6", "#6aa84f", "#e69138", "#674ea7", "#45818e", "#999999")
FONT = "DejaVu Sans, sans-serif"
# An axis label's longest, in characters: about a third of a half-page chart's width. pygal
# would cut a longer one anywhere ("Infrastr…", "Peace an…"); we shorten it between words.
LABEL_LIMIT = 32
# The words of a download's subject kept in its name, in characters (a long title is cut
# between two words).
SUBJECT_LIMIT = 60


def _worker_limit(app: FastAPI) -> CapacityLimiter:
    """The app's cap on PDF worker processes, made at its first use (in its event loop)."""
    limiter: CapacityLimiter | None = getattr(app.state, "pdf_workers", None)
    if limiter is None:
        limiter = CapacityLimiter(app.state.settings.pdf_workers)
        app.state.pdf_workers = limiter
    return limiter


async def warm_up(app: FastAPI) -> None:
    """Start a PDF worker of `app` and load WeasyPrint in it (`pdf_writer.warm_up`), in the
    background of the gateway's start; a document asked for meanwhile waits for it rather
    than start another. Cancelled (the gateway stopping), the worker is ended; failed, the
    first document starts one, as without this."""
    try:
        await to_process.run_sync(pdf_writer.warm_up, limiter=_worker_limit(app), cancellable=True)
    except Exception:
        logger.warning("the PDF worker could not be started ahead", exc_info=True)


async def pdf_response(
    request: Request, template: str, context: dict[str, Any], name: str
) -> Response:
    """The PDF of `template` rendered with `context`, the signed-in user, their time zone
    (dates as every page shows them) and the moment it is `printed`, as the download
    `name`."""
    identity = getattr(request.state, "identity", None)
    zone = formatting.zone_named(getattr(identity, "time_zone", None))
    page = templates.get_template(template).render(
        {
            "user": identity,
            "time_zone": zone.key,
            "printed": formatting.format_moment(datetime.now(zone), zone),
            **context,
        }
    )
    document = await to_process.run_sync(
        pdf_writer.write_pdf, page, limiter=_worker_limit(request.app)
    )
    return Response(
        document,
        media_type=PDF_MEDIA_TYPE,
        headers={
            "Content-Disposition": content_disposition(name, ascii_name(name)),
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def _style(colours: Sequence[str]) -> Style:
    from pygal.style import Style  # on demand: see the module's docstring

    return Style(
        font_family=FONT,
        background="white",
        plot_background="white",
        foreground="#222",
        foreground_strong="#111",
        foreground_subtle="#666",
        colors=tuple(colours),
        title_font_size=15,
        label_font_size=11,
        major_label_font_size=11,
        legend_font_size=11,
        value_font_size=10,
    )


def _svg(chart: Graph) -> Markup:
    """The chart as inline SVG: no XML declaration, no script (a PDF runs none)."""
    return Markup(chart.render(is_unicode=True))  # noqa: S704 - pygal's own escaped SVG


def axis_label(text: str, limit: int = LABEL_LIMIT) -> str:
    """`text` as an axis shows it: whole when it fits in `limit` characters, else cut at the
    last word that fits, with an ellipsis (a single overlong word is cut inside it)."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    words = cut.rsplit(" ", 1)[0] if " " in cut else cut
    return words.rstrip(" ,;:-(\u2013") + "…"


def _compact_pesos(value: float) -> str:
    return money(round(value), "PHP").removesuffix(".00")


def _scale_pesos(value: float) -> str:
    """A value axis's tick in a few characters ("₱2.5M"): in full, eight ticks overlap."""
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(value) >= size:
            return f"₱{value / size:,.3g}{suffix}"
    return _compact_pesos(value)


def budget_bars(title: str, figures: Mapping[str, float | None], width: int = 640) -> Markup:
    """One bar per budget figure of `figures` (`BUDGET_SERIES`), named and coloured as on the
    dashboard, each bar's amount printed at its end."""
    # Drawn from the bottom up: the first figure comes last to stand on top.
    keys = [key for key in reversed(BUDGET_SERIES) if key in figures]
    largest = max((float(figures[key] or 0) for key in keys), default=0.0)
    import pygal  # on demand: see the module's docstring

    chart = pygal.HorizontalBar(
        title=title,
        width=width,
        height=50 + 30 * len(keys),
        style=_style([BUDGET_SERIES[key][1] for key in keys]),
        disable_xml_declaration=True,
        js=[],
        print_values=True,
        print_values_position="top",
        show_x_guides=False,
        show_y_guides=False,
        show_x_labels=False,
        show_legend=False,
        value_formatter=_compact_pesos,
        margin=4,
        spacing=6,
        # Room past the longest bar for its printed amount.
        range=(0, largest * 1.3 or 1),
    )
    chart.x_labels = [BUDGET_SERIES[key][0] for key in keys]
    chart.add(
        "Amount",
        [{"value": float(figures[key] or 0), "color": BUDGET_SERIES[key][1]} for key in keys],
    )
    return _svg(chart)


def grouped_bars(
    title: str, groups: Sequence[str], series: Mapping[str, Sequence[float]], width: int = 640
) -> Markup:
    """Bars of each of `series` (name: amount per group) side by side for every group (e.g.
    allocated, obligated and disbursed per sector), amounts in pesos. The groups are rows,
    their names (`axis_label`) read across on the left: under columns, seven sectors' names
    had room for eight letters each."""
    names = list(series)
    import pygal  # on demand: see the module's docstring

    chart = pygal.HorizontalBar(
        title=title,
        width=width,
        height=90 + len(groups) * (11 * len(names) + 12),
        style=_style(
            [
                BUDGET_SERIES.get(key, (key, colour))[1]
                for key, colour in zip(names, PALETTE, strict=False)
            ]
        ),
        disable_xml_declaration=True,
        js=[],
        legend_at_bottom=True,
        legend_at_bottom_columns=len(names),
        value_formatter=_scale_pesos,
        max_scale=6,  # pygal's up to 16 ticks crowd the axis
        truncate_label=-1,
        margin=4,
    )
    # Drawn from the bottom up: the first group comes last to stand on top.
    chart.x_labels = [axis_label(group) for group in reversed(groups)]
    for name in names:
        values = [float(value) for value in reversed(series[name])]
        chart.add(BUDGET_SERIES.get(name, (name, ""))[0], values)
    return _svg(chart)


def count_bars(title: str, counts: Mapping[str, int], width: int = 320) -> Markup:
    """One bar per (label, count) of `counts`, each labelled with its count."""
    import pygal  # on demand: see the module's docstring

    chart = pygal.HorizontalBar(
        title=title,
        width=width,
        height=60 + 26 * max(len(counts), 1),
        style=_style(PALETTE),
        disable_xml_declaration=True,
        js=[],
        show_legend=False,
        show_x_guides=False,
        show_y_guides=False,
        show_x_labels=False,
        truncate_label=-1,
        margin=4,
    )
    # Drawn from the bottom up: the first comes last to stand on top.
    shown = list(counts.items())[::-1]
    chart.x_labels = [f"{axis_label(name)} ({count})" for name, count in shown]
    chart.add("PPAs", [count for _, count in shown])
    return _svg(chart)


def document_name(kind: str, today: date, subject: str = "") -> str:
    """The download's name: its `kind`, the words of its `subject` (a PPA's title, in any
    script; a long one cut after its last whole word that fits) and the day:
    "ppa-brief-farm-to-market-road-2026-12-08.pdf"."""
    words = "-".join(re.findall(r"[^\W_]+", subject.casefold()))
    if len(words) > SUBJECT_LIMIT:
        cut = words[: SUBJECT_LIMIT + 1]
        # A single overlong word is cut inside it.
        words = cut.rsplit("-", 1)[0] if "-" in cut else cut[:SUBJECT_LIMIT]
    return "-".join(part for part in (kind, words, today.isoformat()) if part) + ".pdf"


def ascii_name(name: str) -> str:
    """`name` for a client that reads only plain file names: accents dropped ("Ñ" is "N"),
    any other letter left out ("ppa-brief-2026-12-08.pdf" of an Arabic title)."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"-{2,}", "-", re.sub(r"[^A-Za-z0-9._-]", "", plain))
