"""Legacy Keras .h5: the root group's model_config, read by tierguard.formats.hdf5 (our own bounded reader),
gets the Keras config check. The files are written by h5py (a test dependency only; tierguard never
imports it) the way Keras 2 / Keras 3's legacy H5 saver writes them: ``backend``, ``keras_version`` and the
JSON ``model_config`` as root attributes, weights in a ``model_weights`` group."""

from __future__ import annotations

import contextlib
import json
import random
from pathlib import Path

import pytest

from tests.inspect.inspect_builders import rules_at, run, status
from tierguard.formats.hdf5 import read_hdf5_source
from tierguard.formats.source import BytesSource, Incomplete
from tierguard.inspect import formats as inspect_formats

h5py = pytest.importorskip("h5py")
np = pytest.importorskip("numpy")


def _layer(cls: str, name: str, module: str = "keras.layers", **config: object) -> dict[str, object]:
    return {"class_name": cls, "module": module, "config": {"name": name, **config}}


def _model(*layers: dict[str, object]) -> dict[str, object]:
    return {"class_name": "Sequential", "module": "keras", "config": {"name": "m", "layers": list(layers)}}


LAMBDA = _model(
    _layer("Dense", "d1", units=4), _layer("Lambda", "evil", function=["4wEAAAAAAAAA", None, None])
)
DENSE = _model(_layer("Dense", "d1", units=4), _layer("Dense", "d2", units=2))
CUSTOM = _model(_layer("MyLayer", "mine", module="attacker.layers"))


def keras_h5(tmp: Path, config: dict[str, object] | None, *, libver: str = "earliest", as_str: bool = False,
             extra_attrs: int = 0) -> bytes:  # fmt: skip
    p = tmp / "model.h5"
    with h5py.File(p, "w", libver=libver) as f:
        f.attrs["backend"] = "tensorflow"
        f.attrs["keras_version"] = "2.15.0"
        if config is not None:
            text = json.dumps(config)
            f.attrs["model_config"] = text if as_str else text.encode("utf-8")
        for i in range(extra_attrs):
            f.attrs[f"note{i}"] = "x" * 40
        g = f.create_group("model_weights")
        g.attrs["layer_names"] = [b"d1", b"d2"]
        g.create_dataset("d1/kernel:0", data=np.zeros((4, 4), dtype="float32"))
    return p.read_bytes()


@pytest.mark.parametrize("libver", ["earliest", "latest"])
@pytest.mark.parametrize("as_str", [False, True])
def test_a_lambda_layer_in_model_config_is_found(tmp_path: Path, libver: str, as_str: bool) -> None:
    out = run({"model.h5": keras_h5(tmp_path, LAMBDA, libver=libver, as_str=as_str)})
    assert ("TG-KRS-001", "Lambda:evil") in rules_at(out, "model.h5")
    assert status(out, "model.h5") == "findings"


def test_a_module_reference_is_found(tmp_path: Path) -> None:
    out = run({"model.hdf5": keras_h5(tmp_path, CUSTOM)})
    assert ("TG-KRS-002", "attacker.layers.MyLayer") in rules_at(out, "model.hdf5")


@pytest.mark.parametrize("libver", ["earliest", "latest"])
def test_a_dense_only_model_is_clean(tmp_path: Path, libver: str) -> None:
    out = run({"model.h5": keras_h5(tmp_path, DENSE, libver=libver)})
    assert rules_at(out, "model.h5") == set()
    assert status(out, "model.h5") == "clean"


def test_a_weights_only_file_is_clean(tmp_path: Path) -> None:
    out = run({"weights.h5": keras_h5(tmp_path, None)})
    assert status(out, "weights.h5") == "clean"


def test_the_reader_returns_every_keras_attribute(tmp_path: Path) -> None:
    data = keras_h5(tmp_path, LAMBDA, extra_attrs=30)  # many attributes: continuation blocks
    root = read_hdf5_source(BytesSource(data), 1 << 20)
    assert root.superblock_version == 0
    assert root.attributes["backend"].value == "tensorflow"
    assert root.attributes["keras_version"].value == "2.15.0"
    assert json.loads(root.attributes["model_config"].value or "") == LAMBDA
    assert "note29" in root.attributes and root.attributes["note29"].value is None  # not wanted: name only
    assert not root.problems


def test_attributes_in_dense_storage_are_incomplete(tmp_path: Path) -> None:
    # with libver="latest", more than 8 attributes move to dense storage (a fractal heap), not read here
    out = run({"model.h5": keras_h5(tmp_path, LAMBDA, libver="latest", extra_attrs=12)})
    assert status(out, "model.h5") == "incomplete"
    assert "dense storage" in next(i.reason for i in out.inspections if i.location.path == "model.h5")


def test_a_config_beyond_the_budget_is_incomplete(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inspect_formats, "MAX_HDF5_HEADER", 1024)
    big = _model(*[_layer("Dense", f"d{i}", units=4) for i in range(100)])
    out = run({"model.h5": keras_h5(tmp_path, big)})
    assert status(out, "model.h5") == "incomplete"


def test_truncated_files_are_incomplete(tmp_path: Path) -> None:
    data = keras_h5(tmp_path, DENSE)
    inside_config = data.index(b'"class_name"') + 20
    for cut in (12, 30, 60, 120, inside_config):
        out = run({"model.h5": data[:cut]})
        assert status(out, "model.h5") == "incomplete", cut


def test_garbled_headers_are_incomplete(tmp_path: Path) -> None:
    data = keras_h5(tmp_path, DENSE)
    root = int.from_bytes(data[64:72], "little")  # superblock v0: the root entry's object header address
    for at, value in ((8, 7), (13, 3), (root, 9), (root + 16 + 2, 0xFF), (root + 16 + 3, 0xFF)):
        bad = bytearray(data)
        bad[at] = value
        out = run({"model.h5": bytes(bad)})
        assert status(out, "model.h5") == "incomplete", (at, value)


def test_the_reader_only_ever_raises_incomplete_on_mutated_files(tmp_path: Path) -> None:
    data = keras_h5(tmp_path, LAMBDA, extra_attrs=5)
    rng = random.Random(5)
    for _ in range(300):
        bad = bytearray(data)
        for _ in range(rng.randint(1, 6)):
            bad[rng.randrange(min(len(bad), 4096))] = rng.randrange(256)
        with contextlib.suppress(Incomplete):
            read_hdf5_source(BytesSource(bytes(bad)), 1 << 20)


def _keras_v3(tmp: Path, config: dict[str, object]) -> bytes:
    import io
    import zipfile

    p = tmp / "model.weights.h5"
    with h5py.File(p, "w") as f:
        f.create_group("layers/dense/vars").create_dataset("0", data=np.zeros((4, 4), dtype="float32"))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("metadata.json", json.dumps({"keras_version": "3.6.0"}))
        z.writestr("config.json", json.dumps(config))
        z.writestr("model.weights.h5", p.read_bytes())
    return buf.getvalue()


def test_a_keras_v3_archive_with_its_weights_h5_is_fully_inspected(tmp_path: Path) -> None:
    # the weights member used to be "not parsed", which left every .keras archive incomplete
    out = run({"clean.keras": _keras_v3(tmp_path, DENSE), "bad.keras": _keras_v3(tmp_path, LAMBDA)})
    assert status(out, "clean.keras") == "clean"
    assert ("TG-KRS-001", "Lambda:evil") in rules_at(out, "bad.keras")
    assert status(out, "bad.keras") == "findings"
