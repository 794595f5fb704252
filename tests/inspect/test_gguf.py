"""GGUF inspection through the shared reader (tierguard.formats.gguf): every chat template is checked, the
whole metadata is read (templates after large token lists too), and anything not read to its end is
incomplete, never clean."""

from __future__ import annotations

import struct

import pytest

from tests.inspect.inspect_builders import gguf, gguf_str, rules_at, run, status
from tierguard.formats.gguf import read_gguf_source
from tierguard.formats.source import BytesSource
from tierguard.inspect import formats as inspect_formats

SSTI = "{{ cycler.__init__.__globals__.os.popen('id').read() }}"
PLAIN = "{% for m in messages %}{{ m.content }}{% endfor %}"


def _str_array(items: list[str]) -> bytes:
    return struct.pack("<IQ", 8, len(items)) + b"".join(gguf_str(s) for s in items)


def test_a_named_chat_template_is_checked_too() -> None:
    data = gguf([("tokenizer.chat_template", 8, gguf_str(PLAIN)),
                 ("tokenizer.chat_template.tool_use", 8, gguf_str(SSTI))])  # fmt: skip
    out = run({"m.gguf": data})
    assert ("TG-GGUF-002", "name:cycler") in rules_at(out, "m.gguf")


def test_a_template_after_a_large_token_list_is_checked() -> None:
    tokens = [f"tok{i}" for i in range(60_000)]
    data = gguf(
        [("tokenizer.ggml.tokens", 9, _str_array(tokens)), ("tokenizer.chat_template", 8, gguf_str(SSTI))]
    )
    out = run({"m.gguf": data})
    assert ("TG-GGUF-002", "attr:__globals__") in rules_at(out, "m.gguf")
    header, _ = read_gguf_source(BytesSource(data), 1 << 20)
    tok = header.metadata["tokenizer.ggml.tokens"]
    assert getattr(tok, "count", None) == 60_000 and getattr(tok, "items", ())[:2] == ("tok0", "tok1")


def test_version_1_and_nested_arrays_are_read() -> None:
    # version 1: 32-bit counts and string lengths
    key = b"tokenizer.chat_template"
    v1 = b"GGUF" + struct.pack("<III", 1, 0, 1) + struct.pack("<I", len(key)) + key + struct.pack("<I", 8)
    v1 += struct.pack("<I", len(SSTI)) + SSTI.encode()
    nested = (
        struct.pack("<IQ", 9, 2) + struct.pack("<IQ", 4, 2) + struct.pack("<II", 1, 2) + _str_array(["a"])
    )
    v3 = gguf([("x.nested", 9, nested), ("tokenizer.chat_template", 8, gguf_str(PLAIN))])
    out = run({"v1.gguf": v1, "v3.gguf": v3})
    assert ("TG-GGUF-002", "name:cycler") in rules_at(out, "v1.gguf")
    assert status(out, "v3.gguf") == "clean"


def test_metadata_beyond_the_budget_is_incomplete_not_clean(monkeypatch: pytest.MonkeyPatch) -> None:
    tokens = [f"token-{i}" for i in range(20_000)]
    data = gguf(
        [("tokenizer.ggml.tokens", 9, _str_array(tokens)), ("tokenizer.chat_template", 8, gguf_str(SSTI))]
    )
    monkeypatch.setattr(inspect_formats, "MAX_GGUF_METADATA", 64 * 1024)
    out = run({"m.gguf": data})
    assert status(out, "m.gguf") == "incomplete"
    reason = next(i.reason for i in out.inspections if i.location.path == "m.gguf")
    assert "not read to the end" in reason or "budget" in reason


@pytest.mark.parametrize("cut", [6, 20, 40, -5])
def test_truncated_gguf_is_incomplete_with_a_structure_finding(cut: int) -> None:
    data = gguf([("general.name", 8, gguf_str("model")), ("tokenizer.chat_template", 8, gguf_str(PLAIN))])
    out = run({"m.gguf": data[:cut]})
    assert status(out, "m.gguf") == "incomplete"
    # (a cut so early that the announced key/values cannot fit is reported as out-of-bounds counts)
    assert {r for r, _ in rules_at(out, "m.gguf")} == {"TG-GGUF-001"}


def test_oversized_template_is_incomplete(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inspect_formats, "MAX_TEMPLATE", 10)
    out = run({"m.gguf": gguf([("tokenizer.chat_template", 8, gguf_str(PLAIN))])})
    assert status(out, "m.gguf") == "incomplete"
