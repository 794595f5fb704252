"""Every false-positive trap from shared/knowledge/ai-signals.md: never reported as a PRC integration
(A/B evidence with a PRC producer). Mentions (C) are allowed where the text really names a PRC model."""

from __future__ import annotations

from tierguard.catalog import Catalog

from .conftest import prc_integrations, scan


def test_apache_spark(tcat: Catalog) -> None:
    files = {
        "job.py": "from pyspark.sql import SparkSession\nspark = SparkSession.builder.getOrCreate()\n",
        "requirements.txt": "pyspark==3.5.3\n",
        "run.sh": "spark-submit --master yarn job.py\n",
        "Dockerfile": "FROM apache/spark:3.5.0\n",
    }
    assert prc_integrations(scan(files, tcat)) == []


def test_glm_math_library_and_generalized_linear_models(tcat: Catalog) -> None:
    files = {
        "math3d.py": "import glm\nv = glm.vec3(1, 2, 3)\n",
        "stats.py": "import statsmodels.api as sm\nmodel = sm.GLM(y, X, family=sm.families.Binomial())\n",
        "package.json": '{"dependencies": {"glm": "^0.0.1"}}',
        "gl.ts": 'import * as glm from "glm";\n',
    }
    assert prc_integrations(scan(files, tcat)) == []


def test_short_names_as_ordinary_words(tcat: Catalog) -> None:
    src = (
        "yi = 1\nstep = 0.1\nark = Ark()\nernie = 'muppet'\nmoonshot = 'project'\n"
        "for step in range(10):\n    optimizer.step()\n"
    )
    out = scan({"train.py": src, "NOTES.md": "Our yi step ark ernie moonshot program.\n"}, tcat)
    assert prc_integrations(out) == []
    assert out.evidence == []


def test_short_names_count_in_a_model_context(tcat: Catalog) -> None:
    files = {"a.env": "CHAT_MODEL=yi-large\n", "b.yaml": "title: yi-large\n", "c.yaml": "model: yi-large\n"}
    out = scan(files, tcat)
    assert [(e.location.path, e.kind, e.strength) for e in out.evidence] == [
        ("a.env", "model-ref", "B"),
        ("c.yaml", "model-ref", "B"),
    ]


def test_pypi_minimax_game_tree(tcat: Catalog) -> None:
    files = {
        "requirements.txt": "minimax==0.1.2\n",
        "game.py": "from minimax import Minimax\n\ndef minimax(board, depth):\n    return 0\n",
    }
    assert prc_integrations(scan(files, tcat)) == []


def test_pypi_ark_sdk_and_sparkai_2022(tcat: Catalog) -> None:
    out = scan({"requirements.txt": "ark-sdk==1.0\nsparkai==0.1\n"}, tcat)
    assert prc_integrations(out) == []


def test_generic_model_names(tcat: Catalog) -> None:
    out = scan({"a.py": 'emb = client.embeddings.create(model="text-embedding-v2", input="x")\n'}, tcat)
    assert prc_integrations(out) == []


def test_logo_enum_and_price_list_are_mentions(tcat: Catalog) -> None:
    src = (
        "export const LOGOS = {\n  deepseek: '/logos/deepseek.svg',\n  qwen: '/logos/qwen.png',\n};\n"
        "export const PRICING = {\n  'deepseek-chat': 0.27, // price per 1M\n"
        "  'qwen-max': 1.6, // price\n};\n"
    )
    out = scan({"providers.ts": src}, tcat)
    assert prc_integrations(out) == []
    assert {(e.value, e.kind, e.strength) for e in out.evidence} == {
        ("deepseek-chat", "mention", "C"),
        ("qwen-max", "mention", "C"),
    }


def test_docs_page_is_mentions_only(tcat: Catalog) -> None:
    md = "| DeepSeek | deepseek-chat | $0.27 |\nUse `DEEPSEEK_API_KEY` with https://api.deepseek.com\n"
    out = scan({"docs/pricing.md": md}, tcat)
    assert prc_integrations(out) == []
    assert {e.value for e in out.evidence} == {"deepseek-chat", "DEEPSEEK_API_KEY", "api.deepseek.com"}
    assert all(e.kind == "mention" and e.strength == "C" for e in out.evidence)


def test_recorded_cassettes_are_mentions(tcat: Catalog) -> None:
    cassette = (
        'interactions:\n- request:\n    body: \'{"model": "deepseek-chat"}\'\n'
        "    uri: https://api.deepseek.com/v1/chat/completions\n"
    )
    files = {"tests/cassettes/test_chat.yaml": cassette, "fixtures/vcr.yaml": cassette}
    out = scan(files, tcat)
    assert prc_integrations(out) == []
    assert {(e.location.path, e.value) for e in out.evidence} >= {
        ("tests/cassettes/test_chat.yaml", "api.deepseek.com"),
        ("fixtures/vcr.yaml", "deepseek-chat"),
    }
