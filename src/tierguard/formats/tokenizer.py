"""Tokenizer fingerprints from a bounded prefix of tokenizer files.

The canonical fingerprint is ``vocab_head_sha256``: SHA-256 over the first :data:`HEAD_ITEMS` tokens in id
order, each followed by ``\\n``. It is the same for a ``tokenizer.json`` vocabulary, a ``vocab.json``, a
``vocab.txt`` (WordPiece), a SentencePiece ``tokenizer.model`` and a GGUF ``tokenizer.ggml.tokens`` array of
the same tokenizer, and it needs only the file's first few hundred kilobytes. Special tokens (added tokens
with their ids) and the vocabulary size complete it. Tokenizers are reused across models: a match shows the
tokenizer's family, not the weights' origin.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass, field

from tierguard.formats.protobuf import prefix_fields

HEAD_ITEMS = 4096

_PAIR = re.compile(rb'"((?:[^"\\]|\\.)*)"\s*:\s*(\d+)')
_ADDED = re.compile(rb'"id"\s*:\s*(\d+)\s*,[^{}]*?"content"\s*:\s*"((?:[^"\\]|\\.)*)"')
_ADDED2 = re.compile(rb'"content"\s*:\s*"((?:[^"\\]|\\.)*)"[^{}]*?"id"\s*:\s*(\d+)')


@dataclass(slots=True)
class TokenizerInfo:
    kind: str  # tokenizer-json, vocab-json, vocab-txt, merges-txt, sentencepiece, tiktoken, gguf
    vocab_head_sha256: str = ""
    head_items: int = 0
    vocab_size: int = 0  # 0 when the prefix did not show the whole vocabulary
    special_tokens: dict[str, int] = field(default_factory=dict)
    model_type: str = ""  # BPE, WordPiece, Unigram ...


def head_hash(tokens: list[str]) -> str:
    h = hashlib.sha256()
    for t in tokens[:HEAD_ITEMS]:
        h.update(t.encode("utf-8", "surrogateescape") + b"\n")
    return h.hexdigest()


def _unescape(raw: bytes) -> str | None:
    try:
        v = json.loads(b'"' + raw + b'"')
    except ValueError:
        return None
    return v if isinstance(v, str) else None


def _vocab_pairs(buf: bytes, start: int) -> tuple[dict[int, str], bool]:
    """Token -> id pairs of the JSON object that starts at ``buf[start] == '{'``; ``closed`` when its end
    was seen inside ``buf``."""
    out: dict[int, str] = {}
    pos = start + 1
    n = len(buf)
    while True:
        while pos < n and buf[pos] in b" \n\r\t,":
            pos += 1
        m = _PAIR.match(buf, pos)
        if m is None or m.end() >= n:  # a pair cut by the prefix end may carry a truncated id
            return out, m is None and buf[pos : pos + 1] == b"}"
        tok = _unescape(m.group(1))
        if tok is not None:
            out[int(m.group(2))] = tok
        pos = m.end()


def from_tokenizer_json(prefix: bytes, complete: bool) -> TokenizerInfo:
    info = TokenizerInfo(kind="tokenizer-json")
    at = prefix.find(b'"added_tokens"')
    if at >= 0:
        end = prefix.find(b'"normalizer"', at)
        seg = prefix[at : end if end > 0 else at + 256 * 1024]
        for m in _ADDED.finditer(seg):
            s = _unescape(m.group(2))
            if s is not None:
                info.special_tokens[s] = int(m.group(1))
        for m in _ADDED2.finditer(seg):
            s = _unescape(m.group(1))
            if s is not None:
                info.special_tokens.setdefault(s, int(m.group(2)))
    mt = re.search(rb'"model"\s*:\s*\{\s*"type"\s*:\s*"(\w+)"', prefix)
    if mt:
        info.model_type = mt.group(1).decode()
    v = re.search(rb'"vocab"\s*:\s*\{', prefix)
    if v:
        pairs, closed = _vocab_pairs(prefix, v.end() - 1)
        _fill(info, pairs, closed)
    return info


def from_vocab_json(prefix: bytes, complete: bool) -> TokenizerInfo:
    info = TokenizerInfo(kind="vocab-json")
    start = prefix.find(b"{")
    if start >= 0:
        pairs, closed = _vocab_pairs(prefix, start)
        _fill(info, pairs, closed and complete)
    return info


def _fill(info: TokenizerInfo, pairs: dict[int, str], closed: bool) -> None:
    tokens: list[str] = []
    for i in range(min(HEAD_ITEMS, len(pairs))):
        t = pairs.get(i)
        if t is None:
            break
        tokens.append(t)
    info.head_items = len(tokens)
    info.vocab_head_sha256 = head_hash(tokens) if tokens else ""
    if closed:
        info.vocab_size = max(pairs, default=-1) + 1
        info.vocab_size = max([info.vocab_size, *(i + 1 for i in info.special_tokens.values())])


def from_lines(prefix: bytes, complete: bool, kind: str) -> TokenizerInfo:
    """vocab.txt (one token per line), merges.txt, *.tiktoken (``base64 rank`` per line)."""
    text = prefix.decode("utf-8", "replace")
    lines = text.split("\n")
    if not complete:
        lines = lines[:-1]  # the last line may be cut
    elif lines and lines[-1] == "":
        lines = lines[:-1]
    info = TokenizerInfo(kind=kind)
    total = len(lines)
    if kind == "tiktoken":
        toks = []
        for ln in lines[:HEAD_ITEMS]:
            b64, _, _ = ln.partition(" ")
            try:
                toks.append(base64.b64decode(b64).decode("utf-8", "backslashreplace"))
            except ValueError:
                break
        lines = toks
    elif kind == "merges-txt" and lines and lines[0].startswith("#version"):
        lines = lines[1:]
    info.head_items = min(len(lines), HEAD_ITEMS)
    info.vocab_head_sha256 = head_hash(lines) if lines else ""
    if complete and kind != "merges-txt":
        info.vocab_size = total if kind == "tiktoken" else len(lines)
    return info


def from_sentencepiece(prefix: bytes, complete: bool) -> TokenizerInfo:
    """SentencePiece ModelProto: repeated field 1 (SentencePiece {1: piece, 2: score, 3: type})."""
    info = TokenizerInfo(kind="sentencepiece", model_type="Unigram/BPE (sentencepiece)")
    pieces: list[str] = []
    total = 0
    for field_no, _wire, value in prefix_fields(prefix):
        if field_no != 1 or not isinstance(value, bytes):  # repeated field 1, wire type 2
            continue
        total += 1
        if len(pieces) < HEAD_ITEMS:
            piece = _sp_piece(value)
            if piece is None:
                break
            pieces.append(piece)
    info.head_items = len(pieces)
    info.vocab_head_sha256 = head_hash(pieces) if pieces else ""
    if complete:
        info.vocab_size = total
    return info


def _sp_piece(msg: bytes) -> str | None:
    """The piece (field 1) of one SentencePiece entry; None when the entry is cut short or malformed."""
    for field_no, _wire, value in prefix_fields(msg):
        if field_no == 1 and isinstance(value, bytes):  # wire type 2
            return value.decode("utf-8", "replace")
    return None
