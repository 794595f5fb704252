"""Catalog: versioned knowledge (producers, endpoints, SDKs, classes, router prefixes, env keys, model
families, traps), every entry with a source. Loaded once per run and passed explicitly; no globals.

Data lives in ``catalog/data/*.yaml``; ``catalog.yaml`` there carries the catalog version.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tierguard.catalog.canonical import TAG, CanonicalNames
from tierguard.catalog.globs import FirstGlob
from tierguard.catalog.non_api import NonApiHostEntry
from tierguard.catalog.requests import RequestSignatureEntry
from tierguard.errors import CatalogError

SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader when PyYAML was built with it (several times faster), else the pure-Python one."""


class Entry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    sources: tuple[str, ...] = Field(min_length=1)
    notes: str = ""
    verify: bool = False  # not confirmed from a primary source (registry page, vendor docs): check it


class ProducerEntry(Entry):
    id: str
    name: str
    jurisdiction: str  # ISO 3166-1 alpha-2
    aliases: tuple[str, ...] = ()
    hf_orgs: tuple[str, ...] = ()
    parent: str | None = None  # parent organisation id, if any
    # display name of the organisation's hosted API, naming service assets ("DeepSeek API", "Amazon Bedrock")
    service: str = ""


class EndpointEntry(Entry):
    host: str  # exact host or "*.suffix"
    operator: str  # producer id of the operator
    jurisdiction: str  # where the operator is subject to law
    path_prefix: str = ""  # e.g. "/anthropic" for Anthropic-compatible endpoints
    # the operator's product this host belongs to when it is not the operator's main API (its ``service``)
    service: str = ""
    serves: tuple[str, ...] = ()  # producer ids whose models it serves, when it is a reseller/host


class PackageEntry(Entry):
    ecosystem: Literal["pypi", "npm", "go", "maven"]
    name: str
    producer: str
    imports: tuple[str, ...] = ()  # import names / module prefixes (python) or require names (js)
    # counts only when one of these submodules is used (umbrella SDKs: tencentcloud ... hunyuan/asr/tts)
    requires_module: str | tuple[str, ...] | None = None
    kind: Literal["sdk", "integration", "framework"] = "sdk"

    @property
    def required_modules(self) -> tuple[str, ...]:  # requires_module as a tuple (empty: always counts)
        rm = self.requires_module
        return () if rm is None else (rm,) if isinstance(rm, str) else rm


class ClassEntry(Entry):
    name: str
    producer: str
    language: Literal["python", "javascript", "any"] = "any"
    # models a class uses by default when none is given (e.g. FastEmbedEmbeddings -> BAAI/bge-small-en-v1.5)
    default_model: str | None = None
    # hosted-api: the class calls the producer's hosted API; self-hosted: it runs/loads a model locally (or
    # talks to a self-deployed model server), so only its model counts
    use_mode: Literal["hosted-api", "self-hosted"] = "hosted-api"


class RouterPrefixEntry(Entry):
    router: Literal["litellm", "openrouter", "bedrock", "azure", "vertex", "together", "clarifai", "other"]
    prefix: str  # e.g. "deepseek/" or "deepseek."
    producer: str  # whose model the prefix names
    operator: str | None = None  # who operates the endpoint the prefix routes to (None = the router's own)
    jurisdiction: str | None = None
    # cross-region inference profile prefixes (Bedrock "us.", "eu.", "apac."): the loader adds one entry per
    # region, e.g. "deepseek." + ("us.",) -> "deepseek." and "us.deepseek."
    cross_region: tuple[str, ...] = ()
    # the prefix only names the route (e.g. LiteLLM "openrouter/", "bedrock/"): the rest is another model ID,
    # matched again (with ``inner_router``'s prefixes first when set)
    passthrough: bool = False
    inner_router: str | None = None


class EnvKeyEntry(Entry):
    name: str
    producer: str  # the provider whose service the key unlocks


