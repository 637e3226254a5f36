"""A whole job log as a request body: read as a stream under its own limits, gzip inflated as it arrives.

Raw or gzip (by `Content-Encoding: gzip`, by a gzip content type, or by its magic bytes). The size limit applies
to the log after decompression; a gzip body that inflates beyond the ratio cap is refused as a bomb as soon as
that is seen, so no more than the limit is ever held in memory. Refusals are ApiErrors naming what is wrong.
"""

from __future__ import annotations

import zlib

from fastapi import Request

from joblog import looks_binary
from resolver_core.http import ApiError
from resolver_core.settings import InferenceSettings

GZIP_MAGIC = b"\x1f\x8b"
GZIP_TYPES = ("application/gzip", "application/x-gzip")
ACCEPTED_TYPES = ("text/plain", "application/octet-stream", "application/x-www-form-urlencoded", *GZIP_TYPES)
RATIO_CHECKED_FROM = 1024 * 1024  # small bodies may compress far better than logs do: judged from this size on
READ_CHUNK = 256 * 1024


async def read_log(request: Request, settings: InferenceSettings) -> bytearray:
    """The log's bytes, decompressed; 413 / 415 / 400 ApiErrors for what cannot be taken."""
    media_type = _media_type(request)
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("identity", "gzip"):
        raise ApiError(415, f"Content-Encoding {encoding!r} is not supported (send gzip or none)", "Content-Encoding")
    reader = _LogReader(settings, gzipped=encoding == "gzip" or media_type in GZIP_TYPES)
    async for chunk in request.stream():
        reader.add(chunk)
    data = reader.finish()
    if not data or data.isspace():
        raise ApiError(422, "the log is empty", "body")
    if looks_binary(data):
        raise ApiError(415, "the body is binary, not a text log (mostly NUL or control bytes)", "body")
    return data


def _media_type(request: Request) -> str:
    media_type = request.headers.get("content-type", "application/octet-stream").split(";")[0].strip().lower()
    if media_type not in ACCEPTED_TYPES and not media_type.startswith("text/"):
        raise ApiError(
            415,
            f"Content-Type {media_type!r} is not a log: send the raw log as text/plain or application/octet-stream "
            "(curl --data-binary @job.log), gzip allowed",
            "Content-Type",
        )
    return media_type


class _LogReader:
    def __init__(self, settings: InferenceSettings, gzipped: bool) -> None:
        self.limit = settings.inference_max_log_bytes
        self.ratio = settings.inference_max_log_gzip_ratio
        self.gzipped: bool | None = True if gzipped else None  # None: decided by the first bytes
        self.received = 0
        self.data = bytearray()  # grown in place: the log is never held twice while it arrives
        self._inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)

    def add(self, chunk: bytes) -> None:
        if not chunk:
            return
        self.received += len(chunk)
        if self.gzipped is None:
            self.gzipped = chunk.startswith(GZIP_MAGIC)
        self._keep(self._inflate(chunk) if self.gzipped else chunk)

    def finish(self) -> bytearray:
        if self.gzipped:
            self._keep(self._inflate(b"", final=True))
        return self.data

    def _inflate(self, chunk: bytes, final: bool = False) -> bytes:
        """At most what still fits under the limit; a body with more is refused without inflating the rest."""
        out = []
        try:
            while True:
                room = self.limit - len(self.data) - sum(len(part) for part in out) + 1
                if room <= 0:  # zlib reads a max_length of 0 as "no limit"
                    raise self._too_large()
                out.append(self._inflater.decompress(chunk, room))
                if self._inflater.unconsumed_tail:
                    raise self._too_large()
                if not (self._inflater.eof and self._inflater.unused_data):
                    break
                chunk = self._inflater.unused_data  # a further gzip member (concatenated gzip files)
                self._inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
            if final and not self._inflater.eof:
                raise ApiError(400, "the gzip body is truncated", "body")
        except zlib.error as error:
            raise ApiError(400, f"the gzip body cannot be decompressed ({error})", "body") from None
        return b"".join(out)

    def _keep(self, data: bytes) -> None:
        size = len(self.data) + len(data)
        if size > self.limit:
            raise self._too_large()
        if self.gzipped and size >= RATIO_CHECKED_FROM and size > self.ratio * self.received:
            raise ApiError(
                413,
                f"the gzip body inflates more than {self.ratio:g} times (INFERENCE_MAX_LOG_GZIP_RATIO): refused as a "
                "decompression bomb",
                "body",
            )
        self.data += data

    def _too_large(self) -> ApiError:
        return ApiError(413, f"the log is larger than {self.limit} bytes (INFERENCE_MAX_LOG_BYTES)", "body")
