"""Which changed options a reload applies and which it says need a restart."""

from sayso.core.config import parse_config_text
from sayso.core.live_options import restart_needed, restart_note


def test_restart_needed_names_only_the_changed_start_time_options():
    old = parse_config_text("")
    new = parse_config_text(
        '[hotkeys]\ndictate = "<ctrl>+<alt>+d"\n[speak]\nvoice = "joe-slow"\n'
        "[notify]\nsounds = false\n[general]\nhistory_size = 5\n[serve]\nuri = 'tcp://127.0.0.1:10301'\n"
    )
    assert restart_needed(old, new) == ["general.history_size", "notify.sounds", "serve"]
    assert restart_needed(old, parse_config_text('[rewrite]\nengine = "harper"\n')) == []


def test_restart_note_for_a_key_and_for_a_key_in_a_section():
    assert restart_note("notify.sounds").startswith("Needs a restart: ")
    assert "sayso serve" in restart_note("serve.uri")
    assert restart_note("hotkeys.dictate") == restart_note("speak.voice") == ""
