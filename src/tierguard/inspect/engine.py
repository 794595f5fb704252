"""Inspect stage engine: format by content, stream pickles (raw, PyTorch zip/legacy, joblib, object .npy,
inside zip/7z/tar, nested), judge imports with a default-deny allowlist, fail closed.

``inspect_target(resolver, *, on_file=None) -> InspectOutput`` is the stage API.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tierguard.inspect.imports import judge
from tierguard.inspect.interface import InspectOutput
from tierguard.inspect.pickle_walk import looks_like_pickle_start, walk_stream
from tierguard.inspect.rules import RULES
from tierguard.inspect.streams import (
    BytesSource,
    CrcRangeStream,
    InflateStream,
    RandomSource,
    RangeStream,
    ResolverSource,
    SliceSource,
    Stream,
)
from tierguard.inspect.zipread import ZipMember, read_members
from tierguard.model import Finding, Inspection, Location, Skipped
from tierguard.targets.interface import FileRef, Resolver
from tierguard.targets.sniff import SNIFF_BYTES, sniff

MAX_DEPTH = 4
MAX_NESTED_INMEM = 64 * 1024 * 1024
MAX_STREAMS = 64
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
_NOT_MODEL = frozenset({"png", "jpeg", "pdf", "elf", "text", "json", "empty"})


@dataclass(slots=True)
class _Artifact:
    path: str
    findings: list[Finding] = field(default_factory=list)
    incomplete: list[str] = field(default_factory=list)
    not_inspected: list[str] = field(default_factory=list)
    inspected_units: int = 0
    seen: set[tuple[str, str, str]] = field(default_factory=set)

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
                attributes={"subject": subject, **attrs},
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
    """Walk consecutive pickle streams from ``s`` (PyTorch legacy files stack several)."""
    n = 0
    while n < MAX_STREAMS:
        start = s.pos
        res = walk_stream(s, size)
        n += 1
        sname = _stream_name(art.path, member, n)
        judged: set[tuple[bool, str | None, str | None]] = set()
        for imp in res.imports:
            # a finding is kept once per (rule, member, subject), at its first offset; the rule follows
            # from (resolved?, module, name), so later imports of the same global add nothing
            ikey = (not imp.why, imp.module, imp.name)
            if ikey in judged:
                continue
            judged.add(ikey)
            where = {"offset": str(imp.offset), "stream": sname, "opcode": imp.opcode}
            if imp.why:
                subj = f"{imp.module or '<unresolved>'}.{imp.name or '<unresolved>'}"
                art.add(
                    "TG-PKL-003",
                    f"unresolved import at byte {imp.offset} ({imp.why}) in {sname}",
                    member,
                    subj,
                    **where,
                )
                continue
            mod, nm = imp.module or "", imp.name or ""
            verdict = judge(mod, nm)
            subj = f"{mod}.{nm}"
            if verdict == "dangerous":
                art.add(
                    "TG-PKL-001",
                    f"dangerous import {subj} at byte {imp.offset} in {sname}",
                    member,
                    subj,
                    **where,
                )
            elif verdict == "suspicious":
                art.add(
                    "TG-PKL-002",
                    f"non-allowlisted import {subj} at byte {imp.offset} in {sname}",
                    member,
                    subj,
                    **where,
                )
        for off, why in res.frame_issues:
            art.add("TG-PKL-005", f"{why} in {sname}", member, f"frame@{off}", offset=str(off), stream=sname)
        if not res.complete:
            if n > 1 and res.opcodes <= 1 and not res.imports:
                break  # trailing non-pickle data (e.g. legacy torch storages)
            if n == 1 and res.opcodes <= 1 and not res.imports:
                art.not_inspected.append(f"not a pickle ({res.error})")
                return
            art.add(
                "TG-PKL-004",
                f"{res.error} at byte {res.error_offset} in {sname}; the rest was not inspected",
                member,
                f"corrupt@{res.error_offset}",
                offset=str(res.error_offset),
                stream=sname,
            )
            art.incomplete.append(f"{sname}: {res.error} at byte {res.error_offset}")
            art.inspected_units += 1
            return
        art.inspected_units += 1
        if not multi:
            return
        nxt = s.peek(64)
        if not nxt:
            return
        if nxt[0] == 0x80:
            if not looks_like_pickle_start(nxt[:2]):
                return
        elif res.protocol >= 2 or sniff(nxt, "") != "pickle-text":
            return
        if s.pos == start:
            return


def _is_pickle_fmt(fmt: str) -> bool:
    return fmt in ("pickle", "pickle-text")


def inspect_source(art: _Artifact, src: RandomSource, name: str, member: str | None, depth: int) -> str:
    """Inspect one byte source (a file or a container member). Returns the sniffed format."""
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
    if fmt == "zip":
        if depth >= MAX_DEPTH:
            art.not_inspected.append(f"{member or art.path}: nested archive deeper than {MAX_DEPTH}")
            art.add("TG-ZIP-005", "nested archive too deep", member, f"depth@{member}")
            return fmt
        scan_zip(art, src, member, depth)
        return fmt
    if fmt == "7z":
        scan_7z(art, src, member, depth)
        return fmt
    if fmt == "tar":
        scan_tar(art, src, member, depth)
        return fmt
    if fmt == "numpy":
        scan_npy(art, src, member)
        return fmt
    if fmt in ("gzip", "bzip2", "xz", "zstd"):
        art.not_inspected.append(f"{member or art.path}: {fmt}-compressed content is not decompressed")
        art.add("TG-ZIP-005", f"{fmt}-compressed content was not inspected", member, f"{fmt}@{member}")
        return fmt
    if fmt == "hdf5":
        art.not_inspected.append("HDF5 (Keras .h5) attributes are not parsed: Lambda layers not checked")
        return fmt
    if fmt == "gguf":
        from tierguard.inspect.formats import scan_gguf

        scan_gguf(art, src, member)
        return fmt
    if fmt == "safetensors":
        art.inspected_units += 1  # data only by design: header JSON + raw tensors
        return fmt
    if fmt == "json" and low.rsplit("/", 1)[-1] in ("config.json",) and member is not None:
        from tierguard.inspect.formats import scan_keras_config

        scan_keras_config(art, src.read(0, min(src.size, MAX_CONFIG)), member)
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


def _member_source(art: _Artifact, src: RandomSource, m: ZipMember, label: str) -> RandomSource | None:
    if m.method == 0:
        return SliceSource(src, m.data_offset, m.csize)
    if m.method == 8 and m.usize <= MAX_NESTED_INMEM:
        st = InflateStream(src, m.data_offset, m.csize)
        data = st.read(m.usize)
        if st.truncated:
            art.incomplete.append(f"{label}: deflate stream truncated")
        return BytesSource(data)
    art.not_inspected.append(f"{label}: compression method {m.method} not supported for nested content")
    art.add("TG-ZIP-005", f"member {label} uses compression method {m.method}", label, f"method@{label}")
    return None


def scan_zip(art: _Artifact, src: RandomSource, parent: str | None, depth: int) -> None:
    members, problems = read_members(src)
    for p in problems:
        art.incomplete.append(f"{parent or art.path}: {p}")
        art.add("TG-ZIP-005", p, parent, f"zip:{p}")
    names = {m.name for m in members}
    is_torch = any(n.endswith("data.pkl") for n in names)
    for m in members:
        label = f"{parent}!{m.name}" if parent else m.name
        if m.name.endswith("/"):
            continue
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
                continue
        if m.flags & 0x60:
            art.add(
                "TG-ZIP-004", f"member {label} has flag bits 0x{m.flags & 0x60:x}", label, f"flags@{label}"
            )
        if is_torch and _TENSOR_MEMBER.search(m.name):
            continue  # raw tensor storage bytes: never unpickled by loaders, not read
        encrypted = bool(m.flags & 0x1)
        if m.method == 0:
            head = src.read(m.data_offset, min(64, m.csize))
        elif m.method == 8:
            head = InflateStream(src, m.data_offset, m.csize).read(64)
        else:
            art.not_inspected.append(f"{label}: compression method {m.method} not supported")
            art.add(
                "TG-ZIP-005", f"member {label} uses compression method {m.method}", label, f"method@{label}"
            )
            continue
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
            continue
        if encrypted:
            art.add(
                "TG-ZIP-004",
                f"member {label} has the encryption flag but plaintext content (scanner evasion)",
                label,
                f"flags@{label}",
            )
        if not wants:
            continue
        if _is_pickle_fmt(inner) or (lowname.endswith(_PICKLE_NAMES) and inner in ("unknown", "text")):
            if m.method == 0:
                stream: Stream = CrcRangeStream(src, m.data_offset, m.data_offset + m.csize)
            else:
                stream = InflateStream(src, m.data_offset, m.csize)
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
            if not crc_ok:
                art.add("TG-ZIP-003", f"CRC mismatch for member {label}", label, f"crc@{label}")
            continue
        sub = _member_source(art, src, m, label)
        if sub is None:
            continue
        if lowname.endswith(".py") or lowname.rsplit("/", 1)[-1] in CONFIG_NAMES:
            from tierguard.inspect.formats import scan_keras_config

            if lowname.endswith("config.json"):
                scan_keras_config(art, sub.read(0, min(sub.size, MAX_CONFIG)), label)
            continue
        inspect_source(art, sub, m.name, label, depth + 1)
    if not members and not problems:
        art.inspected_units += 1


class _SourceFile(io.RawIOBase):
    def __init__(self, src: RandomSource) -> None:
        self._src = src
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, off: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._pos, 2: self._src.size}[whence]
        self._pos = max(0, base + off)
        return self._pos

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._src.read(self._pos, len(b))
        n = len(data)
        b[:n] = data
        self._pos += n
        return n


def scan_tar(art: _Artifact, src: RandomSource, parent: str | None, depth: int) -> None:
    import tarfile  # only tar archives need it

    try:
        with tarfile.open(fileobj=io.BufferedReader(_SourceFile(src)), mode="r:") as tf:
            for ti in tf:
                if not ti.isfile():
                    continue
                label = f"{parent}!{ti.name}" if parent else ti.name
                sub = SliceSource(src, ti.offset_data, ti.size)
                inspect_source(art, sub, ti.name, label, depth + 1)
    except (tarfile.TarError, OSError, EOFError) as exc:
        art.incomplete.append(f"{parent or art.path}: tar error: {exc}")
        art.add("TG-ZIP-005", f"tar archive unreadable: {exc}", parent, f"tar@{parent}")


def scan_7z(art: _Artifact, src: RandomSource, parent: str | None, depth: int) -> None:
    label = parent or art.path
    try:
        import py7zr
    except ImportError:
        art.not_inspected.append(f"{label}: 7z archive (py7zr not installed)")
        art.add("TG-ZIP-005", "7z archive not inspected: py7zr is not installed", parent, f"7z@{label}")
        return
    try:
        with py7zr.SevenZipFile(io.BufferedReader(_SourceFile(src)), mode="r") as z:
            if z.needs_password():
                art.not_inspected.append(f"{label}: encrypted 7z archive")
                art.add("TG-ZIP-001", "encrypted 7z archive was not inspected", parent, f"encrypted@{label}")
                return
            infos = [i for i in z.list() if not i.is_directory]
            if sum(i.uncompressed for i in infos) > MAX_NESTED_INMEM:
                art.not_inspected.append(f"{label}: 7z content larger than {MAX_NESTED_INMEM} bytes")
                art.add("TG-ZIP-005", "7z archive too large to inspect in memory", parent, f"7zsize@{label}")
                return
            out = _collect_7z(z)
    except Exception as exc:  # py7zr raises many types on corrupt input  # noqa: BLE001
        art.incomplete.append(f"{label}: 7z error: {exc}")
        art.add("TG-ZIP-005", f"7z archive unreadable: {exc}", parent, f"7z@{label}")
        return
    for name, data in out.items():
        inspect_source(art, BytesSource(data), name, f"{parent}!{name}" if parent else name, depth + 1)


def _collect_7z(z: Any) -> dict[str, bytes]:
    """Extract a (size-checked) 7z archive into memory through py7zr's writer factory."""
    import py7zr.io

    fac = py7zr.io.BytesIOFactory(MAX_NESTED_INMEM)
    names = [i.filename for i in z.list() if not i.is_directory]
    z.extract(targets=names, factory=fac)
    out: dict[str, bytes] = {}
    for k in names:
        f = fac.products.get(k)
        if f is not None:
            f.seek(0)
            out[k] = f.read()
    return out


