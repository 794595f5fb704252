"""Issue 11 item 2: every stacked pickle stream is walked, or the artifact is incomplete with the reason.

Files are built byte for byte (pickle.dumps only of plain data for benign streams; nothing is ever loaded).
Each case here was reported clean (or passed the default gate) before the fix."""

from __future__ import annotations

import pickle

import pytest

import tierguard.formats.pickle as pk
from tests.inspect.inspect_builders import make_zip, rules_at, run, sbu, stack_global, status, text_global
from tierguard.inspect.gate import exit_code


def _reason(out, path: str) -> str:  # type: ignore[no-untyped-def]
    return next(i.reason for i in out.inspections if i.location.path == path)


def test_payload_after_65_benign_streams_is_found() -> None:
    benign = b"".join(pickle.dumps([i, "x"], protocol=2) for i in range(65))
    out = run({"stack.pkl": benign + stack_global("os", "system")})
    f = next(f for f in out.findings if f.subject == "os.system")
    assert f.rule_id == "TG-PKL-001" and f.attributes["stream"] == "stack.pkl#pickle-66"
    assert status(out, "stack.pkl") == "findings" and exit_code(out) == 1


def test_payload_after_1000_benign_streams_is_found() -> None:
    benign = pickle.dumps({"a": 1}, protocol=4) * 1000
    out = run({"s.pkl": benign + text_global("subprocess", "check_output")})
    assert ("TG-PKL-001", "subprocess.check_output") in rules_at(out, "s.pkl")


def test_many_benign_streams_stay_clean() -> None:
    out = run({"s.pkl": pickle.dumps([1, 2.5, "x"], protocol=2) * 500})
    assert out.findings == [] and status(out, "s.pkl") == "clean"


def test_protocol0_payload_after_protocol4_stream_is_found() -> None:
    # was: a protocol >= 2 stream followed by anything but 0x80 ended the walk
    out = run({"p.pkl": pickle.dumps({"w": 1}, protocol=4) + text_global("os", "system")})
    assert ("TG-PKL-001", "os.system") in rules_at(out, "p.pkl")


def test_payload_after_proto1_marker_is_found() -> None:
    # PROTO 1 is legal for a loader; it ended the walk before
    out = run({"p.pkl": pickle.dumps(1, protocol=2) + b"\x80\x01" + text_global("os", "system")})
    assert ("TG-PKL-001", "os.system") in rules_at(out, "p.pkl")


@pytest.mark.parametrize(
    "get",
    [b"h\x07", b"j\x07\x00\x00\x00", b"g7\n"],
    ids=["BINGET", "LONG_BINGET", "GET"],
)
def test_broken_memo_reference_is_incomplete(get: bytes) -> None:
    data = b"\x80\x02]" + get + b"a."  # EMPTY_LIST, GET of an index never stored, APPEND, STOP
    out = run({"m.pkl": data})
    assert status(out, "m.pkl") == "incomplete"
    assert "memo reference to index 7" in _reason(out, "m.pkl")
    assert any(r == "TG-PKL-004" for r, _ in rules_at(out, "m.pkl"))
    assert exit_code(out) == 1


def test_broken_memo_reference_in_a_later_stream_is_incomplete() -> None:
    data = pickle.dumps([1], protocol=2) + b"\x80\x02]h\x09a."
    out = run({"m.pkl": data})
    assert status(out, "m.pkl") == "incomplete"


@pytest.mark.parametrize("name", ["empty.pkl", "empty.pickle", "empty.joblib", "empty.pt", "empty.bin"])
def test_empty_model_file_is_incomplete(name: str) -> None:
    out = run({name: b""})
    assert status(out, name) == "incomplete"
    assert "empty file" in _reason(out, name)


def test_empty_pickle_member_of_a_torch_zip_is_incomplete() -> None:
    out = run({"m.pt": make_zip({"archive/data.pkl": b"", "archive/version": b"3\n"})})
    assert "clean" not in {i.status for i in out.inspections if i.location.path == "m.pt"}


def test_unknown_opcode_and_truncation_are_incomplete() -> None:
    out = run({"u.pkl": b"\x80\x02]\xff.", "t.pkl": pickle.dumps(list(range(50)), protocol=2)[:-3]})
    assert status(out, "u.pkl") == "incomplete" and "unknown opcode 0xff" in _reason(out, "u.pkl")
    assert status(out, "t.pkl") == "incomplete"


def test_truncated_second_stream_is_incomplete() -> None:
    second = pickle.dumps({"k": list(range(20))}, protocol=2)[:-5]
    out = run({"t.pkl": pickle.dumps(1, protocol=2) + second})
    assert status(out, "t.pkl") == "incomplete"


