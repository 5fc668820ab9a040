"""XML-RPC in and out, parsed safely: defusedxml refuses DTDs (so no entity expansion and
no external entities) before the stdlib decoder ever sees the document."""

from __future__ import annotations

import xmlrpc.client
from typing import Any
from xml.parsers.expat import ExpatError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError
from defusedxml.ElementTree import fromstring as safe_fromstring

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
MAX_BODY = 64 * 1024


class RpcFault(Exception):
    """Answered as an XML-RPC fault with ``code`` and ``message``."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def parse_call(body: bytes) -> tuple[str, tuple[Any, ...]]:
    """The method name and parameters of a call; :class:`RpcFault` for anything malformed."""
    if not body or len(body) > MAX_BODY:
        raise RpcFault(PARSE_ERROR, "Parse error: empty or oversized request.")
    try:
        root = safe_fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException, ValueError, LookupError) as error:
        raise RpcFault(PARSE_ERROR, f"Parse error: not well-formed XML ({error}).") from error
    if root.tag != "methodCall":
        raise RpcFault(PARSE_ERROR, "Parse error: not an XML-RPC methodCall.")
    try:
        params, method = xmlrpc.client.loads(body, use_builtin_types=True)
    except (
        ExpatError,
        ValueError,
        TypeError,
        IndexError,
        KeyError,
        OverflowError,
        LookupError,
    ) as error:
        raise RpcFault(PARSE_ERROR, "Parse error: malformed XML-RPC.") from error
    except xmlrpc.client.Fault as error:  # a response's <fault> inside a methodCall
        raise RpcFault(INVALID_REQUEST, "Invalid request: a fault is not a call.") from error
    except xmlrpc.client.Error as error:  # the decoder's own errors, whatever their kind
        raise RpcFault(PARSE_ERROR, "Parse error: malformed XML-RPC.") from error
    if not isinstance(method, str) or not method:
        raise RpcFault(PARSE_ERROR, "Parse error: no method name.")
    return method, params


def response(value: Any) -> bytes:
    return xmlrpc.client.dumps((value,), methodresponse=True, allow_none=False).encode()


def fault(code: int, message: str) -> bytes:
    return xmlrpc.client.dumps(xmlrpc.client.Fault(code, message), methodresponse=True).encode()