def scan_npy(art: _Artifact, src: RandomSource, member: str | None) -> None:
    head = src.read(0, 4096)
    if len(head) < 10:
        art.incomplete.append(f"{member or art.path}: truncated .npy header")
        return
    major = head[6]
    if major == 1:
        hlen = int.from_bytes(head[8:10], "little")
        start = 10
    else:
        hlen = int.from_bytes(head[8:12], "little")
        start = 12
    if start + hlen > src.size:
        art.incomplete.append(f"{member or art.path}: .npy header length exceeds the file")
        return
    header = src.read(start, hlen).decode("latin-1", "replace")
    m = re.search(r"'descr'\s*:\s*'([^']*)'", header)
    if m is None and "'descr'" in header:
        # structured dtype (list of fields): may contain objects
        obj = "'O'" in header or "|O" in header
    else:
        obj = m is not None and m.group(1).lstrip("|<>=") == "O"
    art.inspected_units += 1
    if obj:
        scan_pickles(art, RangeStream(src, start + hlen), src.size, member, multi=False)


def _artifact_candidate(ref: FileRef, fmt: str) -> bool:
    low = ref.logical_path.lower()
    base = low.rsplit("/", 1)[-1]
    if fmt in ("pickle", "pickle-text", "zip", "7z", "tar", "numpy", "gguf", "hdf5", "safetensors"):
        return not (fmt == "zip" and low.endswith((".whl", ".jar", ".docx", ".xlsx", ".apk")))
    if base in CONFIG_NAMES:
        return True
    return low.endswith(MODEL_EXTS)


