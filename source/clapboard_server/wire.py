"""JSON in and out of the server, strictly: what a request may contain and what an answer may be.

Requests are refused (with a :class:`~clapboard_server.errors.ValidationError` or a
:class:`~clapboard_server.limits.LimitExceededError`) when they are not UTF-8 JSON, contain
``NaN``/``Infinity`` (not JSON, although Python accepts them), numbers no database column holds
(floats that overflow to infinity, integers beyond 64 bits), nest deeper than
``max_json_depth``, or hold text no database stores faithfully: lone UTF-16 surrogates and NUL
characters. Answers never contain ``NaN``/``Infinity`` and stop being built once they exceed
``max_response_bytes``.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from .errors import ValidationError
from .limits import LimitExceededError, Limits

#: Escapes and characters that may produce a lone surrogate or a NUL once decoded.
_SUSPECT = re.compile(rb"\\u(?:[dD][89a-fA-F]|0000)|\x00")
_FORBIDDEN_TEXT = re.compile("[\x00\ud800-\udfff]")


def _refuse_constant(name: str) -> Any:
    raise ValidationError(f"{name} is not a JSON number; send a finite number or null.")


def loads(body: bytes | str, limits: Limits, subject: str = "The request body") -> Any:
    """Decode a request body (or the JSON of ``subject``), refusing what the module docstring lists."""
    raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValidationError(f"{subject} is not UTF-8: invalid byte at position {error.start}.") from None
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise LimitExceededError(f"{subject} nests arrays and objects too deeply", "max_json_depth",
                                 limits.max_json_depth) from None
    except ValueError as error:
        raise ValidationError(f"{subject} does not hold valid JSON: {error}.") from None
    check_value(value, limits, check_text=_SUSPECT.search(raw) is not None, subject=subject)
    return value


def check_value(value: Any, limits: Limits, check_text: bool = True, subject: str = "The request body") -> None:
    """Refuse ``value`` if it nests too deeply, holds a number no column stores (an integer
    beyond 64 bits, a float that overflowed to infinity) or, with ``check_text``, forbidden text.
    """
    maximum = limits.max_json_depth
    stack: list[tuple[Any, int]] = [([value], 0)]
    search = _FORBIDDEN_TEXT.search if check_text else None
    low, high = _INT64
    while stack:
        item, depth = stack.pop()
        if depth > maximum:
            raise LimitExceededError(f"{subject} nests arrays and objects too deeply", "max_json_depth", maximum)
        if type(item) is dict:
            if search is not None:
                for key in item:
                    if search(key):
                        raise ValidationError(_describe_forbidden(search(key).group()))
            item = item.values()
        for child in item:
            kind = type(child)
            if kind is dict or kind is list:
                stack.append((child, depth + 1))
            elif kind is str:
                if search is not None and search(child):
                    raise ValidationError(_describe_forbidden(search(child).group()))
            elif kind is int:
                if not low <= child <= high:
                    raise ValidationError(f"The number {str(child)[:30]} is too large: integers must fit in 64 bits.")
            elif kind is float and math.isinf(child):
                raise ValidationError("A number is too large for a 64-bit float.")


_INT64 = (-(2**63), 2**63 - 1)


def is_storable_text(text: str) -> bool:
    """Whether every database stores ``text`` faithfully (no NUL, no lone surrogate)."""
    return _FORBIDDEN_TEXT.search(text) is None


def _describe_forbidden(character: str) -> str:
    if character == "\x00":
        return "Text cannot contain NUL characters (\\u0000)."
    return f"Text cannot contain a lone UTF-16 surrogate (\\u{ord(character):04x}); send valid Unicode."


def dumps(value: Any, limits: Limits) -> bytes:
    """Encode an answer as ASCII JSON, refusing one larger than ``max_response_bytes``.

    A batch's answer is encoded a few results at a time (about :data:`CHUNK_BYTES` of JSON
    each) and refused as soon as the results so far exceed the limit, so a thousand large
    results are never all encoded, and ten thousand small ones are not encoded one by one.
    """
    if not isinstance(value, list):
        return _encode(value, limits)
    parts = []
    size = 2
    start, count = 0, 1
    while start < len(value):
        chunk = value[start:start + count]
        part = _encode(chunk, limits)[1:-1]  # the results, without the chunk's brackets
        size += len(part) + 2
        if size > limits.max_response_bytes:
            raise _too_large(limits)
        parts.append(part)
        start += len(chunk)
        count = max(1, min(MAX_CHUNK, CHUNK_BYTES * len(chunk) // max(len(part), 1)))
    return b"[" + b", ".join(parts) + b"]"


#: About how many bytes of JSON an answer is encoded in at a time, and the most results at a time.
CHUNK_BYTES = 1 << 20
MAX_CHUNK = 4096


def _encode(value: Any, limits: Limits) -> bytes:
    try:
        text = json.dumps(value, allow_nan=False, check_circular=False)
    except ValueError:  # NaN or Infinity (an overflowing sum, say): never sent as invalid JSON
        raise ValidationError("A number of the answer is out of range: it overflows a 64-bit float.") from None
    if len(text) > limits.max_response_bytes:
        raise _too_large(limits)
    return text.encode("ascii")


def _too_large(limits: Limits) -> LimitExceededError:
    return LimitExceededError(
        "The answer is too large; ask for less (fewer operations, a limit, fewer projections)",
        "max_response_bytes", limits.max_response_bytes, status_code=413)
