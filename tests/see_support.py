"""A loopback OpenAI-compatible vision server for the describe tests (and doctor's)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ALT = "A red square on a white page. Below it, the word STOP in black capitals."


class VisionServer:
    """A loopback OpenAI-compatible server: records each request, answers with *reply*."""

    def __init__(self) -> None:
        self.requests: list = []
        self.reply = {"choices": [{"message": {"role": "assistant", "content": ALT}}]}
        self.status = 200
        self.raw: bytes = b""
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _send(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                assert self.path == "/v1/models"
                self._send(200, json.dumps({"data": [{"id": "vision-test"}]}).encode())

            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                body = json.loads(self.rfile.read(length))
                outer.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                if outer.raw:
                    self._send(outer.status, outer.raw)
                else:
                    self._send(outer.status, json.dumps(outer.reply).encode())

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def drag(desk, x0, y0, x1, y1) -> None:
    """Drag the mouse from (x0, y0) to (x1, y1) in five steps, as a hand does (xdotool)."""
    desk.xdotool("mousemove", str(x0), str(y0))
    desk.xdotool("mousedown", "1")
    for step in range(1, 6):
        desk.xdotool("mousemove", str(x0 + (x1 - x0) * step // 5), str(y0 + (y1 - y0) * step // 5))
    desk.xdotool("mouseup", "1")
