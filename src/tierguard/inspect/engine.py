"""Inspect stage engine: format by content, stream pickles (raw, PyTorch zip/legacy, joblib, object .npy),
judge imports with a default-deny allowlist, fail closed.

Archives (wheels, zip, tar, tar.gz, 7z, nested) are expanded by the resolver (``targets.archive``): their
members are inspected as files of the listing, and the archive itself gets a structure check (zip local vs
central names, flags, encryption, CRC) plus whatever the expansion could not read. Model-format zips
(PyTorch, Keras, npz) are one artifact, walked here. An archive the resolver did not expand is never clean.

``inspect_target(resolver, *, on_file=None, kinds=None, containers=None) -> InspectOutput`` is the stage API.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tierguard.formats.numpy import read_npy_header
from tierguard.formats.pickle import StreamResult, WalkBudget, looks_like_pickle_start, walk_stream
from tierguard.formats.pickle_ops import OPS
from tierguard.formats.source import (
    CrcRangeStream,
    FileSource,
    Incomplete,
    InflateStream,
    RandomSource,
    RangeStream,
    SliceSource,
    SourceReader,
    Stream,
)
from tierguard.formats.zip import MemberSource, ZipMember, read_zip, zip_kind
from tierguard.inspect.imports import explain
from tierguard.inspect.interface import InspectOutput
from tierguard.inspect.rules import RULES
from tierguard.model import Finding, Inspection, Location, Skipped
from tierguard.targets.archive import MODEL_CONTAINERS, ContainerInfo, ExpandedResolver
from tierguard.targets.interface import FileRef, Resolver
from tierguard.targets.sniff import SNIFF_BYTES, sniff

MAX_DEPTH = 4
MAX_NESTED_INMEM = 64 * 1024 * 1024
MAX_CONFIG = 8 * 1024 * 1024
MODEL_EXTS = (
    ".pt", ".pth", ".bin", ".ckpt", ".pkl", ".pickle", ".joblib", ".npy", ".npz", ".h5", ".hdf5", ".keras",
    ".onnx", ".gguf", ".safetensors", ".dat", ".data", ".model", ".mar", ".pb", ".7z", ".zip", ".tar",
)  # fmt: skip
CONFIG_NAMES = frozenset(
    {"config.json", "tokenizer_config.json", "preprocessor_config.json", "processor_config.json",
     "feature_extractor_config.json", "image_processor_config.json", "video_preprocessor_config.json"}
)  # fmt: skip
_TENSOR_MEMBER = re.compile(r"(^|/)data/\d+$")
_PICKLE_NAMES = (".pkl", ".pickle", ".joblib")
_TORCH_NAMES = (".pt", ".pth", ".ckpt", ".bin")
_NOT_MODEL = frozenset({"png", "jpeg", "pdf", "elf", "text", "json", "empty"})


@dataclass(slots=True)
class _Artifact:
    path: str
    findings: list[Finding] = field(default_factory=list)
    incomplete: list[str] = field(default_factory=list)
    not_inspected: list[str] = field(default_factory=list)
    inspected_units: int = 0
    seen: set[tuple[str, str, str]] = field(default_factory=set)
    pickle_budget: WalkBudget | None = None  # shared by every pickle stream of the artifact

    def add(self, rule: str, message: str, member: str | None, subject: str, **attrs: str) -> None:
        key = (rule, member or "", subject)
        if key in self.seen:
            return
        self.seen.add(key)
        info = RULES[rule]
        self.findings.append(
            Finding(
                rule_id=rule,
                severity=info.severity,
                message=message,
                location=Location(path=self.path, member=member),
                subject=subject,
                attributes=attrs,
            )
        )

    def status(self) -> tuple[str, str]:
        if self.not_inspected and not self.inspected_units:
            return "not-inspected", "; ".join(self.not_inspected)
        reasons = self.incomplete + self.not_inspected
        if reasons:
            return "incomplete", "; ".join(reasons)
        if any(f.severity != "info" for f in self.findings):
            return "findings", ""
        return "clean", ""


def _stream_name(path: str, member: str | None, n: int) -> str:
    return f"{path}!{member}#pickle-{n}" if member else f"{path}#pickle-{n}"


def scan_pickles(art: _Artifact, s: Stream, size: int, member: str | None, *, multi: bool = True) -> None:
    """Walk every pickle stream stacked in ``s`` (PyTorch legacy files stack five; a loader that calls
    ``pickle.load`` in a loop runs them all) to the end of the pickle data, within the artifact's byte and
    time budget (formats.pickle.WalkBudget): beyond it, or on a corrupt, truncated or broken-memo stream,
    the artifact is incomplete with the reason, never clean."""
    if art.pickle_budget is None:
        art.pickle_budget = WalkBudget.start()
    budget = art.pickle_budget
    n = 0
    while True:
        start = s.pos
        if budget.exhausted:
            nxt_name = _stream_name(art.path, member, n + 1)
            art.incomplete.append(f"{nxt_name} and after: {budget.exhausted}; not inspected")
            return
        res = walk_stream(s, size, budget=budget)
        n += 1
        sname = _stream_name(art.path, member, n)
        _judge_stream(art, res, sname, member)
        if res.budget:
            art.incomplete.append(f"{sname}: {res.budget} at byte {res.error_offset}; the rest not inspected")
            art.inspected_units += 1
            return
        if not res.complete:
            if n > 1 and not res.imports and not res.mutations and not (res.protocol and res.opcodes > 1):
                return  # trailing data that is no pickle (legacy torch storages): nothing a loader imports
            if n == 1 and res.opcodes <= 1 and not res.imports:
                art.not_inspected.append(f"not a pickle ({res.error})")
                return
            _broken(art, sname, member, res.error, res.error_offset)
            art.inspected_units += 1
            return
        art.inspected_units += 1
        if res.memo_errors:
            off, key = res.memo_errors[0]
            why = f"memo reference to index {key}, never stored ({len(res.memo_errors)} such): a loader fails"
            _broken(art, sname, member, why, off)
        nxt = s.peek(2)
        if not multi or not nxt or s.pos == start or nxt[0] not in OPS:
            return  # end of data, or what follows cannot start a pickle


def _broken(art: _Artifact, sname: str, member: str | None, why: str, offset: int) -> None:
    art.add(
        "TG-PKL-004",
        f"{why} at byte {offset} in {sname}; the rest was not inspected",
        member,
        f"corrupt@{offset}",
        offset=str(offset),
        stream=sname,
    )
    art.incomplete.append(f"{sname}: {why} at byte {offset}")


def _judge_stream(art: _Artifact, res: StreamResult, sname: str, member: str | None) -> None:
    """Findings for one walked stream: every distinct import judged once (a finding is kept once per rule,
    member and subject, at its first offset), BUILD on imported globals, FRAME issues."""
    judged: set[tuple[bool, str | None, str | None]] = set()
    for imp in res.imports:
        ikey = (not imp.why, imp.module, imp.name)
        if ikey in judged:
            continue
        judged.add(ikey)
        where = {"offset": str(imp.offset), "stream": sname, "opcode": imp.opcode}
        if imp.why:
            subj = f"{imp.module or '<unresolved>'}.{imp.name or '<unresolved>'}"
            msg = f"unresolved import at byte {imp.offset} ({imp.why}) in {sname}"
            art.add("TG-PKL-003", msg, member, subj, **where)
            continue
        mod, nm = imp.module or "", imp.name or ""
        j = explain(mod, nm)
        subj = f"{mod}.{nm}" if nm else mod
        via = f" (reaches {j.reaches})" if j.reaches not in (subj, f"builtins.{nm}") else ""
        if j.verdict == "dangerous":
            msg = f"dangerous import {subj}{via} at byte {imp.offset} in {sname}"
            art.add("TG-PKL-001", msg, member, subj, reaches=j.reaches, source=j.source[:300], **where)
        elif j.verdict == "suspicious":
            msg = f"non-allowlisted import {subj} at byte {imp.offset} in {sname}: loading it calls it"
            art.add("TG-PKL-002", msg, member, subj, **where)
    for off, target in res.mutations:
        msg = f"BUILD sets attributes on the imported global {target} at byte {off} in {sname}"
        art.add("TG-PKL-007", msg, member, f"build@{target}", offset=str(off), stream=sname)
    for off, why in res.frame_issues:
        art.add("TG-PKL-005", f"{why} in {sname}", member, f"frame@{off}", offset=str(off), stream=sname)


def _is_pickle_fmt(fmt: str) -> bool:
    return fmt in ("pickle", "pickle-text")


def inspect_source(
    art: _Artifact,
    src: RandomSource,
    name: str,
    member: str | None,
    depth: int,
    container: ContainerInfo | None = None,
) -> str:
    """Inspect one byte source: a listed file (``depth`` 0; ``container`` is the resolver's expansion of it
    when it is an archive) or a member of a model-format zip (``depth`` > 0). Returns the sniffed format."""
    head = src.read(0, 4096)
    fmt = sniff(head, name)
    low = name.lower()
    if (
        fmt == "pickle-text"
        or fmt == "pickle"
        or (fmt in ("unknown", "text") and low.endswith(_PICKLE_NAMES))
    ):
        scan_pickles(art, RangeStream(src), src.size, member)
        return "pickle" if fmt == "unknown" else fmt
    if fmt == "zip" and depth == 0:
        scan_zip(art, src, member, container)
        return fmt
    if fmt in ("zip", "7z", "tar") or (fmt == "gzip" and container is not None):
        _archive(art, fmt, member, depth, container)
        return fmt
    if fmt == "numpy":
        scan_npy(art, src, member)
        return fmt
    if fmt in ("gzip", "bzip2", "xz", "zstd"):
        art.not_inspected.append(f"{member or art.path}: {fmt}-compressed content is not decompressed")
        art.add("TG-ZIP-005", f"{fmt}-compressed content was not inspected", member, f"{fmt}@{member}")
        return fmt
    if fmt == "hdf5":
        from tierguard.inspect.formats import scan_hdf5

        scan_hdf5(art, src, member)
        return fmt
    if fmt == "gguf":
        from tierguard.inspect.formats import scan_gguf

        scan_gguf(art, src, member)
        return fmt
    if fmt == "safetensors":
        scan_safetensors(art, src, member)
        return fmt
    if fmt == "json" and low.rsplit("/", 1)[-1] in ("config.json",) and member is not None:
        from tierguard.inspect.formats import scan_keras_config

        scan_keras_config(art, src.read(0, min(src.size, MAX_CONFIG)), member)
        return fmt
    if fmt == "empty" and low.endswith(_PICKLE_NAMES + _TORCH_NAMES):
        art.incomplete.append(f"{member or art.path}: empty file: nothing to inspect (a loader fails on it)")
        return fmt
    if fmt in _NOT_MODEL:
        art.inspected_units += 1
        return fmt
    if fmt == "onnx-or-protobuf" and low.endswith(".onnx"):
        from tierguard.inspect.formats import scan_onnx

        scan_onnx(art, src, member)
        return "onnx"
    # last resort for unrecognised content: could it be a pickle after all?
    if looks_like_pickle_start(head[:2]):
        scan_pickles(art, RangeStream(src), src.size, member)
        return "pickle"
    art.not_inspected.append(f"{member or art.path}: unrecognised content ({fmt})")
    return fmt


def _archive(
    art: _Artifact, fmt: str, member: str | None, depth: int, container: ContainerInfo | None
) -> None:
    """A tar / tar.gz / 7z (or a zip inside a model container): its members are the resolver's to list.
    Clean only when the resolver expanded it completely; never recursed into here."""
    label = member or art.path
    if depth > 0:
        art.not_inspected.append(f"{label}: archive inside a model container is not expanded")
        msg = f"{fmt} archive inside a model container was not inspected"
        art.add("TG-ZIP-005", msg, member, f"{fmt}@{label}")
        return
    if container is None or not container.expanded:
        why = "; ".join(container.problems) if container is not None else "not expanded by the resolver"
        art.not_inspected.append(f"{label}: {fmt} archive: {why}")
        if container is not None and any("encrypted" in p for p in container.problems):
            art.add("TG-ZIP-001", f"encrypted {fmt} archive was not inspected", member, f"encrypted@{label}")
        else:
            art.add("TG-ZIP-005", f"{fmt} archive unreadable: {why}"[:300], member, f"{fmt}@{label}")
        return
    art.inspected_units += 1  # the members are inspected as files of the listing
    for name, why in container.hidden:
        at = _member_label(member, name) if name else member
        art.add("TG-TAR-001", why, at, f"hidden@{name or why}"[:200])
    for p in container.problems:
        art.incomplete.append(f"{label}: {p}")
        art.add("TG-ZIP-005", f"{fmt} archive only partly read: {p}"[:300], member, f"{fmt}:{p}"[:200])


def _member_source(art: _Artifact, src: RandomSource, m: ZipMember, label: str) -> RandomSource | None:
    if m.method == 0:
        return SliceSource(src, m.data_offset, m.csize)
    if m.method == 8:  # inflated lazily, as far as the reader of the member goes (bounded; never held)
        if m.usize > MAX_NESTED_INMEM:
            art.incomplete.append(f"{label}: declared size {m.usize} over {MAX_NESTED_INMEM}: read that far")
        return MemberSource(src, m, MAX_NESTED_INMEM)
    art.not_inspected.append(f"{label}: compression method {m.method} not supported for nested content")
    art.add("TG-ZIP-005", f"member {label} uses compression method {m.method}", label, f"method@{label}")
    return None


def _member_label(parent: str | None, name: str) -> str:
    return f"{parent}!{name}" if parent else name


def scan_zip(art: _Artifact, src: RandomSource, parent: str | None, container: ContainerInfo | None) -> None:
    """A listed zip. Structure (names, flags, encryption, methods, CRC) is checked for every zip; a model
    container (PyTorch, Keras, npz) is one artifact whose pickles and configs are walked here; any other
    zip's members are files of the listing, inspected on their own (when the resolver expanded it)."""
    listing = read_zip(src)  # both views, reconciled: every member either names is walked below
    members, problems = listing.members, listing.problems
    for p in problems:
        art.incomplete.append(f"{parent or art.path}: {p}")
        art.add("TG-ZIP-005", p, parent, f"zip:{p}")
    for subject, message in listing.disagreements:
        art.add("TG-ZIP-006", message, parent, subject)
    names = [m.name for m in members]
    model = zip_kind(names) in MODEL_CONTAINERS
    if not model:
        if container is None or not container.expanded:
            why = "; ".join(container.problems) if container is not None else "not expanded by the resolver"
            art.incomplete.append(f"{parent or art.path}: members not inspected ({why})")
        else:
            where = parent or art.path
            art.incomplete.extend(f"{where}: {p}" for p in container.problems if p not in problems)
    is_torch = any(n.endswith("data.pkl") for n in names)
    for m in members:
        if m.is_dir:
            continue
        _zip_member(art, src, m, _member_label(parent, m.address), model, is_torch)
    if not members and not problems:
        art.inspected_units += 1


