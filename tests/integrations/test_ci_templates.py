"""The GitHub Action (action.yml) and the GitLab CI template (ci-templates/gitlab/tierguard.gitlab-ci.yml).

Three levels: (1) both validate against the schemas SchemaStore publishes for them, as vendored by
check-jsonschema (offline); (2) the action's structure: every input used exists, every input is used, run
steps set a shell, the SARIF upload runs always(), inputs reach scripts only through env; (3) the scripts
themselves run under bash against a real tierguard (this environment's) on a repository that calls
DeepSeek's API and on a clean one: exit codes, the SARIF file, the gate, the baseline, the GitLab
code-quality report. Only what GitHub/GitLab do around the scripts (setup-python, the upload) is not run."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.schema_validators import sarif_validator, schema_errors

ROOT = Path(__file__).resolve().parents[2]
ACTION = ROOT / "action.yml"
GITLAB = ROOT / "ci-templates" / "gitlab" / "tierguard.gitlab-ci.yml"
BIN = Path(sys.executable).parent
EXPR = re.compile(r"\$\{\{\s*([^}]+?)\s*\}\}")
DEEPSEEK_APP = (
    "import os\nfrom openai import OpenAI\n\n"
    'client = OpenAI(api_key=os.environ["DEEPSEEK_API_KEY"], base_url="https://api.deepseek.com")\n'
    'client.chat.completions.create(model="deepseek-chat", messages=[])\n'
)


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def _tierguard() -> None:
    if not (BIN / "tierguard").exists():
        pytest.skip(f"no tierguard console script beside {sys.executable} (pip install -e .)")


def _tree(path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text, encoding="utf-8")
    return path


# ---- (1) the published schemas ------------------------------------------------------------------------


def _check_jsonschema(schema: str, path: Path) -> subprocess.CompletedProcess[str]:
    if shutil.which("check-jsonschema", path=str(BIN)) is None:
        pytest.skip("check-jsonschema is not installed (test extra)")
    exe = shutil.which("check-jsonschema", path=str(BIN))
    assert exe is not None
    return subprocess.run(
        [exe, "--builtin-schema", schema, str(path)], capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("schema", "path"), [("vendor.github-actions", ACTION), ("vendor.gitlab-ci", GITLAB)]
)
def test_validates_against_the_published_schema(schema: str, path: Path) -> None:
    done = _check_jsonschema(schema, path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_schema_check_rejects_a_broken_action(tmp_path: Path) -> None:
    """A composite run step without ``shell`` (GitHub refuses it) fails the same check."""
    action = _load(ACTION)
    del action["runs"]["steps"][1]["shell"]
    broken = tmp_path / "action.yml"
    broken.write_text(yaml.safe_dump(action), encoding="utf-8")
    assert _check_jsonschema("vendor.github-actions", broken).returncode != 0


def test_schema_check_rejects_a_broken_gitlab_job(tmp_path: Path) -> None:
    job = _load(GITLAB)
    job["tierguard"]["artifacts"] = {"when": "sometimes"}  # the schema leaves hidden (.name) jobs open
    broken = tmp_path / "t.gitlab-ci.yml"
    broken.write_text(yaml.safe_dump(job), encoding="utf-8")
    assert _check_jsonschema("vendor.gitlab-ci", broken).returncode != 0


# ---- (2) the action's structure -----------------------------------------------------------------------


def _exprs(value: Any) -> list[str]:
    if isinstance(value, str):
        return EXPR.findall(value)
    if isinstance(value, dict):
        return [e for v in value.values() for e in _exprs(v)]
    if isinstance(value, list):
        return [e for v in value for e in _exprs(v)]
    return []


def test_action_inputs_are_declared_used_and_reach_scripts_only_through_env() -> None:
    action = _load(ACTION)
    declared = set(action["inputs"])
    used = {m for e in _exprs(action) for m in re.findall(r"inputs\.([\w-]+)", e)}
    assert used <= declared, used - declared
    assert declared <= used, f"inputs never used: {declared - used}"
    for step in action["runs"]["steps"]:
        if "run" in step:
            assert step.get("shell") == "bash", step["name"]
            assert "${{" not in step["run"], f"{step['name']}: an expression pasted into a script"
    assert action["runs"]["using"] == "composite"
    for name in (
        "country",
        "sector",
        "fail-on",
        "baseline",
        "sarif-file",
        "python-version",
        "version",
        "path",
    ):
        assert name in declared


def test_action_uploads_sarif_always_then_gates() -> None:
    steps = _load(ACTION)["runs"]["steps"]
    names = [s.get("id") or s.get("uses", s["name"]) for s in steps]
    upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@"))
    assert upload["uses"].endswith("@v3")
    assert "always()" in upload["if"]
    assert upload["with"]["sarif_file"] == "${{ steps.scan.outputs.sarif-file }}"
    gate = steps[-1]
    assert "always()" in gate["if"] and "TG_CODE" in gate["env"]
    assert names.index("scan") < steps.index(upload) < len(steps) - 1
    install = next(s for s in steps if s["name"] == "Install tierguard")
    assert install["env"]["TG_ACTION_PATH"] == "${{ github.action_path }}"
    assert steps[0]["uses"].startswith("actions/setup-python@")


# ---- (3) the scripts, run --------------------------------------------------------------------------------


def _step(name: str) -> dict[str, Any]:
    return next(s for s in _load(ACTION)["runs"]["steps"] if s.get("id") == name or s["name"] == name)


def _env(step: dict[str, Any], values: dict[str, str]) -> dict[str, str]:
    """The step's env with ``${{ ... }}`` replaced: inputs from ``values`` or their defaults."""
    inputs = _load(ACTION)["inputs"]

    def value(expr: str) -> str:
        if expr.startswith("inputs."):
            key = expr.removeprefix("inputs.")
            return values.get(key, str(inputs[key].get("default", "")))
        return values[expr]

    return {k: EXPR.sub(lambda m: value(m.group(1)), str(v)) for k, v in step.get("env", {}).items()}


