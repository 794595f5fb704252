"""PRC provider SDKs on PyPI, npm, Go and Maven (issue 15 item 3): every catalog entry added for them is
found from an import and from a declared dependency, and becomes an sdk-dependency asset with the right
producer. Runs discover + identify over in-memory files with the packaged catalog."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from tierguard.catalog import Catalog, load_catalog
from tierguard.discover.engine import run_detectors
from tierguard.discover.registry import DETECTORS
from tierguard.identify.code import identify_evidence
from tierguard.model import Asset
from tierguard.targets.memory import MemoryResolver


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def _assets(files: Mapping[str, str], catalog: Catalog) -> list[Asset]:
    out = run_detectors(MemoryResolver(files), DETECTORS, catalog)  # type: ignore[arg-type]
    return identify_evidence(out.evidence, catalog)


def _sdk(assets: list[Asset]) -> dict[str, set[str]]:
    """sdk-dependency asset name -> producer ids."""
    return {a.name: {p.id for p in a.provenance.producers} for a in assets if a.kind == "sdk-dependency"}


TC_GO = "github.com/tencentcloud/tencentcloud-sdk-go"
TC_JAVA = "com.tencentcloudapi:tencentcloud-sdk-java"
GO_MAIN = "package main\n\nimport "


def _go(module: str, version: str = "v1.0.0") -> dict[str, str]:
    return {"go.mod": f"module x\n\nrequire {module} {version}\n"}


# (package as "<ecosystem>:<name>", producer, a source file using it, a manifest declaring it)
CASES: list[tuple[str, str, dict[str, str], dict[str, str]]] = [
    # Tencent Cloud speech and LKE, dedicated PyPI packages
    (
        "pypi:tencentcloud-sdk-python-asr",
        "tencent",
        {"a.py": "from tencentcloud.asr.v20190614 import asr_client, models\n"},
        {"requirements.txt": "tencentcloud-sdk-python-asr==3.0.1\n"},
    ),
    (
        "pypi:tencentcloud-sdk-python-tts",
        "tencent",
        {"a.py": "from tencentcloud.tts.v20190823 import tts_client\n"},
        {"requirements.txt": "tencentcloud-sdk-python-tts>=3\n"},
    ),
    (
        "pypi:tencentcloud-sdk-python-lkeap",
        "tencent",
        {"a.py": "from tencentcloud.lkeap.v20240522 import lkeap_client\n"},
        {"pyproject.toml": '[project]\nname = "x"\ndependencies = ["tencentcloud-sdk-python-lkeap"]\n'},
    ),
    (
        "pypi:byteplussdk-arkruntime",
        "bytedance",
        {"a.py": "from byteplussdkarkruntime import Ark\n"},
        {"requirements.txt": "byteplussdk-arkruntime\n"},
    ),
    (
        "pypi:sensenova",
        "sensetime",
        {"a.py": "import sensenova\n"},
        {"requirements.txt": "sensenova==1.0.6\n"},
    ),
    (
        "pypi:xfyunsdkspark",
        "iflytek",
        {"a.py": "from xfyunsdkspark.oral_client import OralClient\n"},
        {"requirements.txt": "xfyunsdkspark\n"},
    ),
    (
        "pypi:xfyunsdkspeech",
        "iflytek",
        {"a.py": "import xfyunsdkspeech\n"},
        {"Pipfile": '[packages]\nxfyunsdkspeech = "*"\n'},
    ),
    # npm
    (
        "npm:tencentcloud-sdk-nodejs-asr",
        "tencent",
        {"a.js": 'const tencentcloud = require("tencentcloud-sdk-nodejs-asr");\n'},
        {"package.json": '{"dependencies": {"tencentcloud-sdk-nodejs-asr": "^4.1.0"}}'},
    ),
    (
        "npm:tencentcloud-sdk-nodejs-tts",
        "tencent",
        {"a.ts": 'import * as tencentcloud from "tencentcloud-sdk-nodejs-tts";\n'},
        {"package.json": '{"dependencies": {"tencentcloud-sdk-nodejs-tts": "^4.1.0"}}'},
    ),
    # Go modules
    (
        "go:github.com/baidubce/bce-qianfan-sdk/go/qianfan",
        "baidu",
        {"main.go": 'package main\n\nimport "github.com/baidubce/bce-qianfan-sdk/go/qianfan"\n'},
        {"go.mod": "module x\n\nrequire github.com/baidubce/bce-qianfan-sdk/go/qianfan v0.0.14\n"},
    ),
    (
        "go:github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/hunyuan",
        "tencent",
        {
            "main.go": 'package main\n\nimport (\n\thunyuan "github.com/tencentcloud/tencentcloud-sdk-go/'
            'tencentcloud/hunyuan/v20230901"\n)\n'
        },
        {"go.mod": f"module x\n\nrequire (\n\t{TC_GO}/tencentcloud/hunyuan v1.0.1000\n)\n"},
    ),
    (
        "go:github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/asr",
        "tencent",
        {"main.go": f'{GO_MAIN}asr "{TC_GO}/tencentcloud/asr/v20190614"\n'},
        {"go.mod": f"module x\n\nrequire {TC_GO}/tencentcloud/asr v1.0.900\n"},
    ),
    (
        "go:github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/tts",
        "tencent",
        {"main.go": f'{GO_MAIN}tts "{TC_GO}/tencentcloud/tts/v20190823"\n'},
        {"go.mod": f"module x\n\nrequire {TC_GO}/tencentcloud/tts v1.0.900\n"},
    ),
    (
        "go:github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/lkeap",
        "tencent",
        {"main.go": f'{GO_MAIN}lkeap "{TC_GO}/tencentcloud/lkeap/v20240522"\n'},
        {"go.mod": f"module x\n\nrequire {TC_GO}/tencentcloud/lkeap v1.3.103\n"},
    ),
    (
        "go:github.com/coze-dev/coze-go",
        "bytedance",
        {"main.go": 'package main\n\nimport "github.com/coze-dev/coze-go"\n'},
        {"go.mod": "module x\n\nrequire github.com/coze-dev/coze-go v0.0.0-20250101\n"},
    ),
    # Maven (pom.xml dependency) and Java imports
    (
        "maven:com.alibaba:dashscope-sdk-java",
        "alibaba",
        {"A.java": "import com.alibaba.dashscope.aigc.generation.Generation;\nclass A {}\n"},
        {},
    ),
    (
        "maven:com.baidubce:qianfan",
        "baidu",
        {"A.java": "import com.baidubce.qianfan.Qianfan;\nclass A {}\n"},
        {},
    ),
    (
        "maven:com.tencentcloudapi:tencentcloud-sdk-java-hunyuan",
        "tencent",
        {"A.java": "import com.tencentcloudapi.hunyuan.v20230901.HunyuanClient;\nclass A {}\n"},
        {},
    ),
    (
        "maven:com.tencentcloudapi:tencentcloud-sdk-java-asr",
        "tencent",
        {"A.java": "import com.tencentcloudapi.asr.v20190614.AsrClient;\nclass A {}\n"},
        {},
    ),
    (
        "maven:com.tencentcloudapi:tencentcloud-sdk-java-tts",
        "tencent",
        {"A.java": "import com.tencentcloudapi.tts.v20190823.TtsClient;\nclass A {}\n"},
        {},
    ),
    (
        "maven:com.tencentcloudapi:tencentcloud-sdk-java-lkeap",
        "tencent",
        {"A.java": "import com.tencentcloudapi.lkeap.v20240522.LkeapClient;\nclass A {}\n"},
        {},
    ),
    (
        "maven:cn.bigmodel.openapi:oapi-java-sdk",
        "zhipu",
        {"A.java": "import com.zhipu.oapi.ClientV4;\nclass A {}\n"},
        {},
    ),
    (
        "maven:ai.z.openapi:zai-sdk",
        "zhipu",
        {"A.java": "import ai.z.openapi.ZhipuAiClient;\nclass A {}\n"},
        {},
    ),
    (
        "maven:com.volcengine:volcengine-java-sdk-ark-runtime",
        "bytedance",
        {"A.java": "import com.volcengine.ark.runtime.service.ArkService;\nclass A {}\n"},
        {},
    ),
    (
        "maven:com.coze:coze-api",
        "bytedance",
        {"A.kt": "import com.coze.openapi.service.service.CozeAPI\n"},
        {},
    ),
]


def _pom(coord: str) -> dict[str, str]:
    group, artifact = coord.split(":")
    return {
        "pom.xml": f"""<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>org.example</groupId>
  <artifactId>app</artifactId>
  <dependencies>
    <dependency>
      <groupId>{group}</groupId>
      <artifactId>{artifact}</artifactId>
      <version>1.0.0</version>
    </dependency>
  </dependencies>
