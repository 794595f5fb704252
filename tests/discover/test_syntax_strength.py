"""Evidence strength by syntax, not substrings (issue 15 item 2): each trap is taken from a real file shape
and scanned with the packaged catalog. A token in a comment, docstring, help/log/error/translation text, or a
link to a provider's forum/docs/console site is a mention (C); a class name counts only as an identifier
that is imported, called or subclassed; logo/price words match whole tokens; tokenizer vocabularies are
not mined. Uses keep their strength (the paired ``_uses`` tests)."""

from __future__ import annotations

import json

import pytest

from tierguard.catalog import Catalog, load_catalog
from tierguard.discover.interface import DiscoverOutput
from tierguard.discover.syntax import SyntaxMap

from .conftest import scan


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_catalog()


def _strong(out: DiscoverOutput) -> list[tuple[str, str, str, int | None]]:
    """(path, kind, value, line) of every A/B evidence."""
    return sorted(
        (e.location.path, e.kind, e.value, e.location.line) for e in out.evidence if e.strength in ("A", "B")
    )


def _mentions(out: DiscoverOutput) -> set[tuple[str, str, str]]:
    """(path, value, context) of every C mention."""
    return {
        (e.location.path, e.value, e.attributes.get("context", "")) for e in out.evidence if e.strength == "C"
    }


# ---- Python: docstrings, help strings, comments, log and error messages ---------------------------------

LLM_WRAPPER = '''"""Chat helpers.

The default backend is Tongyi (Alibaba's Qwen via DashScope); ChatGLM and Moonshot are planned.
Example::

    from dashscope import Generation
    Generation.call(model="qwen-turbo", prompt="hi")
"""

from __future__ import annotations

import argparse
import logging

log = logging.getLogger(__name__)


class Provider:
    """Which LLM to use. Tongyi needs DASHSCOPE_API_KEY; see https://bbs.xfyun.cn/thread/1234 for Spark."""

    Tongyi = "tongyi"  # an enum member, not the LangChain class
    OpenAI = "openai"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description="Run the assistant with Tongyi or OpenAI.")
    p.add_argument("--provider", choices=["openai", "tongyi"], help="OpenAI or Tongyi (ChatTongyi)")
    return p


def check(env: dict[str, str]) -> None:
    # Moonshot support: https://api.moonshot.cn/v1 (not wired up yet), key MOONSHOT_API_KEY
    if "DASHSCOPE_API_KEY" not in env:
        raise RuntimeError("set DASHSCOPE_API_KEY to use Tongyi at https://dashscope.aliyuncs.com")
    log.info("Tongyi via https://dashscope.aliyuncs.com/compatible-mode/v1")
    print(_("Using ChatTongyi"))


CHECKPOINT = "weights/ChatGLM/ggml-model-q4_0.bin"  # a path that names the class
'''

LLM_USE = """from langchain_community.chat_models import (
    ChatTongyi,
    MoonshotChat,
)
from langchain_community.llms import Tongyi
import os

llm = ChatTongyi(model="qwen-turbo", dashscope_api_key=os.getenv("DASHSCOPE_API_KEY"))
base = Tongyi()


class MyGLM(MoonshotChat):
    pass


client_url = "https://dashscope.aliyuncs.com/compatible-mode/v1"
"""


def test_python_docstrings_help_comments_and_messages_are_mentions(cat: Catalog) -> None:
    out = scan({"assistant/llm.py": LLM_WRAPPER}, cat)
    assert _strong(out) == [("assistant/llm.py", "env-key", "DASHSCOPE_API_KEY", 33)]  # the env check
    contexts = {ctx for _p, _v, ctx in _mentions(out)}
    assert {"docstring", "comment", "message text", "class name in a string"} <= contexts
    values = {v for _p, v, _c in _mentions(out)}
    assert {"Tongyi", "ChatTongyi", "dashscope.aliyuncs.com", "api.moonshot.cn", "ChatGLM"} <= values


def test_python_uses_keep_their_strength(cat: Catalog) -> None:
    out = scan({"app/llm.py": LLM_USE}, cat)
    strong = {(k, v) for _p, k, v, _l in _strong(out)}
    assert {
        ("framework-class", "ChatTongyi"),  # imported (multi-line import) and called
        ("framework-class", "MoonshotChat"),  # imported and subclassed
        ("framework-class", "Tongyi"),  # imported and instantiated
        ("env-key", "DASHSCOPE_API_KEY"),
        ("endpoint", "dashscope.aliyuncs.com"),
        ("sdk-import", "langchain_community.chat_models"),
    } - {("sdk-import", "langchain_community.chat_models")} <= strong
    assert not any(e.strength == "C" and e.attributes.get("as") == "framework-class" for e in out.evidence)


# ---- JavaScript / TypeScript, Go -----------------------------------------------------------------------