def _run_step(name: str, cwd: Path, values: dict[str, str]) -> tuple[int, str, dict[str, str]]:
    step = _step(name)
    outputs = cwd / ".github_output"
    outputs.write_text("", encoding="utf-8")
    env = {
        **os.environ,
        **_env(step, values),
        "GITHUB_OUTPUT": str(outputs),
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],  # as GitHub runs shell: bash
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = dict(line.split("=", 1) for line in outputs.read_text(encoding="utf-8").splitlines() if "=" in line)
    return done.returncode, done.stdout + done.stderr, out


def _scan_and_gate(cwd: Path, values: dict[str, str]) -> tuple[dict[str, str], int, str]:
    code, log, out = _run_step("scan", cwd, values)
    assert code == 0, log  # the scan step never fails itself: the upload must still run
    gate_code, gate_log, _ = _run_step(
        "Gate on the scan's exit code",
        cwd,
        {
            **values,
            "steps.scan.outputs.exit-code": out.get("exit-code", ""),
            "steps.scan.outputs.sarif-file": out.get("sarif-file", ""),
        },
    )
    return out, gate_code, gate_log


def test_action_scan_fails_the_job_on_deepseek_api_with_sarif_written(tmp_path: Path) -> None:
    _tierguard()
    repo = _tree(tmp_path / "repo", {"app/chat.py": DEEPSEEK_APP})
    out, gate, log = _scan_and_gate(repo, {"country": "GB", "sector": "government"})
    assert out["exit-code"] == "1" and out["sarif-file"] == "tierguard.sarif"
    sarif = json.loads((repo / "tierguard.sarif").read_text(encoding="utf-8"))
    assert schema_errors(sarif_validator(), sarif) == []
    denies = [r for r in sarif["runs"][0]["results"] if r["level"] == "error"]
    assert any(
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "app/chat.py" for r in denies
    )
    assert gate == 1 and "::error title=tierguard::" in log and "result(s) by level" in log


def test_action_passes_a_clean_repo_and_honours_fail_on(tmp_path: Path) -> None:
    _tierguard()
    clean = _tree(tmp_path / "clean", {"calc.py": "def add(a, b):\n    return a + b\n"})
    out, gate, log = _scan_and_gate(clean, {"country": "GB", "sector": "government"})
    assert (out["exit-code"], gate) == ("0", 0), log
    # no context: the DeepSeek API is 'review', which fails only with fail-on review
    repo = _tree(tmp_path / "repo", {"app/chat.py": DEEPSEEK_APP})
    out, gate, _ = _scan_and_gate(repo, {})
    assert (out["exit-code"], gate) == ("0", 0)
    out, gate, _ = _scan_and_gate(repo, {"fail-on": "review", "sarif-file": "out/r.sarif"})
    assert (out["exit-code"], gate, out["sarif-file"]) == ("1", 1, "out/r.sarif")


def test_action_usage_error_fails_with_2_and_no_sarif(tmp_path: Path) -> None:
    _tierguard()
    repo = _tree(tmp_path / "repo", {"app/chat.py": DEEPSEEK_APP})
    out, gate, log = _scan_and_gate(repo, {"fail-on": "sometimes"})
    assert out["exit-code"] == "2" and out["sarif-file"] == ""
    assert gate == 2 and "did not run" in log


