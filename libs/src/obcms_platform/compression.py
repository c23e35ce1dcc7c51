"""gzip of answers by ISA-L (Intel's deflate library, `isal`): the gzip format every client
reads, at an eighth of zlib's CPU for a body a tenth to a quarter larger.

Measured on the bench's answers (`bench/results/NOTES.md`, stop 29): a page of 50 tasks
(41 kB) took zlib's level 6 0.32 ms, ISA-L's level 2 0.04 ms (5.4 kB instead of 4.9); a
month's calendar feed (182 kB) 2.3 ms against 0.14 (28 kB instead of 22); a year's (2.1 MB)
23 ms against 2.6 (310 kB instead of 235). An answer is compressed each time it is sent, so
the CPU is paid per request.

An answer stored to be sent many times (the gateway's feed answers, `stored_gzip`) is
compressed once, at the same level: a month's feed (182 kB) in 0.15 ms to 28 kB, a year's
(2.2 MB) in 2.4 ms to 315 kB. It was zlib's level 6 (1.8 ms to 22 kB, 27 ms to 240 kB) until
the bench measured the feed after a change (the cold load production sees most), where that
was the largest part of the gateway's CPU; ISA-L's level 3 saves 4 % of the bytes for three
times the CPU (stop 32).
"""

from __future__ import annotations

from isal import igzip, isal_zlib
from starlette.datastructures import Headers
from starlette.middleware.gzip import GZipMiddleware, GZipResponder
from starlette.types import ASGIApp, Receive, Scope, Send

# ISA-L's levels run from 0 to 3; 2 is as fast as 1 for a smaller body, 3 three times slower.
ANSWER_GZIP_LEVEL = 2
# Smaller answers are sent as they are: compressing them saves next to nothing.
GZIP_MINIMUM_SIZE = 1024
# Larger answers are compressed in a worker thread, not on the event loop: ISA-L takes about
# as long for 1 MB (1.2 ms) as zlib's level 6 for Starlette's bound of 128 kB. Below it, the
# thread hop would cost more than the compression (a month's feed: 0.14 ms).
THREAD_MINIMUM_SIZE = 1024 * 1024


def stored_gzip(body: bytes) -> bytes:
    """`body` as a gzip member to store and send many times (no time stamp: the same body
    gives the same bytes)."""
    compressed: bytes = igzip.compress(body, compresslevel=ANSWER_GZIP_LEVEL, mtime=0)
    return compressed


def gunzip(body: bytes) -> bytes:
    """A gzip body of one member (`stored_gzip`'s) decompressed."""
    return isal_zlib.decompress(body, wbits=16 + isal_zlib.MAX_WBITS)


class _IsalGZipResponder(GZipResponder):
    """Starlette's gzip responder, its compressor ISA-L's (the same interface as zlib's)."""

    @property
    def compressor(self) -> isal_zlib.Compress:  # type: ignore[override]
        if self._compressor is None:
            self._compressor = isal_zlib.compressobj(  # type: ignore[assignment]
                self.compresslevel, isal_zlib.DEFLATED, 16 + isal_zlib.MAX_WBITS
            )
        return self._compressor  # type: ignore[return-value]


class AnswerGZipMiddleware(GZipMiddleware):
    """Starlette's GZip middleware (the same rules: the client's ``Accept-Encoding``, the
    minimum size, answers already encoded or of excluded types left alone, a stream
    compressed chunk by chunk), compressing with ISA-L at `ANSWER_GZIP_LEVEL`."""

    def __init__(self, app: ASGIApp, minimum_size: int = GZIP_MINIMUM_SIZE) -> None:
        super().__init__(
            app,
            minimum_size=minimum_size,
            compresslevel=ANSWER_GZIP_LEVEL,
            thread_minimum_size=THREAD_MINIMUM_SIZE,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and "gzip" in Headers(scope=scope).get("Accept-Encoding", ""):
            responder = _IsalGZipResponder(
                self.app,
                self.minimum_size,
                compresslevel=self.compresslevel,
                thread_minimum_size=self.thread_minimum_size,
                exclude_content_types=self.exclude_content_types,
            )
            await responder(scope, receive, send)
            return
        await super().__call__(scope, receive, send)