def _zip_member(
    art: _Artifact, src: RandomSource, m: ZipMember, label: str, model: bool, is_torch: bool
) -> None:
    if m.local_name is not None and m.local_name != m.name:
        art.add(
            "TG-ZIP-002",
            f"local header names {m.local_name!r}, central directory names {m.name!r}",
            label,
            f"{m.local_name}|{m.name}",
        )
    if m.problem:
        art.incomplete.append(f"{label}: {m.problem}")
        if m.data_offset < 0:
            return
    if m.flags & 0x60:
        art.add("TG-ZIP-004", f"member {label} has flag bits 0x{m.flags & 0x60:x}", label, f"flags@{label}")
    if is_torch and _TENSOR_MEMBER.search(m.name):
        return  # raw tensor storage bytes: never unpickled by loaders, not read
    encrypted = bool(m.flags & 0x1)
    if m.method == 0:
        head = src.read(m.data_offset, min(64, m.csize))
    elif m.method == 8:
        head = InflateStream(src, m.data_offset, m.csize, limit=64).read(64)
    else:
        art.not_inspected.append(f"{label}: compression method {m.method} not supported")
        art.add("TG-ZIP-005", f"member {label} uses compression method {m.method}", label, f"method@{label}")
        return
    inner = sniff(head, m.name)
    lowname = m.name.lower()
    wants = (
        _is_pickle_fmt(inner)
        or inner in ("zip", "7z", "tar", "numpy", "gguf", "hdf5")
        or lowname.endswith(_PICKLE_NAMES)
        or lowname.rsplit("/", 1)[-1] in CONFIG_NAMES
        or lowname.endswith(".py")
    )
    if encrypted and not (_is_pickle_fmt(inner) or inner in ("zip", "numpy")):
        art.not_inspected.append(f"{label}: encrypted member")
        art.add("TG-ZIP-001", f"encrypted member {label} was not inspected", label, f"encrypted@{label}")
        return
    if encrypted:
        art.add(
            "TG-ZIP-004",
            f"member {label} has the encryption flag but plaintext content (scanner evasion)",
            label,
            f"flags@{label}",
        )
    if not wants:
        return
    pickle_like = _is_pickle_fmt(inner) or (lowname.endswith(_PICKLE_NAMES) and inner in ("unknown", "text"))
    if pickle_like or not model:
        # a model container's pickles are walked here; any other zip's members are only CRC-checked (the
        # resolver lists them and they are inspected as files)
        _walk_and_crc(art, src, m, label, walk=model)
        return
    sub = _member_source(art, src, m, label)
    if sub is None:
        return
    try:
        if lowname.endswith(".py") or lowname.rsplit("/", 1)[-1] in CONFIG_NAMES:
            from tierguard.inspect.formats import scan_keras_config

            if lowname.endswith("config.json"):
                scan_keras_config(art, sub.read(0, min(sub.size, MAX_CONFIG)), label)
            return
        inspect_source(art, sub, m.name, label, 1)
    except Incomplete as exc:  # the member's data could not be read as far as its reader went
        art.incomplete.append(f"{label}: {exc}")


