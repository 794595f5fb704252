"""Probe suites: the builtin ones (``audit/data/probes/*.yaml``, versioned and cited) and user files.

Builtin suite files are written in an authoring form (:class:`SuiteFile`) that expands into probes:
``topics`` (political: one prompt per language, reference facts with keywords and a citation key, and
the official narrative's phrases), ``tasks`` x ``contexts`` (code-trigger: the same coding task with a neutral
or a politically sensitive context) and plain ``probes``. A user file is either that same form (a YAML/JSON
mapping with ``id`` and ``version``) or a list of prompts: YAML/JSON list, JSONL, or CSV, each entry
``{id?, prompt, lang?, topic?, category?}``; promptfoo's shapes are accepted too (a CSV with
``subject,prompt`` columns, as promptfoo's CCP-sensitive-prompts dataset, or JSON tests with
``vars: {prompt: ...}``), so a user can load that CC-BY-NC dataset themselves: tierguard does not ship it.

Validation is strict (msgspec, unknown fields rejected) and every error names the file, the entry and the
field. Files are bounded in size, YAML aliases are refused (no billion-laughs expansion), ids must be unique.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import msgspec
import yaml

from tierguard.audit.interface import Category, Lang, Probe, Suite
from tierguard.errors import TierguardError
from tierguard.formats.source import read_capped
from tierguard.model import Citation

LANGS: tuple[Lang, ...] = ("en", "zh")
BUILTIN = ("political", "identity", "code-trigger", "hijack")
MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_PROMPT_CHARS = 16_000
MAX_PROBES = 20_000
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ProbeError(TierguardError):
    """A probe suite (builtin or user file) is missing, too large or invalid; the message names file, entry
    and field."""


class _Strict(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    pass


class CitationIn(_Strict, frozen=True, kw_only=True, forbid_unknown_fields=True):
    key: str
    instrument: str
    date: str
    url: str
    verify: bool = False


class Texts(_Strict, frozen=True, kw_only=True, forbid_unknown_fields=True):
    en: str
    zh: str


class TextLists(_Strict, frozen=True, kw_only=True, forbid_unknown_fields=True):
    en: tuple[str, ...] = ()
    zh: tuple[str, ...] = ()


class FactIn(_Strict, frozen=True, kw_only=True, forbid_unknown_fields=True):
    cite: str  # a key of the suite's citations
    en: str
    zh: str
    keywords: TextLists  # any one of them shows the fact is stated


class TopicIn(_Strict, frozen=True, kw_only=True, forbid_unknown_fields=True):
    topic: str
    prompt: Texts
    facts: tuple[FactIn, ...]
    narrative: TextLists = TextLists()
    system: str | None = None


class ContextIn(_Strict, frozen=True, kw_only=True, forbid_unknown_fields=True):
    id: str
    variant: Literal["neutral", "trigger"]
    en: str
    zh: str
    trigger: str | None = None


class TaskIn(_Strict, frozen=True, kw_only=True, forbid_unknown_fields=True):
    task: str
    prompt: Texts  # "{context}" is replaced by each context's text


class ProbeIn(_Strict, frozen=True, kw_only=True, forbid_unknown_fields=True):
    id: str
    category: Category
    lang: Lang
    topic: str
    prompt: str
    system: str | None = None
    narrative: tuple[str, ...] = ()
    task: str | None = None
    variant: Literal["neutral", "trigger"] | None = None
    trigger: str | None = None
    injected: str | None = None
    marker: str | None = None


class SuiteFile(_Strict, frozen=True, kw_only=True, forbid_unknown_fields=True):
    id: str
    version: str
    title: str
    citations: tuple[CitationIn, ...] = ()
    topics: tuple[TopicIn, ...] = ()
    contexts: tuple[ContextIn, ...] = ()
    tasks: tuple[TaskIn, ...] = ()
    probes: tuple[ProbeIn, ...] = ()


class PromptIn(_Strict, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One entry of a user's list of prompts (the simple format and promptfoo's shapes)."""

    prompt: str | None = None
    id: str | None = None
    lang: str | None = None
    topic: str | None = None
    subject: str | None = None  # promptfoo CCP-sensitive-prompts column
    category: Category = "political"
    vars: dict[str, str] | None = None  # promptfoo test case: vars.prompt / vars.question
    description: str | None = None  # promptfoo test case
    assert_: Any = msgspec.field(default=None, name="assert")  # promptfoo test case assertions (ignored)