</project>
"""
    }


@pytest.mark.parametrize(("package", "producer", "source", "manifest"), CASES, ids=[c[0] for c in CASES])
def test_import_yields_sdk_dependency(
    catalog: Catalog, package: str, producer: str, source: dict[str, str], manifest: dict[str, str]
) -> None:
    assert _sdk(_assets(source, catalog)).get(package) == {producer}


@pytest.mark.parametrize(("package", "producer", "source", "manifest"), CASES, ids=[c[0] for c in CASES])
def test_declared_dependency_yields_sdk_dependency(
    catalog: Catalog, package: str, producer: str, source: dict[str, str], manifest: dict[str, str]
) -> None:
    eco, _, name = package.partition(":")
    files = manifest or _pom(name)
    assert _sdk(_assets(files, catalog)).get(package) == {producer}


# -- umbrella SDKs count only with an AI module ------------------------------------------------------------


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        # Python umbrella + speech import (the "Tencent Cloud speech SDK imports give nothing")
        (
            {
                "requirements.txt": "tencentcloud-sdk-python\n",
                "a.py": "from tencentcloud.asr.v20190614 import asr_client\nc = asr_client.AsrClient(k, r)\n",
            },
            {"pypi:tencentcloud-sdk-python", "pypi:tencentcloud-sdk-python-asr"},
        ),
        (
            {
                "requirements.txt": "tencentcloud-sdk-python\n",
                "a.py": "from tencentcloud.tts.v20190823 import tts_client\nc = tts_client.TtsClient(k, r)\n",
            },
            {"pypi:tencentcloud-sdk-python", "pypi:tencentcloud-sdk-python-tts"},
        ),
        (
            {
                "requirements.txt": "tencentcloud-sdk-python\n",
                "a.py": "from tencentcloud.cvm.v20170312 import x\n",
            },
            set(),
        ),
        # Go: Volcano Engine SDK only with service/arkruntime
        (
            {
                **_go("github.com/volcengine/volcengine-go-sdk", "v1.1.8"),
                "main.go": GO_MAIN + '"github.com/volcengine/volcengine-go-sdk/service/arkruntime"\n',
            },
            {"go:github.com/volcengine/volcengine-go-sdk"},
        ),
        (
            {
                **_go("github.com/volcengine/volcengine-go-sdk", "v1.1.8"),
                "main.go": 'package main\n\nimport "github.com/volcengine/volcengine-go-sdk/service/vpc"\n',
            },
            set(),
        ),
        # Go: the older single-module Tencent Cloud SDK
        (
            {
                "go.mod": f"module x\n\nrequire {TC_GO} v3.0.233+incompatible\n",
                "main.go": f'{GO_MAIN}"{TC_GO}/tencentcloud/cvm/v20170312"\n',
            },
            set(),
        ),
        # Java umbrella + hunyuan import (dedicated artifact wins for the import)
        (
            {
                "build.gradle": f"dependencies {{\n  implementation '{TC_JAVA}:3.1.1000'\n}}\n",
                "A.java": "import com.tencentcloudapi.hunyuan.v20230901.HunyuanClient;\nclass A {}\n",
            },
            {
                "maven:com.tencentcloudapi:tencentcloud-sdk-java",
                "maven:com.tencentcloudapi:tencentcloud-sdk-java-hunyuan",
            },
        ),
        (
            {
                "build.gradle": f"dependencies {{\n  implementation '{TC_JAVA}:3.1.1000'\n}}\n",
                "A.java": "import com.tencentcloudapi.cvm.v20170312.CvmClient;\nclass A {}\n",
            },
            set(),
        ),
        # npm umbrella: the module named on the require line; a word like "settings" is not "tts"
        (
            {"a.js": 'const HunyuanClient = require("tencentcloud-sdk-nodejs").hunyuan.v20230901.Client;\n'},
            {"npm:tencentcloud-sdk-nodejs"},
        ),
        ({"a.js": 'const tc = require("tencentcloud-sdk-nodejs"); // settings for cvm\n'}, set()),
    ],
)
def test_umbrella_sdks(catalog: Catalog, files: dict[str, str], expected: set[str]) -> None:
    assert set(_sdk(_assets(files, catalog))) == expected


# -- Maven and Gradle manifest shapes ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "content"),
    [
        ("build.gradle", "dependencies {\n    implementation 'com.alibaba:dashscope-sdk-java:2.21.11'\n}\n"),
        (
            "build.gradle.kts",
            'dependencies {\n    implementation("com.alibaba:dashscope-sdk-java:2.21.11")\n}\n',
        ),
        ("build.gradle.kts", 'dependencies {\n    api("com.alibaba:dashscope-sdk-java")\n}\n'),
        (
            "build.gradle",
            "dependencies {\n  implementation group: 'com.alibaba', name: 'dashscope-sdk-java',\n"
            "    version: '2.1'\n}\n",
        ),
        (
            "build.gradle.kts",
            'dependencies {\n  implementation(group = "com.alibaba", name = "dashscope-sdk-java",\n'
            '    version = "2.1")\n}\n',
        ),
        (
            "app/build.gradle.kts",
            "dependencyManagement {\n  dependencies {\n"
            '    dependency("com.alibaba:dashscope-sdk-java:2.1")\n  }\n}\n',
        ),
        ("gradle/libs.versions.toml", '[libraries]\ndashscope = "com.alibaba:dashscope-sdk-java:2.21.11"\n'),
        (
            "gradle/libs.versions.toml",
            '[versions]\nds = "2.1"\n[libraries]\ndashscope = { module = "com.alibaba:dashscope-sdk-java", '
            'version.ref = "ds" }\n',
        ),
        (
            "gradle/libs.versions.toml",
            '[libraries]\ndashscope = { group = "com.alibaba", name = "dashscope-sdk-java",'
            ' version = "2.1" }\n',
        ),
        ("lib/dashscope-sdk-java-2.21.11.pom", _pom("com.alibaba:dashscope-sdk-java")["pom.xml"]),
    ],
)
def test_jvm_manifest_shapes(catalog: Catalog, path: str, content: str) -> None:
    out = run_detectors(MemoryResolver({path: content}), DETECTORS, catalog)  # type: ignore[arg-type]
    deps = [e for e in out.evidence if e.kind == "package-dependency"]
    assert [(e.value, e.strength, e.refs["producer"]) for e in deps] == [
        ("com.alibaba:dashscope-sdk-java", "A", "alibaba")
    ]
    assert deps[0].location.line == next(
        i for i, line in enumerate(content.splitlines(), 1) if "dashscope-sdk-java" in line
    )


def test_pom_exclusions_and_comments_are_not_dependencies(catalog: Catalog) -> None:
    pom = """<project>
  <dependencies>
    <!--
    <dependency>
      <groupId>com.alibaba</groupId>
      <artifactId>dashscope-sdk-java</artifactId>
    </dependency>
    -->
    <dependency>
      <groupId>dev.langchain4j</groupId>
      <artifactId>langchain4j-core</artifactId>
      <exclusions>
        <exclusion>
          <groupId>cn.bigmodel.openapi</groupId>
          <artifactId>oapi-java-sdk</artifactId>
        </exclusion>
      </exclusions>
    </dependency>
    <dependency>
      <groupId>com.coze</groupId>
      <artifactId>coze-api</artifactId>
      <version>0.1.0</version>
    </dependency>
  </dependencies>
