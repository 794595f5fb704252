"""git's own ignore semantics in the directory resolver: tracked files are always listed, ignore rules
apply to untracked files only, the tracked set comes from git's index (dulwich, else ``git ls-files`` with
the target's configuration defused), and a broken ``.git`` is recorded with its reason, never a crash."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from tierguard.catalog import load_catalog
from tierguard.model import Context
from tierguard.policy.packs import load_packs
from tierguard.scanner import Scanner
from tierguard.targets import directory as tdir
from tierguard.targets import git as tgit
from tierguard.targets.directory import DirectoryResolver
from tierguard.targets.open import open_target

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def _git(root: Path, *args: str) -> None:
    env = {**tgit.git_env(), "HOME": str(root)}
    subprocess.run(
        [
            "git",
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.org",
            "-c",
            "protocol.file.allow=always",
            *args,
        ],
        cwd=root,
        env=env,
        check=True,
        capture_output=True,
    )


def _repo(root: Path, tracked: dict[str, str], *, later: dict[str, str] | None = None) -> None:
    """``git init`` + add + commit ``tracked``; then write ``later`` (untracked, e.g. a .gitignore that
    matches tracked files, and files it ignores)."""
    root.mkdir(parents=True, exist_ok=True)
    _git(root, "init", "-q")
    _write(root, tracked)
    _git(root, "add", "-f", *tracked)
    _git(root, "commit", "-q", "-m", "init")
    _write(root, later or {})


def _listing(r: DirectoryResolver) -> tuple[list[str], dict[str, str]]:
    paths = [f.path for f in r.files()]
    return paths, {s.path: s.reason for s in r.skipped()}


PLUGIN = 'from openai import OpenAI\nclient = OpenAI(base_url="https://api.deepseek.com")\n'


def test_committed_plugins_dir_matched_by_gitignore_is_scanned_dulwich_repo(tmp_path: Path) -> None:
    """The issue's case: a committed ``plugins/`` directory that a .gitignore pattern matches was skipped as
    gitignored although git tracks it. Built with dulwich, so no git binary is needed."""
    from dulwich import porcelain

    root = tmp_path / "repo"
    root.mkdir()
    repo = porcelain.init(str(root))
    _write(root, {"app.py": "print(1)\n", "plugins/deepseek_plugin.py": PLUGIN})
    porcelain.add(repo, paths=[str(root / "app.py"), str(root / "plugins/deepseek_plugin.py")])
    _write(root, {".gitignore": "plugins/\nbuild/\n"})  # the ignore rule came later; git still tracks
    porcelain.add(repo, paths=[str(root / ".gitignore")])
    porcelain.commit(repo, message=b"init", author=b"t <t@example.org>", committer=b"t <t@example.org>")
    repo.close()
    _write(root, {"plugins/local_experiment.py": PLUGIN, "build/out.py": PLUGIN})  # untracked and ignored

    r = DirectoryResolver(root)
    paths, skips = _listing(r)
    assert "plugins/deepseek_plugin.py" in paths
    assert skips["plugins/local_experiment.py"] == "gitignored"  # untracked below an ignored directory
    assert skips["build/"] == "gitignored"  # no tracked file beneath: one entry, not walked
    assert "build/out.py" not in paths and "plugins/local_experiment.py" not in paths
    assert any("tracked by git and were scanned" in n for n in r.notes())

    result = Scanner(load_catalog(), load_packs()).scan(root, Context(country="GB", sector="government"))
    where = {(e.location.path, e.value) for e in result.evidence}
    assert ("plugins/deepseek_plugin.py", "api.deepseek.com") in where
    assert not any(p == "plugins/local_experiment.py" for p, _ in where)
    assert any("tracked by git" in n for n in result.notes)


@needs_git
def test_tracked_and_ignored_scanned_untracked_and_ignored_skipped_include_ignored_scans_both(
    tmp_path: Path,
) -> None:
    root = tmp_path / "repo"
    _repo(
        root,
        {"deploy/prod.env": "DEEPSEEK_API_KEY=x\n", "src/app.py": "x = 1\n"},
        later={".gitignore": "*.env\n", "deploy/dev.env": "MOONSHOT_API_KEY=y\n"},
    )
    paths, skips = _listing(DirectoryResolver(root))
    assert "deploy/prod.env" in paths  # tracked, although *.env matches it
    assert skips == {"deploy/dev.env": "gitignored"}  # untracked and ignored
    everything, skips = _listing(DirectoryResolver(root, include_ignored=True))
    assert {"deploy/prod.env", "deploy/dev.env"} <= set(everything) and skips == {}


@needs_git
def test_negation_cannot_reinclude_below_an_ignored_directory(tmp_path: Path) -> None:
    """git: "It is not possible to re-include a file if a parent directory of that file is excluded"."""
    root = tmp_path / "repo"
    _repo(
        root,
        {"build/tracked.py": ""},
        later={".gitignore": "build/\n!build/keep.py\nlogs/*\n!logs/keep.log\n", "build/keep.py": ""},
    )
    _write(root, {"logs/a.log": "", "logs/keep.log": ""})
    paths, skips = _listing(DirectoryResolver(root))
    assert "build/tracked.py" in paths and skips["build/keep.py"] == "gitignored"
    assert "logs/keep.log" in paths and skips["logs/a.log"] == "gitignored"  # logs/ itself is not excluded


@needs_git
def test_target_inside_a_working_tree_uses_the_tree_index_and_ancestor_gitignores(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    _repo(
        root,
        {"svc/plugins/p.py": PLUGIN, "svc/main.py": ""},
        later={".gitignore": "plugins/\n*.tmp\n", "svc/plugins/new.py": "", "svc/x.tmp": ""},
    )
    paths, skips = _listing(DirectoryResolver(root / "svc"))
    assert paths == ["main.py", "plugins/p.py"]
    assert skips == {"plugins/new.py": "gitignored", "x.tmp": "gitignored"}


@needs_git
def test_nested_gitignore_and_info_exclude_apply_to_untracked_files(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    _repo(
        root,
        {"sub/keep.py": ""},
        later={"sub/.gitignore": "*.py\n!ok.py\n", "sub/new.py": "", "sub/ok.py": "", "local.py": ""},
    )
    (root / ".git" / "info" / "exclude").write_text("local.py\n")
    paths, skips = _listing(DirectoryResolver(root))
    assert paths == ["sub/.gitignore", "sub/keep.py", "sub/ok.py"]
    assert skips == {"local.py": "gitignored", "sub/new.py": "gitignored"}


def test_outside_git_pathspec_keeps_negations_and_nested_files(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            ".gitignore": "*.log\n!keep.log\ngen/\n",
            "keep.log": "",
            "x.log": "",
            "gen/a.py": "",
            "pkg/.gitignore": "!x.log\nsecret.py\n",
            "pkg/x.log": "",
            "pkg/secret.py": "",
        },
    )
    paths, skips = _listing(DirectoryResolver(tmp_path))
    assert paths == [".gitignore", "keep.log", "pkg/.gitignore", "pkg/x.log"]  # deeper file re-includes
    assert skips == {"x.log": "gitignored", "gen/": "gitignored", "pkg/secret.py": "gitignored"}


@needs_git
def test_nested_repository_and_submodule_use_their_own_index(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    _repo(lib, {"model.log": "tracked in the submodule\n", "code.py": ""})
    root = tmp_path / "repo"
    _repo(root, {"a.py": ""}, later={".gitignore": "*.log\n"})
    _git(root, "submodule", "add", "-q", str(lib), "ext/lib")
    _git(root, "commit", "-q", "-m", "sub")
    assert (root / "ext" / "lib" / ".git").is_file()  # gitdir: ../../.git/modules/ext/lib
    nested = root / "tools"
    _repo(nested, {"run.log": ""})  # a nested (not submodule) repository
    _write(root, {"ext/lib/new.log": "", "tools/new.log": "", "top.log": ""})
    paths, skips = _listing(DirectoryResolver(root))
    assert {"ext/lib/model.log", "ext/lib/code.py", "tools/run.log"} <= set(paths)
    # the outer .gitignore does not reach into another repository; nothing ignores *.log in there
    assert {"ext/lib/new.log", "tools/new.log"} <= set(paths)
    assert skips == {"top.log": "gitignored"}


@needs_git
def test_linked_worktree_with_a_gitdir_file(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    _repo(root, {"plugins/p.py": PLUGIN}, later={".gitignore": "plugins/\n"})
    _git(root, "add", ".gitignore")
    _git(root, "commit", "-q", "-m", "ignore")
    wt = tmp_path / "wt"
    _git(root, "worktree", "add", "-q", str(wt))
    assert (wt / ".git").is_file()
    _write(wt, {"plugins/untracked.py": ""})
    (root / ".git" / "info").mkdir(exist_ok=True)
    (root / ".git" / "info" / "exclude").write_text("*.local\n")  # shared through commondir
    _write(wt, {"x.local": ""})
    paths, skips = _listing(DirectoryResolver(wt))
    assert "plugins/p.py" in paths
    assert skips == {"plugins/untracked.py": "gitignored", "x.local": "gitignored"}


@needs_git
def test_split_index_falls_back_to_git_ls_files_with_a_note(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    _repo(root, {"plugins/p.py": PLUGIN}, later={".gitignore": "plugins/\n"})
    _git(root, "update-index", "--split-index")  # dulwich does not read the 'link' extension
    tree = tgit.open_tree(str(root))
    assert tree.source == "git" and tree.problem is None and "plugins/p.py" in tree.tracked
    r = DirectoryResolver(root)
    paths, _ = _listing(r)
    assert "plugins/p.py" in paths
    assert any("git ls-files" in n and "link" in n for n in r.notes())


@needs_git
def test_index_version_4_is_read_by_dulwich(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    _repo(root, {"plugins/p.py": "", "plugins/q.py": "", "a/b/c.py": ""})
    _git(root, "update-index", "--index-version", "4")
    tree = tgit.open_tree(str(root))
    assert tree.source == "dulwich" and tree.tracked == {"plugins/p.py", "plugins/q.py", "a/b/c.py"}
    assert tree.tracked_dirs == {"plugins", "a", "a/b"}


@needs_git
def test_target_fsmonitor_hook_is_never_run(tmp_path: Path) -> None:
    """``git ls-files`` runs ``core.fsmonitor`` from the repository's own config; the fallback must not."""
    root = tmp_path / "repo"
    _repo(root, {"a.py": ""})
    _git(root, "update-index", "--split-index")  # forces the git ls-files path
    sentinel = tmp_path / "PWNED"
    hook = tmp_path / "hook.sh"
    hook.write_text(f"#!/bin/sh\ntouch {sentinel}\n")
    hook.chmod(0o755)
    _git(root, "config", "core.fsmonitor", str(hook))
    tree = tgit.open_tree(str(root))
    assert tree.source == "git" and "a.py" in tree.tracked
    assert not sentinel.exists()