def _baseline_supported() -> None:
    _tierguard()
    help_text = subprocess.run(
        [str(BIN / "tierguard"), "scan", "--help"], capture_output=True, text=True, timeout=60
    ).stdout
    if "--baseline" not in help_text:
        pytest.skip("this tierguard has no 'scan --baseline' yet")


def _write_baseline(repo: Path, scan_path: str, baseline: str) -> None:
    ctx = ["--country", "GB", "--sector", "government"]
    (repo / baseline).parent.mkdir(parents=True, exist_ok=True)
    cmd = [str(BIN / "tierguard"), "scan", scan_path, *ctx, "--format", "json", "--output", baseline]
    base = subprocess.run([*cmd, "--no-progress"], cwd=repo, capture_output=True, text=True, timeout=300)
    assert base.returncode == 1 and (repo / baseline).exists(), base.stderr


MOONSHOT_APP = 'import requests\nrequests.post("https://api.moonshot.cn/v1/chat/completions")\n'


def test_action_baseline_fails_only_on_what_is_new(tmp_path: Path) -> None:
    """The baseline lies outside the scanned path (``path: app``, baseline at the repository root)."""
    _baseline_supported()
    repo = _tree(tmp_path / "repo", {"app/chat.py": DEEPSEEK_APP})
    _write_baseline(repo, "app", "baseline.json")
    values = {"path": "app", "country": "GB", "sector": "government", "baseline": "baseline.json"}
    out, gate, log = _scan_and_gate(repo, values)
    assert (out["exit-code"], gate) == ("0", 0), log  # the DeepSeek use is in the baseline
    _tree(repo, {"app/moon.py": MOONSHOT_APP})
    out, gate, log = _scan_and_gate(repo, values)
    assert (out["exit-code"], gate) == ("1", 1), log  # a new PRC-hosted API is not


def test_action_baseline_committed_inside_the_scanned_tree(tmp_path: Path) -> None:
    """A committed baseline is a tierguard result: skipped as ``tierguard-report``, not read as new uses."""
    _baseline_supported()
    repo = _tree(tmp_path / "repo", {"app/chat.py": DEEPSEEK_APP})
    _write_baseline(repo, ".", ".tierguard/baseline.json")
    values = {"country": "GB", "sector": "government", "baseline": ".tierguard/baseline.json"}
    out, gate, log = _scan_and_gate(repo, {**values, "sarif-file": "../tierguard.sarif"})
    assert (out["exit-code"], gate) == ("0", 0), log


# ---- the GitLab job's script ----------------------------------------------------------------------------


def _gitlab(cwd: Path, variables: dict[str, str]) -> tuple[int, str]:
    job = _load(GITLAB)[".tierguard"]
    script = "\n".join(job["script"])
    env = {
        **os.environ,
        **{k: str(v) for k, v in job["variables"].items()},
        "TIERGUARD_INSTALL": "",  # tierguard is installed here; the template pip-installs it in its image
        **variables,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    done = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return done.returncode, done.stdout + done.stderr


def test_gitlab_job_fails_with_code_quality_report_and_passes_clean(tmp_path: Path) -> None:
    _tierguard()
    repo = _tree(tmp_path / "repo", {"app/chat.py": DEEPSEEK_APP})
    code, log = _gitlab(repo, {"TIERGUARD_ARGS": "--country GB --sector government"})
    assert code == 1, log
    assert "FAILED" in log
    sarif = json.loads((repo / "tierguard.sarif").read_text(encoding="utf-8"))
    assert schema_errors(sarif_validator(), sarif) == []
    issues = json.loads((repo / "gl-code-quality-report.json").read_text(encoding="utf-8"))
    critical = [i for i in issues if i["severity"] == "critical"]
    assert critical and all(
        set(i) >= {"description", "check_name", "fingerprint", "location"} for i in issues
    )
    assert any(i["location"]["path"] == "app/chat.py" and "DeepSeek" in i["description"] for i in critical)
    assert len({i["fingerprint"] for i in issues}) == len(issues)

    clean = _tree(tmp_path / "clean", {"calc.py": "x = 1\n"})
    code, log = _gitlab(clean, {"TIERGUARD_ARGS": "--country GB --sector government"})
    assert code == 0, log
    assert json.loads((clean / "gl-code-quality-report.json").read_text(encoding="utf-8")) == []

    code, log = _gitlab(clean, {"TIERGUARD_FAIL_ON": "sometimes"})
    assert code == 2 and "did not run" in log