def _walk_and_crc(art: _Artifact, src: RandomSource, m: ZipMember, label: str, *, walk: bool) -> None:
    if m.method == 0:
        stream: Stream = CrcRangeStream(src, m.data_offset, m.data_offset + m.csize)
    else:
        stream = InflateStream(src, m.data_offset, m.csize, limit=max(m.usize, 1))
    if walk:
        scan_pickles(art, stream, max(m.usize, m.csize), label)
    crc_ok = True
    if isinstance(stream, CrcRangeStream) and stream.crc_valid:
        while stream.read(1 << 20):
            pass
        crc_ok = not stream.crc_valid or stream.crc == m.crc
    elif isinstance(stream, InflateStream):
        while stream.read(1 << 20):
            pass
        crc_ok = stream.truncated or stream.crc == m.crc
        if stream.truncated and stream.stopped:
            art.incomplete.append(f"{label}: {stream.stopped}")
    if not crc_ok:
        art.add("TG-ZIP-003", f"CRC mismatch for member {label}", label, f"crc@{label}")


def scan_npy(art: _Artifact, src: RandomSource, member: str | None) -> None:
    """A .npy: its header (formats.numpy); an object array's pickle, which follows the header, is walked."""
    try:
        hdr = read_npy_header(src)
    except Incomplete as exc:
        art.incomplete.append(f"{member or art.path}: {exc}")
        return
    art.inspected_units += 1
    if hdr.has_object:
        scan_pickles(art, RangeStream(src, hdr.data_offset), src.size, member, multi=False)