def test_unreadable_index_and_no_git_binary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "repo"
    _write(root, {".git/HEAD": "ref: refs/heads/main\n", ".git/index": "DIRC garbage", "a.py": ""})
    monkeypatch.setattr(tgit.shutil, "which", lambda _name: None)
    tree = tgit.open_tree(str(root))
    assert tree.problem is not None and "git is not installed" in tree.problem and "dulwich" in tree.problem


@pytest.mark.parametrize(
    "make,why",
    [
        (lambda g: g.mkdir(), "no HEAD"),  # an empty .git directory
        (lambda g: g.write_text("not a gitdir line\n"), "gitdir"),
        (lambda g: g.write_text("gitdir: ../nowhere\n"), "not a directory"),
        (lambda g: g.write_bytes(b"\xff\xfe\x00"), "unreadable"),
    ],
    ids=["empty-dir", "garbage-file", "gitdir-missing", "binary-file"],
)
def test_broken_dot_git_is_recorded_with_a_reason_and_a_note(tmp_path: Path, make, why: str) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "repo"
    _write(root, {".gitignore": "*.log\n", "a.py": "", "x.log": ""})
    make(root / ".git")
    r = DirectoryResolver(root)
    paths, skips = _listing(r)
    assert paths == [".gitignore", "a.py"]  # never a crash; ignore rules still apply
    assert skips == {".git": "git-unreadable", "x.log": "gitignored"}
    (rec,) = [s for s in r.skipped() if s.path == ".git"]
    assert why in rec.detail
    assert any(n.startswith(".git: git's index could not be read") for n in r.notes())


