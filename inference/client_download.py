"""GET /client/ci-resolver.pyz: the CI client as one file, from the server it talks to.

A CI job with nothing but Python 3.9+ runs it as it comes (`python3 ci-resolver.pyz explain build.log`), and the
client always matches the server's API. It is code, not data: served without a key, like the page's scripts."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import zipfile
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request, Response

from resolver_core.http import ApiError
from resolver_core.openapi import error_responses

router = APIRouter()
PACKAGE = "ci_resolver_client"
PYZ_NAME = "ci-resolver.pyz"
PYZ_MAIN = b"import sys\n\nfrom ci_resolver_client.cli import main\n\nsys.exit(main())\n"
SHEBANG = b"#!/usr/bin/env python3\n"
FIXED_TIME = (2000, 1, 1, 0, 0, 0)  # the same sources give the same bytes (and ETag)


def client_folder() -> Path | None:
    """The client package's sources: installed beside the server, or in the repository's client/ folder."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is not None and spec.origin:
        return Path(spec.origin).parent
    folder = Path(__file__).resolve().parent.parent / "client" / PACKAGE
    return folder if (folder / "cli.py").is_file() else None


@lru_cache(maxsize=1)
def client_pyz() -> bytes | None:
    """The client as an executable zip (a Python zipapp), or None when its sources are not here."""
    folder = client_folder()
    if folder is None:
        return None
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for source in sorted(folder.glob("*.py")):
            archive.writestr(zipfile.ZipInfo(f"{PACKAGE}/{source.name}", FIXED_TIME), source.read_bytes())
        archive.writestr(zipfile.ZipInfo("__main__.py", FIXED_TIME), PYZ_MAIN)
    return SHEBANG + buffer.getvalue()


@router.get(
    f"/client/{PYZ_NAME}",
    tags=["clients"],
    responses={200: {"content": {"application/zip": {}}, "description": "The client (Python 3.9+)."}}
    | error_responses(404),
    response_class=Response,
)
def download_client(request: Request) -> Response:
    """The ci-resolver CI client as one file: `python3 ci-resolver.pyz explain build.log` (docs/ci-integration.md)."""
    data = client_pyz()
    if data is None:
        raise ApiError(404, "the client's sources are not installed on this server", "path")
    etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers={"ETag": etag})
    headers = {"ETag": etag, "Content-Disposition": f'attachment; filename="{PYZ_NAME}"'}
    return Response(data, media_type="application/zip", headers=headers)
