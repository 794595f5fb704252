"""The shared picklescan corpus as a test suite: every label must be honoured."""

from __future__ import annotations

from pathlib import Path

import pytest

from tierguard.inspect.engine import inspect_target
from tierguard.model import SEVERITY_ORDER
from tierguard.targets.archive import expand
from tierguard.targets.directory import DirectoryResolver

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "picklescan"
LABELS = CORPUS / "LABELS.tsv"


def _labels() -> list[tuple[str, str]]:
    if not LABELS.is_file():
        return []
    rows = LABELS.read_text(encoding="utf-8").splitlines()[1:]
    return [(r.split("\t")[0], r.split("\t")[1]) for r in rows if r.strip()]


@pytest.fixture(scope="module")
def corpus_output():  # type: ignore[no-untyped-def]
    if not LABELS.is_file():
        pytest.skip(f"shared corpus not present at {CORPUS}")
    return inspect_target(expand(DirectoryResolver(CORPUS)))


@pytest.mark.skipif(not LABELS.is_file(), reason="shared picklescan corpus (../shared/corpus) is absent")
@pytest.mark.parametrize(("name", "label"), _labels() or [("-", "-")])
def test_corpus_label(corpus_output, name: str, label: str) -> None:  # type: ignore[no-untyped-def]
    # the file itself (member None); an archive's members are inspections at the same path
    ins = {i.location.path: i for i in corpus_output.inspections if i.location.member is None}
    statuses = {i.status for i in corpus_output.inspections if i.location.path == name}
    findings = [f for f in corpus_output.findings if f.location.path == name]
    worst = max((SEVERITY_ORDER[f.severity] for f in findings), default=-1)
    assert name in ins, f"{name} was not inspected at all"
    if label == "malicious":
        assert worst >= SEVERITY_ORDER["high"], [(f.rule_id, f.message) for f in findings]
        assert statuses - {"clean"}
    elif label == "safe":
        assert worst <= SEVERITY_ORDER["low"], [(f.rule_id, f.message) for f in findings]
    else:
        assert ins[name].status in ("incomplete", "not-inspected")
        assert ins[name].reason


def test_corpus_specific_outcomes(corpus_output) -> None:  # type: ignore[no-untyped-def]
    subj = {(f.location.path, f.rule_id, f.subject) for f in corpus_output.findings}
    assert ("malicious2_v0.pkl", "TG-PKL-001", "posix.system") in subj
    assert ("malicious11.pkl", "TG-PKL-001", "os.system") in subj  # memo indirection PUT/GET
    assert ("malicious17.pkl", "TG-PKL-001", "torch._inductor.codecache.compile_file") in subj
    assert ("malicious1_central_directory.zip", "TG-ZIP-002", "datap.kl|data.pkl") in subj
    assert ("sys_module_override_sploit.pkl", "TG-PKL-003", "<unresolved>.<unresolved>") in subj
    ins = {i.location.path: i for i in corpus_output.inspections if i.location.member is None}
    assert ins["broken_model.pkl"].status == "incomplete"
    assert ("broken_model.pkl", "TG-PKL-001", "builtins.exec") in subj  # payload before the corrupt tail
    assert ins["benign_password_protected.zip"].status == "not-inspected"
    assert ins["bad_pytorch.pt"].format == "png"
