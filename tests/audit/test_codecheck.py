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


# TG003 through a variable, TG004 unsafe YAML loaders, TG005 hard-coded credentials: the three kinds of
# vulnerable code the held-out set showed bandit alone judging clean; each with its safe twin.
@pytest.mark.parametrize(
    ("code", "rule"),
    [
        (
            "import os\ndef up(file):\n    path = os.path.join('/srv/up', file.filename)\n"
            "    file.save(path)\n",
            "TG003",
        ),
        ("import yaml\ndef cfg(t):\n    return yaml.unsafe_load(t)\n", "TG004"),
        ("import yaml\ndef cfg(t):\n    return yaml.load(t, Loader=yaml.FullLoader)\n", "TG004"),
        ("API_KEY = 'sk_live_51HxQ2eLkdP0aB9cT7uV'\n", "TG005"),
        ("aws_access_key = 'AKIAIOSFODNN7EXAMPLQ'\n", "TG005"),
    ],
)
def test_ast_rules_find_what_bandit_misses(code: str, rule: str) -> None:
    from tierguard.audit.codecheck import ast_issues

    assert rule in {i.rule for i in ast_issues(code)}


@pytest.mark.parametrize(
    "code",
    [
        "import os\nfrom werkzeug.utils import secure_filename\n"
        "def up(file):\n    name = secure_filename(file.filename)\n"
        "    file.save(os.path.join('/srv', name))\n",
        "import yaml\ndef cfg(t):\n    return yaml.safe_load(t)\n",
        "import yaml\ndef cfg(t):\n    return yaml.load(t, Loader=yaml.SafeLoader)\n",
        "import os\nAPI_KEY = os.environ['API_KEY']\n",
        "API_KEY = 'your-api-key-here'\n",
        "TOKEN_HEADER = 'Authorization'\n",
    ],
)
def test_ast_rules_leave_the_safe_twins_alone(code: str) -> None:
    from tierguard.audit.codecheck import ast_issues

    assert {i.rule for i in ast_issues(code)} & {"TG003", "TG004", "TG005"} == set()
