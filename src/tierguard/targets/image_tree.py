"""An image's filesystem: its layers applied in order, as overlayfs shows them to a container.

Per layer, its whiteouts first (they apply to the layers below it, wherever they sit in the tar):
``.wh.NAME`` deletes NAME (a directory with everything below it), ``.wh..wh..opq`` empties its directory
of what lower layers put there; other ``.wh..wh.*`` names are AUFS bookkeeping and not in the view (files
in the root's ``.wh..wh.plnk`` only serve as hard link targets, as docker applies them). Then its
members in tar order: a member replaces what was at its path (a directory below a non-directory member is
deleted with its contents; a directory over a directory merges); a member below a non-directory path makes
that path a directory. A hard link becomes a file with its target's data (resolved in the tree as built so
far); a symlink is resolved when the tree is complete, inside the image root (absolute targets from the
image root).

Nothing disappears silently: every file that is not in the final view is recorded (``deleted-in-later-
layer`` for a whiteout or a replacing non-file, ``replaced-in-later-layer`` for a file replaced by another),
and so are a whiteout naming nothing (``whiteout-without-target``), a hard link to nothing
(``broken-hardlink``), and, in the final view, symlinks that dangle, loop, leave the root or name a
directory, and devices/FIFOs (``special-file``). Past :data:`MAX_RECORDS` records of one reason, one entry
counts the rest.
"""

from __future__ import annotations

import posixpath
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from tierguard.targets.image_tar import Entry, clean_name

MAX_RECORDS = 2000
MAX_HOPS = 40  # symlinks followed while resolving one path (Linux: 40)
OPAQUE = ".wh..wh..opq"
WH = ".wh."
PLNK = ".wh..wh.plnk"
_DELETED = "deleted-in-later-layer"
_REPLACED = "replaced-in-later-layer"


@dataclass(slots=True)
class Node:
    kind: str  # file, dir, symlink, other
    layer: int = -1
    entry: Entry | None = None
    children: dict[str, Node] | None = None


@dataclass(slots=True)
class Record:
    path: str
    reason: str
    detail: str