@needs_git
def test_corrupt_index_is_recorded_not_a_crash_and_scan_completes(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    _repo(root, {"a.py": PLUGIN}, later={".gitignore": "*.log\n", "x.log": ""})
    index = root / ".git" / "index"
    index.write_bytes(index.read_bytes()[:30])  # truncated: dulwich refuses, and so does git
    result = Scanner(load_catalog(), load_packs()).scan(root, Context(country="GB"))
    assert any(s.path == ".git" and s.reason == "git-unreadable" for s in result.skipped)
    assert any("git's index could not be read" in n for n in result.notes)
    assert ("a.py", "api.deepseek.com") in {(e.location.path, e.value) for e in result.evidence}


def test_fifo_named_gitignore_or_index_never_blocks(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    _write(
        root, {".git/HEAD": "ref: refs/heads/main\n", ".git/info/exclude": "*.log\n", "a.py": "", "x.log": ""}
    )
    os.mkfifo(root / ".gitignore")
    os.mkfifo(root / ".git" / "index")
    out: list[object] = []
    t = threading.Thread(target=lambda: out.append(_listing(DirectoryResolver(root))), daemon=True)
    t.start()
    t.join(20)
    assert out, "the walk blocked on a FIFO"
    paths, skips = out[0]  # type: ignore[misc]
    assert paths == ["a.py"] and skips[".gitignore"] == "special-file"
    assert skips[".git"] == "git-unreadable" and skips["x.log"] == "gitignored"  # the match read the index


def test_include_ignored_reads_no_git_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path, {".git/HEAD": "x", ".gitignore": "*.log\n", "x.log": ""})
    monkeypatch.setattr(tdir, "locate", lambda _top: pytest.fail("git state read with --include-ignored"))
    r = open_target(tmp_path, include_ignored=True)
    assert sorted(f.path for f in r.files()) == [".gitignore", "x.log"]


def test_index_is_read_only_when_an_ignore_rule_matches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path, {".git/HEAD": "x", ".gitignore": "*.log\n", "a.py": ""})
    monkeypatch.setattr(tdir, "read_tree", lambda _gd: pytest.fail("index read although nothing matched"))
    assert [f.path for f in DirectoryResolver(tmp_path).files()] == [".gitignore", "a.py"]


