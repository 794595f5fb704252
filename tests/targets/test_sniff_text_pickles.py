"""Protocol 0/1 pickles have no magic number, so the sniff walks a candidate head with the real opcode walker
(never unpickling). Text files whose first byte is a pickle opcode (``c`` GLOBAL, ``(`` MARK) are text: they
were sniffed as ``pickle-text`` before, became model assets and could be denied as critical. Real protocol
0/1 pickles (and the shared picklescan corpus) are still found."""

from __future__ import annotations

import collections
import pickle
import zipfile
from pathlib import Path

import pytest

from tierguard.catalog import load_catalog
from tierguard.model import Context
from tierguard.policy.packs import load_packs
from tierguard.scanner import Scanner
from tierguard.targets.sniff import SNIFF_BYTES, sniff

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "picklescan"

# real file shapes whose first byte is a protocol 0/1 opcode
TEXT_TRAPS: dict[str, bytes] = {
    "CHANGES": b"changes\n=======\n\n1.4.0 (2024-03-01)\n------------------\n\n- Fix the thing.\n",
    ".gitlab-ci.yml": (
        b"cache:\n  paths:\n    - .cache/pip\n\nstages:\n  - test\n\ntest:\n  image: python:3.11\n"
        b"  script:\n    - pip install -e .[test]\n    - pytest\n"
    ),
    "openapi.yaml": b"components:\n  schemas:\n    Model:\n      type: object\n      properties:\n"
    b"        id:\n          type: string\n",
    "requirements-dev.txt": b"coverage\npytest\n",  # two plain words: one GLOBAL, then the end
    "requirements-test.txt": b"coverage==7.4.4\npytest==8.1.1\n",
    "certifi-2024.2.2.dist-info/RECORD": b"".join(
        b"certifi/%s,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,%d\n" % (n.encode(), 100 + i)
        for i, n in enumerate(["__init__.py", "__main__.py", "cacert.pem", "core.py", "py.typed"] * 40)
    ),
    ".gitignore": b"cache\nbuild\n.eggs\n*.pyc\n",  # GLOBAL cache.build, then STOP
    "NOTICE": b"(c) 2019 The Authors. All rights reserved.\n\nThis product includes software.\n",
    "LICENSE": b"(The MIT License)\n\nCopyright (c) 2011 TJ Holowaychuk <tj@vision-media.ca>\n\n"
    b"Permission is hereby granted, free of charge, to any person obtaining\n",
    ".dir-locals.el": b"((python-mode . ((fill-column . 88))))\n",
}


def _heads(data: bytes) -> list[tuple[bytes, int | None]]:
    """The head a caller passes: the listing's (up to 4 KiB, size known) and a bare one (size unknown)."""
    return [(data[:SNIFF_BYTES], len(data)), (data[:SNIFF_BYTES], None)]


@pytest.mark.parametrize("name", sorted(TEXT_TRAPS))
def test_text_starting_with_an_opcode_is_text(name: str) -> None:
    data = TEXT_TRAPS[name]
    assert sniff(data[:SNIFF_BYTES], name.rsplit("/", 1)[-1], len(data)) == "text"


@pytest.mark.parametrize(
    "name", ["CHANGES", ".gitlab-ci.yml", "openapi.yaml", "requirements-dev.txt", "NOTICE", ".gitignore"]
)
def test_text_is_text_also_when_the_size_is_unknown(name: str) -> None:
    assert sniff(TEXT_TRAPS[name][:SNIFF_BYTES], name) == "text"
    assert sniff(TEXT_TRAPS[name][:64], name) == "text"


_OBJECTS = [
    {"a": [1, 2.5, "x"], "b": (True, None)},
    collections.OrderedDict(a=1, b=[1, 2]),
    [collections.Counter("abc")] * 500,  # larger than the head: the walk runs out of head bytes
    [collections.OrderedDict(a="x" * 6000)],  # a long string line past the head
    (1, 2),
    [b"bytes", bytearray(b"array")],
]


@pytest.mark.parametrize("proto", [0, 1])
@pytest.mark.parametrize("obj", _OBJECTS, ids=lambda o: type(o).__name__)
def test_real_protocol_0_and_1_pickles_are_found(proto: int, obj: object) -> None:
    data = pickle.dumps(obj, protocol=proto)
    for head, size in _heads(data):
        assert sniff(head, "data.bin", size) == "pickle-text", (data[:40], size)


def test_a_malicious_protocol_0_stream_without_stop_is_still_a_pickle() -> None:
    data = b"cos\nsystem\n(S'id'\ntR"  # pickle.load would run os.system before failing at the end
    assert sniff(data, "weights.bin", len(data)) == "pickle-text"


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared picklescan corpus not present")
def test_picklescan_corpus_protocol_0_pickles_are_found() -> None:
    found = {}
    for p in sorted(CORPUS.iterdir()):
        data = p.read_bytes()
        if data[:1] in (b"c", b"(", b"]", b"}"):
            found[p.name] = sniff(data[:SNIFF_BYTES], p.name, len(data))
    # every protocol 0/1 pickle of the corpus, except the one labelled "not a pickle" and the one whose
    # BINUNICODE length runs past the file (named .pkl: inspect still walks it by name, reports incomplete)
    assert {n for n, k in found.items() if k != "pickle-text"} == {"broken_model.pkl", "not_a_pickle.bin"}
    assert len(found) >= 8


def test_text_traps_are_not_model_assets_nor_denied(tmp_path: Path) -> None:
    for name, data in TEXT_TRAPS.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    with zipfile.ZipFile(tmp_path / "certifi-2024.2.2-py3-none-any.whl", "w") as z:
        z.writestr("certifi-2024.2.2.dist-info/RECORD", TEXT_TRAPS["certifi-2024.2.2.dist-info/RECORD"])
        z.writestr("certifi/core.py", "def where():\n    return 'cacert.pem'\n")
    res = Scanner(load_catalog(), load_packs(None)).scan(tmp_path, Context(country="GB", sector="government"))
    assert [a.name for a in res.assets if a.kind == "ai-model"] == []
    assert [i.location.path for i in res.inspections] == []
    assert [d.verdict for d in res.decisions if d.verdict != "allow"] == []
