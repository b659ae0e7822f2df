"""The web server behind ``byon serve``: textual-serve's, with the doors closed.

textual-serve's own ``/ws`` takes a WebSocket from any page on any site, and its
page loads Google Fonts. Here:

- every browser session needs the server's token, printed once with the URL to
  open (``http://127.0.0.1:8000/?token=...``, as Jupyter does). The page checks
  it and sets an HttpOnly, SameSite=Strict cookie, so the page's own WebSocket
  and downloads carry it; a script may pass ``?token=`` instead;
- the WebSocket upgrade is refused unless its Origin is this server's own, so
  another site's page cannot drive the wizard even on this machine;
- the page (serve_templates/app_index.html) loads nothing from a third party:
  the font comes from textual-serve's own static folder.

The access log is silenced: it would print the token with every request.
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from textual_serve.server import Server, to_int

from wizard.net import LOOPBACK_URL_HOSTS

TEMPLATES = Path(__file__).with_name("serve_templates")
FORBIDDEN_PAGE = (
    "byon serve: this page needs the token that `byon serve` printed with its URL.\n"
    "Open that URL (it ends in ?token=...).\n"
)


def new_token() -> str:
    """An unguessable session token (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


class GuardedServer(Server):
    """textual-serve's Server with a token on every session and an Origin check on /ws."""

    def __init__(self, command: str, *, token: str, loopback: bool, **kwargs: Any) -> None:
        super().__init__(command, templates_path=TEMPLATES, **kwargs)
        self.token = token
        self.loopback = loopback
        self.cookie_name = f"byon_serve_{self.port}"  # cookies are per host, not per port

    # -- checks -----------------------------------------------------------------
    def token_ok(self, request: web.Request) -> bool:
        """The request carries this server's token, in its cookie or as ``?token=``."""
        given = request.cookies.get(self.cookie_name) or request.query.get("token") or ""
        return secrets.compare_digest(given.encode(), self.token.encode())

    def own_origins(self, request: web.Request) -> set[str]:
        """The origins this server's page can have."""
        public = self.public_url.rstrip("/")
        if self.loopback:
            # Bound to loopback: the page can only be this machine's, under any loopback name.
            return {public} | {f"http://{host}:{self.port}" for host in LOOPBACK_URL_HOSTS}
        # Bound wider: the name the browser used. A rebound DNS name still lacks the token.
        return {public, f"http://{request.host}"}

    def origin_ok(self, request: web.Request) -> bool:
        """A browser always sends Origin on a WebSocket upgrade; a foreign one is refused."""
        origin = request.headers.get("Origin", "")
        return origin in self.own_origins(request)

    # -- routes -----------------------------------------------------------------
    async def _make_app(self) -> web.Application:
        """textual-serve's routes, served by the guarded handlers; no static index."""
        app = web.Application()
        aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(self.templates_path))
        app.add_routes(
            [
                web.get("/", self.handle_index, name="index"),
                web.get("/ws", self.handle_websocket, name="websocket"),
                web.get("/download/{key}", self.handle_download, name="download"),
                web.static("/static", self.statics_path, show_index=False, name="static"),
            ]
        )
        app.on_startup.append(self.on_startup)
        app.on_shutdown.append(self.on_shutdown)
        return app

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        """The page, for a browser that has the token; 403 with a sentence otherwise."""
        if not self.token_ok(request):
            return web.Response(status=403, text=FORBIDDEN_PAGE)
        response = aiohttp_jinja2.render_template(
            "app_index.html", request, self._page_context(request)
        )
        response.set_cookie(
            self.cookie_name, self.token, httponly=True, samesite="Strict", path="/"
        )
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"  # the URL holds the token
        return response

    def _page_context(self, request: web.Request) -> dict[str, Any]:
        """What the template needs; URLs point back at the origin the browser used."""
        origin = f"http://{request.host}"
        if origin not in self.own_origins(request):
            origin = self.public_url.rstrip("/")
        ws = "ws:" + origin.split(":", 1)[1]
        return {
            "font_size": to_int(request.query.get("fontsize", "16"), 16),
            "app_websocket_url": f"{ws}/ws",
            "config": {"static": {"url": f"{origin}/static/"}},
            "application": {"name": self.title},
        }

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """The wizard's terminal, only for this server's own page with the token."""
        if not self.origin_ok(request):
            raise web.HTTPForbidden(text="byon serve: WebSocket from a foreign origin refused.\n")
        if not self.token_ok(request):
            raise web.HTTPForbidden(text="byon serve: WebSocket without the session token.\n")
        return await super().handle_websocket(request)

    async def handle_download(self, request: web.Request) -> web.StreamResponse:
        """A file the wizard delivers, only with the token."""
        if not self.token_ok(request):
            raise web.HTTPForbidden(text=FORBIDDEN_PAGE)
        return await super().handle_download(request)

    def initialize_logging(self) -> None:
        """textual-serve's logging, without the access lines."""
        super().initialize_logging()
        # Each access line would print the path, and with it the token.
        logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
