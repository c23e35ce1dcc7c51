"""A comment's Markdown as HTML a page may show, and as plain text a message may quote.

markdown-it-py (CommonMark, raw HTML off, bare links recognised) writes the HTML; nh3
(Ammonia) then keeps only the allowlist below: whatever the Markdown parser lets through by
mistake, a tag, an attribute or a URL scheme outside it never reaches a page. Links open
nothing of ours to the linked site (``rel="noopener noreferrer nofollow"``), and only
http, https and mailto URLs survive (no ``javascript:``, no ``data:``, no relative paths a
page could resolve somewhere unexpected).

Rendered when read, not stored: the allowlist in force applies to every comment, old ones
too, so tightening it needs no data migration; the cache keeps a page of comments from
costing a parse per read.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

# Headings start at h3: a comment sits under its page's own h1 and h2.
ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "hr",
        "strong",
        "em",
        "code",
        "pre",
        "blockquote",
        "ul",
        "ol",
        "li",
        "a",
        "h3",
        "h4",
        "h5",
        "h6",
    }
)
ALLOWED_ATTRIBUTES = {"a": frozenset({"href"}), "ol": frozenset({"start"})}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer nofollow"
# Whose content goes with the tag (the rest keep their text when their tag goes).
DROPPED_WITH_CONTENT = frozenset({"script", "style"})
# How much of a comment a notification quotes.
EXCERPT_LENGTH = 200
RENDER_CACHE_SIZE = 4096

_parser = MarkdownIt("commonmark", {"html": False, "linkify": True}).enable("linkify")
_sanitiser = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    clean_content_tags=DROPPED_WITH_CONTENT,
    attributes=ALLOWED_ATTRIBUTES,
    link_rel=LINK_REL,
    url_schemes=URL_SCHEMES,
    url_relative="deny",
)
_text_only = nh3.Cleaner(tags=frozenset(), clean_content_tags=DROPPED_WITH_CONTENT)
_whitespace = re.compile(r"\s+")


@lru_cache(maxsize=RENDER_CACHE_SIZE)
def to_html(markdown: str) -> str:
    """The comment's Markdown as sanitised HTML."""
    return _sanitiser.clean(_parser.render(markdown))


def excerpt(markdown: str, length: int = EXCERPT_LENGTH) -> str:
    """The comment as plain text on one line, cut to `length` characters at the end of a
    word (an ellipsis ends a cut one; a single word longer than that is cut inside it)."""
    text = html.unescape(_text_only.clean(_parser.render(markdown)))
    text = _whitespace.sub(" ", text).strip()
    if len(text) <= length:
        return text
    cut = text[: length - 1]
    if text[length - 1] != " " and " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip() + "\N{HORIZONTAL ELLIPSIS}"
