"""What the CLI prints: :func:`say` and :func:`say_json`, the only two writers, escape
control characters; :func:`reason` and :func:`host_port` format errors and addresses."""

from __future__ import annotations

import json

import typer
from pydantic import ValidationError

from app.untrusted import escape_controls


def say(text: str, *, err: bool = False) -> None:
    """Print one line, its control characters shown as visible escapes.

    Every line the CLI prints goes through here: server replies, findings, trace
    details and error messages come from outside, and must not drive the terminal.
    """
    typer.echo(escape_controls(text), err=err)


def _json_escape(char: str) -> str:
    """``char`` as JSON ``\\uXXXX`` escapes (a surrogate pair above U+FFFF)."""
    units = char.encode("utf-16-be", "surrogatepass")
    return "".join(
        f"\\u{int.from_bytes(units[i : i + 2], 'big'):04x}" for i in range(0, len(units), 2)
    )


def say_json(value: object, *, indent: int | None = None) -> None:
    """Print ``value`` as JSON with every non-printable character as a ``\\uXXXX`` escape.

    ``json.dumps`` escapes C0 controls but leaves DEL, C1 controls (U+009B is an
    8-bit CSI), U+2028/U+2029 and bidirectional overrides raw; escaped, the text
    is the same JSON and decodes to the same values.
    """
    text = json.dumps(value, ensure_ascii=False, indent=indent)
    lines = text.split("\n")  # line breaks only come from ``indent``: strings escape theirs
    typer.echo(
        "\n".join(
            line
            if line.isprintable()
            else "".join(c if c.isprintable() else _json_escape(c) for c in line)
            for line in lines
        )
    )


def reason(exc: Exception) -> str:
    """One line for an error: a pydantic error as ``field: message; ...``."""
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
    return str(exc)


def host_port(host: str, port: int) -> str:
    """``host:port``, an IPv6 address in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
