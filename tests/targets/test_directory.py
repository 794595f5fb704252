"""Directory resolver and open_target: scope rules and bad input, each recorded with a reason."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tierguard.errors import TargetError
from tierguard.targets.directory import DirectoryResolver
from tierguard.targets.open import open_target


def _tree(root: Path, files: dict[str, str | bytes]) -> None:
    for rel, content in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content.encode() if isinstance(content, str) else content)


def _paths(r: DirectoryResolver | object) -> list[str]:
    return [f.path for f in r.files()]  # type: ignore[attr-defined]


def _skips(r: object) -> dict[str, str]:
    return {s.path: s.reason for s in r.skipped()}  # type: ignore[attr-defined]


def test_nonexistent_path_is_a_target_error(tmp_path: Path) -> None:
    with pytest.raises(TargetError, match="does not exist"):
        open_target(tmp_path / "nope")
    with pytest.raises(TargetError, match="does not exist"):
        DirectoryResolver(tmp_path / "nope")


def test_broken_symlink_as_target(tmp_path: Path) -> None:
    (tmp_path / "link").symlink_to(tmp_path / "gone")
    with pytest.raises(TargetError, match="broken symlink"):
        open_target(tmp_path / "link")


def test_single_file_target(tmp_path: Path) -> None:
    f = tmp_path / "app.py"
    f.write_text("import dashscope\n")
    r = open_target(f)
    (ref,) = list(r.files())
    assert (ref.path, ref.size) == ("app.py", 17)
    assert r.read_bytes(ref, 6) == b"import"
    assert r.read_bytes(ref, 100, offset=7) == b"dashscope\n"


def test_gitignore_root_and_nested(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        {
            ".gitignore": "*.log\nbuild/\n!keep.log\n",
            "a.py": "",
            "x.log": "",
            "keep.log": "",
            "build/out.py": "",
            "sub/.gitignore": "secret.py\n",
            "sub/secret.py": "",
            "sub/ok.py": "",
            "other/secret.py": "",
        },
    )
    r = open_target(tmp_path)
    assert _paths(r) == [".gitignore", "a.py", "keep.log", "other/secret.py", "sub/.gitignore", "sub/ok.py"]
    skips = _skips(r)
    assert skips["build/"] == "gitignored" and skips["x.log"] == "gitignored"
    assert skips["sub/secret.py"] == "gitignored"
    assert r.ignored_count == 3  # type: ignore[attr-defined]
    everything = open_target(tmp_path, include_ignored=True)
    assert "build/out.py" in _paths(everything) and "sub/secret.py" in _paths(everything)
    assert not any(s.reason == "gitignored" for s in everything.skipped())


def test_git_repo_with_info_exclude(tmp_path: Path) -> None:
    _tree(tmp_path, {"a.py": "", "local.py": ""})
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".git" / "info").mkdir(parents=True, exist_ok=True)
    (tmp_path / ".git" / "info" / "exclude").write_text("local.py\n")
    r = open_target(tmp_path)
    assert _paths(r) == ["a.py"]  # .git itself is never walked
    assert _skips(r)["local.py"] == "gitignored"


def test_vendored_dirs_and_minified_names(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        {
            "node_modules/x/index.js": "",
            "vendor/lib.go": "",
            "third_party/a.py": "",
            "web/bower_components/b.js": "",
            "web/app.min.js": "",
            "web/app.js": "",
        },
    )
    r = open_target(tmp_path)
    assert _paths(r) == ["web/app.js"]
    assert _skips(r) == {
        "node_modules/": "vendored",
        "third_party/": "vendored",
        "vendor/": "vendored",
        "web/bower_components/": "vendored",
        "web/app.min.js": "minified",
    }


def test_symlinks_loop_broken_outside_and_inside(tmp_path: Path) -> None:
    root = tmp_path / "root"
    outside = tmp_path / "outside.txt"
    outside.write_text("secret")
    _tree(root, {"d/real.py": "x = 1\n"})
    (root / "self").symlink_to(root / "self")
    (root / "broken").symlink_to(root / "missing")
    (root / "escape").symlink_to(outside)
    (root / "d" / "up").symlink_to(root)
    (root / "alias.py").symlink_to(root / "d" / "real.py")
    r = open_target(root)
    assert _paths(r) == ["alias.py", "d/real.py"]
    assert _skips(r) == {
        "self": "symlink-loop",
        "broken": "broken-symlink",
        "escape": "symlink-outside-root",
        "d/up": "symlink-loop",
    }
    (ref,) = [f for f in r.files() if f.path == "alias.py"]
    assert r.read_bytes(ref, 100) == b"x = 1\n"


def test_unreadable_directory_is_recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _tree(tmp_path, {"ok.py": "", "locked/a.py": ""})
    real_scandir = os.scandir

    def fake_scandir(path: object) -> object:
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "scandir", fake_scandir)
    r = open_target(tmp_path)
    assert _paths(r) == ["ok.py"]
    assert _skips(r) == {"locked/": "permission-denied"}  # a directory's path ends in "/"


def test_binary_files_are_yielded(tmp_path: Path) -> None:
    _tree(tmp_path, {"model.safetensors": b"\x00\x01\x02", "a.py": ""})
    assert _paths(open_target(tmp_path)) == ["a.py", "model.safetensors"]


def test_file_replaced_by_outside_link_after_walk_is_not_read(tmp_path: Path) -> None:
    root = tmp_path / "root"
    _tree(root, {"a.py": "x"})
    (tmp_path / "secret").write_text("s")
    r = open_target(root)
    (ref,) = list(r.files())
    (root / "a.py").unlink()
    (root / "a.py").symlink_to(tmp_path / "secret")
    with pytest.raises(OSError):
        r.read_bytes(ref, 10)
