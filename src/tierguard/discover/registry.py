"""The explicit, tagged list of detectors. Nothing registers itself at import time."""

from __future__ import annotations

from collections.abc import Iterable

from .detectors import code, config, docs, iac, iac_docs, manifests, modelfile, notebook, shell
from .interface import Detector

# Extra prefilter words besides the catalog's: self-hosting contexts whose model ids are inventoried even
# when the catalog does not know them. Code and data files do not key on the bare word "model" (too common
# in large trees); small config/shell files do, so short context-only names (``yi-large``) are found there.
_MODEL_WORDS = (b"pretrained", b"ollama", b"vllm", b"gguf", b"snapshot_download", b"hf_hub")
_SHELL_WORDS = (
    *_MODEL_WORDS,
    b"model",
    b"huggingface-cli",
    b"download",
    b"install",
    b"pip",
    b"npm",
    b"poetry add",
)
_MB = 1024 * 1024
# Tokenizer vocabularies and similar data files hold every word of a language, model names included: they
# are identified as tokenizers (identify/), never mined for mentions. Large token->id maps and word lists
# under other names are recognised by content (``config.is_word_list``).
_NOT_MINED = (
    "vocab.json",
    "vocab.txt",
    "*.vocab",
    "tokenizer.json",
    "merges.txt",
    "*.tiktoken",
    "spiece.model",
    "sentencepiece.bpe.model",
    "encoder.json",
    "added_tokens.json",
)