_ST_RULES = {"overflow": "TG-ST-001", "layout": "TG-ST-002", "header": "TG-ST-003"}


def scan_safetensors(art: _Artifact, src: RandomSource, member: str | None) -> None:
    """A safetensors file: data only by design, so clean exactly when its header checks out
    (formats.safetensors); a header that lies about the file is a finding, an unread one incomplete."""
    from tierguard.formats.safetensors import INSPECT_HEADER_LIMIT, check_safetensors

    label = member or art.path
    try:
        st = check_safetensors(SourceReader(src, INSPECT_HEADER_LIMIT + 8))
    except Incomplete as exc:
        art.incomplete.append(f"{label}: safetensors header: {exc}")
        return
    for p in st.problems:
        art.add(_ST_RULES[p.kind], p.detail, member, p.subject)
    if st.unread:
        art.incomplete.append(f"{label}: safetensors tensor table not read: {st.unread}")
        return
    if st.bad_descriptors:
        art.incomplete.append(f"{label}: {st.bad_descriptors} safetensors tensor descriptor(s) not read")
    art.inspected_units += 1


def _artifact_candidate(ref: FileRef, fmt: str) -> bool:
    low = ref.logical_path.lower()
    base = low.rsplit("/", 1)[-1]
    if fmt in ("pickle", "pickle-text", "zip", "7z", "tar", "numpy", "gguf", "hdf5", "safetensors"):
        return not (fmt == "zip" and low.endswith((".whl", ".jar", ".docx", ".xlsx", ".apk")))
    if base in CONFIG_NAMES:
        return True
    return low.endswith(MODEL_EXTS)


