import dataclasses
import sys

import pytest

from sayso.core.config import default_toml_text, load_config, parse_config_text
from sayso.core.config_types import Config
from sayso.core.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib


def test_default_toml_matches_dataclass_defaults():
    """config/default.toml is the source of defaults: the dataclasses agree with it."""
    from_file = parse_config_text("", "<empty>")
    defaults = Config()
    for section in dataclasses.fields(Config):
        if section.name == "source":
            continue
        assert getattr(from_file, section.name) == getattr(defaults, section.name) or section.name == "hotkeys", (
            section.name
        )
    # hotkeys.actions come only from the file
    assert from_file.hotkeys.actions["rewrite.fix"] == "<ctrl>+<alt>+f"


def test_every_dataclass_field_is_documented_in_default_toml():
    data = tomllib.loads(default_toml_text())
    for section in dataclasses.fields(Config):
        if section.name == "source":
            continue
        for f in dataclasses.fields(
            section.type if isinstance(section.type, type) else type(getattr(Config(), section.name))
        ):
            assert f.name in data[section.name], f"{section.name}.{f.name} missing from config/default.toml"


@pytest.mark.parametrize(
    "text,message",
    [
        ('[stt]\nmodel = "x"\nbeam_size = "five"\n', r"^<t>:3: stt.beam_size: expected an integer, got a string$"),
        ('[hotkeys]\ndictat = "<f9>"\n', r"^<t>:2: hotkeys.dictat: unknown key \(did you mean 'dictate'\?\)$"),
        ('[hotkeys]\ndictate = "<ctrl>+<alt>+spaec"\n', r"^<t>:2: hotkeys.dictate: unknown key name 'spaec'"),
        (
            '[hotkeys]\ndictate_mode = "push"\n',
            r"^<t>:2: hotkeys.dictate_mode: must be one of 'hold', 'toggle', 'auto', got 'push'$",
        ),
        ("[audio]\npreroll_ms = -5\n", r"^<t>:2: audio.preroll_ms: must not be negative"),
        ('[dictate]\nremove_fillers = "yes"\n', r"^<t>:2: dictate.remove_fillers: expected true or false"),
        ('[stt]\nvocabulary = "ComfyUI"\n', r"^<t>:2: stt.vocabulary: expected a list"),
        ("[speakers]\nx = 1\n", r"^<t>:1: speakers: unknown key \(did you mean 'speak'\?\)$"),
        ("[stt\nmodel = 1\n", r"^<t>:1: invalid TOML"),
        (
            '[hotkeys.actions]\n"speak.toggle" = "<ctrl>+<bogus>"\n',
            r"^<t>:2: hotkeys.actions.speak.toggle: unknown key name",
        ),
        (
            '[rewrite.actions.pirate]\nprompt = "Arr"\nhotkey = "<ctrl>+x+y"\n',
            r"^<t>:3: rewrite.actions.pirate.hotkey: 'x' is not a modifier",
        ),
        (
            '[rewrite.actions.pirate]\nhotkey = "<f8>"\n',
            r"^<t>:1: rewrite.actions.pirate.prompt: a new action needs a prompt$",
        ),
        ("[rewrite]\ntemperature = 0.1\ntimeout_s = 0\n", r"^<t>:3: rewrite.timeout_s: must be more than 0, got 0.0$"),
    ],
)
def test_validation_messages_name_file_line_and_key(text, message):
    with pytest.raises(ConfigError, match=message):
        parse_config_text(text, "<t>")


def test_user_file_overrides_defaults(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[stt]\nvocabulary = ["ComfyUI"]\n[rewrite.actions.pirate]\nprompt = "Arr"\n')
    cfg = load_config(path)
    assert cfg.stt.vocabulary == ["ComfyUI"]
    assert cfg.stt.model == "bundled:tiny.en"
    assert cfg.rewrite.actions["pirate"].prompt == "Arr"
    assert cfg.source == str(path)


def test_config_lookup_order(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("SAYSO_CONFIG", raising=False)
    assert load_config().source == "<defaults>"
    (tmp_path / "xdg" / "sayso").mkdir(parents=True)
    (tmp_path / "xdg" / "sayso" / "config.toml").write_text("[audio]\npreroll_ms = 0\n")
    assert load_config().audio.preroll_ms == 0
    other = tmp_path / "other.toml"
    other.write_text("[audio]\npreroll_ms = 100\n")
    monkeypatch.setenv("SAYSO_CONFIG", str(other))
    assert load_config().audio.preroll_ms == 100
    monkeypatch.setenv("SAYSO_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigError, match="missing.toml: config file not found"):
        load_config()


def test_unreadable_config(tmp_path):
    path = tmp_path / "c.toml"
    path.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(ConfigError, match=r"c.toml: cannot read config"):
        load_config(path)


def test_cli_config_commands(tmp_path):
    from sayso.cli.main import main

    path = tmp_path / "c.toml"
    assert main(["--config", str(path), "config", "init"]) == 0
    assert path.read_text() == default_toml_text()
    assert main(["--config", str(path), "config", "check"]) == 0
    assert main(["--config", str(path), "config", "init"]) == 1  # exists, no --force
    path.write_text('[stt]\nbeam_size = "x"\n')
    assert main(["--config", str(path), "config", "check"]) == 3


def test_cli_config_show_is_valid_toml(tmp_path, capsys):
    from sayso.cli.main import main

    assert main(["config", "show"]) == 0
    out = capsys.readouterr().out
    assert tomllib.loads(out)["stt"]["model"] == "bundled:tiny.en"
