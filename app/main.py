"""The FastAPI application factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.resources import files

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from app import __version__
from app.discovery.service import open_discovery
from app.paths import DATA_DIR, STATIC_DIR
from app.providers.db import ProviderDB
from app.settings import Settings, get_settings
from app.web import api, clientconfig, i18n, learn, live, live_page, owners, pages, wellknown
from app.web.clientconfig import CaseInsensitivePaths, load_signer
from app.web.i18n import LanguageMiddleware
from app.web.state import AppState

log = logging.getLogger(__name__)

DOCS_ASSETS = "/_docs"


def _mount_docs(app: FastAPI) -> None:
    """Swagger UI and ReDoc from locally served assets, so /docs works offline."""
    assets = files("fastapi_offline") / "static"
    app.mount(DOCS_ASSETS, StaticFiles(directory=str(assets)), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def swagger() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="mailsetup API",
            swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_ASSETS}/favicon.png",
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url="/openapi.json",
            title="mailsetup API",
            redoc_js_url=f"{DOCS_ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{DOCS_ASSETS}/favicon.png",
            with_google_fonts=False,
        )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    """422 without echoing the input: a request body may hold a password."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    detail = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in errors]
    return JSONResponse({"detail": detail}, status_code=422, headers={"Cache-Control": "no-store"})


def create_app(settings: Settings | None = None, *, db: ProviderDB | None = None) -> FastAPI:
    """Build the app. The provider database loads once, when the app starts,
    unless an already loaded ``db`` is given (tests and benchmarks share one).
    """
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loaded = db
        if loaded is None:
            data_dir = settings.data_dir or DATA_DIR
            loaded = ProviderDB.from_dir(data_dir)
            log.info("loaded %d providers from %s", len(loaded), data_dir)
        signer = load_signer(settings)
        async with open_discovery(settings, loaded) as discoverer:
            app.state.mailsetup = AppState(
                settings=settings, db=loaded, discoverer=discoverer, signer=signer
            )
            yield

    app = FastAPI(
        title="mailsetup",
        version=__version__,
        description="Mail account settings, discovery, live tests and client configuration.",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.add_exception_handler(RequestValidationError, _validation_error)
    _mount_docs(app)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(CaseInsensitivePaths)
    app.add_middleware(LanguageMiddleware)
    app.include_router(api.router)
    app.include_router(clientconfig.router)
    app.include_router(owners.router)
    app.include_router(live.router)
    app.include_router(live_page.router)
    app.include_router(i18n.router)
    app.include_router(learn.router)
    app.include_router(wellknown.router)
    app.include_router(pages.router)
    return app