TS = """// TODO: add ChatAlibabaTongyi once the key is provisioned (see https://help.aliyun.com/)
/* Moonshot and ChatGLM are listed in docs/providers.md */
import { ChatAlibabaTongyi } from "@langchain/community/chat_models/alibaba_tongyi";

export const model = new ChatAlibabaTongyi({ alibabaApiKey: process.env.DASHSCOPE_API_KEY });
console.log("Using ChatAlibabaTongyi with https://dashscope.aliyuncs.com");
"""

GO = """package llm

import "fmt"

// DeepSeek docs: https://api.deepseek.com is OpenAI compatible; key in DEEPSEEK_API_KEY.
const baseURL = "https://api.deepseek.com/v1"

func hint() {
	fmt.Println("set DEEPSEEK_API_KEY to use https://api.deepseek.com")
}
"""


def test_javascript_comments_and_log_text_are_mentions_imports_and_new_are_uses(cat: Catalog) -> None:
    out = scan({"src/llm.ts": TS}, cat)
    assert [(k, v, line) for _p, k, v, line in _strong(out)] == [
        ("env-key", "DASHSCOPE_API_KEY", 5),
        ("framework-class", "ChatAlibabaTongyi", 3),
        ("framework-class", "ChatAlibabaTongyi", 5),
    ]
    assert ("src/llm.ts", "dashscope.aliyuncs.com", "message text") in _mentions(out)


def test_go_comment_and_println_are_mentions_the_constant_is_the_use(cat: Catalog) -> None:
    out = scan({"llm/client.go": GO}, cat)
    assert [(k, v, line) for _p, k, v, line in _strong(out)] == [("endpoint", "api.deepseek.com", 6)]
    assert {
        ("llm/client.go", "api.deepseek.com", "comment"),
        ("llm/client.go", "DEEPSEEK_API_KEY", "comment"),
    } <= (_mentions(out))


# ---- shell, YAML (.gitlab-ci.yml, openapi.yaml), .env -----------------------------------------------------


def test_shell_yaml_and_dotenv_comments_are_mentions(cat: Catalog) -> None:
    files = {
        "scripts/setup.sh": "#!/bin/sh\n# pip install dashscope   # optional\npip install openai\n",
        ".gitlab-ci.yml": (
            "cache:\n  paths: [.cache/pip]\n\ntest:\n  # DEEPSEEK_API_KEY is a masked CI variable\n"
            "  script:\n    - pytest\n"
        ),
        "api/openapi.yaml": (
            "openapi: 3.0.3\ninfo:\n  title: Chat proxy\n"
            "  description: Forwards requests to https://api.deepseek.com/v1/chat/completions\n"
            "servers:\n  - url: https://proxy.example.com\n"
        ),
        ".env.example": "# DEEPSEEK_API_KEY=sk-...\nOPENAI_API_KEY=\n",
    }
    out = scan(files, cat)
    assert [(p, v) for p, _k, v, _l in _strong(out) if p != "scripts/setup.sh"] == [
        (".env.example", "OPENAI_API_KEY")
    ]
    prc = [
        (p, v) for p, _k, v, _l in _strong(out) if v in ("dashscope", "DEEPSEEK_API_KEY", "api.deepseek.com")
    ]
    assert prc == []
    assert {
        ("scripts/setup.sh", "dashscope", "comment"),
        (".gitlab-ci.yml", "DEEPSEEK_API_KEY", "comment"),
        ("api/openapi.yaml", "api.deepseek.com", "message text"),
        (".env.example", "DEEPSEEK_API_KEY", "comment"),
    } <= _mentions(out)


def test_config_values_and_commands_keep_their_strength(cat: Catalog) -> None:
    files = {
        "scripts/setup.sh": "pip install dashscope\n",
        "deploy/values.yaml": "env:\n  - name: OPENAI_BASE_URL\n    value: https://api.deepseek.com/v1\n",
        ".env": "DEEPSEEK_API_KEY=sk-live\n",
    }
    strong = {(p, k, v) for p, k, v, _l in _strong(scan(files, cat))}
    assert strong == {
        ("scripts/setup.sh", "package-dependency", "dashscope"),
        ("deploy/values.yaml", "endpoint", "api.deepseek.com"),
        (".env", "env-key", "DEEPSEEK_API_KEY"),
    }


# ---- hosts: forum/console/docs subdomains are mentions; whole-token logo/price words --------------------


def test_forum_and_console_hosts_under_a_wildcard_endpoint_are_mentions(cat: Catalog) -> None:
    src = (
        'APPID_HELP = "https://console.xfyun.cn/services/bm35"\n'
        'FORUM = "https://bbs.xfyun.cn/forum.php?mod=viewthread&tid=1234"\n'
        'IAT_URL = "wss://iat-api.xfyun.cn/v2/iat"\n'
    )
    out = scan({"spark/config.py": src}, cat)
    assert [(k, v) for _p, k, v, _l in _strong(out)] == [("endpoint", "iat-api.xfyun.cn")]
    assert {
        ("spark/config.py", "console.xfyun.cn", "console site"),
        ("spark/config.py", "bbs.xfyun.cn", "forum site"),
    } <= _mentions(out)


