"""What the PDF worker processes run (`gateway_service.pdf`): a module of its own that imports
nothing of the gateway, and WeasyPrint only when called, so that the gateway's own process,
which names the function to its workers, never loads WeasyPrint."""

from __future__ import annotations


def write_pdf(html: str) -> bytes:
    """`html` (styles inline, no external resources) as a PDF."""
    # Imported here, not at the top: see the module's docstring.
    import weasyprint

    document: bytes = weasyprint.HTML(string=html).write_pdf()
    return document


def warm_up() -> None:
    """Load WeasyPrint and lay out a line in the fonts the documents use, as a worker's first
    document would: the next document is then the only thing its reader waits for."""
    write_pdf('<p style="font-family: DejaVu Sans, sans-serif">OBCMS</p>')