</project>
"""
    assert set(_sdk(_assets({"pom.xml": pom}, catalog))) == {"maven:com.coze:coze-api"}


def test_gradle_comment_is_a_mention(catalog: Catalog) -> None:
    gradle = "dependencies {\n    // implementation 'com.alibaba:dashscope-sdk-java:2.21.11'\n}\n"
    res = MemoryResolver({"build.gradle": gradle})
    out = run_detectors(res, DETECTORS, catalog)  # type: ignore[arg-type]
    assert [(e.kind, e.strength) for e in out.evidence] == [("mention", "C")]
    # inventoried as a mention only: the asset carries C evidence alone, never a declared dependency
    (asset,) = identify_evidence(out.evidence, catalog)
    assert {e.strength for e in asset.evidence} == {"C"}


def test_jvm_manifest_without_catalog_packages_gives_nothing(catalog: Catalog) -> None:
    files = {
        "pom.xml": _pom("org.springframework.boot:spring-boot-starter-web")["pom.xml"],
        "build.gradle": "group = 'org.example'\ndependencies { api 'com.google.guava:guava:33' }\n",
    }
    assert _assets(files, catalog) == []


def test_unclosed_dependency_blocks_are_bounded(catalog: Catalog) -> None:
    pom = "<project>" + "<dependency><groupId>a</groupId>" * 20000 + "</project>"
    assert _assets({"pom.xml": pom}, catalog) == []


def test_new_entries_have_sources_and_verify_flags(catalog: Catalog) -> None:
    """Every Go and Maven entry is sourced; entries marked verify are the ones not confirmed from a primary
    source (the lead re-checks them)."""
    jvm_go = [p for p in catalog.packages if p.ecosystem in ("go", "maven")]
    assert len(jvm_go) >= 18
    assert all(p.sources and all(s.startswith("https://") for s in p.sources) for p in jvm_go)
    flagged = {f"{p.ecosystem}:{p.name}" for p in catalog.packages if p.verify}
    assert flagged == {
        "pypi:byteplussdk-arkruntime",
        "pypi:xfyunsdkspeech",
        "maven:com.tencentcloudapi:tencentcloud-sdk-java-lkeap",
    }
