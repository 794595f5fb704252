"""Bad input: exports that are truncated, not UTF-8, too large, too deep or not the shape they claim are
counted skips with a reason, never a crash and never a silent omission; the good records beside them count."""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path

import pytest

from tierguard.catalog import Catalog
from tierguard.cloud import CloudOutput, read_cloud
from tierguard.errors import TargetError

from .conftest import EXAMPLES, read, write

ARN = "arn:aws:bedrock:us-east-1:123456789012:imported-model/"


def imported(n: int) -> dict[str, object]:
    return {
        "modelArn": f"{ARN}{n:012d}",
        "modelName": f"Qwen2.5-7B-Instruct-{n}",
        "creationTime": "2025-01-01",
    }


def reasons(out: CloudOutput) -> list[tuple[str, str]]:
    return [(s.path, s.reason) for s in out.skipped]


def test_truncated_json_is_skipped_and_the_rest_is_read(tmp_path: Path, catalog: Catalog) -> None:
    shutil.copytree(EXAMPLES, tmp_path / "x")
    f = tmp_path / "x/azure/az-cognitiveservices-account-deployment-list.json"
    f.write_bytes(f.read_bytes()[:900])
    out = read(tmp_path / "x", catalog)
    assert reasons(out) == [("exports/azure/az-cognitiveservices-account-deployment-list.json", "malformed")]
    assert "truncated or corrupt" in out.skipped[0].detail
    assert {a.name for a in out.assets} >= {"Qwen/Qwen2.5-7B-Instruct", "deepseek-ai/DeepSeek-R1"}
    r1 = next(a for a in out.assets if a.name == "deepseek-ai/DeepSeek-R1")
    assert {u.service for u in r1.usages} == {"Amazon Bedrock"}  # the Azure usage went with the bad file


def test_not_utf8(tmp_path: Path, catalog: Catalog) -> None:
    f = write(tmp_path / "m.json", {"modelSummaries": [imported(1)]})
    f.write_bytes(f.read_bytes().replace(b"Qwen", b"Q\xffen"))
    out = read(f, catalog)
    assert reasons(out) == [("exports", "malformed")] and "UTF-8" in out.skipped[0].detail
    assert out.assets == []


def test_too_large(tmp_path: Path, catalog: Catalog) -> None:
    f = write(tmp_path / "m.json", {"modelSummaries": [imported(i) for i in range(50)]})
    out = read(f, catalog, max_bytes=1000)
    assert reasons(out) == [("exports", "too-large")] and out.assets == []


def test_too_deep(tmp_path: Path, catalog: Catalog) -> None:
    deep: object = "x"
    for _ in range(200):
        deep = [deep]
    f = write(tmp_path / "m.json", {"modelSummaries": [{**imported(1), "extra": deep}]})
    out = read(f, catalog)
    assert reasons(out) == [("exports", "malformed")] and "nested deeper" in out.skipped[0].detail
    very = tmp_path / "v.json"  # past the interpreter's recursion limit: still a skip, not a crash
    very.write_text(
        '{"modelSummaries": [{"modelArn": "' + ARN + '1", "x": ' + "[" * 100_000 + "]" * 100_000 + "}]}"
    )
    assert reasons(read(very, catalog)) == [("exports", "malformed")]


def test_wrong_types_counted_good_records_kept(tmp_path: Path, catalog: Catalog) -> None:
    records = [
        imported(1),
        5,
        {"modelArn": 7, "modelName": "x"},
        {"modelArn": f"{ARN}000000000009"},
        imported(2),
    ]
    out = read(write(tmp_path / "m.json", {"modelSummaries": records}), catalog)
    assert [r for _, r in reasons(out)] == ["malformed"] * 3
    details = " | ".join(s.detail for s in out.skipped)
    assert "[1] is not an object" in details and "not a Bedrock ARN" in details and "no modelName" in details
    written = sorted(u.as_written for a in out.assets if a.kind == "ai-model" for u in a.usages)
    assert written == ["Qwen2.5-7B-Instruct-1", "Qwen2.5-7B-Instruct-2"]  # both good records


def test_list_not_an_array(tmp_path: Path, catalog: Catalog) -> None:
    f = write(tmp_path / "m.json", {"modelSummaries": {"modelArn": f"{ARN}000000000001"}})
    out = read(f, catalog)
    assert reasons(out) == [("exports", "malformed")] and out.assets == []


def test_next_token_means_incomplete(tmp_path: Path, catalog: Catalog) -> None:
    out = read(write(tmp_path / "m.json", {"modelSummaries": [imported(1)], "nextToken": "abc"}), catalog)
    assert reasons(out) == [("exports", "incomplete")]
    assert [a.name for a in out.assets if a.kind == "ai-model"] == ["qwen2.5-7b-instruct-1"]


