"""The settings window's config store: one key changes, the rest of the file stays byte for byte."""

from __future__ import annotations

import pytest

from sayso.core.config import load_config
from sayso.core.errors import ConfigError
from sayso.window.store import ConfigStore, help_texts, set_value

USER_FILE = """\
# my sayso settings, written by hand
[speak]
voice = "joe"   # the voice I like
rate = 1.2

[hotkeys]
# push to talk on the right control key
dictate = "<ctrl_r>"
cancel = "<esc>"
"""


def changed_lines(before: str, after: str) -> list:
    a, b = before.splitlines(), after.splitlines()
    assert len(a) == len(b)
    return [(x, y) for x, y in zip(a, b, strict=True) if x != y]


def test_changing_one_field_changes_only_that_key(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(USER_FILE)
    store = ConfigStore.open(path)
    store.save("speak.rate", 1.5)
    after = path.read_text()
    assert changed_lines(USER_FILE, after) == [("rate = 1.2", "rate = 1.5")]
    assert load_config(path).speak.rate == 1.5  # the daemon's loader reads it back


def test_a_key_the_file_did_not_have_is_added_and_nothing_else_moves(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(USER_FILE)
    ConfigStore.open(path).save("stt.vocabulary", ["ComfyUI", "Kubernetes"])
    after = path.read_text()
    assert after.startswith(USER_FILE)
    assert load_config(path).stt.vocabulary == ["ComfyUI", "Kubernetes"]


def test_a_quoted_action_key_keeps_its_comment(tmp_path):
    text = '[hotkeys.actions]\n"speak.toggle" = "<ctrl>+<alt>+s"     # read aloud\n'
    after = set_value(text, 'hotkeys.actions."speak.toggle"', "<f9>")
    assert after == '[hotkeys.actions]\n"speak.toggle" = "<f9>"     # read aloud\n'


def test_a_bad_value_gets_the_loaders_message_and_nothing_is_written(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(USER_FILE)
    store = ConfigStore.open(path)
    with pytest.raises(ConfigError) as err:
        store.save("hotkeys.dictate_mode", "sometimes")
    assert str(err.value) == (
        f"{path}:10: hotkeys.dictate_mode: must be one of 'hold', 'toggle', 'auto', got 'sometimes'"
    )
    with pytest.raises(ConfigError, match=r"config.toml:8: hotkeys.dictate: "):
        store.save("hotkeys.dictate", "<ctrl>+<nosuchkey>")
    assert path.read_text() == USER_FILE
    assert store.value("hotkeys.dictate") == "<ctrl_r>"  # the store keeps the last good config


def test_a_new_file_is_private(tmp_path):
    path = tmp_path / "sayso" / "config.toml"
    ConfigStore.open(path).save("speak.voice", "amy")
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.read_text() == '[speak]\nvoice = "amy"\n'


def test_help_comes_from_the_default_files_comments():
    helps = help_texts()
    assert helps["speak.rate"] == "Speaking rate: 1.0 normal, 1.5 faster, 0.8 slower."
    assert helps["hotkeys.actions.rewrite.fix"] == "fix grammar and spelling on the clipboard"
    assert helps["audio.preroll_ms"].startswith("Keep the last N ms before the key press")


def test_lists_maps_and_rewrite_actions_round_trip_leaving_the_rest_byte_for_byte(tmp_path):
    from sayso.window.store import DELETE

    path = tmp_path / "config.toml"
    path.write_text(USER_FILE)
    store = ConfigStore.open(path)
    store.save("stt.vocabulary", ["ComfyUI", "Kubernetes, Inc."])  # a term may hold a comma
    store.save("speak.language_voices", {"de": "joe-slow"})
    store.save('rewrite.actions."pirate"', {"prompt": "Say it like a pirate.", "hotkey": "<ctrl>+<alt>+p"})
    store.save('rewrite.actions."shorter"', {"prompt": "Make it shorter."})
    config = load_config(path)
    assert config.stt.vocabulary == ["ComfyUI", "Kubernetes, Inc."]
    assert config.speak.language_voices == {"de": "joe-slow"}
    assert (config.rewrite.actions["pirate"].hotkey, config.rewrite.actions["shorter"].prompt) == (
        "<ctrl>+<alt>+p",
        "Make it shorter.",
    )
    store.save('rewrite.actions."pirate"', DELETE)
    store.save('rewrite.actions."shorter"', DELETE)
    store.save("speak.language_voices", DELETE)
    store.save("stt.vocabulary", DELETE)
    after = path.read_text()
    assert "pirate" not in after and "language_voices" not in after
    kept = [line for line in after.splitlines() if line and not line.startswith(("[stt]", "[rewrite"))]
    assert kept == [line for line in USER_FILE.splitlines() if line]  # every line of the user's, as it was
    assert after.startswith(USER_FILE)


def test_a_bad_list_entry_is_refused_with_the_key_and_nothing_written(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(USER_FILE)
    with pytest.raises(ConfigError, match=r"rewrite\.actions\.pirate"):
        ConfigStore.open(path).save('rewrite.actions."pirate"', {"prompt": "x", "hotkey": "<ctrl>+<nosuchkey>"})
    assert path.read_text() == USER_FILE
