"""Containers expanded once, by the resolver: :class:`ExpandedResolver` lists every file of a target and,
for each archive among them (found by content: wheels and generic zips, tar, tar.gz/sdists, 7z), its members,
recursively (depth limit, in-memory byte budget), addressed as ``FileRef(path=<outer file>,
member="<member>[!<nested member>...]")``.

Model-format containers (a PyTorch zip checkpoint with ``data.pkl``, a ``.keras`` archive, an ``.npz``) stay
one artifact: listed, never expanded. Every container stays in the listing itself, so the inspect stage can
still check its structure; its expansion outcome is in :attr:`ExpandedResolver.containers`. An archive that
cannot be opened (or only partly) is never silently absent: it is a Skipped entry with the reason, and a
member whose bytes are not all available fails the reads that reach past what is available.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from tierguard.errors import TargetError
from tierguard.formats import zip as zipfmt
from tierguard.formats.inflate import GZIP, Inflater, inflate_all
from tierguard.formats.source import (
    BytesSource,
    FileSource,
    Incomplete,
    InflateStream,
    RandomSource,
    SliceSource,
)
from tierguard.model import Skipped
from tierguard.targets.interface import FileRef, Resolver
from tierguard.targets.sniff import SNIFF_BYTES, sniff

if TYPE_CHECKING:
    from tierguard.formats.tar import TarMember

MAX_DEPTH = 4  # containers inside containers, the outermost archive being depth 1
INMEM_BUDGET = 512 * 1024 * 1024  # bytes held in memory for all nested containers and tar.gz members
NESTED_INMEM = 64 * 1024 * 1024  # a compressed member that is itself an archive is inflated up to this
TAR_GZ_LIMIT = 1024 * 1024 * 1024  # an sdist / tar.gz is streamed at most this far (decompressed)
TAR_MEMBER_KEEP = 64 * 1024 * 1024  # bytes kept per tar.gz member (reads beyond fail: incomplete)
SEVENZ_LIMIT = 64 * 1024 * 1024
MODEL_CONTAINERS = frozenset({"pytorch-zip", "keras", "npz"})
HEAD_CACHE = 64  # first bytes kept per listed file (later head reads are served from memory)


@dataclass(frozen=True, slots=True)
class ContainerInfo:
    """How an archive in the listing was handled: ``kind`` (wheel, zip, tar, tar.gz, 7z, pytorch-zip,
    keras, npz), whether its members are listed, and what could not be read."""

    kind: str
    expanded: bool
    problems: tuple[str, ...] = ()
    hidden: tuple[tuple[str, str], ...] = ()  # (member, why) listed members some readers do not see


class _Container(Protocol):
    def members(self) -> list[tuple[str, int]]: ...

    def read(self, name: str, limit: int, offset: int) -> bytes: ...

    def source(self, name: str, budget: _Budget) -> RandomSource | str: ...


@dataclass(slots=True)
class _Budget:
    left: int = INMEM_BUDGET

    def take(self, n: int) -> bool:
        if n > self.left:
            return False
        self.left -= n
        return True


class _Zip:
    def __init__(self, src: RandomSource, members: list[zipfmt.ZipMember]) -> None:
        self._src = src
        self._by_name: dict[str, zipfmt.ZipMember] = {}
        for m in members:  # every member either zip view names, by its unique address
            if not m.is_dir:
                self._by_name.setdefault(m.address, m)
        self._cursors: dict[str, InflateStream] = {}

    def members(self) -> list[tuple[str, int]]:
        return [(n, m.usize) for n, m in self._by_name.items()]

    def _member(self, name: str) -> zipfmt.ZipMember:
        m = self._by_name[name]  # an encrypted member is read as stored: ciphertext is never clean
        if zipfmt.locate(self._src, m) < 0 or m.problem:
            raise OSError(f"{name}: {m.problem or 'local header unreadable'}")
        if m.method not in (0, 8):
            raise OSError(f"{name}: zip compression method {m.method} not supported")
        return m

    def read(self, name: str, limit: int, offset: int) -> bytes:
        m = self._member(name)
        if m.method == 0:
            if offset >= m.csize:
                return b""
            return self._src.read(m.data_offset + offset, min(limit, m.csize - offset))
        cur = self._cursors.get(name)
        if cur is None or cur.pos > offset:  # sequential reads continue one inflater; a seek back restarts
            cur = InflateStream(self._src, m.data_offset, m.csize, limit=max(m.usize, 1))
            self._cursors = {name: cur}
        cur.skip(offset - cur.pos)
        data = cur.read(limit)
        if len(data) < limit and cur.truncated and offset + len(data) < m.usize:
            raise OSError(f"{name}: {cur.stopped or 'deflate data ends early'}")
        return data

    def source(self, name: str, budget: _Budget) -> RandomSource | str:
        try:
            m = self._member(name)
        except OSError as exc:
            return str(exc)
        if m.method == 0:
            return SliceSource(self._src, m.data_offset, m.csize)
        limit = min(NESTED_INMEM, budget.left)
        got = inflate_all(_chunks(self._src, m.data_offset, m.csize), limit)
        if not got.complete:
            return f"{name}: not expanded ({got.reason})"
        budget.take(len(got.data))
        return BytesSource(got.data)


def _chunks(src: RandomSource, start: int, size: int, step: int = 256 * 1024) -> Iterator[bytes]:
    pos = 0
    while pos < size:
        chunk = src.read(start + pos, min(step, size - pos))
        if not chunk:
            return
        pos += len(chunk)
        yield chunk


class _Tar:
    def __init__(self, src: RandomSource | None, members: list[TarMember]) -> None:
        self._src = src
        self._by_name: dict[str, TarMember] = {m.address: m for m in members}  # unique addresses

    def members(self) -> list[tuple[str, int]]:
        return [(n, m.size) for n, m in self._by_name.items()]

    def read(self, name: str, limit: int, offset: int) -> bytes:
        m = self._by_name[name]
        if m.sparse:
            raise OSError(f"{name}: sparse tar member (holes not reconstructed): not read")
        limit = max(0, min(limit, m.size - offset))
        if m.data is not None:
            if offset + limit > len(m.data):
                raise OSError(
                    f"{name}: only the first {len(m.data)} of {m.size} bytes of the member were read"
                )
            return m.data[offset : offset + limit]
        assert self._src is not None
        if not m.complete and m.offset + offset + limit > self._src.size:
            raise OSError(f"{name}: member data extends past the end of the archive")
        return self._src.read(m.offset + offset, limit)

    def source(self, name: str, budget: _Budget) -> RandomSource | str:
        m = self._by_name[name]
        if not m.complete:
            return f"{name}: not expanded (only part of the member is available)"
        if m.data is not None:
            return BytesSource(m.data)
        assert self._src is not None
        return SliceSource(self._src, m.offset, m.size)


class _SevenZip:
    def __init__(self, data: dict[str, bytes]) -> None:
        self._data = data

    def members(self) -> list[tuple[str, int]]:
        return [(n, len(d)) for n, d in self._data.items()]

    def read(self, name: str, limit: int, offset: int) -> bytes:
        return self._data[name][offset : offset + max(0, limit)]

    def source(self, name: str, budget: _Budget) -> RandomSource | str:
        return BytesSource(self._data[name])


@dataclass(slots=True)
class _Opened:
    kind: str
    container: _Container | None
    problems: list[str] = field(default_factory=list)
    hidden: list[tuple[str, str]] = field(default_factory=list)


def _gzip_kind(src: RandomSource) -> str:
    """tar.gz when the decompressed head is a tar header; gzip for other gzip content; "unreadable" when
    not even the first 262 bytes decompress (corrupt or cut short: never silently passed over)."""
    inf = Inflater(1024, wbits=GZIP)
    head = inf.feed(src.read(0, 64 * 1024))
    if len(head) >= 262:
        return "tar.gz" if head[257:262] == b"ustar" else "gzip"
    return "gzip" if inf.eof else "unreadable"


def open_container(src: RandomSource, fmt: str, budget: _Budget) -> _Opened | None:
    """Open ``src`` (sniffed as ``fmt``) as a container, or None when it is not one."""
    if fmt == "zip":
        # A model container (PyTorch zip, .keras, .npz) is listed, not expanded: when its intact central
        # directory says so, the local headers need not be walked here — the inspect stage reads both views
        # of it anyway and reports any disagreement. Everything else is listed from both views (the union).
        quick = zipfmt.central_only(src)
        if quick is not None:
            kind = zipfmt.zip_kind([m.name for m in quick[0]])
            if kind in MODEL_CONTAINERS:
                return _Opened(kind, None, [])
        try:
            members, problems = zipfmt.read_members(src)  # both views: the union is listed
        except Incomplete as exc:  # pragma: no cover - plain sources do not raise it
            return _Opened("zip", None, [str(exc)])
        kind = zipfmt.zip_kind([m.name for m in members])
        if kind in MODEL_CONTAINERS:
            return _Opened(kind, None, problems)
        if not members:
            return _Opened(kind, None, problems or ["no members"])
        return _Opened(kind, _Zip(src, members), problems)
    if fmt == "tar":
        from tierguard.formats.tar import read_tar  # tarfile only when a tar is met

        tl = read_tar(src)
        return _Opened("tar", _Tar(src, tl.members) if tl.members else None, tl.problems, tl.hidden)
    if fmt == "gzip":
        gz = _gzip_kind(src)
        if gz == "unreadable":
            return _Opened("gzip", None, ["gzip stream corrupt or cut short"])
        if gz != "tar.gz":
            return None
        from tierguard.formats.tar import read_tar_gz

        keep_total = max(0, budget.left)
        tl = read_tar_gz(src, limit=TAR_GZ_LIMIT, member_keep=TAR_MEMBER_KEEP, keep_total=keep_total)
        budget.take(sum(len(m.data or b"") for m in tl.members))
        probs = list(tl.problems)
        partial = sum(1 for m in tl.members if not m.complete)
        if partial:
            probs.append(f"{partial} member(s) only partly read (budget)")
        return _Opened("tar.gz", _Tar(None, tl.members) if tl.members else None, probs, tl.hidden)
    if fmt == "7z":
        from tierguard.formats.sevenzip import read_7z  # py7zr only when a 7z is met

        sz = read_7z(src, min(SEVENZ_LIMIT, budget.left))
        budget.take(sum(len(d) for d in sz.members.values()))
        return _Opened("7z", _SevenZip(sz.members) if sz.members else None, sz.problems)
    return None


_CONTAINER_FORMATS = frozenset({"zip", "tar", "gzip", "7z"})


class ExpandedResolver:
    """Every file of ``outer`` plus the members of every archive among them, recursively (see module doc).
    The listing is built once, on the first :meth:`files` call; ``kinds`` holds each file's sniffed format
    (from one head read) and ``containers`` each archive's :class:`ContainerInfo`, by display address."""

    def __init__(self, outer: Resolver, *, max_depth: int = MAX_DEPTH) -> None:
        self.outer = outer
        self.max_depth = max_depth
        self.kinds: dict[tuple[str, str | None], str] = {}
        self.containers: dict[str, ContainerInfo] = {}
        self._refs: list[FileRef] | None = None
        self._building = False
        self._owner: dict[tuple[str, str], tuple[_Container, str]] = {}
        self._sources: dict[tuple[str, str], RandomSource] = {}  # nested archives already in memory
        self._heads: dict[tuple[str, str | None], bytes] = {}
        self._skipped: list[Skipped] = []
        self._budget = _Budget()

    @property
    def root_name(self) -> str:
        return self.outer.root_name

    def files(self) -> Iterator[FileRef]:
        if self._refs is None:
            refs: list[FileRef] = []
            self._building = True
            try:
                for ref in self.outer.files():
                    refs.append(ref)
                    self._visit(ref, None, refs, 0)
            finally:
                self._building = False
            self._refs = refs
        return iter(self._refs)

    def _head(self, ref: FileRef) -> bytes | None:
        try:
            head = self.read_bytes(ref, SNIFF_BYTES)
        except OSError:
            return None  # the stages reading it report it
        key = (ref.path, ref.member)
        if ref.member is not None:  # a member's head is costly to read again (inflation restarts)
            self._heads[key] = head[:HEAD_CACHE]
        self.kinds[key] = sniff(head, ref.name, ref.size if ref.size >= 0 else None)
        return head

    def _visit(self, ref: FileRef, src: RandomSource | None, refs: list[FileRef], depth: int) -> None:
        """Sniff ``ref``; when it is an archive, list its members after it (and theirs, recursively).
        ``src`` is the member's bytes when its parent container already provides them."""
        if (ref.path, ref.member) not in self.kinds and self._head(ref) is None:
            return
        fmt = self.kinds[(ref.path, ref.member)]
        if fmt not in _CONTAINER_FORMATS:
            return
        addr = ref.display
        if depth >= self.max_depth:
            self._note(addr, ContainerInfo(fmt, False, (f"archive nested deeper than {self.max_depth}",)))
            return
        own_src = src if src is not None else FileSource(self, ref)
        try:
            opened = open_container(own_src, fmt, self._budget)
        except OSError as exc:
            self._note(addr, ContainerInfo(fmt, False, (f"unreadable: {str(exc)[:200]}",)))
            return
        if opened is None:
            return
        c = opened.container
        info = ContainerInfo(opened.kind, c is not None, tuple(opened.problems), tuple(opened.hidden))
        self._note(addr, info)
        if c is None:
            return
        for name, size in sorted(c.members()):
            member = name if ref.member is None else f"{ref.member}!{name}"
            child = FileRef(path=ref.path, size=size, member=member)
            self._owner[(ref.path, member)] = (c, name)
            refs.append(child)
            if self._might_be_container(child):
                self._visit_member(c, name, child, refs, depth + 1)

    def _might_be_container(self, child: FileRef) -> bool:
        return child.size >= 22  # the smallest zip; every other archive is larger

    def _visit_member(
        self, c: _Container, name: str, child: FileRef, refs: list[FileRef], depth: int
    ) -> None:
        if self._head(child) is None:
            return
        if self.kinds[(child.path, child.member)] not in _CONTAINER_FORMATS:
            return
        sub = c.source(name, self._budget)
        if isinstance(sub, str):
            fmt = self.kinds[(child.path, child.member)]
            self._note(child.display, ContainerInfo(fmt, False, (sub,)))
            return
        self._sources[(child.path, child.member or "")] = sub  # reads of the nested archive use it
        self._visit(child, sub, refs, depth)

    def _note(self, addr: str, info: ContainerInfo) -> None:
        self.containers[addr] = info
        if info.problems:
            reason = "incomplete" if info.expanded else "unreadable-archive"
            detail = "; ".join(info.problems)[:500]
            self._skipped.append(Skipped(path=addr, reason=reason, detail=f"{info.kind}: {detail}"))

    def read_bytes(self, ref: FileRef, limit: int, offset: int = 0) -> bytes:
        if offset == 0 and limit <= HEAD_CACHE and ref.member is not None:
            head = self._heads.get((ref.path, ref.member))
            if head is not None and (len(head) >= limit or len(head) >= ref.size):
                return head[: max(0, limit)]
        if ref.member is None:
            return self.outer.read_bytes(ref, limit, offset)
        if offset < 0:
            raise OSError(f"{ref.display}: negative offset")
        sub = self._sources.get((ref.path, ref.member))
        if sub is not None:
            return sub.read(offset, max(0, limit))
        if self._refs is None and not self._building:
            self.files()  # members are known once the listing is built
        got = self._owner.get((ref.path, ref.member))
        if got is None:
            if getattr(self.outer, "lists_members", False):  # it lists members itself (an image's files)
                return self.outer.read_bytes(ref, limit, offset)
            raise FileNotFoundError(ref.display)
        c, name = got
        try:
            return c.read(name, max(0, limit), offset)
        except Incomplete as exc:
            raise OSError(f"{ref.display}: {exc}") from None

    def local_path(self, ref: FileRef) -> Path | None:
        return self.outer.local_path(ref) if ref.member is None else None

    def skipped(self) -> list[Skipped]:
        return self.outer.skipped() + list(self._skipped)

    @property
    def ignored_count(self) -> int:
        """Files the outer resolver left out by ignore rules (0 when it has no such notion)."""
        return int(getattr(self.outer, "ignored_count", 0))


def expand(resolver: Resolver) -> ExpandedResolver:
    """``resolver`` with its containers expanded (a resolver that already is one is returned as is)."""
    return resolver if isinstance(resolver, ExpandedResolver) else ExpandedResolver(resolver)


def open_archive(path: Path) -> ExpandedResolver:
    """A resolver over an archive file on disk: the file itself and its members (recursively)."""
    from tierguard.targets.directory import DirectoryResolver

    p = Path(path)
    if not p.is_file():
        raise TargetError(f"archive not readable: {path}")
    return ExpandedResolver(DirectoryResolver(p))
