"""Layers applied in order, as overlayfs shows them to a container: whiteouts, opaque directories,
replacements, hard links and symlinks; nothing taken out of the view disappears without a record."""

from __future__ import annotations

from pathlib import Path

from tests.artifacts.builders import gguf_bytes
from tests.targets.test_image_builders import Entry, layer_tar, oci_layout
from tierguard.model import Context, Skipped
from tierguard.scanner import Scanner
from tierguard.targets.open import open_target


def _open(tmp_path: Path, *layers: list[Entry]) -> tuple[dict[str, bytes], dict[tuple[str, str], Skipped]]:
    """(member -> content, (member, reason) -> skipped) of the image made of ``layers``."""
    root = oci_layout(tmp_path / "img", [layer_tar(e) for e in layers])
    r = open_target(root)
    files = {f.member or "": r.read_bytes(f, 1 << 20) for f in r.files()}
    files.pop(".image-config/Dockerfile")
    skipped = {(s.path.partition("!")[2], s.reason): s for s in r.skipped()}
    return files, skipped


def test_whiteout_deletes_a_file_and_records_it(tmp_path: Path) -> None:
    files, skipped = _open(
        tmp_path,
        [("file", "etc/keep", b"k"), ("file", "etc/gone", b"g")],
        [("whiteout", "etc/gone")],
    )
    assert files == {"etc/keep": b"k"}
    detail = skipped[("etc/gone", "deleted-in-later-layer")].detail
    assert (
        detail.startswith("added in layer 1/2 (sha256:")
        and "deleted by a whiteout in layer 2/2 (sha256:" in detail
    )


def test_whiteout_of_a_directory_deletes_everything_below(tmp_path: Path) -> None:
    files, skipped = _open(
        tmp_path,
        [("file", "opt/m/a.bin", b"a"), ("file", "opt/m/sub/b.bin", b"b"), ("file", "opt/other", b"o")],
        [("whiteout", "opt/m")],
    )
    assert files == {"opt/other": b"o"}
    assert {k for k in skipped if k[1] == "deleted-in-later-layer"} == {
        ("opt/m/a.bin", "deleted-in-later-layer"),
        ("opt/m/sub/b.bin", "deleted-in-later-layer"),
    }


def test_opaque_directory_hides_lower_layers_only(tmp_path: Path) -> None:
    files, skipped = _open(
        tmp_path,
        [("file", "app/old.py", b"old"), ("file", "app/lib/x.py", b"x"), ("file", "srv/s.py", b"s")],
        [
            ("file", "app/new.py", b"new"),
            ("opaque", "app"),
        ],  # the marker after a sibling: order does not matter
    )
    assert files == {"app/new.py": b"new", "srv/s.py": b"s"}
    assert skipped[("app/old.py", "deleted-in-later-layer")].detail.endswith(
        next(iter(skipped.values())).detail.rsplit("by ", 1)[1]
    )
    assert ("app/lib/x.py", "deleted-in-later-layer") in skipped


def test_whiteout_applies_to_lower_layers_not_its_own(tmp_path: Path) -> None:
    files, skipped = _open(
        tmp_path,
        [("file", "a", b"1")],
        [("file", "b", b"2"), ("whiteout", "b")],  # deletes a lower "b" (there is none), not its own
    )
    assert files == {"a": b"1", "b": b"2"}
    assert ("b", "whiteout-without-target") in skipped


def test_a_later_layer_replaces_a_file_and_the_old_content_is_recorded(tmp_path: Path) -> None:
    files, skipped = _open(
        tmp_path,
        [("file", "app/config.json", b'{"v": 1}'), ("file", "data/x", b"file"), ("file", "d/sub/f", b"f")],
        [("file", "app/config.json", b'{"v": 2}'), ("dir", "data/x"), ("file", "d", b"now a file")],
    )
    assert files == {"app/config.json": b'{"v": 2}', "d": b"now a file"}
    assert ("app/config.json", "replaced-in-later-layer") in skipped
    assert ("data/x", "replaced-in-later-layer") in skipped  # a file replaced by a directory
    assert ("d/sub/f", "deleted-in-later-layer") in skipped  # a directory replaced by a file