def inspect_file(
    resolver: Resolver,
    ref: FileRef,
    index: dict[str, FileRef] | None = None,
    kind: str | None = None,
    container: ContainerInfo | None = None,
) -> tuple[Inspection, list[Finding]] | None:
    """Inspect one file of a target; None when it is not a model artifact or config. ``index`` (path ->
    FileRef of the target) lets config checks find the remote-code modules they reference. ``kind``:
    ``sniff`` of the file's first SNIFF_BYTES bytes when an earlier stage already computed it (a file that
    is no candidate is then not read again). ``container``: the resolver's expansion of this file when it
    is an archive (an archive it could not read completely is always inspected, so never absent)."""
    forced = container is not None and bool(container.problems or container.hidden)
    if kind is not None and not forced and not _artifact_candidate(ref, kind):
        return None
    try:
        head = resolver.read_bytes(ref, SNIFF_BYTES)
    except OSError as exc:
        return (
            Inspection(location=Location(path=ref.path, member=ref.member), format="unknown",
                       status="not-inspected", reason=f"unreadable: {exc}"),
            [],
        )  # fmt: skip
    fmt = sniff(head, ref.name)
    if not forced and not _artifact_candidate(ref, fmt):
        return None
    art = _Artifact(ref.path)
    src = FileSource(resolver, ref)
    base = ref.name.lower()
    try:
        if base in CONFIG_NAMES and fmt == "json":
            from tierguard.inspect.formats import scan_hf_config

            scan_hf_config(art, resolver, ref, src.read(0, min(src.size, MAX_CONFIG)), index)
            if not art.findings and not art.incomplete:
                return None  # an ordinary config: nothing to report
            fmt = "hf-config"
        else:
            fmt = inspect_source(art, src, ref.logical_path, ref.member, 0, container)
    except OSError as exc:
        art.incomplete.append(f"read error: {exc}")
    finally:
        src.close()
    status, reason = art.status()
    ins = Inspection(
        location=Location(path=ref.path, member=ref.member),
        format=fmt,
        status=status,  # type: ignore[arg-type]
        reason=reason,
        bytes_read=src.bytes_read,
    )
    return ins, art.findings


