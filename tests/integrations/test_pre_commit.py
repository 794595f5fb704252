"""The pre-commit hook (.pre-commit-hooks.yaml), run for real: pre-commit clones a git repository holding this
project at a commit, installs it into the hook's own virtualenv (pip, from the package registry for
tierguard's dependencies) and runs the hook in a temporary repository. One install serves every case.

The hook repository is a copy of the project's installable files committed in a fresh git repository, so the
test runs the same on a developer's tree with uncommitted work and on CI's clean checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HOOK_FILES = ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml", "src")
NETWORK_ERRORS = (
    "Could not find a version that satisfies",
    "No matching distribution found",
    "Failed to establish a new connection",
    "Temporary failure in name resolution",
    "Network is unreachable",
    "ProxyError",
)
DEEPSEEK_APP = """\
import os

from openai import OpenAI

client = OpenAI(api_key=os.environ["DEEPSEEK_API_KEY"], base_url="https://api.deepseek.com")
reply = client.chat.completions.create(model="deepseek-chat", messages=[{"role": "user", "content": "hi"}])
print(reply.choices[0].message.content)
"""
CLEAN_APP = """\
def add(a: int, b: int) -> int:
    return a + b
"""

pytestmark = pytest.mark.skipif(
    os.environ.get("TIERGUARD_SKIP_PRE_COMMIT") == "1",
    reason="TIERGUARD_SKIP_PRE_COMMIT=1 (the hook test installs tierguard's dependencies from the registry)",
)


def _pre_commit() -> list[str]:
    try:
        import pre_commit  # noqa: F401
    except ImportError:
        pytest.skip("pre-commit is not installed (test extra)")
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    return [sys.executable, "-m", "pre_commit"]


def _git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True, timeout=120
    )
    return done.stdout.strip()


def _repo(path: Path, files: dict[str, str]) -> Path:
    path.mkdir(parents=True)
    for name, text in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text, encoding="utf-8")
    _git(path, "init", "-q", "-b", "main")
    _git(path, "add", "-A")
    _git(path, "commit", "-q", "-m", "init")
    return path


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A git repository holding the project's installable files, and the commit pre-commit pins."""
    repo = tmp_path_factory.mktemp("hookrepo") / "tierguard"
    repo.mkdir()
    for name in HOOK_FILES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, repo / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(src, repo / name)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "tierguard at the tested tree")
    return repo, _git(repo, "rev-parse", "HEAD")


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def _config(hook_repo: tuple[Path, str], args: list[str]) -> str:
    repo, rev = hook_repo
    quoted = ", ".join(args)
    hook = f"      - id: tierguard\n        args: [{quoted}]\n"
    return f"repos:\n  - repo: {repo}\n    rev: {rev}\n    hooks:\n{hook}"


def _run(cmd: list[str], repo: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(home),
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "NO_COLOR": "1",
    }
    env.pop("VIRTUAL_ENV", None)
    done = subprocess.run(
        [*cmd, "run", "--all-files", "--color", "never"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    out = done.stdout + done.stderr
    if done.returncode not in (0, 1) or "An unexpected error has occurred" in out:
        if any(e in out for e in NETWORK_ERRORS):
            pytest.skip("the package registry is not reachable: pre-commit could not install the hook's env")
        log = home / "pre-commit.log"
        extra = log.read_text(errors="replace")[-3000:] if log.exists() else ""
        raise AssertionError(f"pre-commit failed ({done.returncode}):\n{out[-3000:]}\n{extra}")
    return done


def test_hook_fails_on_deepseek_api_and_passes_a_clean_repo(
    tmp_path: Path, hook_repo: tuple[Path, str], pre_commit_home: Path
) -> None:
    cmd = _pre_commit()
    args = ["--country", "GB", "--sector", "government"]
    dirty = _repo(
        tmp_path / "dirty",
        {".pre-commit-config.yaml": _config(hook_repo, args), "app/chat.py": DEEPSEEK_APP},
    )
    done = _run(cmd, dirty, pre_commit_home)
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert "tierguard" in out and "Failed" in out
    assert "deny" in out.lower() and "DeepSeek" in out

    clean = _repo(
        tmp_path / "clean",
        {".pre-commit-config.yaml": _config(hook_repo, args), "app/calc.py": CLEAN_APP},
    )
    done = _run(cmd, clean, pre_commit_home)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Passed" in done.stdout

    # without a deployment context the DeepSeek API is 'review' (fail closed, never 'allow'): the default
    # --fail-on deny passes it, and the user's --fail-on review (which overrides the entry's) fails it
    review = _repo(
        tmp_path / "review",
        {".pre-commit-config.yaml": _config(hook_repo, ["--fail-on", "review"]), "app/chat.py": DEEPSEEK_APP},
    )
    done = _run(cmd, review, pre_commit_home)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "no deployment context" in (done.stdout + done.stderr)
