from __future__ import annotations

from pathlib import Path

import pytest

from tierguard.errors import PolicyError
from tierguard.policy.context import resolve_context

NONE: dict[str, str | None] = {"country": None, "state": None, "sector": None}


def write(p: Path, text: str) -> Path:
    p.write_text(text)
    return p


def test_precedence_cli_over_config_over_trusted_target(tmp_path: Path) -> None:
    target = tmp_path / "repo"
    target.mkdir()
    write(
        target / "tierguard.toml",
        '[context]\ncountry = "DE"\nsector = "critical-infrastructure"\nuse = "self-hosted"\n',
    )
    cfg = write(tmp_path / "org.toml", '[context]\ncountry = "GB"\nsector = "government"\n')
    r = resolve_context(root=target, config=None, profile=None, overrides=NONE, trust_target_config=True)
    assert (r.context.country, r.context.sector, r.context.use) == (
        "DE",
        "critical-infrastructure",
        "self-hosted",
    )
    r = resolve_context(root=target, config=cfg, profile=None, overrides=NONE, trust_target_config=True)
    assert (r.context.country, r.context.sector, r.context.use) == ("GB", "government", "self-hosted")
    r = resolve_context(
        root=target,
        config=cfg,
        profile=None,
        overrides={"country": "fr", "sector": None},
        trust_target_config=True,
    )
    assert (r.context.country, r.context.sector) == ("FR", "government")
    # untrusted (the default): the target's file takes no part
    r = resolve_context(root=target, config=cfg, profile=None, overrides=NONE)
    assert (r.context.country, r.context.sector, r.context.use) == ("GB", "government", "any")


def test_target_toml_is_ignored_entirely_unless_trusted(tmp_path: Path) -> None:
    target = tmp_path / "repo"
    target.mkdir()
    write(
        target / "tierguard.toml",
        'packs = ["evil.yaml"]\nwaivers = "waive-all.yaml"\nfail_on = "never"\n[context]\ncountry = "CN"\n'
        '[profiles.self]\ncountry = "CN"\n',
    )
    r = resolve_context(root=target, config=None, profile=None, overrides=NONE)
    assert r.packs == [] and r.waivers is None and r.fail_on is None
    assert r.context.country is None  # [context] is ignored too: a repository cannot declare its own context
    assert any("ignored the scanned target's tierguard.toml entirely" in n for n in r.notes)
    with pytest.raises(PolicyError, match="unknown profile 'self'"):  # nor its profiles
        resolve_context(root=target, config=None, profile="self", overrides=NONE)
    trusted = resolve_context(
        root=target, config=None, profile=None, overrides=NONE, trust_target_config=True
    )
    assert trusted.packs == [str(target / "evil.yaml")] and trusted.waivers == target / "waive-all.yaml"
    assert trusted.fail_on == "never" and trusted.context.country == "CN"
    assert any("trusted the scanned target's tierguard.toml" in n for n in trusted.notes)


def test_no_target_toml_no_note(tmp_path: Path) -> None:
    r = resolve_context(root=tmp_path, config=None, profile=None, overrides=NONE)
    assert r.notes == [] and r.context.country is None


def test_config_file_supplies_packs_and_waivers(tmp_path: Path) -> None:
    cfg = write(tmp_path / "org.toml", 'packs = ["us-gov-devices"]\nwaivers = "w.yaml"\nfail_on = "review"\n')
    r = resolve_context(root=None, config=cfg, profile=None, overrides=NONE)
    assert r.packs == ["us-gov-devices"] and r.waivers == tmp_path / "w.yaml" and r.fail_on == "review"
    assert r.notes == []


def test_profiles_builtin_and_from_files(tmp_path: Path) -> None:
    r = resolve_context(root=None, config=None, profile="kansas-agency", overrides=NONE)
    assert (r.context.country, r.context.state, r.context.sector, r.context.profile) == (
        "US",
        "US-KS",
        "government",
        "kansas-agency",
    )
    target = tmp_path / "repo"
    target.mkdir()
    write(
        target / "tierguard.toml", '[profiles.uk-nhs]\ncountry = "GB"\nsector = "critical-infrastructure"\n'
    )
    r = resolve_context(
        root=target,
        config=None,
        profile="uk-nhs",
        overrides={"sector": "government"},
        trust_target_config=True,
    )
    assert (r.context.country, r.context.sector) == ("GB", "government")  # CLI beats the profile
    cfg_profiles = write(
        tmp_path / "profiles.toml", '[profiles.uk-nhs]\ncountry = "GB"\nsector = "critical-infrastructure"\n'
    )
    r = resolve_context(root=target, config=cfg_profiles, profile="uk-nhs", overrides=NONE)
    assert (r.context.country, r.context.sector) == ("GB", "critical-infrastructure")
    cfg = write(tmp_path / "org.toml", 'profile = "uk-gov"\n')
    assert resolve_context(root=None, config=cfg, profile=None, overrides=NONE).context.country == "GB"
    with pytest.raises(PolicyError, match="unknown profile 'nope'.*uk-gov"):
        resolve_context(root=None, config=None, profile="nope", overrides=NONE)


@pytest.mark.parametrize(
    "overrides,match",
    [
        ({"country": "UK"}, "country: 'UK' is not an ISO 3166-1 alpha-2"),
        ({"state": "Texas"}, "state: 'Texas' is not an ISO 3166-2"),
        ({"sector": "defence"}, "sector: 'defence' is not one of"),
        ({"use": "local"}, "use: 'local'"),
        ({"date": "22/11/2026"}, "date"),
        ({"country": "GB", "state": "US-TX"}, "not in country GB"),
    ],
)
def test_validation_errors(overrides: dict[str, str | None], match: str) -> None:
    with pytest.raises(PolicyError, match=match):
        resolve_context(root=None, config=None, profile=None, overrides=overrides)


def test_bad_config_files(tmp_path: Path) -> None:
    target = tmp_path / "repo"
    target.mkdir()
    write(target / "tierguard.toml", '[context]\ncountry = "ZZ"\n')
    with pytest.raises(PolicyError, match=r"tierguard.toml \[context\]: field country"):
        resolve_context(root=target, config=None, profile=None, overrides=NONE, trust_target_config=True)
    write(target / "tierguard.toml", "[context\n")
    with pytest.raises(PolicyError, match="invalid TOML"):
        resolve_context(root=target, config=None, profile=None, overrides=NONE, trust_target_config=True)
    # untrusted, a broken target file is not even parsed: it cannot stop the scan either
    r = resolve_context(root=target, config=None, profile=None, overrides=NONE)
    assert r.context.country is None and any("ignored the scanned target's" in n for n in r.notes)
    with pytest.raises(PolicyError, match="--config file not found"):
        resolve_context(root=None, config=tmp_path / "missing.toml", profile=None, overrides=NONE)


def test_state_implies_country() -> None:
    r = resolve_context(root=None, config=None, profile=None, overrides={"state": "us-tx"})
    assert (r.context.country, r.context.state) == ("US", "US-TX")
