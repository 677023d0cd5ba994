"""A fake LLM provider: a real threaded HTTP server on 127.0.0.1 speaking two wire protocols.

- OpenAI-compatible chat completions (what Vercel AI Gateway serves): `POST /v1/chat/completions`.
- Gemini REST: `POST /{v1,v1beta}/models/{model}:generateContent` (google-genai 3.3 sends `/v1/...`).

The "model" reads the traits and ranges out of the rubric prompt it is sent and answers according to
`mode` (or the next entry of `script`): good, slow, error (5xx), malformed, out_of_range, missing_trait,
extra_junk, fenced, unauthorized. `scores` pins the score per trait; otherwise a trait gets
`default_fraction` of its range. Every request is recorded in `requests`."""
from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional

TRAIT_LINE = re.compile(r"^- (\w+) \([^)]*\), integer (\d+) to (\d+):$", re.M)
GEMINI_PATH = re.compile(r"^/(v1|v1beta)/models/([^/:]+):generateContent$")


class FakeAiServer:
    def __init__(self, key: str = "test-key", mode: str = "good", delay_s: float = 2.0):
        self.key = key
        self.mode = mode
        self.script: list[str] = []  # modes used once each, before falling back to `mode`
        self.delay_s = delay_s
        self.scores: dict[str, int] = {}
        self.default_fraction = 0.5
        self.reason = "The response addresses the task with some gaps."
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # no 40 ms Nagle/delayed-ACK stall between headers and body

            def do_POST(self):  # noqa: N802
                fake._handle(self)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    # --- lifecycle -------------------------------------------------------------------------------
    def start(self) -> "FakeAiServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def openai_base(self) -> str:
        return f"{self.url}/v1"

    def reset(self, mode: str = "good") -> None:
        with self._lock:
            self.mode, self.script, self.scores, self.requests = mode, [], {}, []

    def calls(self, protocol: Optional[str] = None) -> int:
        return sum(1 for r in self.requests if protocol is None or r["protocol"] == protocol)

    # --- the model -------------------------------------------------------------------------------
    def _next_mode(self) -> str:
        with self._lock:
            return self.script.pop(0) if self.script else self.mode

    def _answer(self, prompt: str, mode: str) -> str:
        traits = {m.group(1): (int(m.group(2)), int(m.group(3))) for m in TRAIT_LINE.finditer(prompt)}
        out = {}
        for name, (lo, hi) in traits.items():
            score = self.scores.get(name, lo + round((hi - lo) * self.default_fraction))
            out[name] = {"score": score, "reason": self.reason}
        if mode == "out_of_range" and out:
            name = next(iter(out))
            out[name]["score"] = traits[name][1] + 3
        if mode == "missing_trait" and out:
            out.pop(next(iter(out)))
        reply: dict[str, Any] = {"traits": out}
        if mode == "extra_junk":
            reply["note"] = "I also think the learner should practise more."
        text = json.dumps(reply)
        if mode == "malformed":
            return text[: len(text) // 2] + " ...and that is my verdict"
        if mode == "fenced":
            return "```json\n" + text + "\n```"
        return text

    # --- the wire --------------------------------------------------------------------------------
    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        n = int(h.headers.get("content-length") or 0)
        raw = h.rfile.read(n)
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return self._send(h, 400, {"error": {"message": "bad json"}})
        gm = GEMINI_PATH.match(h.path)
        if h.path == "/v1/chat/completions":
            protocol, key = "openai", (h.headers.get("authorization") or "").removeprefix("Bearer ")
            prompt = "\n".join(m.get("content", "") for m in body.get("messages", []) if m.get("role") == "user")
            model = body.get("model", "")
        elif gm:
            protocol, key, model = "gemini", h.headers.get("x-goog-api-key") or "", gm.group(2)
            prompt = "\n".join(p.get("text", "") for c in body.get("contents", []) for p in c.get("parts", []))
        else:
            return self._send(h, 404, {"error": {"message": f"no route {h.path}"}})
        mode = self._next_mode()
        with self._lock:
            self.requests.append({"protocol": protocol, "path": h.path, "body": body, "mode": mode,
                                  "headers": {k.lower(): v for k, v in h.headers.items()}})
        if key != self.key or mode == "unauthorized":
            return self._send(h, 401, {"error": {"code": 401, "message": "invalid API key", "status": "UNAUTHENTICATED"}})
        if mode == "error":
            return self._send(h, 503, {"error": {"code": 503, "message": "model overloaded", "status": "UNAVAILABLE"}})
        if mode == "slow":
            time.sleep(self.delay_s)
        text = self._answer(prompt, mode)
        tin, tout = len(prompt.split()), len(text.split())
        if protocol == "openai":
            payload = {"id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()), "model": model,
                       "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                       "usage": {"prompt_tokens": tin, "completion_tokens": tout, "total_tokens": tin + tout}}
        else:
            payload = {"candidates": [{"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP", "index": 0}],
                       "usageMetadata": {"promptTokenCount": tin, "candidatesTokenCount": tout, "totalTokenCount": tin + tout},
                       "modelVersion": model}
        self._send(h, 200, payload)

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        try:
            h.send_response(status)
            h.send_header("content-type", "application/json")
            h.send_header("content-length", str(len(data)))
            h.end_headers()
            h.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
            pass


def main() -> None:
    """Run the fake provider on its own, e.g. to try the pipeline by hand:
    `python tests/fakes/ai_servers.py --port 8799 --key dev-key --mode good`."""
    import argparse

    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("--port", type=int, default=8799)
    ap.add_argument("--key", default="dev-key")
    ap.add_argument("--mode", default="good")
    ap.add_argument("--delay", type=float, default=2.0)
    a = ap.parse_args()
    s = FakeAiServer(key=a.key, mode=a.mode, delay_s=a.delay)
    s.httpd.server_close()
    s.httpd = ThreadingHTTPServer(("127.0.0.1", a.port), s.httpd.RequestHandlerClass)
    s.httpd.daemon_threads = True
    s.port = a.port
    print(f"fake AI provider on {s.url} (OpenAI-compatible base {s.openai_base}, Gemini base {s.url}); mode={a.mode}",
          flush=True)
    try:
        s.httpd.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