def test_byte_budget_makes_the_artifact_incomplete(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pk, "MAX_PICKLE_BYTES", 200_000)
    big = pickle.dumps([{"k": i, "v": str(i)} for i in range(40_000)], protocol=4)  # ~0.5 MB of opcodes
    out = run({"big.pkl": big + stack_global("os", "system")})
    assert status(out, "big.pkl") == "incomplete"
    assert "byte budget exhausted" in _reason(out, "big.pkl")
    assert exit_code(out) == 1


def test_budget_across_stacked_streams(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pk, "MAX_PICKLE_BYTES", 100_000)
    benign = pickle.dumps(list(range(200)), protocol=2) * 400  # ~250 KB in 400 streams
    out = run({"s.pkl": benign + stack_global("os", "system")})
    assert status(out, "s.pkl") == "incomplete"  # never clean: the payload is beyond the budget
    assert "budget exhausted" in _reason(out, "s.pkl")


def test_time_budget_makes_the_artifact_incomplete(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pk, "PICKLE_SECONDS", 0.0)
    monkeypatch.setattr(pk.time, "monotonic", iter(range(0, 10**9, 5)).__next__)  # 5 "seconds" a call
    out = run({"s.pkl": pickle.dumps([1], protocol=2) * 10})
    assert status(out, "s.pkl") == "incomplete"
    assert "time budget exhausted" in _reason(out, "s.pkl")


def test_stack_growth_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pk, "MAX_STACK", 10_000)
    out = run({"dup.pkl": b"\x80\x02N" + b"2" * 300_000 + b"."})  # 300k DUP
    assert status(out, "dup.pkl") == "incomplete"
    assert "stack deeper than" in _reason(out, "dup.pkl")


def test_budget_defaults_end_a_dense_walk_within_seconds() -> None:
    assert pk.MAX_PICKLE_BYTES == 64 * 1024 * 1024 and pk.PICKLE_SECONDS == 10.0


def test_getattr_chain_is_resolved_to_what_it_reaches() -> None:
    # builtins.getattr(posixpath.os, "system"): the REDUCE result is named and judged
    data = b"cbuiltins\ngetattr\n(cposixpath\nos\nS'system'\ntR(S'id'\ntR."
    out = run({"g.pkl": data})
    found = {(f.rule_id, f.subject, f.attributes.get("reaches")) for f in out.findings}
    assert ("TG-PKL-001", "posixpath.os.system", "os.system") in found
    assert ("TG-PKL-001", "posixpath.os", "os") in found


def test_import_module_then_getattr_is_resolved() -> None:
    data = (
        b"\x80\x04" + sbu("builtins") + sbu("getattr") + b"\x93\x94"
        + sbu("importlib") + sbu("import_module") + b"\x93\x94" + sbu("os") + b"\x85R\x94"
        + sbu("system") + b"\x86R\x94" + sbu("id") + b"\x85R."
    )  # fmt: skip
    out = run({"i.pkl": data})
    subj = {f.subject for f in out.findings if f.rule_id == "TG-PKL-001"}
    assert {"builtins.getattr", "importlib.import_module", "os", "os.system"} <= subj


def test_build_on_an_imported_global_is_reported() -> None:
    # modelscan issue 85: BUILD sets numpy.prod.a = "os", then GLOBAL numpy prod.a reads it back
    data = b"\x80\x02cnumpy\nprod\nN(Va\nVos\nd\x86b0cnumpy\nprod.a\n."
    out = run({"b.pkl": data})
    rules = rules_at(out, "b.pkl")
    assert ("TG-PKL-007", "build@numpy.prod") in rules
    assert ("TG-PKL-002", "numpy.prod.a") in rules
    assert exit_code(out) == 1


def test_legacy_torch_trailing_storages_stay_clean() -> None:
    from tests.inspect.inspect_builders import torch_data_pkl

    magic = pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2)
    head = magic + pickle.dumps(1001, protocol=2) + pickle.dumps({"little_endian": True}, protocol=2)
    keys = pickle.dumps(["0"], protocol=2)
    for numel in (4, 40, 0x6328, 99):  # 40 = '(' MARK, 0x6328 = '(' 'c': storage bytes that look like opcodes
        legacy = head + torch_data_pkl(1) + keys + numel.to_bytes(8, "little") + b"\x00" * 16
        out = run({"old.pt": legacy})
        assert out.findings == [] and status(out, "old.pt") == "clean", numel