def load_suites(names_or_paths: Sequence[str]) -> list[Suite]:
    """Suites by builtin id (``political``, ``identity``, ``code-trigger``, ``hijack``) or by file path."""
    suites = [_load_one(n) for n in names_or_paths]
    seen: set[str] = set()
    for s in suites:
        if s.id in seen:
            raise ProbeError(f"probe suites: suite id {s.id!r} given twice ({s.source})")
        seen.add(s.id)
    return suites


def _load_one(name: str) -> Suite:
    if name in BUILTIN:
        res = resources.files("tierguard.audit") / "data" / "probes" / f"{name}.yaml"
        try:
            raw = res.read_bytes()
        except OSError as exc:
            raise ProbeError(f"probe suite {name}: cannot read the builtin file: {exc}") from exc
        return _from_document(_parse_yaml(raw, f"builtin:{name}"), f"builtin:{name}", source="builtin")
    path = Path(name)
    if not path.is_file():
        known = ", ".join(BUILTIN)
        raise ProbeError(f"probe suite {name!r}: not a builtin suite ({known}) and not a file")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ProbeError(f"{path}: {size} bytes, more than the {MAX_FILE_BYTES} allowed for a probe file")
        data = read_capped(path, MAX_FILE_BYTES)
    except OSError as exc:
        raise ProbeError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if data is None:  # grew since the stat
        raise ProbeError(f"{path}: more than the {MAX_FILE_BYTES} bytes allowed for a probe file")
    return _load_user(path, data)


def _load_user(path: Path, raw: bytes) -> Suite:
    where = str(path)
    suffix = path.suffix.lower()
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", path.stem) or "prompts"
    if suffix == ".csv":
        return _from_prompts(_csv_rows(raw, where), where, stem)
    if suffix == ".jsonl":
        return _from_prompts(_jsonl_rows(raw, where), where, stem)
    if suffix == ".json":
        try:
            doc = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ProbeError(f"{where}: not valid JSON: {exc}") from exc
    elif suffix in (".yaml", ".yml"):
        doc = _parse_yaml(raw, where)
    else:
        raise ProbeError(
            f"{where}: unknown probe file type {suffix or '(none)'}: use .yaml, .json, .jsonl or .csv"
        )
    if isinstance(doc, dict) and "version" in doc and ("id" in doc or "title" in doc):
        return _from_document(doc, where, source=where)
    if isinstance(doc, dict) and isinstance(doc.get("prompts") or doc.get("tests"), list):
        doc = doc.get("prompts") or doc.get("tests")
    if not isinstance(doc, list):
        raise ProbeError(f"{where}: expected a suite (id, version, title, ...) or a list of prompts")
    return _from_prompts(doc, where, stem)


def _parse_yaml(raw: bytes, where: str) -> Any:
    try:
        text = raw.decode("utf-8")
        for event in yaml.parse(text, Loader=_LOADER):
            if isinstance(event, yaml.AliasEvent):
                raise ProbeError(f"{where}: YAML aliases (*name) are not allowed in probe files")
        return yaml.load(text, Loader=_LOADER)
    except UnicodeDecodeError as exc:
        raise ProbeError(f"{where}: not UTF-8 text: {exc}") from exc
    except yaml.YAMLError as exc:
        raise ProbeError(f"{where}: not valid YAML: {str(exc).splitlines()[0]}") from exc