def test_a_target_the_enclosing_repository_ignores_is_scanned_as_given(tmp_path: Path) -> None:
    """`tierguard scan project/.venv` (or a site-packages inside pyenv's own git checkout): the enclosing
    tree ignores the target, but it was named on purpose; applying the outer rules would skip every file in it
    and report nothing. Its own .gitignore files still apply, and a note says what happened."""
    root = tmp_path / "project"
    _repo(root, {"app.py": "x = 1\n"}, later={".gitignore": ".venv/\n"})
    _write(
        root,
        {
            ".venv/lib/site-packages/client.py": 'BASE = "https://api.deepseek.com/v1"\n',
            ".venv/lib/site-packages/.gitignore": "cache/\n",
            ".venv/lib/site-packages/cache/x.py": 'BASE = "https://api.deepseek.com/v1"\n',
        },
    )
    paths, skipped = _listing(DirectoryResolver(root))  # the project: its .venv stays ignored
    assert ".venv/lib/site-packages/client.py" not in paths and skipped.get(".venv/") == "gitignored"
    venv = DirectoryResolver(root / ".venv")
    paths, _ = _listing(venv)
    assert "lib/site-packages/client.py" in paths
    assert "lib/site-packages/cache/x.py" not in paths  # the target's own .gitignore still applies
    assert any("scanned as given" in n for n in venv.notes())
    result = Scanner(load_catalog(), load_packs(None)).scan(root / ".venv", Context(country="GB"))
    assert any(e.value == "api.deepseek.com" for e in result.evidence)
    assert any("scanned as given" in n for n in result.notes)
