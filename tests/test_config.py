from __future__ import annotations

from pathlib import Path

import pytest

from reasoningbank.config import PRESETS, BankConfig, ConfigError, Preset, get_preset


def test_presets_values() -> None:
    paper = PRESETS["paper"]
    assert (paper.judge_temperature, paper.extractor_temperature) == (0.0, 1.0)
    assert paper.extractor_style == "markdown" and paper.k == 1 and paper.max_items == 3
    assert paper.render_template == "title_content" and paper.consolidation == "append"
    small = PRESETS["small-local"]
    assert small.extractor_style == "json" and small.extractor_temperature == 0.3
    assert small.judge_prompt == "paper" and small.extractor_max_tokens is not None
    assert small.extractor_style == "json" and small.extractor_temperature == 0.3
    with pytest.raises(ConfigError, match="unknown preset 'nope'"):
        get_preset("nope")
    custom = Preset(name="mine", k=2)
    assert get_preset(custom) is custom


def test_env_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REASONINGBANK_MODEL", "openai/qwen")
    monkeypatch.setenv("REASONINGBANK_API_BASE", "http://127.0.0.1:8080/v1")
    cfg = BankConfig()
    assert cfg.model == "openai/qwen" and cfg.api_base == "http://127.0.0.1:8080/v1"
    assert cfg.store == "sqlite:///reasoningbank.db" and cfg.scope == "default"
    assert cfg.effective_judge_model == "openai/qwen"
    assert BankConfig(extractor_model="big").effective_extractor_model == "big"


def test_toml_file_with_overrides(tmp_path: Path) -> None:
    p = tmp_path / "rb.toml"
    p.write_text(
        'store = "memory://"\nscope = "shop"\nmodel = "m"\nembedder = "hash"\npreset = "paper"\n'
        '[preset_overrides]\nk = 2\nconsolidation = "dedup"\n'
    )
    cfg = BankConfig.from_file(p)
    assert cfg.scope == "shop" and cfg.model == "m"
    preset = cfg.resolved_preset()
    assert preset.k == 2 and preset.consolidation == "dedup" and preset.extractor_temperature == 1.0


def test_json_file(tmp_path: Path) -> None:
    p = tmp_path / "rb.json"
    p.write_text('{"preset": "small-local", "judge_model": "j"}')
    cfg = BankConfig.from_file(p)
    assert cfg.resolved_preset().name == "small-local" and cfg.judge_model == "j"


@pytest.mark.parametrize(
    ("name", "text", "match"),
    [
        ("bad.toml", 'stor = "memory://"\n', r"bad\.toml: unknown key 'stor'"),
        ("bad.json", '{"scope": 3}', r"bad\.json: 'scope'"),
        ("bad.toml", "[preset_overrides]\nkk = 1\n", r"bad\.toml: preset_overrides: .*'kk'"),
        ("bad.toml", "[preset_overrides]\nk = 0\n", r"bad\.toml: preset_overrides: 'k'"),
        ("bad.toml", 'preset = "huge"\n', r"bad\.toml: unknown preset 'huge'"),
        ("bad.toml", "store = \n", r"bad\.toml: not valid TOML"),
        ("bad.json", "[1, 2]", r"bad\.json: the top level"),
        ("bad.yaml", "x: 1", r"unsupported extension"),
    ],
)
def test_bad_files(tmp_path: Path, name: str, text: str, match: str) -> None:
    p = tmp_path / name
    p.write_text(text)
    with pytest.raises(ConfigError, match=match):
        BankConfig.from_file(p)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        BankConfig.from_file(tmp_path / "absent.toml")
