"""The estate file: valid files load with resolved paths and contexts; every malformed file is one
EstateError line naming the file, the entry and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from tierguard.execute import EstateError, load_estate

from .conftest import ROOT


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "tierguard.toml"
    p.write_text(text)
    return p


GOOD = """
[estate]
name = "acme"
profile = "uk-gov"
[estate.profiles.plant]
country = "DE"
sector = "critical-infrastructure"

[[estate.targets]]
name = "a"
path = "repos/a"
owner = "team-a"

[[estate.targets]]
name = "b"
path = "/abs/b"
profile = "plant"

[[estate.targets]]
name = "c"
path = "docker://registry.example/app:1"
context = { country = "US", state = "US-TX" }
"""


def test_a_valid_file_resolves_paths_and_contexts(tmp_path: Path) -> None:
    e = load_estate(write(tmp_path, GOOD))
    assert e.name == "acme" and [t.name for t in e.targets] == ["a", "b", "c"]
    a, b, c = e.targets
    assert e.target_path(a) == str(tmp_path.resolve() / "repos/a")  # relative to the file's directory
    assert e.target_path(b) == "/abs/b"
    assert e.target_path(c) == "docker://registry.example/app:1"  # an image reference is never joined
    assert (e.context_for(a).country, e.context_for(a).sector) == ("GB", "government")
    ctx_b = e.context_for(b)
    assert (ctx_b.country, ctx_b.sector, ctx_b.profile) == ("DE", "critical-infrastructure", "plant")
    ctx_c = e.context_for(c)  # the target's context wins over the estate profile
    assert (ctx_c.country, ctx_c.state, ctx_c.sector) == ("US", "US-TX", "government")


def test_the_revision_is_a_hash_of_the_estate_table(tmp_path: Path) -> None:
    p = write(tmp_path, GOOD)
    r1 = load_estate(p).revision
    assert len(r1) == 16 and int(r1, 16) >= 0
    p.write_text(
        "# a comment, and serve's table, do not change what is scanned\n" + GOOD + "\n[serve]\nport = 1\n"
    )
    assert load_estate(p).revision == r1
    p.write_text(GOOD.replace('owner = "team-a"', 'owner = "team-b"'))
    assert load_estate(p).revision != r1
    p.write_text(GOOD + "\n[other]\nx = 1\n")
    with pytest.raises(EstateError, match="top level: unknown key 'other'"):
        load_estate(p)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[estate\nname = 1", "invalid TOML"),
        ('[estat]\nname = "x"', "no [estate] table (found estat)"),
        (
            '[estate]\nname = "x"\nfoo = 1\n[[estate.targets]]\nname="a"\npath="a"',
            "estate: unknown key 'foo'",
        ),
        (
            '[estate]\nname = "x"\n[[estate.targets]]\nname="a"\npath="a"\n'
            '[[estate.targets]]\nname="b"\npaht="b"',
            "estate.targets[1] (name 'b'): unknown key 'paht'",
        ),
        (
            '[estate]\nname = "x"\n[[estate.targets]]\nname="a"\npath="a"\n'
            '[[estate.targets]]\nname="b"\nowner="o"',
            "estate.targets[1] (name 'b'): missing required key 'path'",
        ),
        (
            '[estate]\nname = "x"\n[[estate.targets]]\nname="a"\npath="a"\ncontext={contry="GB"}',
            "estate.targets[0] (name 'a').context: unknown key 'contry'",
        ),
        (
            '[estate]\nname = "x"\n[[estate.targets]]\nname="a"\npath=3',
            "estate.targets[0] (name 'a').path: Expected `str`, got `int`",
        ),
        ('[estate]\nname = "x"', "lists no targets"),
        (
            '[estate]\nname = "x"\n[[estate.targets]]\nname="a"\npath="a"\n'
            '[[estate.targets]]\nname="a"\npath="b"',
            "estate.targets[1] (name 'a'): duplicate target name",
        ),
        (
            '[estate]\nname = "x"\n[[estate.targets]]\nname="a"\npath=""',
            "estate.targets[0] (name 'a'): path is empty",
        ),
        (
            '[estate]\nname = "x"\n[[estate.targets]]\nname="a"\npath="a"\nprofile="nope"',
            "estate.targets[0] (name 'a'): unknown profile 'nope'",
        ),
        (
            '[estate]\nname = "x"\n[[estate.targets]]\nname="a"\npath="a"\ncontext={country="XX"}',
            "estate.targets[0] (name 'a'): context: field country: 'XX' is not an ISO 3166-1 alpha-2 code",
        ),
        (
            '[estate]\nname = "x"\nfail_on = "sometimes"\n[[estate.targets]]\nname="a"\npath="a"',
            "estate.fail_on: Invalid enum value 'sometimes'",
        ),
    ],
)
def test_a_malformed_file_is_one_line_naming_file_entry_and_key(
    tmp_path: Path, text: str, message: str
) -> None:
    p = write(tmp_path, text)
    with pytest.raises(EstateError) as info:
        load_estate(p)
    msg = str(info.value)
    assert msg.startswith(str(p)), msg
    assert message in msg, msg
    assert "\n" not in msg


def test_missing_unreadable_and_oversized_files(tmp_path: Path) -> None:
    with pytest.raises(EstateError, match="estate file not found"):
        load_estate(tmp_path / "nope.toml")
    with pytest.raises(EstateError, match="is a directory"):
        load_estate(tmp_path)
    p = tmp_path / "bin.toml"
    p.write_bytes(b"\xff\xfe[estate]")
    with pytest.raises(EstateError, match="not UTF-8"):
        load_estate(p)
    big = tmp_path / "big.toml"
    with big.open("wb") as fh:
        fh.truncate(16 * 1024 * 1024 + 1)
    with pytest.raises(EstateError, match="too large"):
        load_estate(big)


def test_the_example_estate_loads() -> None:
    e = load_estate(ROOT / "examples" / "tierguard.toml")
    assert e.name == "northwind" and len(e.targets) >= 8
    for t in e.targets:
        assert Path(e.target_path(t)).exists(), t.name
