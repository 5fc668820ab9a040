"""Reading JSON request bodies strictly: the right media type, an object, typed fields."""

from __future__ import annotations

from typing import Any, TypeVar

from flask import Request

from commentsvc.chars import NOT_STORABLE
from commentsvc.errors import InvalidInput, UnsupportedMediaType
from commentsvc.models.base import MAX_ID

T = TypeVar("T")

# No request body of this API nests past 2 levels; 32 leaves room and keeps parsing and any
# later walk over the value far from Python's recursion limit.
MAX_JSON_DEPTH = 32


def is_storable_text(value: str) -> bool:
    """No NUL or other control characters, lone surrogates or U+FFFE/U+FFFF: PostgreSQL or XML
    (the feeds) refuse them."""
    return NOT_STORABLE.search(value) is None


def json_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object, or a 4xx that says what is wrong with it."""
    if not request.is_json:
        raise UnsupportedMediaType(
            "Send the request body as JSON (Content-Type: application/json)."
        )
    too_deep = f"The request body nests arrays or objects deeper than {MAX_JSON_DEPTH} levels."
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # the parser recurses once per level: a thousand levels get here
        raise InvalidInput(too_deep) from None
    if _nesting_depth(data) > MAX_JSON_DEPTH:
        raise InvalidInput(too_deep)
    if data is None:
        raise InvalidInput("The request body is not valid JSON.")
    if not isinstance(data, dict):
        raise InvalidInput("The request body must be a JSON object.")
    return data


def _nesting_depth(value: Any) -> int:
    """How deep arrays and objects nest in a parsed JSON value, walked without recursion."""
    deepest = 0
    pending = [(value, 1)]
    while pending and deepest <= MAX_JSON_DEPTH:
        item, depth = pending.pop()
        if isinstance(item, dict):
            item = item.values()
        elif not isinstance(item, list):
            continue
        deepest = max(deepest, depth)
        pending.extend((child, depth + 1) for child in item)
    return deepest


def field(
    data: dict[str, Any],
    name: str,
    kind: type[T],
    *,
    required: bool = False,
    max_length: int | None = None,
) -> T | None:
    """``data[name]`` checked to be of ``kind`` (strings stripped, empty strings as missing)."""
    value = data.get(name)
    if isinstance(value, str) and kind is str:
        value = value.strip() or None
    if value is None:
        if required:
            raise InvalidInput(f"'{name}' is required.", field=name)
        return None
    # bool is an int in Python; a JSON true is not an id.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise InvalidInput(f"'{name}' must be a {kind.__name__}.", field=name)
    if isinstance(value, str) and not is_storable_text(value):
        raise InvalidInput(
            f"'{name}' contains control characters or broken Unicode; remove them.", field=name
        )
    if kind is int and not -MAX_ID <= value <= MAX_ID:
        raise InvalidInput(f"'{name}' is out of range.", field=name)
    if max_length is not None and isinstance(value, str) and len(value) > max_length:
        raise InvalidInput(f"'{name}' is longer than {max_length} characters.", field=name)
    return value
