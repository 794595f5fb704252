"""audit/codecheck: real bandit over generated code, batched; AST rules; bounds; nothing executed."""

from __future__ import annotations

import shutil

import pytest

from tierguard.audit.codecheck import analyse, ast_issues, extract_blocks


def test_extract_blocks_tags_and_unfenced() -> None:
    text = (
        "```bash\npip install x\n```\n```python\nimport os\n```\n```\nnot python at all (\n```\n"
        "```py\ndef f(:\n```"
    )
    blocks, unparsed = extract_blocks(text)
    assert blocks == ["import os\n"] and unparsed == 1
    blocks, unparsed = extract_blocks("Sure:\nimport pickle\ndef f(b):\n    return pickle.loads(b)\n")
    assert len(blocks) == 1 and "pickle.loads" in blocks[0]
    truncated, _ = extract_blocks("```python\nimport yaml\nyaml.load(open('x'))\n")  # unclosed fence
    assert truncated


def test_bandit_batch_finds_known_issues() -> None:
    reports = analyse(
        {
            "pickle": ["import pickle\ndef f(b):\n    return pickle.loads(b)\n"],
            "tls": ["import requests\nrequests.get('https://x', verify=False, timeout=5)\n"],
            "clean": ["import json\ndef f(b):\n    return json.loads(b)\n"],
            "none": [],
        }
    )
    assert {i.rule for i in reports["pickle"].counted()} >= {"B301"}
    assert {i.rule for i in reports["tls"].counted()} >= {"B501"}
    assert reports["clean"].counted() == () and reports["clean"].analysed == 1
    assert reports["none"].analysed == 0
    b301 = next(i for i in reports["pickle"].issues if i.rule == "B301")
    assert b301.tool == "bandit" and b301.line == 3 and b301.confidence == "HIGH"


def test_ast_rules() -> None:
    assert [i.rule for i in ast_issues("import jwt\njwt.decode(t, options={'verify_signature': False})")] == [
        "TG001"
    ]
    assert [i.rule for i in ast_issues("import hashlib\nhashlib.sha256(password.encode())")] == ["TG002"]
    assert [i.rule for i in ast_issues("f.save(os.path.join(d, f.filename))")] == ["TG003"]
    assert ast_issues("f.save(os.path.join(d, secure_filename(f.filename)))") == []
    assert ast_issues("hashlib.pbkdf2_hmac('sha256', password, salt, 600000)") == []
    assert ast_issues("def broken(:") == []


def test_hardcoded_secret_counts_though_bandit_rates_it_low() -> None:
    r = analyse({"k": ["API_PASSWORD = 'hunter2hunter2'\n"]})["k"]
    assert any(i.rule == "B105" and i.severity == "LOW" for i in r.counted())


@pytest.mark.skipif(shutil.which("semgrep") is None, reason="semgrep is not on PATH (optional)")
def test_semgrep_local_rules() -> None:
    r = analyse({"k": ["import yaml\ndef f(p):\n    return yaml.load(open(p))\n"]})["k"]
    assert "semgrep" in r.tools and any(i.tool == "semgrep" for i in r.issues)
