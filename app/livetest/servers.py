"""What a live test is asked: the servers to test instead of the looked-up ones, and
the credential fields, refused with a clear error when they could not go into a mail
command (a control character, or text UTF-8 cannot encode)."""

from __future__ import annotations

import ipaddress
from typing import Annotated, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_core import PydanticCustomError

from app.hostnames import is_hostname
from app.models import Protocol, Security, ServerEndpoint
from app.net.guard import parse_ip_literal
from app.untrusted import CONTROL_MESSAGE, ENCODING_MESSAGE, has_control, is_utf8


def _is_ipv6(text: str) -> bool:
    """Whether ``text`` is an IPv6 address (no brackets)."""
    return "[" not in text and isinstance(parse_ip_literal(text), ipaddress.IPv6Address)


def _text(value: str) -> str:
    """A field bound for a mail command: no controls, nothing UTF-8 cannot encode.
    The message names the problem, never the value (it may be a password)."""
    if not is_utf8(value):
        raise PydanticCustomError("unicode_text", ENCODING_MESSAGE)
    if has_control(value):
        raise PydanticCustomError("control_character", CONTROL_MESSAGE)
    return value


def _secret(value: SecretStr) -> SecretStr:
    _text(value.get_secret_value())
    return value


# The credential fields of a live test, wherever they come from (API, form, CLI).
CommandText = Annotated[str, AfterValidator(_text)]
CommandSecret = Annotated[SecretStr, AfterValidator(_secret)]


class ServerSpec(BaseModel):
    """A server a user asked to test instead of the looked-up ones, from the API, the form
    or the command line: only where to connect."""

    model_config = ConfigDict(extra="forbid")

    protocol: Protocol
    host: Annotated[str, Field(max_length=253)]
    port: Annotated[int, Field(ge=1, le=65535)]
    security: Security

    IPV6_EXAMPLE: ClassVar[str] = "imap:[2001:db8::1]:993:tls"

    @field_validator("host")
    @classmethod
    def _host(cls, value: str) -> str:
        value = value.strip().lower().rstrip(".")
        if value.startswith("[") or value.endswith("]"):  # RFC 3986 IP-literal: IPv6 only
            inner = value.removeprefix("[").removesuffix("]")
            if not (value.startswith("[") and value.endswith("]")) or not _is_ipv6(inner):
                raise ValueError("brackets hold an IPv6 address only, such as [2001:db8::1]")
            return inner
        if parse_ip_literal(value) is None and not is_hostname(value):
            raise ValueError("must be a host name such as imap.example.com, or an IP address")
        return value

    def to_endpoint(self) -> ServerEndpoint:
        """This server as the tester takes it: the whole address as the login, a password."""
        return ServerEndpoint(
            protocol=self.protocol, host=self.host, port=self.port, security=self.security
        )

    def label(self) -> str:
        """``protocol:host:port:security``, as :meth:`parse` reads it."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.protocol.value}:{host}:{self.port}:{self.security.value}"

    @classmethod
    def parse(cls, text: str) -> ServerSpec:
        """``protocol:host:port:security``, e.g. ``imap:imap.qq.com:993:tls``; an IPv6
        host in brackets (RFC 3986 section 3.2.2), e.g. ``imap:[2001:db8::1]:993:tls``."""
        protocol, _, rest = text.strip().partition(":")
        if rest.startswith("["):
            inner, bracket, tail = rest[1:].partition("]")
            if not bracket:
                raise ValueError(f"{text!r}: the '[' has no ']', e.g. {cls.IPV6_EXAMPLE}")
            if not _is_ipv6(inner):
                raise ValueError(
                    f"{text!r}: {inner!r} in brackets is not an IPv6 address, "
                    f"e.g. {cls.IPV6_EXAMPLE}"
                )
            if not tail.startswith(":"):
                raise ValueError(
                    f"{text!r}: write ':' and the port after ']', e.g. {cls.IPV6_EXAMPLE}"
                )
            host = f"[{inner}]"
            parts = tail[1:].split(":")
        else:
            host, _, rest = rest.partition(":")
            parts = rest.split(":")
            if len(parts) > 2 and _is_ipv6(":".join([host, *parts[:-2]])):
                address = ":".join([host, *parts[:-2]])
                raise ValueError(
                    f"{text!r}: write the IPv6 address {address!r} in brackets, "
                    f"e.g. {cls.IPV6_EXAMPLE}"
                )
        if not protocol or not host or len(parts) != 2:
            raise ValueError(
                f"{text!r}: write protocol:host:port:security, "
                f"e.g. imap:imap.qq.com:993:tls or {cls.IPV6_EXAMPLE}"
            )
        port, security = parts
        if not port.isdigit():
            raise ValueError(f"{text!r}: the port must be a number")
        return cls.model_validate(
            {
                "protocol": protocol.lower(),
                "host": host,
                "port": int(port),
                "security": security.lower(),
            }
        )


def repeated_server(specs: list[ServerSpec]) -> ServerSpec | None:
    """The first server listed again (same protocol, host, port and security), if any."""
    seen: set[str] = set()
    for spec in specs:
        if spec.label() in seen:
            return spec
        seen.add(spec.label())
    return None


def unique_servers(specs: list[ServerSpec]) -> list[ServerSpec]:
    """``specs``, or ValueError when one of them is listed twice."""
    repeated = repeated_server(specs)
    if repeated is not None:
        raise ValueError(f"{repeated.label()} is listed twice; list each server once")
    return specs
