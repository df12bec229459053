"""Baseline (b): the ceiling of FastAPI + uvicorn on this machine.

A FastAPI app that answers a constant 1 KB XML document on the two paths the
serving benchmark loads: ``GET /mail/config-v1.1.xml`` and ``POST
/autodiscover/autodiscover.xml`` (which reads the request body first, as the
real endpoint must). No routing work beyond FastAPI's, no dependencies, no
middleware. ``python -m benchmarks.minimal_app --port N`` serves it with the same
uvicorn settings as ``mailsetup serve`` (``app.cli.SERVER_OPTIONS``).
"""

from __future__ import annotations

import argparse

import uvicorn
from fastapi import FastAPI, Request, Response

from app.cli import SERVER_OPTIONS

_HEAD = b'<?xml version="1.0" encoding="UTF-8"?>\n<clientConfig version="1.1"><!-- '
_TAIL = b" --></clientConfig>\n"
BODY = _HEAD + b"x" * (1024 - len(_HEAD) - len(_TAIL)) + _TAIL
assert len(BODY) == 1024

app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)


@app.get("/")
async def root() -> Response:
    return Response(b"ok\n", media_type="text/plain")


@app.get("/mail/config-v1.1.xml")
async def autoconfig() -> Response:
    return Response(BODY, media_type="text/xml")


@app.post("/autodiscover/autodiscover.xml")
async def autodiscover(request: Request) -> Response:
    await request.body()
    return Response(BODY, media_type="text/xml")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Serve the baseline app like mailsetup serve.")
    parser.add_argument("--port", type=int, required=True)
    port = parser.parse_args().port
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="info", **SERVER_OPTIONS)
