"""Microsoft Autodiscover: the POX request parser, responses, and the v2 JSON answer.

The request is read and checked in :mod:`~app.documents.autodiscover_request` (its
refusals carry the ErrorCode of MS-OXDSCLI §2.2.4.1.1.3.1), the XML responses are
built in :mod:`~app.documents.autodiscover_response`; both are re-exported here, the
one module callers import. The v2 JSON answer (``/autodiscover/autodiscover.json``),
which only points Outlook at the v1 POX endpoint, is here.
"""

from __future__ import annotations

from typing import Any

from app.documents.autodiscover_request import (
    ERROR_ADDRESS_NOT_FOUND,
    ERROR_INTERNAL,
    ERROR_INVALID_REQUEST,
    ERROR_NO_CONFIGURATION,
    ERROR_SCHEMA_NOT_SUPPORTED,
    MAX_REQUEST_BYTES,
    MOBILESYNC_NS,
    MOBILESYNC_REQUEST_NS,
    OUTLOOK_NS,
    REQUEST_NS,
    AutodiscoverError,
    AutodiscoverRequest,
    BadAddress,
    MissingAddress,
    MobileSyncRequested,
    NotXML,
    RequestTooLarge,
    UnsafeXML,
    UnsupportedSchema,
    WrongDocument,
    parse_request,
)
from app.documents.autodiscover_response import (
    CONTENT_TYPE,
    ENCRYPTION,
    PROTOCOL_TYPE,
    RESPONSE_NS,
    SERVER_ID,
    ResponseTemplate,
    render_error,
    render_request_error,
    render_response,
)

__all__ = [
    "CONTENT_TYPE",
    "ENCRYPTION",
    "ERROR_ADDRESS_NOT_FOUND",
    "ERROR_INTERNAL",
    "ERROR_INVALID_REQUEST",
    "ERROR_NO_CONFIGURATION",
    "ERROR_SCHEMA_NOT_SUPPORTED",
    "MAX_REQUEST_BYTES",
    "MOBILESYNC_NS",
    "MOBILESYNC_REQUEST_NS",
    "OUTLOOK_NS",
    "PROTOCOL_TYPE",
    "REQUEST_NS",
    "RESPONSE_NS",
    "SERVER_ID",
    "V1_PROTOCOL",
    "AutodiscoverError",
    "AutodiscoverRequest",
    "BadAddress",
    "MissingAddress",
    "MobileSyncRequested",
    "NotXML",
    "RequestTooLarge",
    "ResponseTemplate",
    "UnsafeXML",
    "UnsupportedSchema",
    "WrongDocument",
    "autodiscover_v2",
    "parse_request",
    "render_error",
    "render_request_error",
    "render_response",
]

V1_PROTOCOL = "AutodiscoverV1"


def autodiscover_v2(protocol: str, public_url: str) -> tuple[int, dict[str, Any]]:
    """Status and JSON body for ``/autodiscover/autodiscover.json`` (Protocol is case-blind)."""
    if protocol.casefold() == V1_PROTOCOL.casefold():
        url = f"{public_url.rstrip('/')}/autodiscover/autodiscover.xml"
        return 200, {"Protocol": V1_PROTOCOL, "Url": url}
    shown = protocol[:64]
    message = f"The given protocol value '{shown}' is invalid. Supported values are '{V1_PROTOCOL}'"
    return 400, {"ErrorCode": "InvalidProtocol", "ErrorMessage": message}
