"""What the PDF worker processes run (`gateway_service.pdf`): a module of its own that imports
nothing of the gateway, so that a worker starts with WeasyPrint alone, and WeasyPrint only
when called, so that the gateway's own process, which names the function, never loads it."""

from __future__ import annotations


def write_pdf(html: str) -> bytes:
    """`html` (styles inline, no external resources) as a PDF."""
    import weasyprint

    document: bytes = weasyprint.HTML(string=html).write_pdf()
    return document