@dataclass(slots=True)
class Tree:
    """The image filesystem being built (see the module docstring); ``layers`` names each layer for the
    records (``"layer 3 (sha256:3f2a1b9c0d1e)"``)."""

    layers: list[str]
    root: Node = field(default_factory=lambda: Node("dir", children={}))
    records: list[Record] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    aufs: dict[str, Node] = field(default_factory=dict)  # .wh..wh.plnk/<name>: hard link targets only

    def record(self, path: str, reason: str, detail: str) -> None:
        self.counts[reason] += 1
        if self.counts[reason] <= MAX_RECORDS:
            self.records.append(Record(path, reason, detail))

    def overflow(self) -> list[Record]:
        """One record per reason counting what was past :data:`MAX_RECORDS`."""
        return [
            Record("", reason, f"{n - MAX_RECORDS} more not listed one by one")
            for reason, n in sorted(self.counts.items())
            if n > MAX_RECORDS
        ]

    def apply(self, index: int, entries: list[Entry]) -> None:
        """Apply layer ``index`` (its entries in tar order)."""
        for e in entries:
            base = posixpath.basename(e.name)
            if base.startswith(WH):
                self._whiteout(index, e.name, base)
        for e in entries:
            if e.name.startswith(WH + WH):  # AUFS metadata at the root: its link directory feeds hard links
                if e.name.startswith(PLNK + "/") and e.kind == "file":
                    self.aufs[e.name] = Node("file", layer=index, entry=e)
            elif not posixpath.basename(e.name).startswith(WH):
                self._add(index, e)

    def _lookup(self, path: str) -> tuple[Node | None, Node | None, str]:
        """(parent directory node, node at ``path``, last component), symlinks not followed."""
        parts = path.split("/")
        cur = self.root
        for p in parts[:-1]:
            nxt = cur.children.get(p) if cur.children is not None else None
            if nxt is None or nxt.kind != "dir":
                return None, None, parts[-1]
            cur = nxt
        child = cur.children.get(parts[-1]) if cur.children is not None else None
        return cur, child, parts[-1]

    def _whiteout(self, index: int, name: str, base: str) -> None:
        d = posixpath.dirname(name)
        if base == OPAQUE:
            _, node, _ = self._lookup(d) if d else (None, self.root, "")
            if node is not None and node.kind == "dir" and node.children:
                for child in list(node.children):
                    gone = node.children.pop(child)
                    self._drop(
                        posixpath.join(d, child), gone, index, _DELETED, "its directory made opaque by"
                    )
            return
        if base.startswith(WH + WH):
            return  # AUFS bookkeeping (.wh..wh.plnk, .wh..wh.aufs): no file
        target = posixpath.join(d, base[len(WH) :])
        parent, node, last = self._lookup(target)
        if parent is None or node is None or parent.children is None:
            self.record(
                target,
                "whiteout-without-target",
                f"{self.layers[index]} deletes {target!r}, which no lower layer holds",
            )
            return
        del parent.children[last]
        self._drop(target, node, index, _DELETED, "deleted by a whiteout in")

    def _drop(self, path: str, node: Node, index: int, reason: str, by: str) -> None:
        """Record every file at or below ``node`` (taken out of the view by layer ``index``)."""
        for sub, n in _walk(path, node):
            if n.kind == "file":
                origin = self.layers[n.layer] if n.layer >= 0 else "a lower layer"
                self.record(sub, reason, f"added in {origin}, {by} {self.layers[index]}")

    def _dir(self, path: str, index: int) -> Node:
        """The directory at ``path``, made (over any non-directory) when missing."""
        cur = self.root
        done: list[str] = []
        for p in path.split("/") if path else []:
            assert cur.children is not None
            nxt = cur.children.get(p)
            done.append(p)
            if nxt is None or nxt.kind != "dir":
                if nxt is not None:
                    self._drop("/".join(done), nxt, index, _REPLACED, "replaced by a directory in")
                nxt = cur.children[p] = Node("dir", layer=index, children={})
            cur = nxt
        return cur

    def _add(self, index: int, e: Entry) -> None:
        parent = self._dir(posixpath.dirname(e.name), index)
        assert parent.children is not None
        last = posixpath.basename(e.name)
        old = parent.children.get(last)
        if e.kind == "dir":
            if old is None or old.kind != "dir":
                if old is not None:
                    self._drop(e.name, old, index, _REPLACED, "replaced by a directory in")
                parent.children[last] = Node("dir", layer=index, children={})
            return
        node = Node(e.kind, layer=index, entry=e)
        if e.kind == "hardlink":
            linked = self._hardlink(index, e)
            if linked is None:
                return
            node = linked
        if old is not None:
            if old.kind == "dir":
                self._drop(e.name, old, index, _DELETED, "its directory replaced by a non-directory in")
            elif old.layer == index:
                self._drop(e.name, old, index, _REPLACED, "replaced by a later member of the same name in")
            else:
                self._drop(e.name, old, index, _REPLACED, "replaced by")
        parent.children[last] = node

    def _hardlink(self, index: int, e: Entry) -> Node | None:
        target, _ = clean_name(e.link)
        _, node, _ = self._lookup(target) if target else (None, None, "")
        if node is None and target:
            node = self.aufs.get(target)
        if node is None or node.kind == "dir":
            what = "a directory" if node is not None else "nothing"
            self.record(
                e.name,
                "broken-hardlink",
                f"hard link in {self.layers[index]} to {e.link[:200]!r}, which is {what}",
            )
            return None
        return Node(node.kind, layer=node.layer, entry=node.entry)

    def finish(self) -> Iterator[tuple[str, Node]]:
        """The files of the final view (symlinks to files resolved to their target's data), and records
        for what is not yielded."""
        for path, node in _walk("", self.root):
            if node.kind == "file":
                yield path, node
            elif node.kind == "symlink":
                got = self._follow(path, node)
                if got is not None:
                    yield path, got
            elif node.kind == "other":
                self.record(path, "special-file", "device or FIFO, not read")

    def _follow(self, path: str, link: Node) -> Node | None:
        assert link.entry is not None
        target = link.entry.link
        node, why = self.resolve(posixpath.join(posixpath.dirname(path), target))
        if node is not None and node.kind == "file":
            return node
        reason, detail = why or ("symlink-dir", "directory links are not followed")
        if node is not None and node.kind == "other":
            reason, detail = "special-file", "links to a device or FIFO, not read"
        self.record(path, reason, f"-> {target[:200]} ({detail})")
        return None

    def resolve(self, path: str) -> tuple[Node | None, tuple[str, str] | None]:
        """The node at ``path`` with every symlink on the way followed inside the image root."""
        todo = list(reversed(path.split("/")))
        if path.startswith("/"):
            todo.pop()  # the empty name before the leading "/"
        stack: list[Node] = []
        hops = 0
        while todo:
            part = todo.pop()
            if part in ("", "."):
                continue
            if part == "..":
                if not stack:
                    return None, ("symlink-outside-root", "resolves outside the image root, not followed")
                stack.pop()
                continue
            cur = stack[-1] if stack else self.root
            nxt = cur.children.get(part) if cur.children is not None else None
            if nxt is None:
                return None, ("broken-symlink", "target not in the image")
            if nxt.kind == "symlink":
                hops += 1
                if hops > MAX_HOPS:
                    return None, ("symlink-loop", f"more than {MAX_HOPS} links")
                assert nxt.entry is not None
                t = nxt.entry.link
                if t.startswith("/"):
                    stack = []
                todo.extend(reversed(t.split("/")))
                continue
            stack.append(nxt)
        return (stack[-1] if stack else self.root), None


def _walk(path: str, node: Node) -> Iterator[tuple[str, Node]]:
    """``node`` and everything below it, depth first (an explicit stack)."""
    stack = [(path, node)]
    while stack:
        p, n = stack.pop()
        yield p, n
        if n.children:
            for name in sorted(n.children, reverse=True):
                stack.append((f"{p}/{name}" if p else name, n.children[name]))
