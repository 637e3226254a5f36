"""Reading a log body under its limits, chunk by chunk, without a server: gzip members, bombs, truncation."""

from __future__ import annotations

import gzip

import pytest

from inference.log_body import _LogReader
from resolver_core.http import ApiError
from resolver_core.settings import InferenceSettings

LIMIT = 2048


def read(body: bytes, chunk: int = 512, gzipped: bool = False) -> bytearray:
    settings = InferenceSettings(_env_file=None, inference_max_log_bytes=LIMIT)
    reader = _LogReader(settings, gzipped)
    for start in range(0, len(body), chunk):
        reader.add(body[start : start + chunk])
    return reader.finish()


def test_plain_and_gzip_bodies_read_the_same_and_concatenated_members_are_all_read() -> None:
    log = b"npm ERR! code ERESOLVE\n" * 40
    assert read(log) == read(gzip.compress(log)) == log
    assert read(gzip.compress(log[:400]) + gzip.compress(log[400:])) == log


@pytest.mark.parametrize(
    "body",
    [
        b"x" * (LIMIT + 1),
        gzip.compress(b"a" * (LIMIT + 1)),
        gzip.compress(b"a" * LIMIT) + gzip.compress(b"b" * 10_000_000),  # the first member fills the limit exactly
        gzip.compress(b"a" * LIMIT) + gzip.compress(b"") + gzip.compress(b"c" * 100),
    ],
)
def test_a_body_over_the_limit_is_413_however_it_is_packed(body: bytes) -> None:
    with pytest.raises(ApiError) as refused:
        read(body, chunk=1 << 20)
    assert refused.value.status == 413 and refused.value.field == "body"


def test_a_truncated_or_broken_gzip_body_is_400() -> None:
    for body in (gzip.compress(b"error: x\n" * 50)[:-12], b"\x1f\x8b\x08\x00not gzip at all"):
        with pytest.raises(ApiError) as refused:
            read(body)
        assert refused.value.status == 400
