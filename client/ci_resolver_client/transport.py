"""Talking to VM2: a log gzipped and streamed to POST /resolve/log, a question to POST /resolve.

Every failure (VM2 down, slow, refusing) becomes one `Vm2Error` with a message a person can act on."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from ci_resolver_client import __version__

READ_CHUNK = 1024 * 1024
# Level 1, the fastest: logs still shrink several times over, and compressing costs the least time.
GZIP_LEVEL = 1
GZIP_WBITS = 31  # zlib's gzip container
USER_AGENT = f"ci-resolver-client/{__version__}"


class Vm2Error(Exception):
    """VM2 could not answer: the message says why, in one line."""


@dataclass(frozen=True)
class Vm2:
    url: str  # VM2's base URL, e.g. http://vm2:5000
    api_key: str | None = None
    timeout_s: float = 60.0  # longest wait for VM2 to accept data or to reply

    def explain_log(self, log: BinaryIO, gzip: bool = True) -> dict[str, Any]:
        """POST /resolve/log with the log streamed (gzipped unless `gzip` is false); VM2's reply."""
        headers = {"Content-Type": "text/plain"}
        if gzip:
            headers["Content-Encoding"] = "gzip"
        body = gzipped(log) if gzip else chunks_of(log)
        return self._call("POST", "/resolve/log", body, headers)

    def ask(self, question: str) -> dict[str, Any]:
        """POST /resolve with one question; VM2's reply."""
        body = json.dumps({"issue": question}).encode()
        return self._call("POST", "/resolve", body, {"Content-Type": "application/json"})

    def page_link(self, answer_id: str | None, page_url: str | None = None) -> str | None:
        """VM2's page on one answer, where a developer accepts, rejects or corrects it."""
        if not answer_id:
            return None
        return f"{(page_url or self.url).rstrip('/')}/?answer={answer_id}"

    def _call(self, method: str, path: str, body: Any, headers: dict[str, str]) -> dict[str, Any]:
        request = urllib.request.Request(self.url.rstrip("/") + path, data=body, method=method)
        for name, value in {**headers, "Accept": "application/json", "User-Agent": USER_AGENT}.items():
            request.add_header(name, value)
        if self.api_key:
            request.add_header("X-API-Key", self.api_key)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            raise Vm2Error(f"VM2 answered {error.code}: {error_detail(error)}") from None
        except (socket.timeout, TimeoutError):
            raise Vm2Error(f"VM2 did not answer within {self.timeout_s:g} s ({self.url})") from None
        except urllib.error.URLError as error:
            raise Vm2Error(f"VM2 is unreachable at {self.url}: {error.reason}") from None
        except (ConnectionError, OSError) as error:
            raise Vm2Error(f"the connection to VM2 failed ({self.url}): {error}") from None
        except ValueError:
            raise Vm2Error(f"VM2's reply is not JSON ({self.url}): is this ci-resolver's inference server?") from None


def error_detail(error: urllib.error.HTTPError) -> str:
    """VM2's error body in one line: `field: message` when it names one."""
    try:
        body = json.loads(error.read() or b"{}")
    except (ValueError, OSError):
        body = {}
    if not isinstance(body, dict) or "error" not in body:
        return str(error.reason or "no detail")
    message, field = str(body["error"])[:300], body.get("field")
    return message if not field or str(message).startswith(f"{field}:") else f"{field}: {message}"


def chunks_of(source: BinaryIO) -> Iterator[bytes]:
    while chunk := source.read(READ_CHUNK):
        yield chunk


def gzipped(source: BinaryIO) -> Iterator[bytes]:
    """The source gzipped as it is read: never held whole in memory."""
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, GZIP_WBITS)
    for chunk in chunks_of(source):
        if packed := compressor.compress(chunk):
            yield packed
    yield compressor.flush()