def inspect_file(
    resolver: Resolver, ref: FileRef, index: dict[str, FileRef] | None = None, kind: str | None = None
) -> tuple[Inspection, list[Finding]] | None:
    """Inspect one file of a target; None when it is not a model artifact or config. ``index`` (path ->
    FileRef of the target) lets config checks find the remote-code modules they reference. ``kind``:
    ``sniff`` of the file's first SNIFF_BYTES bytes when an earlier stage already computed it (a file that
    is no candidate is then not read again)."""
    if kind is not None and not _artifact_candidate(ref, kind):
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
    if not _artifact_candidate(ref, fmt):
        return None
    art = _Artifact(ref.path)
    src = ResolverSource(resolver, ref)
    base = ref.name.lower()
    try:
        if base in CONFIG_NAMES and fmt == "json":
            from tierguard.inspect.formats import scan_hf_config

            scan_hf_config(art, resolver, ref, src.read(0, min(src.size, MAX_CONFIG)), index)
            if not art.findings and not art.incomplete:
                return None  # an ordinary config: nothing to report
            fmt = "hf-config"
        else:
            fmt = inspect_source(art, src, ref.logical_path, ref.member, 0)
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
    """The resolver ``tierguard inspect`` uses: a single file (archives included) is inspected as one
    artifact with this stage's own container readers; a directory goes through ``open_target``."""
    p = Path(path)
    if p.is_file() and not p.is_symlink():
        from tierguard.targets.directory import DirectoryResolver

        return DirectoryResolver(p, include_ignored=True)
    from tierguard.targets.open import open_target  # directories, archives, environments

    return open_target(p, include_ignored=True)


def inspect_target(
    resolver: Resolver,
    *,
    on_file: Callable[[str], None] | None = None,
    kinds: Mapping[tuple[str, str | None], str] | None = None,
) -> InspectOutput:
    """Inspect every model artifact (by content) and model config in the target. ``kinds`` maps
    (path, member) to the sniffed format of files an earlier stage already read (see inspect_file)."""
    out = InspectOutput()
    refs = list(resolver.files())
    index = {r.path: r for r in refs if r.member is None}
    for ref in refs:
        if on_file is not None:
            on_file(ref.logical_path)
        try:
            kind = kinds.get((ref.path, ref.member)) if kinds is not None else None
            got = inspect_file(resolver, ref, index, kind)
        except Exception as exc:  # one broken file is an outcome, never a crash  # noqa: BLE001
            out.skipped.append(Skipped(path=ref.path, reason="malformed", detail=f"inspect: {exc!r}"))
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
