"""``mailsetup serve``: the web service under uvicorn, with the production settings."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from app.cli.output import reason, say

# The server settings of `mailsetup serve`, which the Docker image runs (and the
# benchmarks give their baseline app). httptools parses HTTP in C. The loop stays
# asyncio's: the live tester reads asyncio internals and is tested on that loop.
# The app reads forwarding headers itself (from trusted proxies only) and writes its
# own access lines, with route templates instead of query strings.
SERVER_OPTIONS: dict[str, Any] = {
    "http": "httptools",
    "loop": "asyncio",
    "proxy_headers": False,
    "access_log": False,
    "server_header": False,
    "timeout_graceful_shutdown": 25,
}


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    log_level: Annotated[str, typer.Option(help="critical, error, warning, info or debug.")] = (
        "info"
    ),
) -> None:
    """Start the web service (one process; the Docker image runs this)."""
    import uvicorn

    from app.settings import check_settings, get_settings

    try:
        check_settings(get_settings())
    except ValueError as exc:  # ConfigError, and pydantic's ValidationError
        say(f"error: {reason(exc)}", err=True)
        raise typer.Exit(2) from exc
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        log_level=log_level,
        **SERVER_OPTIONS,
    )