def test_sagemaker_endpoint_without_its_config_is_incomplete(tmp_path: Path, catalog: Catalog) -> None:
    d = tmp_path / "x"
    d.mkdir()
    shutil.copy(EXAMPLES / "aws/sagemaker-list-endpoints.json", d / "a.json")
    out = read(d, catalog)
    assert reasons(out) == [("exports/a.json", "incomplete")]
    assert "qwen25-7b-chat" in out.skipped[0].detail and out.assets == []
    # the config without the model it names
    shutil.copy(EXAMPLES / "aws/sagemaker-describe-endpoint-qwen25-7b-chat.json", d / "b.json")
    shutil.copy(EXAMPLES / "aws/sagemaker-describe-endpoint-config-qwen25-7b-chat.json", d / "c.json")
    out = read(d, catalog)
    assert [r for _, r in reasons(out)] == ["incomplete"] and "describe-model" in out.skipped[0].detail


def test_azure_records_not_of_the_shape(tmp_path: Path, catalog: Catalog) -> None:
    good = (EXAMPLES / "azure/az-cognitiveservices-account-deployment-list.json").read_text()
    import json

    items = json.loads(good)
    items.append(
        {
            "id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.CognitiveServices/accounts/a/"
            "deployments/d",
            "type": "Microsoft.CognitiveServices/accounts/deployments",
            "properties": {},
        }
    )
    items.append({"id": 3, "type": "Microsoft.CognitiveServices/accounts/deployments"})
    out = read(write(tmp_path / "d.json", items), catalog)
    assert [r for _, r in reasons(out)] == ["malformed", "malformed"]
    assert {a.name for a in out.assets if a.kind == "ai-model"} == {"deepseek-ai/DeepSeek-R1", "gpt-4o"}


def test_vertex_deployed_model_without_model_export(tmp_path: Path, catalog: Catalog) -> None:
    import json

    eps = json.loads((EXAMPLES / "gcp/gcloud-ai-endpoints-list.json").read_text())
    eps[0]["deployedModels"].append(
        {"id": "9", "model": "projects/481516234200/locations/us-central1/models/x"}
    )
    eps[0].pop("displayName")
    out = read(write(tmp_path / "e.json", eps), catalog)
    # the first deployed model is named by its display name (B), the nameless one is an incomplete skip
    assert [r for _, r in reasons(out)] == ["incomplete"]
    [m] = [a for a in out.assets if a.kind == "ai-model"]
    assert m.usages[0].strength == "B" and m.provenance.producers[0].id == "meta"
    assert any("display name only" in n for n in out.notes)


def test_single_file_that_is_not_an_export(tmp_path: Path, catalog: Catalog) -> None:
    f = write(tmp_path / "package.json", {"name": "x"})
    with pytest.raises(TargetError, match="not a cloud AI export"):
        read_cloud(f, catalog=catalog)
    with pytest.raises(TargetError, match="not a file or directory"):
        read_cloud(tmp_path / "missing", catalog=catalog)


def test_directory_with_other_files(tmp_path: Path, catalog: Catalog) -> None:
    from tierguard.cloud import sniff_dir

    d = tmp_path / "x"
    write(d / "m.json", {"modelSummaries": [imported(1)]})
    (d / "README.md").write_text("exports of 2025-03-01\n")
    assert sniff_dir(d)
    write(d / "package.json", {"name": "x"})
    assert not sniff_dir(d)  # a code tree with one export is not an inventory
    out = read(d, catalog)
    assert reasons(out) == [("exports/package.json", "unsupported-export")]
    assert len([a for a in out.assets if a.kind == "ai-model"]) == 1


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks")
def test_symlink_not_followed(tmp_path: Path, catalog: Catalog) -> None:
    outside = write(tmp_path / "outside.json", {"modelSummaries": [imported(1)]})
    d = tmp_path / "x"
    write(d / "m.json", {"modelSummaries": [imported(2)]})
    (d / "link.json").symlink_to(outside)
    out = read(d, catalog)
    assert reasons(out) == [("exports/link.json", "symlink-not-followed")]
    [m] = [a for a in out.assets if a.kind == "ai-model"]
    assert [u.as_written for u in m.usages] == ["Qwen2.5-7B-Instruct-2"]


def test_too_many_files(tmp_path: Path, catalog: Catalog) -> None:
    d = tmp_path / "x"
    for i in range(4):
        write(d / f"m{i}.json", {"modelSummaries": [imported(i)]})
    out = read(d, catalog, max_files=3)
    assert reasons(out) == [("exports/m3.json", "incomplete")]


def test_mutations_never_crash(tmp_path: Path, catalog: Catalog) -> None:
    """Every sample cut at many offsets and with random bytes flipped: read, skipped with a reason, or (a
    single file no longer recognised) a TargetError; never another exception."""
    rng = random.Random(13)
    n = 0
    for src in sorted(EXAMPLES.rglob("*.json")):
        data = src.read_bytes()
        variants = [data[:k] for k in range(0, len(data), max(1, len(data) // 25))]
        for _ in range(25):
            b = bytearray(data)
            for _ in range(rng.randint(1, 8)):
                b[rng.randrange(len(b))] = rng.choice(b'{}[]":,0a\xff\x00 ')
            variants.append(bytes(b))
        for v in variants:
            f = tmp_path / f"v{n}.json"
            f.write_bytes(v)
            n += 1
            try:
                out = read(f, catalog)
            except TargetError:
                continue
            parsed = True
            try:
                import json

                json.loads(v)
            except ValueError:
                parsed = False
            if not parsed:
                assert out.skipped, f"{src.name} variant {n}: unparseable but nothing skipped"
    assert n > 500
