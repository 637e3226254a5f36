"""The web pages both services serve: `GET /` (the page) and `GET /assets/{name}` (its scripts and styles).

No CDN, no build step: plain HTML, CSS and JavaScript files shipped in the packages. Every page response carries
a strict Content-Security-Policy (scripts and styles only from this server, no inline code), so text a page
renders can never run; the scripts render with textContent only."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi import Path as PathParameter
from fastapi.responses import FileResponse, HTMLResponse

from resolver_core.http import ApiError
from resolver_core.openapi import error_responses

SHARED_ASSETS = Path(__file__).parent / "web_assets"
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css"}


def add_pages(app: FastAPI, page: Path, scripts: list[Path]) -> None:
    """Serve `page` at / and the shared assets plus `scripts` under /assets/ (only these names: anything else 404)."""
    assets = {path.name: path for path in [*sorted(SHARED_ASSETS.iterdir()), *scripts]}
    router = APIRouter(tags=["pages"])

    @router.get("/", response_class=HTMLResponse)
    def index() -> HTMLResponse:
        """The web page (keys typed in the page stay in the browser tab: sessionStorage)."""
        return HTMLResponse(page.read_text(encoding="utf-8"), headers=SECURITY_HEADERS)

    @router.get(
        "/assets/{name}",
        response_class=FileResponse,
        responses={200: {"content": {"text/javascript": {}, "text/css": {}}}, **error_responses(404, 422)},
    )
    def asset(name: str = PathParameter(max_length=64, description=f"One of: {', '.join(sorted(assets))}.")):
        """A script or stylesheet of the page."""
        path = assets.get(name)
        if path is None:
            raise ApiError(404, f"no asset {name!r}; the pages use {', '.join(sorted(assets))}", "name")
        return FileResponse(path, media_type=MEDIA_TYPES[path.suffix], headers=SECURITY_HEADERS)

    app.include_router(router)
