"""``read_egress``: one network log -> per-client usages of the AI services its hosts belong to.

The log is read as blocks of whole lines (:mod:`tierguard.egress.streams`); one multi-literal search per
block (:mod:`tierguard.egress.literals`, every rule's literal, ASCII-case-insensitive) finds the only lines
that can name a catalog host; just those lines are parsed (:mod:`tierguard.egress.formats`) and their host
looked up in the rules (:class:`tierguard.egress.rules.HostMatcher`). Header lines are read wherever they are
(Zeek logs concatenated from several files change ``#fields``). Everything unusable is a counted skip: one
:class:`Skipped` per reason, with the count and the first line numbers.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, cast

from tierguard.catalog.loader import Catalog
from tierguard.egress.aggregate import Aggregator
from tierguard.egress.formats import (
    JsonLines,
    Malformed,
    MappingError,
    Parser,
    decode_json,
    host_like,
    make_parser,
)
from tierguard.egress.literals import LiteralScanner
from tierguard.egress.rules import HostMatcher, HostRule
from tierguard.egress.sniff import FORMATS, GENERIC, sniff
from tierguard.egress.streams import Block, Blocks, open_stream
from tierguard.errors import TargetError
from tierguard.model import Asset, Evidence, Skipped

HEAD_RAW = 64 * 1024  # bytes read from the file to sniff its format
FIRST_LINES = 5  # line numbers a Skipped names
CHECK_ROWS = 200  # rows of a mapped log checked for host names before the scan


@dataclass(frozen=True, slots=True)
class EgressOptions:
    """How to read a log. The ``*_column`` fields name fields of a generic CSV/JSON log (``host_column`` is
    required for those) and override the defaults of Zeek and Route 53 logs; ``format`` forces a format
    (a :data:`tierguard.egress.sniff.FORMATS` name) instead of sniffing."""

    host_column: str | None = None
    client_column: str | None = None
    user_column: str | None = None
    time_column: str | None = None
    format: str | None = None
    max_line_bytes: int = 1 << 20
    max_clients_per_service: int = 10_000
    max_usages_per_service: int = 50_000
    # client address -> device name (from a DHCP lease export or an inventory's interface addresses), so
    # usages name devices where the log only has addresses
    client_names: Mapping[str, str] | None = None


@dataclass(frozen=True, slots=True)
class EgressOutput:
    assets: tuple[Asset, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    notes: tuple[str, ...] = ()
    lines: int = 0  # lines read
    matched: int = 0  # lines whose host matched a rule (itemised or beyond a cap)
    bytes_read: int = 0  # bytes read from the file (compressed bytes for gzip/zstd)
    format: str = ""
    compression: str = "none"
    engine: str = ""  # the literal search used (hyperscan, ahocorasick-rs)


class _Counting(io.RawIOBase):
    """A raw reader that counts the bytes it hands out and reports them to the progress callback."""

    def __init__(self, inner: BinaryIO, progress: Callable[[int], None] | None) -> None:
        self.inner = inner
        self.count = 0
        self.progress = progress

    def readable(self) -> bool:
        return True

    def readinto(self, b: memoryview) -> int:  # type: ignore[override]
        n = self.inner.readinto(b) or 0  # type: ignore[attr-defined]
        self.count += n
        return n

    def tick(self) -> None:
        if self.progress is not None:
            self.progress(self.count)


@dataclass(slots=True)
class _Skips:
    path: str
    seen: dict[tuple[str, str], list[int]] = field(default_factory=dict)  # (reason, what) -> [count, lines]

    def add(self, reason: str, what: str, line: int) -> None:
        rec = self.seen.setdefault((reason, what), [0])
        rec[0] += 1
        if len(rec) <= FIRST_LINES:
            rec.append(line)

    def records(self) -> list[Skipped]:
        out = []
        for (reason, what), (n, *lines) in self.seen.items():
            where = ", ".join(str(x) for x in lines) + (", ..." if n > len(lines) else "")
            unit = "line" if n == 1 else "lines"
            out.append(Skipped(path=self.path, reason=reason, detail=f"{n:,} {unit} {what} (line {where})"))
        return out


class _Run:
    """The state of one read: parser, matcher, search, aggregation, counters."""

    def __init__(
        self, parser: Parser, rules: Sequence[HostRule], agg: Aggregator, opts: EgressOptions, path: str
    ) -> None:
        self.parser = parser
        self.matcher = HostMatcher(rules)
        lits = [r.label_literal() if parser.labels else r.literal() for r in self.matcher.rules]
        marker = b"\n" + parser.header_prefix if parser.header_prefix is not None else None
        self.scanner = LiteralScanner(lits, marker)
        self.agg = agg
        self.opts = opts
        self.path = path
        self.skips = _Skips(path)
        self.matched = 0
        self.not_utf8: list[int] = [0]
        self.checked = False

    # -- per block --------------------------------------------------------------------------------------
    def block(self, blk: Block) -> None:
        """The candidate lines of one block, in order with its header lines; counts the block's lines in
        the same walk (``Block.count_from``)."""
        if blk.dropped:
            self._too_long(blk.dropped)
            return
        buf, end = blk.buf, blk.end
        long_lines = {s for s, _t, _ln in blk.long}
        for _s, _t, ln in blk.long:
            self._too_long(ln)
        start = self._first_block(blk) if blk.first_line == 1 else 0
        ends, marks = self.scanner.scan(memoryview(buf)[:end])
        prefix = self.parser.header_prefix
        headers = [m - 1 for m in marks if m - 1 >= start]  # "\n#": a header line starts after the newline
        if prefix is not None and buf.startswith(prefix, start, end):
            headers.insert(0, start)
        prev, ln, ln_pos, cap = -1, blk.first_line, 0, self.opts.max_line_bytes
        for e in ends:
            s = buf.rfind(b"\n", 0, e) + 1
            if s == prev or s < start:
                continue
            prev = s
            while headers and headers[0] < s:
                self._header(buf, headers.pop(0), end)
            ln += buf.count(b"\n", ln_pos, s)
            ln_pos = s
            t = buf.find(b"\n", e, end)
            t = end if t < 0 else t
            if s in long_lines or t - s > cap:
                continue
            line = bytes(buf[s:t]).rstrip(b"\r")
            if prefix is not None and line.startswith(prefix):
                continue
            self.record(line, ln)
        for h in headers:
            self._header(buf, h, end)
        blk.count_from(ln_pos, ln)

    def _too_long(self, line: int) -> None:
        self.skips.add("too-large", f"over {self.opts.max_line_bytes:,} bytes, not read", line)

    def _header(self, buf: bytearray, s: int, end: int) -> None:
        t = buf.find(b"\n", s, end)
        t = end if t < 0 else t
        if t - s <= self.opts.max_line_bytes:
            self.parser.header(bytes(buf[s:t]).rstrip(b"\r"))

    def _first_block(self, blk: Block) -> int:
        """Line 1 as a header where the format has one; the mapping checked on the first rows."""
        buf, end = blk.buf, blk.end
        start = 0
        if buf.startswith(b"\xef\xbb\xbf"):
            start = 3
        if self.parser.first_line_header:
            t = buf.find(b"\n", start, end)
            t = end if t < 0 else t
            self.parser.header(bytes(buf[start:t]).rstrip(b"\r"))
            start = min(t + 1, end)
        if self.opts.host_column is not None or self.parser.name in GENERIC:
            self._check_mapping(buf, start, end)
        return start

    def _check_mapping(self, buf: bytearray, start: int, end: int) -> None:
        """A mapped host column must hold host names: refuse the log when the first rows hold none."""
        values: list[str] = []
        pos = start
        for _ in range(CHECK_ROWS):
            if pos >= end:
                break
            t = buf.find(b"\n", pos, end)
            t = end if t < 0 else t
            line = bytes(buf[pos : min(t, pos + self.opts.max_line_bytes)]).rstrip(b"\r")
            pos = t + 1
            prefix = self.parser.header_prefix
            if not line.strip() or (prefix is not None and line.startswith(prefix)):
                if prefix is not None and line.startswith(prefix):
                    self.parser.header(line)
                continue
            if isinstance(self.parser, JsonLines) and not self.checked:
                self._check_json(line)
            try:
                obs = self.parser.parse(line)
            except Malformed:
                continue
            if obs is not None and obs.host:
                values.append(obs.host)
        if len(values) >= 5 and not any(host_like(v) for v in values):
            col = self.opts.host_column or "host"
            cols = ", ".join(self.parser.columns())
            raise MappingError(
                f"{self.path}: the host column {col!r} holds no host names (first values: "
                f"{', '.join(repr(v[:40]) for v in values[:3])}); the columns are: {cols}"
            )

    def _check_json(self, line: bytes) -> None:
        """The mapping of a JSON log against its first record (refused with the keys it has)."""
        try:
            obj = decode_json(line)
        except Malformed:
            return
        if isinstance(obj, dict) and isinstance(self.parser, JsonLines):
            self.checked = True
            self.parser.check(obj)

    # -- per candidate line -----------------------------------------------------------------------------
    def record(self, line: bytes, ln: int) -> None:
        try:
            obs = self.parser.parse(line)
        except Malformed as exc:
            self.skips.add("malformed", f"{exc}", ln)
            return
        if obs is None or not obs.host:
            return
        rule = self.matcher.match(obs.host)
        if rule is None:
            return
        self.matched += 1
        names = self.opts.client_names
        if names and obs.client is not None and obs.client in names:
            obs = obs._replace(client=names[obs.client])
        if not line.isascii():
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                self.not_utf8[0] += 1
                if len(self.not_utf8) < 1 + FIRST_LINES:
                    self.not_utf8.append(ln)
        self.agg.add(rule, obs, ln, line)

    def notes(self) -> list[str]:
        out = self.agg.notes()
        n, *lines = self.not_utf8
        if n:
            where = ", ".join(str(x) for x in lines) + (", ..." if n > len(lines) else "")
            out.append(
                f"{self.path}: {n:,} matched lines are not valid UTF-8 (line {where}): read with the invalid "
                "bytes escaped (\\xNN)"
            )
        return out


def _format(head: bytes, name: str, opts: EgressOptions) -> str:
    if opts.format is not None:
        if opts.format not in FORMATS:
            raise TargetError(f"{name}: unknown log format {opts.format!r} (one of: {', '.join(FORMATS)})")
        return opts.format
    fmt = sniff(head, name)
    if fmt is None and opts.host_column is not None:
        fmt = sniff(head, name + ".log")  # a mapping given: a generic CSV/JSON whatever the file is called
    if fmt is None:
        raise TargetError(
            f"{name}: not a network log tierguard reads (Zeek dns/ssl/http, Squid access.log, Route 53 "
            "Resolver, Windows DNS debug log, or a CSV/JSON log with a host column mapping)"
        )
    return fmt


def read_egress_stream(
    raw: BinaryIO,
    name: str,
    *,
    rules: Sequence[HostRule],
    catalog: Catalog,
    options: EgressOptions | None = None,
    progress: Callable[[int], None] | None = None,
) -> EgressOutput:
    """:func:`read_egress` over an open binary stream (an archive member, a pipe); ``name`` is the path the
    records name."""
    opts = options or EgressOptions()
    head = raw.read(HEAD_RAW)
    fmt = _format(head, name, opts)
    parser = make_parser(fmt, opts)
    counting = _Counting(cast(BinaryIO, _Prefixed(head, raw)), progress)
    try:
        stream, compression = open_stream(counting, head)  # type: ignore[arg-type]
    except OSError as exc:
        raise TargetError(f"{name}: {exc}") from None
    agg = Aggregator(
        catalog,
        name,
        fmt,
        max_clients=opts.max_clients_per_service,
        max_usages=opts.max_usages_per_service,
    )
    run = _Run(parser, rules, agg, opts, name)
    blocks = Blocks(stream, opts.max_line_bytes)
    for blk in blocks:
        run.block(blk)
        counting.tick()
    if blocks.error is not None:
        run.skips.add("incomplete", f"unread: {blocks.error}", blocks.error_line)
    assets, evidence = agg.build()
    return EgressOutput(
        assets=tuple(assets),
        evidence=tuple(evidence),
        skipped=tuple(run.skips.records()),
        notes=tuple(run.notes()),
        lines=blocks.lines,
        matched=run.matched,
        bytes_read=counting.count,
        format=fmt,
        compression=compression,
        engine=run.scanner.engine,
    )


class _Prefixed(io.RawIOBase):
    """``head`` (already read) followed by the rest of ``inner``."""

    def __init__(self, head: bytes, inner: BinaryIO) -> None:
        self.head = memoryview(head)
        self.inner = inner

    def readable(self) -> bool:
        return True

    def readinto(self, b: memoryview) -> int:  # type: ignore[override]
        if self.head:
            n = min(len(b), len(self.head))
            b[:n] = self.head[:n]
            self.head = self.head[n:]
            return n
        return self.inner.readinto(b) or 0  # type: ignore[attr-defined]


def read_egress(
    path: Path,
    *,
    rules: Sequence[HostRule],
    catalog: Catalog,
    options: EgressOptions | None = None,
    progress: Callable[[int], None] | None = None,
    name: str | None = None,
) -> EgressOutput:
    """Read one network log (see the package docstring). ``name`` is the path the records name (default:
    ``path`` as given). Raises :class:`TargetError` when the file cannot be opened, is not a log tierguard
    reads, or the column mapping does not fit it."""
    display = name if name is not None else str(path)
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise TargetError(f"{display}: cannot open: {exc.strerror or exc}") from None
    with fh:
        return read_egress_stream(
            fh, display, rules=rules, catalog=catalog, options=options, progress=progress
        )
