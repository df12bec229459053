"""Baselines: the ceiling of FastAPI + uvicorn on this machine, without and with parsing.

``minimal`` (:data:`app`): a FastAPI app that answers a constant 1 KB XML document on
the two paths the serving benchmark loads: ``GET /mail/config-v1.1.xml`` and ``POST
/autodiscover/autodiscover.xml`` (which reads the request body first, as the real
endpoint must). No routing work beyond FastAPI's, no dependencies, no middleware.

``minimal-parsing`` (:data:`parsing_app`, ``--parse``): the same, except that the
Autodiscover POST also parses the body it read with defusedxml, as ours must parse
untrusted XML (``defusedxml.ElementTree.fromstring`` with ``forbid_dtd``), before it
answers the same constant document (a body that does not parse gets 400). The fair
ceiling for a route that must parse its input: ours has to read the address from the
request, a constant-answer route does not.

``python -m benchmarks.minimal_app --port N [--parse]`` serves one of them with the
same uvicorn settings as ``mailsetup serve`` (``app.cli.SERVER_OPTIONS``).
"""

from __future__ import annotations

import argparse
from xml.etree.ElementTree import ParseError

import uvicorn
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET
from fastapi import FastAPI, Request, Response

from app.cli import SERVER_OPTIONS

_HEAD = b'<?xml version="1.0" encoding="UTF-8"?>\n<clientConfig version="1.1"><!-- '
_TAIL = b" --></clientConfig>\n"
BODY = _HEAD + b"x" * (1024 - len(_HEAD) - len(_TAIL)) + _TAIL
assert len(BODY) == 1024


def make_app(*, parse: bool) -> FastAPI:
    """The constant-answer app; with ``parse``, its Autodiscover POST parses the body."""
    made = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @made.get("/")
    async def root() -> Response:
        return Response(b"ok\n", media_type="text/plain")

    @made.get("/mail/config-v1.1.xml")
    async def autoconfig() -> Response:
        return Response(BODY, media_type="text/xml")

    if parse:

        @made.post("/autodiscover/autodiscover.xml")
        async def autodiscover_parsed(request: Request) -> Response:
            body = await request.body()
            try:
                SafeET.fromstring(body, forbid_dtd=True)
            except (DefusedXmlException, ParseError, ValueError, LookupError):
                return Response(b"not XML\n", status_code=400, media_type="text/plain")
            return Response(BODY, media_type="text/xml")

    else:

        @made.post("/autodiscover/autodiscover.xml")
        async def autodiscover(request: Request) -> Response:
            await request.body()
            return Response(BODY, media_type="text/xml")

    return made


app = make_app(parse=False)
parsing_app = make_app(parse=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Serve a baseline app like mailsetup serve.")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument(
        "--parse", action="store_true", help="parse the Autodiscover body (minimal-parsing)"
    )
    args = parser.parse_args()
    served = parsing_app if args.parse else app
    uvicorn.run(served, host="127.0.0.1", port=args.port, log_level="info", **SERVER_OPTIONS)
