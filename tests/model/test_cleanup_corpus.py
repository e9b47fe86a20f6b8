"""``dictate.cleanup = "rules"`` on real speech: the corpus clips (LibriVox, LJSpeech, the AMI
meeting clip) transcribed by the bundled tiny.en, cleaned, scored against the references.
The clean-up must not move the normalised WER by more than 0.3 points."""

from __future__ import annotations

from pathlib import Path

import pytest

from sayso.bench.corpus import read_manifest
from sayso.bench.scoring import rate, word_errors
from sayso.core.config_types import SttConfig
from sayso.dictate.cleanup import clean_rules
from sayso.dictate.engines.faster_whisper import Transcriber, load_audio_file

pytestmark = pytest.mark.model

MANIFEST = Path(__file__).parents[1] / "data" / "corpus" / "manifest.tsv"
FILLERS = ("um", "uh", "erm", "er", "hmm")


@pytest.fixture(scope="module")
def transcripts():
    model = Transcriber.load(SttConfig())
    clips = read_manifest(str(MANIFEST))
    return [(c.name, c.reference, model.transcribe(load_audio_file(str(c.path)), check_speech=False).text)
            for c in clips]  # fmt: skip


def test_cleanup_keeps_the_corpus_wer(transcripts):
    assert len(transcripts) >= 15 and any("ami" in name for name, _, _ in transcripts)
    raw = rate([word_errors(ref, hyp) for _, ref, hyp in transcripts])
    cleaned = rate([word_errors(ref, clean_rules(hyp, (), FILLERS).text) for _, ref, hyp in transcripts])
    assert abs(cleaned - raw) <= 0.003, (raw, cleaned)


def test_cleanup_with_harpers_confident_fixes_keeps_the_corpus_wer(transcripts):
    """The daemon's "rules" clean-up: the rules, then Harper's confident fixes."""
    from sayso.app.pipelines import harper_fixer
    from sayso.dictate.cleanup import clean

    fixer = harper_fixer()
    raw = rate([word_errors(ref, hyp) for _, ref, hyp in transcripts])
    cleaned = rate(
        [word_errors(ref, clean(hyp, "rules", (), FILLERS, fixer=fixer).text) for _, ref, hyp in transcripts]
    )
    assert abs(cleaned - raw) <= 0.003, (raw, cleaned)
    assert clean("This is an test of it.", "rules", (), FILLERS, fixer=fixer).text == "This is a test of it."
    # no spell check on a transcript (Whisper writes dictionary words; Harper's speller flags names)
    assert clean("I'm Abigail Claflin.", "rules", (), FILLERS, fixer=fixer).text == "I'm Abigail Claflin."
    assert fixer("I will send it tomorow.") == "I will send it tomorow."  # misspellings: left to "fix"


def test_cleanup_raw_text_is_the_transcript_byte_for_byte(transcripts):
    for _, _, hyp in transcripts:
        assert clean_rules(hyp, (), FILLERS).raw == hyp