DETECTORS: tuple[Detector, ...] = (
    Detector(
        name="python",
        globs=("*.py", "*.pyi", "*.pyw"),
        parse=code.parse_python,
        keywords=_MODEL_WORDS,
        tags=frozenset({"default", "code", "python"}),
        description="Python imports, framework classes, hosts/base_url, env lookups, model ids in contexts",
    ),
    Detector(
        name="javascript",
        globs=("*.js", "*.mjs", "*.cjs", "*.jsx", "*.ts", "*.tsx", "*.mts", "*.cts"),
        exclude=("*.min.js", "*.d.ts"),
        parse=code.parse_javascript,
        keywords=_MODEL_WORDS,
        tags=frozenset({"default", "code", "javascript"}),
        description="JS/TS imports and requires, baseURL hosts, model: values, process.env keys",
    ),
    Detector(
        name="go",
        globs=("*.go",),
        parse=code.parse_go,
        keywords=_MODEL_WORDS,
        tags=frozenset({"default", "code", "go"}),
        description="Go imports of provider SDKs, hosts, os.Getenv keys, model ids",
    ),
    Detector(
        name="java",
        globs=("*.java", "*.kt", "*.kts", "*.scala"),
        parse=code.parse_java,
        keywords=_MODEL_WORDS,
        tags=frozenset({"default", "code", "java"}),
        description="Java/Kotlin imports of provider SDKs, hosts, System.getenv keys, model ids",
    ),
    Detector(
        name="shell",
        globs=("*.sh", "*.bash", "*.zsh", "*.ksh", "Makefile", "makefile", "*.mk", "Justfile", "justfile"),
        parse=shell.parse_shell,
        keywords=_SHELL_WORDS,
        tags=frozenset({"default", "shell"}),
        description="curl hosts, ollama pull/run, vllm serve, huggingface-cli download, pip/npm installs",
    ),
    Detector(
        name="dockerfile",
        globs=("Dockerfile", "Dockerfile.*", "*.dockerfile", "Containerfile", "Containerfile.*"),
        parse=shell.parse_dockerfile,
        keywords=_SHELL_WORDS,
        tags=frozenset({"default", "container"}),
        description="Dockerfile ENV keys, RUN pip install, FROM ollama/vllm images with model arguments",
    ),
    Detector(
        name="yaml-config",
        globs=("*.yaml", "*.yml"),
        exclude=("pnpm-lock.yaml",),
        parse=iac_docs.parse_yaml,
        keywords=_SHELL_WORDS,
        tags=frozenset({"default", "config", "container"}),
        description="compose, Kubernetes and Helm values: env keys/values, args, hosts; cassettes -> C",
    ),
    Detector(
        name="json-config",
        globs=("*.json", "*.jsonc", "*.json5"),
        exclude=(
            "package.json", "package-lock.json", "npm-shrinkwrap.json", "pipfile.lock", "*.ipynb",
            "*.tf.json", "*.tfvars.json", "*.tofu.json", *_NOT_MINED
        ),
        parse=iac_docs.parse_json,
        keywords=_MODEL_WORDS,
        tags=frozenset({"default", "config"}),
        description='JSON configuration: hosts, "model": values, env keys; cassettes -> C',
    ),
    Detector(
        name="toml-config",
        globs=("*.toml",),
        exclude=("pyproject.toml",),
        parse=config.parse_toml,
        keywords=_SHELL_WORDS,
        tags=frozenset({"default", "config"}),
        description="TOML configuration: hosts, model = values, env keys",
    ),
    Detector(
        name="terraform",
        globs=("*.tf", "*.tf.json", "*.tfvars", "*.tfvars.json", "*.tofu", "*.tofu.json"),
        parse=iac.parse_terraform,
        tags=frozenset({"default", "config", "iac"}),
        description="Terraform/OpenTofu HCL: model ids in Bedrock/SageMaker/Azure/Vertex resources, vars",
    ),
    Detector(
        name="bicep",
        globs=("*.bicep", "*.bicepparam"),
        parse=iac.parse_bicep,
        tags=frozenset({"default", "config", "iac"}),
        description="Bicep: Microsoft.CognitiveServices deployments model { format, name }, model params",
    ),
    Detector(
        name="dotenv",
        globs=(".env", ".env.*", "*.env", "*.env.example", "*.env.sample", ".envrc", "env.example"),
        parse=config.parse_dotenv,
        keywords=_SHELL_WORDS,
        tags=frozenset({"default", "config"}),
        description=".env files: provider keys, base URLs, *_MODEL values",
    ),
    Detector(
        name="notebook",
        globs=("*.ipynb",),
        parse=notebook.parse_notebook,
        keywords=_SHELL_WORDS,
        tags=frozenset({"default", "notebook", "python"}),
        max_bytes=16 * _MB,
        description="Jupyter code cells (Python + !pip/!ollama lines), markdown cells as mentions",
    ),
    Detector(
        name="modelfile",
        globs=("Modelfile", "modelfile", "*.modelfile", "Modelfile.*"),
        parse=modelfile.parse_modelfile,
        keywords=(b"from", b"adapter"),
        catalog_keywords=False,
        tags=frozenset({"default", "container", "model"}),
        description="Ollama Modelfile FROM/ADAPTER",
    ),
    Detector(
        name="manifest",
        globs=(
            "requirements*.txt",
            "requirements*.in",
            "constraints*.txt",
            "pyproject.toml",
            "Pipfile",
            "Pipfile.lock",
            "poetry.lock",
            "uv.lock",
            "package.json",
            "package-lock.json",
            "npm-shrinkwrap.json",
            "pnpm-lock.yaml",
            "go.mod",
            "PKG-INFO",
            "*.dist-info/METADATA",
        ),
        parse=manifests.parse_manifest,
        tags=frozenset({"default", "manifest"}),
        max_bytes=64 * _MB,
        description="Dependency manifests and lock files -> package-dependency",
    ),
    Detector(
        name="jvm-manifest",
        globs=(
            "pom.xml", "*.pom", "build.gradle", "build.gradle.kts", "*.gradle", "*.gradle.kts",
            "libs.versions.toml", "*.versions.toml",
        ),
        parse=manifests.parse_jvm_manifest,
        # pom.xml names a dependency in two elements, Gradle maps in two arguments: neither holds the
        # catalog's group:artifact literally, so these files are parsed whenever they declare anything
        keywords=(b"artifactid", b"group", b"module"),
        tags=frozenset({"default", "manifest"}),
        max_bytes=16 * _MB,
        description="Maven pom.xml, Gradle build scripts and version catalogs -> package-dependency",
    ),
    Detector(
        name="docs",
        globs=("*.md", "*.markdown", "*.mdx", "*.rst", "*.adoc", "**/docs/*.txt"),
        exclude=("requirements*.txt", "constraints*.txt", "LICENSE*", "license*", *_NOT_MINED),
        parse=docs.parse_docs,
        tags=frozenset({"default", "docs"}),
        description="Documentation: hosts, env keys, model ids as mentions (C)",
    ),
)


def select(tags: Iterable[str] | None = None) -> tuple[Detector, ...]:
    """Detectors carrying any of ``tags`` (all detectors when ``tags`` is None or empty)."""
    wanted = frozenset(tags or ())
    if not wanted:
        return DETECTORS
    return tuple(d for d in DETECTORS if d.tags & wanted)