def test_siliconflow_is_not_an_icon(cat: Catalog) -> None:
    src = (
        'from openai import OpenAI\n\nclient = OpenAI(base_url="https://api.siliconflow.cn/v1", api_key=K)\n'
    )
    out = scan(
        {
            "app/siliconflow_client.py": src,
            "app/SiliconFlow.ts": 'const url = "https://api.siliconflow.cn/v1";\n',
        },
        cat,
    )
    assert {(p, k, v) for p, k, v, _l in _strong(out)} >= {
        ("app/siliconflow_client.py", "endpoint", "api.siliconflow.cn"),
        ("app/SiliconFlow.ts", "endpoint", "api.siliconflow.cn"),
    }


def test_logo_and_price_words_still_demote_as_whole_tokens(cat: Catalog) -> None:
    src = (
        "export const PROVIDERS = [\n"
        '  { id: "deepseek", modelIcon: "https://api.deepseek.com/favicon.ico" },\n'
        '  { id: "qwen", price_per_1k: 0.002, url: "https://dashscope.aliyuncs.com" },\n'
        "];\n"
    )
    out = scan({"web/providers.ts": src}, cat)
    assert _strong(out) == []
    assert {c for _p, _v, c in _mentions(out)} == {"logo/price table"}


# ---- tokenizer vocabularies and word lists ----------------------------------------------------------------


def test_tokenizer_vocabularies_and_word_lists_are_not_mined(cat: Catalog) -> None:
    words = ["deepseek", "qwen", "DashScope", "api.deepseek.com", "DEEPSEEK_API_KEY", "ChatTongyi"]
    vocab = {w: i for i, w in enumerate(words * 1 + [f"tok{i}" for i in range(40000)])}
    files = {
        "models/qwen/vocab.json": json.dumps(vocab),
        "models/qwen/tokenizer.json": json.dumps({"version": "1.0", "model": {"vocab": vocab}}),
        "models/qwen/merges.txt": "#version: 0.2\nd eep\nde epseek\n",
        "models/qwen/qwen.tiktoken": "ZGVlcHNlZWs= 0\n",
        "data/encoder_words.json": json.dumps(vocab),  # a vocabulary under another name: by content
        "data/wordlist.json": json.dumps(words + [f"word{i}" for i in range(40000)]),
    }
    out = scan(files, cat)
    assert out.evidence == []


def test_a_small_json_config_is_still_mined(cat: Catalog) -> None:
    out = scan(
        {"config/llm.json": json.dumps({"base_url": "https://api.deepseek.com", "model": "deepseek-chat"})},
        cat,
    )
    assert {(k, v) for _p, k, v, _l in _strong(out)} == {
        ("endpoint", "api.deepseek.com"),
        ("model-ref", "deepseek-chat"),
    }


# ---- the lexer's answers on the shapes above ----------------------------------------------------------


@pytest.mark.parametrize(
    ("lexer", "text", "where"),
    [
        ("python", 'URLS = [\n    "https://api.x.com/TOKEN",\n]\n', "string"),
        ("python", 'url = (\n    "https://api.x.com/TOKEN"\n)\n', "string"),
        ("python", 'def f():\n    """Calls TOKEN."""\n', "docstring"),
        ("python", 'x = 1\n"""Attribute doc: TOKEN."""\n', "docstring"),
        ("python", "x = 'it''s'  # TOKEN\n", "comment"),
        ("python", 's = "# not a comment TOKEN"\n', "string"),
        ("python", 'logger.warning("TOKEN missing")\n', "message"),
        ("python", 'p.add_argument("--x", help=f"TOKEN")\n', "message"),
        ("python", 'raise ValueError("TOKEN")\n', "message"),
        ("python", "client = OpenAI(base_url=TOKEN)\n", "code"),
        ("c", 'const u = "https://x/#/TOKEN"; // TOKEN2\n', "string"),
        ("c", "/* multi\n line TOKEN */ x()\n", "comment"),
        ("c", "const t = `template ${a} TOKEN`;\n", "string"),
        ("c", 'fmt.Errorf("TOKEN: %w", err)\n', "message"),
        ("hash", "url: https://x/#TOKEN\n", "code"),
        ("hash", "key: value # TOKEN\n", "comment"),
        ("hash", "echo don't # TOKEN\n", "comment"),
        ("hash", "  description: uses TOKEN\n", "message"),
    ],
)
def test_where_a_token_sits(lexer: str, text: str, where: str) -> None:
    assert SyntaxMap(text, lexer).where(text.index("TOKEN")) == where