class LineageDefault(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    relation: Literal["finetune", "quantized", "merge", "adapter", "distill"]
    base: str
    base_producer: str


class ModelFamilyEntry(Entry):
    id: str
    producer: str
    # glob patterns (case-insensitive) on the bare model name: org/, provider prefixes and :tags removed
    names: tuple[str, ...] = ()
    # glob patterns on "org/name" (case-insensitive) for Hugging Face IDs
    hf: tuple[str, ...] = ()
    # Ollama library names (the part before ':' and after any namespace '/')
    ollama: tuple[str, ...] = ()
    # Ollama tags that are really another family, e.g. deepseek-r1 "70b" -> deepseek-r1-distill-llama-70b
    ollama_tags: dict[str, str] = Field(default_factory=dict)
    # globs on the bare ID after a router prefix only (Bedrock "deepseek.r1-v1:0" -> "r1-v1")
    router_ids: tuple[str, ...] = ()
    # names that are short or common words: match only in a model context (never as free text)
    context_only: bool = False
    lineage: tuple[LineageDefault, ...] = ()
    # canonical: the HF id the family's exact names and router ids denote (unset for families of several
    # models); aliases: exact reference (``deepseek-r1:70b``) -> HF id. See catalog/canonical.py.
    canonical: str | None = None
    aliases: dict[str, str] = Field(default_factory=dict)


class TrapEntry(Entry):
    term: str
    why: str


class CatalogFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: str
    date: str
    producers: tuple[ProducerEntry, ...] = ()
    endpoints: tuple[EndpointEntry, ...] = ()
    packages: tuple[PackageEntry, ...] = ()
    classes: tuple[ClassEntry, ...] = ()
    router_prefixes: tuple[RouterPrefixEntry, ...] = ()
    env_keys: tuple[EnvKeyEntry, ...] = ()
    models: tuple[ModelFamilyEntry, ...] = ()
    traps: tuple[TrapEntry, ...] = ()
    non_api_hosts: tuple[NonApiHostEntry, ...] = ()  # documentation/forum/console hosts (non_api.py)
    request_signatures: tuple[RequestSignatureEntry, ...] = ()  # provider paths/headers (requests.py)


@dataclass(frozen=True, slots=True)
class ModelMatch:
    family: ModelFamilyEntry | None  # None when only the HF organisation matched
    producer: ProducerEntry
    normalized: str  # the bare name that matched
    via: Literal["hf-id", "hf-org", "name", "ollama", "router-prefix"]
    router: RouterPrefixEntry | None = None  # the outermost router prefix (it decides the service operator)
    routers: tuple[RouterPrefixEntry, ...] = ()  # every router prefix stripped, outermost first


SECTIONS: tuple[str, ...] = (
    "producers",
    "endpoints",
    "packages",
    "classes",
    "router_prefixes",
    "env_keys",
    "models",
    "traps",
)


_MEMO_MAX = 200_000


class Catalog:
    """The loaded catalog with lookup methods. Build with :func:`load_catalog`."""

    def __init__(self, files: list[CatalogFile]) -> None:
        if not files:
            raise CatalogError("catalog: no data files")
        self.version = files[0].version
        self.date = files[0].date
        self.producers: dict[str, ProducerEntry] = {}
        self.endpoints: list[EndpointEntry] = []
        self.packages: list[PackageEntry] = []
        self.classes: dict[str, ClassEntry] = {}
        self.router_prefixes: list[RouterPrefixEntry] = []
        self.env_keys: dict[str, EnvKeyEntry] = {}
        self.models: list[ModelFamilyEntry] = []
        self.traps: list[TrapEntry] = []
        self.non_api_hosts: list[NonApiHostEntry] = []
        self.request_signatures: list[RequestSignatureEntry] = []
        for f in files:
            if f.version != self.version:
                raise CatalogError(f"catalog: mixed versions {self.version} and {f.version}")
            for p in f.producers:
                if p.id in self.producers:
                    raise CatalogError(f"catalog: duplicate producer id {p.id!r}")
                self.producers[p.id] = p
            self.endpoints.extend(f.endpoints)
            self.packages.extend(f.packages)
            for c in f.classes:
                if c.name in self.classes:
                    raise CatalogError(f"catalog: duplicate class {c.name!r}")
                self.classes[c.name] = c
            for r in f.router_prefixes:
                self.router_prefixes.append(r)
                for region in r.cross_region:
                    regional = r.model_copy(update={"prefix": region + r.prefix, "cross_region": ()})
                    self.router_prefixes.append(regional)
            for k in f.env_keys:
                if k.name.upper() in self.env_keys:
                    raise CatalogError(f"catalog: duplicate env key {k.name!r}")
                self.env_keys[k.name.upper()] = k
            self.models.extend(f.models)
            self.traps.extend(f.traps)
            self.non_api_hosts.extend(f.non_api_hosts)
            self.request_signatures.extend(f.request_signatures)
        self._check_refs()
        self._check_unique()
        self._index()

    # -- integrity -------------------------------------------------------------------------------------
    def _check_refs(self) -> None:
        def need(pid: str | None, where: str) -> None:
            if pid is not None and pid not in self.producers:
                raise CatalogError(f"catalog: {where} names unknown producer {pid!r}")

        for e in self.endpoints:
            need(e.operator, f"endpoint {e.host}")
            for s in e.serves:
                need(s, f"endpoint {e.host} serves")
        for rs in self.request_signatures:
            if rs.host not in {e.host for e in self.endpoints}:
                raise CatalogError(f"catalog: request signature {rs.text!r}: unknown endpoint {rs.host!r}")
        for pk in self.packages:
            need(pk.producer, f"package {pk.ecosystem}:{pk.name}")
        for c in self.classes.values():
            need(c.producer, f"class {c.name}")
        for r in self.router_prefixes:
            need(r.producer, f"router prefix {r.router}:{r.prefix}")
            need(r.operator, f"router prefix {r.router}:{r.prefix}")
        for k in self.env_keys.values():
            need(k.producer, f"env key {k.name}")
        for m in self.models:
            need(m.producer, f"model family {m.id}")
            for fid in m.ollama_tags.values():
                if fid not in {x.id for x in self.models}:
                    raise CatalogError(f"catalog: model family {m.id} ollama_tags: unknown family {fid!r}")
            for ld in m.lineage:
                need(ld.base_producer, f"model family {m.id} lineage")

    def _check_unique(self) -> None:
        def once(keys: Iterable[str], what: str) -> None:
            seen: set[str] = set()
            for k in keys:
                if k in seen:
                    raise CatalogError(f"catalog: duplicate {what} {k!r}")
                seen.add(k)

        once((f"{e.host.lower()}{e.path_prefix}" for e in self.endpoints), "endpoint")
        once((f"{p.ecosystem}:{_norm_pkg(p.ecosystem, p.name)}" for p in self.packages), "package")
        once((f"{r.router}:{r.prefix.lower()}" for r in self.router_prefixes), "router prefix")
        once((m.id for m in self.models), "model family")
        once((o.lower() for p in self.producers.values() for o in p.hf_orgs), "HF organisation")

    def _index(self) -> None:
        self._memo: dict[tuple[str, bool, str | None], ModelMatch | None] = {}
        self._exact_hosts: dict[str, list[EndpointEntry]] = {}
        self._wild_hosts: list[tuple[re.Pattern[str], EndpointEntry]] = []
        for e in self.endpoints:
            h = e.host.lower()
            if "*" in h:
                # "*" stands for one or more DNS labels (or part of a label: "*-aiplatform.googleapis.com")
                rx = re.escape(h).replace(r"\*", r"[a-z0-9-]+(?:\.[a-z0-9-]+)*")
                self._wild_hosts.append((re.compile(rx), e))
            else:
                self._exact_hosts.setdefault(h, []).append(e)
        self._pkg: dict[tuple[str, str], PackageEntry] = {
            (p.ecosystem, _norm_pkg(p.ecosystem, p.name)): p for p in self.packages
        }
        # longest import prefix first; a dedicated package before an umbrella one with the same import
        self._imports: list[tuple[str, PackageEntry]] = sorted(
            ((imp, p) for p in self.packages for imp in p.imports),
            key=lambda t: (-len(t[0]), t[1].requires_module is not None, t[1].name),
        )
        self._hf_orgs: dict[str, ProducerEntry] = {
            o.lower(): p for p in self.producers.values() for o in p.hf_orgs
        }
        self._fam_name = FirstGlob([(m, m.names) for m in self.models])
        self._fam_name_free = FirstGlob([(m, m.names) for m in self.models if not m.context_only])
        self._fam_hf = FirstGlob([(m, m.hf) for m in self.models])
        self._fam_router = FirstGlob([(m, m.router_ids) for m in self.models])
        self._fam_ollama: dict[str, ModelFamilyEntry] = {o.lower(): m for m in self.models for o in m.ollama}
        self._families: dict[str, ModelFamilyEntry] = {m.id: m for m in self.models}
        self._canonical = CanonicalNames(self.models, self._fam_router)
        self._prefixes = sorted(self.router_prefixes, key=lambda r: (-len(r.prefix), r.router))
        # longest prefix first, bucketed by the prefix's first character (a prefix match needs it)
        self._prefix_index: dict[str, list[tuple[str, RouterPrefixEntry]]] = {}
        for r in self._prefixes:
            low = r.prefix.lower()
            self._prefix_index.setdefault(low[:1], []).append((low, r))

    def canonical_model(self, written: str, m: ModelMatch | None) -> str:
        """The canonical name of a model reference (see :mod:`tierguard.catalog.canonical`)."""
        if m is None:
            return self._canonical.resolve(written, None, (), "")
        prefixes = tuple(r.prefix for r in m.routers)
        return self._canonical.resolve(written, m.family, prefixes, m.via)

    # -- lookups ---------------------------------------------------------------------------------------
    def producer(self, pid: str) -> ProducerEntry:
        try:
            return self.producers[pid]
        except KeyError:
            raise CatalogError(f"catalog: unknown producer {pid!r}") from None

    def service_name(self, pid: str) -> str:
        """The display name of a producer's hosted API (``service`` or "<name> API")."""
        p = self.producer(pid)
        return p.service or f"{p.name} API"

    def endpoint_service(self, entry: EndpointEntry) -> str:
        """The service (operator product) a catalog endpoint belongs to: every path and regional host of one
        product is one service (``api.deepseek.com`` and ``api.deepseek.com/anthropic`` are the DeepSeek API).
        A host whose jurisdiction differs from its operator's is a service of its own (``... (US)``)."""
        name = entry.service or self.service_name(entry.operator)
        if entry.jurisdiction != self.producer(entry.operator).jurisdiction:
            name = f"{name} ({entry.jurisdiction})"
        return name

    def match_host(self, host: str, path: str = "") -> EndpointEntry | None:
        """The endpoint entry for a host (and URL path, for path-specific entries), or None.

        Exact hosts win over wildcard ones; among candidates the longest matching path prefix wins."""
        h = host.lower().strip().rstrip(".")
        if not h or len(h) > 253:
            return None
        cands = list(self._exact_hosts.get(h, ()))
        if not cands:
            cands = [e for rx, e in self._wild_hosts if rx.fullmatch(h)]
        if not cands:
            return None
        cands.sort(key=lambda e: -len(e.path_prefix))
        for e in cands:
            if not e.path_prefix or path == e.path_prefix or path.startswith(e.path_prefix.rstrip("/") + "/"):
                return e
        return None

    def host_literals(self) -> tuple[str, ...]:
        """Lower-cased literal parts of every endpoint host, for keyword prefilters: exact hosts as is,
        wildcard hosts by their longest run without ``*`` (``bedrock-runtime.*.amazonaws.com`` ->
        "bedrock-runtime", ``*-aiplatform.googleapis.com`` -> "aiplatform.googleapis.com"). Sorted, unique."""
        out: set[str] = set()
        for e in self.endpoints:
            parts = [p.strip(".-") for p in e.host.lower().split("*")]
            out.add(max(parts, key=len))
        return tuple(sorted(p for p in out if p))

    def match_package(self, ecosystem: str, name: str) -> PackageEntry | None:
        """The package entry for a declared dependency. Extras are ignored (``volcengine-python-sdk[ark]``).
        Umbrella packages (``requires_module``) are returned too: see :meth:`package_counts`."""
        base = name.strip().split("[", 1)[0].strip()
        return self._pkg.get((ecosystem, _norm_pkg(ecosystem, base)))

    def match_import(self, module: str) -> PackageEntry | None:
        """The package for an imported module path (longest import prefix wins); an umbrella package only
        when one of its ``requires_module`` is a path component (``tencentcloud.asr.v20190614``)."""
        for imp, p in self._imports:
            if module == imp or module.startswith(imp + ".") or module.startswith(imp + "/"):
                needs = p.required_modules
                if needs and not any(_has_component(module, r) for r in needs):
                    continue
                return p
        return None

    @staticmethod
    def package_counts(entry: PackageEntry, modules: Iterable[str]) -> bool:
        """Does a package count, given the modules imported with it (an umbrella SDK needs one of its)?"""
        if entry.requires_module is None:
            return True
        return any(_has_component(m, r) for m in modules for r in entry.required_modules)

    def match_class(self, name: str) -> ClassEntry | None:
        return self.classes.get(name)

    def match_env_key(self, key: str) -> EnvKeyEntry | None:
        return self.env_keys.get(key.upper())

    def match_model(
        self, ref: str, *, in_model_context: bool = True, router: str | None = None
    ) -> ModelMatch | None:
        """Memoised :meth:`_match_model` (the catalog is immutable once loaded; ModelMatch is frozen). The
        memo is bounded: it is emptied when it reaches ``_MEMO_MAX`` entries."""
        key = (ref, in_model_context, router)
        try:
            return self._memo[key]
        except KeyError:
            pass
        if len(self._memo) >= _MEMO_MAX:
            self._memo.clear()
        m = self._memo[key] = self._match_model(ref, in_model_context=in_model_context, router=router)
        return m

    def _match_model(
        self, ref: str, *, in_model_context: bool = True, router: str | None = None
    ) -> ModelMatch | None:
        """Match a model reference: API ID, HF ``org/name``, Ollama ``name:tag`` or ``ns/name:tag``, or a
        router-prefixed ID (``deepseek/deepseek-chat``, ``us.deepseek.r1-v1:0``, ``openrouter/qwen/...``).

        ``in_model_context`` is False for free text: families marked ``context_only`` then never match.
        ``router`` (e.g. "litellm", "openrouter", "bedrock") says which router the ID was passed to: only that
        router's prefixes apply first. Without it, an ``org/`` that is a Hugging Face organisation
        (``Qwen/...``) is read as an HF ID, not as an OpenRouter slug.
        """
        raw = ref.strip().strip("\"'")
        if not raw or len(raw) > 200:
            return None
        chain: list[RouterPrefixEntry] = []
        want = router
        rest = raw
        for _ in range(3):
            r = self._router_prefix(rest, want)
            if r is None:
                break
            chain.append(r)
            rest = rest[len(r.prefix) :]
            if not r.passthrough:
                break
            want = r.inner_router
        if not chain:
            return self._match_bare(raw, in_model_context)
        outer = chain[0]
        last = chain[-1]
        m = self._match_routed(rest, in_model_context)
        if m is not None:
            return ModelMatch(m.family, m.producer, m.normalized, "router-prefix", outer, tuple(chain))
        if last.passthrough:
            return None
        bare = TAG.sub("", rest.lower())
        return ModelMatch(None, self.producers[last.producer], bare, "router-prefix", outer, tuple(chain))

    def _router_prefix(self, ref: str, router: str | None) -> RouterPrefixEntry | None:
        low = ref.lower()
        if router is None and "/" in low:
            org = low.split("/", 1)[0]
            if org in self._hf_orgs:
                return None
        for prefix, r in self._prefix_index.get(low[:1], ()):
            if router is not None and r.router != router:
                continue
            if low.startswith(prefix) and len(low) > len(prefix):
                return r
        if router is not None:
            return self._router_prefix(ref, None)
        return None

    def _match_routed(self, rest: str, in_model_context: bool) -> ModelMatch | None:
        low = TAG.sub("", rest.lower())
        fam = self._fam_router.first(low)
        if fam is not None:
            return ModelMatch(fam, self.producers[fam.producer], low, "name")
        return self._match_bare(rest, in_model_context)

    def _match_bare(self, raw: str, in_model_context: bool) -> ModelMatch | None:
        low = TAG.sub("", raw.lower())
        if "/" in low:
            org, _, name = low.rpartition("/")
            org = org.rsplit("/", 1)[-1]
            hf_fam = self._fam_hf.first(f"{org}/{name}")
            if hf_fam is not None:
                return ModelMatch(hf_fam, self.producers[hf_fam.producer], f"{org}/{name}", "hf-id")
            if org in self._hf_orgs:
                org_fam = self._family_by_name(name, True)
                if org_fam is not None and org_fam.producer != self._hf_orgs[org].id:
                    org_fam = None  # e.g. "deepseek-ai/..." names are never another producer's family
                return ModelMatch(org_fam, self._hf_orgs[org], f"{org}/{name}", "hf-org")
            # community namespace (ollama "someone/bge-large-zh-v1.5"): match the part after the slash
            ns_fam = self._family_by_name(name, in_model_context)
            if ns_fam is not None:
                return ModelMatch(ns_fam, self.producers[ns_fam.producer], name, "name")
            return None
        if raw.lower() != low:  # had an ollama-style :tag
            tag_fam = self._fam_ollama.get(low)
            if tag_fam is not None:
                tag = raw.lower()[len(low) + 1 :]
                sub = self._families.get(tag_fam.ollama_tags.get(tag, ""))
                if sub is not None:
                    tag_fam = sub
                return ModelMatch(tag_fam, self.producers[tag_fam.producer], low, "ollama")
        fam = self._family_by_name(low, in_model_context)
        if fam is not None:
            return ModelMatch(fam, self.producers[fam.producer], low, "name")
        return None

    def _family_by_name(self, name: str, in_model_context: bool) -> ModelFamilyEntry | None:
        fam = (self._fam_name if in_model_context else self._fam_name_free).first(name)
        if fam is not None:
            return fam
        ofam = self._fam_ollama.get(name)
        if ofam is not None and (in_model_context or not ofam.context_only):
            return ofam
        return None

    def family(self, fid: str) -> ModelFamilyEntry | None:
        return self._families.get(fid)

    def router_prefix(self, key: str) -> RouterPrefixEntry | None:
        """The router prefix entry for a ``"<router>:<prefix>"`` key (as in Evidence refs["router"])."""
        router, sep, prefix = key.partition(":")
        if not sep:
            return None
        for r in self.router_prefixes:
            if r.router == router and r.prefix.lower() == prefix.lower():
                return r
        return None

    def trap(self, term: str) -> TrapEntry | None:
        """The trap entry for a term (case-insensitive), if the term is a known false positive."""
        t = term.strip().lower()
        for tr in self.traps:
            if tr.term.lower() == t:
                return tr
        return None

    def sections(self) -> dict[str, list[Entry]]:
        """Every section by name (see :data:`SECTIONS`), entries in catalog order."""
        return {
            "producers": list(self.producers.values()),
            "endpoints": list(self.endpoints),
            "packages": list(self.packages),
            "classes": list(self.classes.values()),
            "router_prefixes": list(self.router_prefixes),
            "env_keys": list(self.env_keys.values()),
            "models": list(self.models),
            "traps": list(self.traps),
        }

    def search(self, text: str) -> list[tuple[str, Entry]]:
        """Entries whose identifying fields contain ``text`` (case-insensitive): (section, entry) pairs."""
        t = text.lower()
        out: list[tuple[str, Entry]] = []
        for section, entries in self.sections().items():
            for e in entries:
                blob = " ".join(str(v) for v in e.model_dump(exclude={"sources"}).values()).lower()
                if t in blob:
                    out.append((section, e))
        return out


def entry_key(section: str, entry: Entry) -> str:
    """The identifying key of an entry in its section (host, ecosystem:name, router:prefix, id ...)."""
    if isinstance(entry, ProducerEntry | ModelFamilyEntry):
        return entry.id
    if isinstance(entry, EndpointEntry):
        return entry.host + entry.path_prefix
    if isinstance(entry, PackageEntry):
        return f"{entry.ecosystem}:{entry.name}"
    if isinstance(entry, ClassEntry | EnvKeyEntry):
        return entry.name
    if isinstance(entry, RouterPrefixEntry):
        return f"{entry.router}:{entry.prefix}"
    if isinstance(entry, TrapEntry):
        return entry.term
    return section


def _has_component(module: str, component: str) -> bool:
    return component.lower() in re.split(r"[./:]", module.lower())


def _norm_pkg(ecosystem: str, name: str) -> str:
    if ecosystem == "pypi":
        return re.sub(r"[-_.]+", "-", name).lower()
    return name.lower()


def _load_file(path: Path | Any) -> CatalogFile:
    name = getattr(path, "name", str(path))
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogError(f"catalog: cannot read {name}: {exc}") from exc
    try:
        return CatalogFile.model_validate(data)
    except ValidationError as exc:
        raise CatalogError(f"catalog: invalid {name}: {exc}") from exc


def load_catalog(directory: Path | None = None) -> Catalog:
    """Load every ``*.yaml`` in the catalog data directory (the packaged one by default)."""
    if directory is not None:
        paths: list[Any] = sorted(directory.glob("*.yaml"))
    else:
        base = resources.files("tierguard.catalog") / "data"
        paths = sorted((p for p in base.iterdir() if p.name.endswith(".yaml")), key=lambda p: p.name)
    return Catalog([_load_file(p) for p in paths])