def target_resolver(path: Path) -> Resolver:
    """The resolver ``tierguard inspect`` uses: the same as ``scan`` (``open_target``): a file, a directory
    or an archive, with every archive expanded by the resolver (members addressed ``path!member``)."""
    from tierguard.targets.open import open_target

    return open_target(Path(path), include_ignored=True)


def inspect_target(
    resolver: Resolver,
    *,
    on_file: Callable[[str], None] | None = None,
    kinds: Mapping[tuple[str, str | None], str] | None = None,
    containers: Mapping[str, ContainerInfo] | None = None,
) -> InspectOutput:
    """Inspect every model artifact (by content) and model config in the target. ``kinds`` maps
    (path, member) to the sniffed format of files an earlier stage already read (see inspect_file);
    ``containers`` maps an archive's display address to how the resolver expanded it (taken from the
    resolver when it is an :class:`ExpandedResolver`; without it no archive is reported clean)."""
    out = InspectOutput()
    refs = list(resolver.files())
    if containers is None and isinstance(resolver, ExpandedResolver):
        containers = resolver.containers
    index = {r.path: r for r in refs if r.member is None}
    for ref in refs:
        if on_file is not None:
            on_file(ref.logical_path)
        try:
            kind = kinds.get((ref.path, ref.member)) if kinds is not None else None
            container = containers.get(ref.display) if containers else None
            got = inspect_file(resolver, ref, index, kind, container)
        except Exception as exc:  # one broken file is an outcome, never a crash  # noqa: BLE001
            out.skipped.append(Skipped(path=ref.display, reason="malformed", detail=f"inspect: {exc!r}"))
            out.inspections.append(
                Inspection(location=Location(path=ref.path, member=ref.member), format="unknown",
                           status="incomplete", reason=f"inspector error: {exc!r}")
            )  # fmt: skip
            continue
        if got is None:
            continue
        ins, findings = got
        out.inspections.append(ins)
        out.findings.extend(findings)
    return out


__all__ = ["inspect_target", "inspect_file"]