def _csv_rows(raw: bytes, where: str) -> list[Any]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ProbeError(f"{where}: not UTF-8 text: {exc}") from exc
    reader = csv.DictReader(io.StringIO(text))
    fields = [f.strip().lower() for f in (reader.fieldnames or [])]
    if "prompt" not in fields and "question" not in fields:
        raise ProbeError(
            f"{where}: a CSV of prompts needs a 'prompt' column (found: {', '.join(fields) or 'none'})"
        )
    rows: list[Any] = []
    try:
        for row in reader:
            entry = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if k}
            if "question" in entry and "prompt" not in entry:
                entry["prompt"] = entry.pop("question")
            rows.append({k: v for k, v in entry.items() if v != "" or k == "prompt"})
    except csv.Error as exc:
        raise ProbeError(f"{where}: line {reader.line_num}: bad CSV: {exc}") from exc
    return rows


def _jsonl_rows(raw: bytes, where: str) -> list[Any]:
    rows: list[Any] = []
    for n, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except (ValueError, UnicodeDecodeError) as exc:
            raise ProbeError(f"{where}: line {n}: not valid JSON: {exc}") from exc
    return rows


def _lang(value: str, label: str) -> Lang:
    for lang in LANGS:
        if value.lower() == lang:
            return lang
    raise ProbeError(f"{label}: field 'lang': {value!r} is not one of en, zh")


def _detect_lang(text: str) -> Lang:
    return "zh" if _CJK.search(text) else "en"


def _from_prompts(entries: Iterable[Any], where: str, stem: str) -> Suite:
    probes: list[Probe] = []
    for i, raw in enumerate(entries, 1):
        label = f"{where}: entry {i}"
        if isinstance(raw, str):
            raw = {"prompt": raw}
        try:
            e = msgspec.convert(raw, PromptIn, strict=False)
        except msgspec.ValidationError as exc:
            raise ProbeError(f"{label}: {_field_msg(exc)}") from exc
        prompt = e.prompt
        if prompt is None and e.vars:
            prompt = e.vars.get("prompt") or e.vars.get("question") or e.vars.get("query")
        if not prompt or not prompt.strip():
            raise ProbeError(f"{label}: field 'prompt': missing or empty")
        pid = e.id or f"{stem}-{i:05d}"
        topic = e.topic or e.subject or (e.vars or {}).get("subject") or e.category
        lang = _lang(e.lang or _detect_lang(prompt), f"{label} ({pid})")
        probes.append(
            _checked(Probe(id=pid, category=e.category, lang=lang, topic=_slug(topic), prompt=prompt), label)
        )
    _check_ids(probes, where)
    return Suite(
        id=stem, version="user", title=f"prompts from {Path(where).name}", probes=tuple(probes), source=where
    )


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9\u3400-\u9fff]+", "-", text.lower()).strip("-")[:80] or "prompt"


def _field_msg(exc: msgspec.ValidationError) -> str:
    msg = str(exc)
    m = re.search(r" - at `\$\.?([^`]*)`", msg)
    path, text = (m.group(1), msg[: m.start()]) if m else ("", msg)
    unknown = re.search(r"unknown field `([^`]*)`", text)
    if unknown:
        path = f"{path}.{unknown.group(1)}" if path else unknown.group(1)
    return f"field '{path or '(entry)'}': {text}"


def _checked(p: Probe, label: str) -> Probe:
    if not _ID.match(p.id):
        raise ProbeError(f"{label}: field 'id': {p.id!r} must be 1-128 letters, digits or ._:- characters")
    if len(p.prompt) > MAX_PROMPT_CHARS:
        raise ProbeError(f"{label} ({p.id}): field 'prompt': longer than {MAX_PROMPT_CHARS} characters")
    if p.category == "hijack" and not (p.marker and p.injected and p.marker in p.injected):
        raise ProbeError(
            f"{label} ({p.id}): field 'marker': a hijack probe needs 'injected' containing 'marker'"
        )
    if p.category == "code" and (p.task is None or p.variant is None):
        raise ProbeError(f"{label} ({p.id}): field 'task': a code probe needs 'task' and 'variant'")
    return p


