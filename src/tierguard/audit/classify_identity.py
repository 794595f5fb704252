"""Identity claims: which producer a response says made the model, as a catalog producer id.

Names come from the catalog (each producer's name and aliases) and ``audit/data/identity_names.yaml``
(product and Chinese names: ChatGPT, Claude, 通义千问, 文心一言 ...). Strong names count in any sentence that
makes a claim ("I am", "trained by", "我是", "开发"); weak names (short or common words: Yi, Phi,
Spark) only right after a first-person claim. A name after a negation or contrast ("I am not ChatGPT",
"不是") is not a claim.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

import msgspec
import yaml

from tierguard.audit.classify_patterns import find_terms, negated, normalise, sentence_span
from tierguard.catalog import Catalog, load_catalog

_CLAIM = re.compile(
    r"\b(?:i am|i'm|i was|my name is|i'm called|i am called|this is"
    r"|you are (?:talking|chatting|speaking) (?:to|with)"
    r"|(?:trained|developed|created|built|made|released|designed|produced|programmed|fine-tuned|finetuned) by"
    r"|(?:a|an) (?:\w+ )?(?:model|assistant|ai) (?:from|by)|based on|version of"
    r"|my (?:developer|creator|maker) is)\b"
    r"|我是|我叫|我的名字|名叫|由|开发|训练|研发|打造|创建|推出|出品|基于"
)
_FIRST_PERSON = re.compile(
    r"(?:\b(?:i am|i'm|my name is|called|named)\s+(?:an? )?(?:\w+\s+){0,2}|我是|我叫|名叫|名为)$"
)
_BY = re.compile(
    r"\b(?:trained|developed|created|built|made|released|designed|produced|programmed) by\s+(?:the\s+)?$"
    r"|由$"
)


class _Names(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    strong: tuple[str, ...] = ()
    weak: tuple[str, ...] = ()


class _NamesFile(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    version: str
    producers: dict[str, _Names]


@dataclass(frozen=True)
class ProducerNames:
    """name (normalised) -> producer id, split into strong and weak names."""

    strong: dict[str, str]
    weak: dict[str, str]

    @classmethod
    def build(cls, catalog: Catalog) -> ProducerNames:
        raw = (resources.files("tierguard.audit") / "data" / "identity_names.yaml").read_text(
            encoding="utf-8"
        )
        extra = msgspec.convert(yaml.safe_load(raw), _NamesFile)
        strong: dict[str, str] = {}
        weak: dict[str, str] = {}
        for pid, names in extra.producers.items():
            catalog.producer(pid)  # unknown ids fail loudly (CatalogError)
            strong.update({normalise(n): pid for n in names.strong})
            weak.update({normalise(n): pid for n in names.weak})
        for pid, entry in catalog.producers.items():
            primary = normalise(entry.name.split(" (")[0])
            strong.setdefault(primary, pid)
            for alias in entry.aliases:
                a = normalise(alias)
                if a not in strong:
                    weak.setdefault(a, pid)
        return cls(strong=strong, weak=weak)


_DEFAULT: list[ProducerNames] = []


def default_names() -> ProducerNames:
    """The names from the packaged catalog, built on first use (the catalog is packaged data, read once)."""
    if not _DEFAULT:
        _DEFAULT.append(ProducerNames.build(load_catalog()))
    return _DEFAULT[0]


@dataclass(frozen=True)
class Claim:
    producer: str
    name: str
    how: str  # "by" (made by X), "self" (I am X), "mention" (in a claim sentence)


def claims(text: str, names: ProducerNames) -> list[Claim]:
    """Producer claims in ``text`` (normalised inside), strongest first: "made by X", then "I am X", then
    other non-negated strong names in a sentence that makes a claim."""
    t = normalise(text)
    found: list[tuple[int, int, Claim]] = []
    hits = find_terms(t, list(names.strong) + list(names.weak))
    taken: list[tuple[int, int]] = []
    for h in sorted(hits, key=lambda h: (h.start, -(h.end - h.start))):
        if any(s <= h.start < e for s, e in taken):
            continue  # a shorter name inside a longer one already matched ("glm" in "chatglm-6b")
        taken.append((h.start, h.end))
        if negated(t, h.start):
            continue
        weak = h.term not in names.strong
        pid = names.weak[h.term] if weak else names.strong[h.term]
        s, _ = sentence_span(t, h.start)
        before = t[s : h.start]
        if _BY.search(before[-40:]):
            found.append((0, h.start, Claim(pid, h.term, "by")))
        elif _FIRST_PERSON.search(before[-40:]):
            found.append((1, h.start, Claim(pid, h.term, "self")))
        elif not weak and _CLAIM.search(t[s : sentence_span(t, h.start)[1]]):
            found.append((2, h.start, Claim(pid, h.term, "mention")))
    return [c for _, _, c in sorted(found, key=lambda x: (x[0], x[1]))]