def test_a_model_deleted_by_a_later_layer_is_not_reported_present(tmp_path: Path) -> None:
    gguf = gguf_bytes({"general.architecture": "llama", "general.name": "DeepSeek-R1-Distill-Llama-8B"})
    root = oci_layout(
        tmp_path / "img",
        [layer_tar([("file", "models/ds.gguf", gguf)]), layer_tar([("whiteout", "models/ds.gguf")])],
    )
    result = Scanner().scan(root, Context(country="GB"))
    assert not [a for a in result.assets if a.kind == "ai-model"]
    assert [(s.path, s.reason) for s in result.skipped] == [("img!models/ds.gguf", "deleted-in-later-layer")]


def test_hard_links(tmp_path: Path) -> None:
    files, skipped = _open(
        tmp_path,
        [("file", "usr/bin/python3.11", b"\x7fELF..."), ("file", "base.txt", b"base")],
        [
            ("hardlink", "usr/bin/python3", "usr/bin/python3.11"),  # to a lower layer's file
            ("file", "new.txt", b"new"),
            ("hardlink", "new-link.txt", "new.txt"),  # to an earlier member of the same layer
            ("hardlink", "dangling", "no/such/file"),
            ("whiteout", "base.txt"),
        ],
        [("hardlink", "late", "base.txt")],  # its target was deleted before this layer
    )
    assert files["usr/bin/python3"] == files["usr/bin/python3.11"] == b"\x7fELF..."
    assert files["new-link.txt"] == b"new"
    assert "dangling" not in files and "late" not in files
    assert "which is nothing" in skipped[("dangling", "broken-hardlink")].detail
    assert ("late", "broken-hardlink") in skipped


def test_symlinks_resolve_inside_the_image_root(tmp_path: Path) -> None:
    files, skipped = _open(
        tmp_path,
        [
            ("dir", "usr/lib"),
            ("file", "usr/lib/libx.so", b"lib"),
            ("symlink", "lib", "usr/lib"),  # a directory link (usrmerge)
            ("file", "models/real.gguf", b"GGUF"),
            ("symlink", "models/current.gguf", "real.gguf"),
            ("symlink", "app/model.gguf", "/models/current.gguf"),  # absolute, through another link
            ("symlink", "app/libx.so", "/lib/libx.so"),  # through a directory link
            ("symlink", "app/escape", "../../../../etc/passwd"),
            ("symlink", "app/dangling", "/nowhere"),
            ("symlink", "app/loop1", "loop2"),
            ("symlink", "app/loop2", "loop1"),
            ("fifo", "run/fifo"),
        ],
    )
    assert files["models/current.gguf"] == files["app/model.gguf"] == b"GGUF"
    assert files["app/libx.so"] == b"lib"
    assert {k[0] for k in skipped} == {
        "lib",
        "app/escape",
        "app/dangling",
        "app/loop1",
        "app/loop2",
        "run/fifo",
    }
    assert skipped[("lib", "symlink-dir")]
    assert skipped[("app/escape", "symlink-outside-root")]
    assert skipped[("app/dangling", "broken-symlink")]
    assert skipped[("app/loop1", "symlink-loop")] and skipped[("app/loop2", "symlink-loop")]
    assert skipped[("run/fifo", "special-file")]


def test_aufs_bookkeeping_names_are_no_files(tmp_path: Path) -> None:
    """Root ``.wh..wh.*`` entries are AUFS metadata: not in the view; a hard link into ``.wh..wh.plnk``
    takes its data from there (as docker applies it)."""
    files, skipped = _open(
        tmp_path,
        [("file", "a", b"1")],
        [
            ("file", ".wh..wh.plnk/123.456", b"linked"),
            ("file", ".wh..wh.aufs", b""),
            ("hardlink", "usr/bin/tool", ".wh..wh.plnk/123.456"),
        ],
    )
    assert files == {"a": b"1", "usr/bin/tool": b"linked"} and not skipped