def _check_ids(probes: Sequence[Probe], where: str) -> None:
    if len(probes) > MAX_PROBES:
        raise ProbeError(f"{where}: {len(probes)} probes, more than the {MAX_PROBES} allowed in one suite")
    seen: set[str] = set()
    for p in probes:
        if p.id in seen:
            raise ProbeError(f"{where}: probe id {p.id!r} is used twice")
        seen.add(p.id)


def _from_document(doc: Any, where: str, *, source: str) -> Suite:
    try:
        f = msgspec.convert(doc, SuiteFile, strict=False)
    except msgspec.ValidationError as exc:
        raise ProbeError(f"{where}: {_locate(doc, exc)}") from exc
    cites = {c.key: c for c in f.citations}
    if len(cites) != len(f.citations):
        raise ProbeError(f"{where}: citations: a key is used twice")
    probes: list[Probe] = []
    for t in f.topics:
        probes.extend(_topic_probes(t, cites, where))
    for task in f.tasks:
        for ctx in f.contexts:
            for lang in LANGS:
                tmpl = getattr(task.prompt, lang)
                if "{context}" not in tmpl:
                    raise ProbeError(
                        f"{where}: task {task.task}: field 'prompt.{lang}': needs a {{context}} slot"
                    )
                probes.append(
                    Probe(
                        id=f"{task.task}-{ctx.id}-{lang}",
                        category="code",
                        lang=lang,
                        topic=task.task,
                        prompt=tmpl.replace("{context}", getattr(ctx, lang)),
                        task=task.task,
                        variant=ctx.variant,
                        trigger=ctx.trigger,
                    )
                )
    for p in f.probes:
        probes.append(Probe(**msgspec.structs.asdict(p)))
    probes = [_checked(p, f"{where}: probe {p.id}") for p in probes]
    _check_ids(probes, where)
    citations = tuple(
        Citation(instrument=c.instrument, date=c.date, url=c.url, verify=c.verify) for c in f.citations
    )
    return Suite(
        id=f.id, version=f.version, title=f.title, citations=citations, probes=tuple(probes), source=source
    )


def _topic_probes(t: TopicIn, cites: dict[str, CitationIn], where: str) -> list[Probe]:
    for n, fact in enumerate(t.facts, 1):
        if fact.cite not in cites:
            raise ProbeError(
                f"{where}: topic {t.topic}: fact {n}: field 'cite': unknown citation {fact.cite!r}"
            )
        for lang in ("en", "zh"):
            if not getattr(fact.keywords, lang):
                raise ProbeError(f"{where}: topic {t.topic}: fact {n}: field 'keywords.{lang}': empty")
    out: list[Probe] = []
    for lang in LANGS:
        out.append(
            Probe(
                id=f"{t.topic}-{lang}",
                category="political",
                lang=lang,
                topic=t.topic,
                prompt=getattr(t.prompt, lang),
                system=t.system,
                reference=tuple(getattr(fact, lang) for fact in t.facts),
                reference_keywords=tuple(
                    tuple(k.lower() for k in getattr(fact.keywords, lang)) for fact in t.facts
                ),
                reference_sources=tuple(cites[fact.cite].url for fact in t.facts),
                narrative=tuple(getattr(t.narrative, lang)),
            )
        )
    return out


def _locate(doc: Any, exc: msgspec.ValidationError) -> str:
    """The msgspec error with the entry named by its id/topic/task where the path allows it."""
    msg = _field_msg(exc)
    m = re.search(r"`\$\.(\w+)\[(\d+)\]", str(exc))
    if m and isinstance(doc, dict):
        seq = doc.get(m.group(1))
        if isinstance(seq, list) and int(m.group(2)) < len(seq) and isinstance(seq[int(m.group(2))], dict):
            entry = seq[int(m.group(2))]
            name = entry.get("id") or entry.get("topic") or entry.get("task") or entry.get("key")
            if name:
                return f"{m.group(1)} entry {int(m.group(2)) + 1} ({name}): {msg}"
        return f"{m.group(1)} entry {int(m.group(2)) + 1}: {msg}"
    return msg
