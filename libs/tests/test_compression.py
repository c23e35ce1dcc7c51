"""Answers compressed by ISA-L (`AnswerGZipMiddleware`): the gzip every client reads, by the
same rules as Starlette's middleware."""

from __future__ import annotations

import gzip
import json

import pytest
from isal import isal_zlib
from starlette.applications import Starlette
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from obcms_platform.compression import (
    ANSWER_GZIP_LEVEL,
    GZIP_MINIMUM_SIZE,
    AnswerGZipMiddleware,
    gunzip,
    stored_gzip,
)

TASKS = json.dumps(
    [{"id": index, "title": f"Task {index}", "status": "in_progress"} for index in range(900)]
).encode()
SMALL = b'{"ok":true}'
CHUNKS = [TASKS[:20_000], TASKS[20_000:40_000], TASKS[40_000:]]
TAKES_GZIP = {"Accept-Encoding": "gzip, deflate, br"}
# An answer compressed by the app itself, once: gzip writes the time into its header, and two
# compressions a second apart differ.
ENCODED = gzip.compress(TASKS, mtime=0)


def _isal(body: bytes) -> bytes:
    compressor = isal_zlib.compressobj(
        ANSWER_GZIP_LEVEL, isal_zlib.DEFLATED, 16 + isal_zlib.MAX_WBITS
    )
    return compressor.compress(body) + compressor.flush()


async def _stream():  # type: ignore[no-untyped-def]
    for chunk in CHUNKS:
        yield chunk


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = Starlette(
        routes=[
            Route("/tasks", lambda request: Response(TASKS, media_type="application/json")),
            Route(
                "/small", lambda request: Response(b'{"ok":true}', media_type="application/json")
            ),
            Route(
                "/stream",
                lambda request: StreamingResponse(_stream(), media_type="application/json"),
            ),
            Route(
                "/encoded",
                lambda request: Response(
                    ENCODED,
                    media_type="application/json",
                    headers={"Content-Encoding": "gzip"},
                ),
            ),
        ]
    )
    app.add_middleware(AnswerGZipMiddleware)
    return TestClient(app)


def _raw(client: TestClient, path: str, headers: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    with client.stream("GET", path, headers=headers) as response:
        assert response.status_code == 200
        return b"".join(response.iter_raw()), dict(response.headers)


def test_an_answer_is_gzip_by_isal_for_a_client_that_takes_it(client):
    body, headers = _raw(client, "/tasks", TAKES_GZIP)
    assert headers["content-encoding"] == "gzip"
    assert headers["vary"] == "Accept-Encoding"
    assert int(headers["content-length"]) == len(body)
    assert gzip.decompress(body) == TASKS  # any gzip reader reads it
    assert body == _isal(TASKS)  # ISA-L's stream, at the platform's level
    assert len(body) < len(TASKS) / 5


def test_a_stream_is_compressed_chunk_by_chunk(client):
    body, headers = _raw(client, "/stream", TAKES_GZIP)
    assert headers["content-encoding"] == "gzip"
    assert "content-length" not in headers
    assert gzip.decompress(body) == TASKS


@pytest.mark.parametrize(
    ("path", "headers"),
    [("/tasks", {"Accept-Encoding": "identity"}), ("/small", TAKES_GZIP)],
    ids=["client without gzip", f"answer under {GZIP_MINIMUM_SIZE} bytes"],
)
def test_answers_sent_as_they_are(client, path, headers):
    body, sent = _raw(client, path, headers)
    assert "content-encoding" not in sent
    assert body in (TASKS, SMALL)


def test_an_answer_already_encoded_passes_untouched(client):
    body, headers = _raw(client, "/encoded", TAKES_GZIP)
    assert headers["content-encoding"] == "gzip"
    assert body == ENCODED


def test_a_stored_body_is_gzip_any_client_reads_and_the_same_each_time() -> None:
    stored = stored_gzip(TASKS)
    assert gzip.decompress(stored) == TASKS == gunzip(stored)
    assert stored_gzip(TASKS) == stored  # no time stamp: the same body, the same bytes
    assert len(stored) < len(TASKS) / 5
