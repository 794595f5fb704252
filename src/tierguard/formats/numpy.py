"""The ``.npy`` header: magic, version (1.0: 2-byte header length, latin-1; 2.0 / 3.0: 4-byte length, 3.0 in
UTF-8), and the header dict (``descr``, ``fortran_order``, ``shape``), read within a bounded length and parsed
by a small literal parser of its own (never ``eval``, never ``ast``): strings, ints, booleans, None, tuples,
lists and dicts, nested at most ``MAX_DEPTH`` deep.

``has_object`` says whether the array holds Python objects (dtype ``O`` anywhere, also inside a structured
dtype's fields or sub-arrays): numpy then writes a pickle after the header, which inspect walks. Anything
that cannot be read completely raises :class:`~tierguard.formats.source.Incomplete`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tierguard.formats.source import Incomplete, RandomSource

MAGIC = b"\x93NUMPY"
MAX_HEADER = 1024 * 1024  # numpy writes a few hundred bytes; a structured dtype with many fields, more
MAX_DEPTH = 32
_LEN_WIDTH = {1: 2, 2: 4, 3: 4}


@dataclass(frozen=True, slots=True)
class NpyHeader:
    version: tuple[int, int]
    data_offset: int  # where the array data (or, for object arrays, the pickle) starts
    descr: object  # a dtype string ("<f4", "|O") or a structured dtype's field list
    fortran_order: bool | None
    shape: tuple[int, ...] | None
    has_object: bool


def read_npy_header(src: RandomSource, limit: int = MAX_HEADER) -> NpyHeader:
    """The header of the .npy in ``src``. Raises Incomplete (truncated, budget, malformed, unsupported)."""
    pre = src.read(0, 12)
    if len(pre) < 10 or not pre.startswith(MAGIC):
        raise Incomplete("truncated" if MAGIC.startswith(pre[:6]) else "malformed", ".npy magic/version")
    major, minor = pre[6], pre[7]
    width = _LEN_WIDTH.get(major)
    if width is None:
        raise Incomplete("unsupported", f".npy format version {major}.{minor}")
    if len(pre) < 8 + width:
        raise Incomplete("truncated", ".npy header length field")
    hlen = int.from_bytes(pre[8 : 8 + width], "little")
    start = 8 + width
    if hlen > limit:
        raise Incomplete("budget", f".npy header of {hlen} bytes exceeds {limit}")
    if start + hlen > src.size:
        raise Incomplete("truncated", f".npy header length {hlen} exceeds the file ({src.size} bytes)")
    raw = src.read(start, hlen)
    if len(raw) != hlen:
        raise Incomplete("truncated", f".npy header: short read ({len(raw)} of {hlen} bytes)")
    try:
        text = raw.decode("utf-8" if major >= 3 else "latin-1")
    except UnicodeDecodeError:
        raise Incomplete("malformed", ".npy 3.0 header is not UTF-8") from None
    d = parse_literal(text)
    if not isinstance(d, dict) or "descr" not in d:
        raise Incomplete("malformed", ".npy header is not a dict with 'descr'")
    fortran = d.get("fortran_order")
    shape = d.get("shape")
    return NpyHeader(
        version=(major, minor),
        data_offset=start + hlen,
        descr=d["descr"],
        fortran_order=fortran if isinstance(fortran, bool) else None,
        shape=shape if isinstance(shape, tuple) and all(type(x) is int for x in shape) else None,
        has_object=has_object(d["descr"]),
    )


_BYTE_ORDER = "<>|="


def has_object(descr: object, depth: int = 0) -> bool:
    """Whether a header ``descr`` holds Python objects: a dtype string of kind ``O``, or any field of a
    structured dtype (``[(name, dtype), (name, dtype, shape), ...]``, nested) that does. A descr that is
    neither raises Incomplete (what it holds is not known)."""
    if depth > MAX_DEPTH:
        raise Incomplete("malformed", ".npy dtype nested too deeply")
    if isinstance(descr, str):
        return descr.lstrip(_BYTE_ORDER)[:1] == "O"
    if isinstance(descr, list):
        for field in descr:
            if not isinstance(field, tuple) or len(field) not in (2, 3):
                raise Incomplete("malformed", f".npy structured dtype field {str(field)[:80]!r}")
            if has_object(field[1], depth + 1):
                return True
        return False
    raise Incomplete("malformed", f".npy descr {str(descr)[:80]!r} is not a dtype")


_TOKEN = re.compile(
    r"""\s*(?:(?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(?P<int>[+-]?\d+)L?|(?P<word>True|False|None)"""
    r"""|(?P<punct>[()\[\]{},:]))""",
    re.DOTALL,
)
_WORDS = {"True": True, "False": False, "None": None}
_CLOSE = {"(": ")", "[": "]", "{": "}"}
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", "'": "'", '"': '"'}


def parse_literal(text: str) -> object:
    """A Python literal of the kinds an .npy header holds (see the module docstring); Incomplete otherwise."""
    value, pos = _value(text, 0, 0)
    if text[pos:].strip():
        raise Incomplete("malformed", f".npy header: trailing data at {pos}")
    return value


def _next(text: str, pos: int) -> tuple[re.Match[str], int]:
    m = _TOKEN.match(text, pos)
    if m is None:
        raise Incomplete("malformed", f".npy header: unexpected {text[pos : pos + 20].strip()!r} at {pos}")
    return m, m.end()


def _value(text: str, pos: int, depth: int) -> tuple[object, int]:
    if depth > MAX_DEPTH:
        raise Incomplete("malformed", ".npy header nested too deeply")
    m, pos = _next(text, pos)
    if m.group("str") is not None:
        return _unquote(m.group("str")), pos
    if m.group("int") is not None:
        digits = m.group("int")
        if len(digits) > 40:
            raise Incomplete("malformed", ".npy header: integer too long")
        return int(digits), pos
    if m.group("word") is not None:
        return _WORDS[m.group("word")], pos
    opener = m.group("punct")
    if opener not in _CLOSE:
        raise Incomplete("malformed", f".npy header: unexpected {opener!r} at {m.start('punct')}")
    items: list[object] = []
    keys: list[object] = []
    close = _CLOSE[opener]
    while True:
        peek, after = _next(text, pos)
        if peek.group("punct") == close:
            pos = after
            break
        if opener == "{":
            key, pos = _value(text, pos, depth + 1)
            colon, pos = _next(text, pos)
            if colon.group("punct") != ":" or not isinstance(key, (str, int)):
                raise Incomplete("malformed", ".npy header: bad dict entry")
            keys.append(key)
        item, pos = _value(text, pos, depth + 1)
        items.append(item)
        sep, pos = _next(text, pos)
        if sep.group("punct") == close:
            break
        if sep.group("punct") != ",":
            raise Incomplete("malformed", f".npy header: expected ',' or {close!r} at {sep.start()}")
    if opener == "{":
        return dict(zip(keys, items, strict=True)), pos
    if opener == "[":
        return items, pos
    return tuple(items), pos


def _unquote(tok: str) -> str:
    body = tok[1:-1]
    if "\\" not in body:
        return body
    out: list[str] = []
    i = 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        e = body[i + 1]  # the token pattern guarantees a character after each backslash
        if e == "x" and re.fullmatch(r"[0-9a-fA-F]{2}", body[i + 2 : i + 4]):
            out.append(chr(int(body[i + 2 : i + 4], 16)))
            i += 4
        elif e == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", body[i + 2 : i + 6]):
            out.append(chr(int(body[i + 2 : i + 6], 16)))
            i += 6
        else:
            out.append(_ESCAPES.get(e, "\\" + e))
            i += 2
    return "".join(out)
