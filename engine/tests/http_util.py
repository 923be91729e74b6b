"""A running engine in-process for tests, and a tiny HTTP client for it."""

from __future__ import annotations

import http.client
import json
import threading
from typing import Any, Optional

from engine.runtime import Runtime, Settings
from engine.server import EngineServer

TOKEN = "test-token"


class LiveServer:
    def __init__(self, model_dir: str, reward_dir: Optional[str] = None, env: Optional[dict] = None):
        env = {"ENGINE_TOKEN": TOKEN, "ENGINE_PORT": "0", "ENGINE_MODEL": model_dir, "ENGINE_DEVICE": "cpu",
               **(env or {})}
        if reward_dir:
            env["ENGINE_REWARD_MODEL"] = reward_dir
        self.runtime = Runtime(Settings.from_env(env))
        self.httpd = EngineServer(("127.0.0.1", 0), self.runtime)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def request(self, method: str, path: str, body: Any = None, token: Optional[str] = TOKEN,
                raw: Optional[bytes] = None, headers: Optional[dict] = None) -> tuple[int, Any]:
        status, payload, _ = self.request_with_headers(method, path, body, token, raw, headers)
        return status, payload

    def request_with_headers(self, method: str, path: str, body: Any = None, token: Optional[str] = TOKEN,
                             raw: Optional[bytes] = None, headers: Optional[dict] = None) -> tuple[int, Any, dict]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        hdrs = dict(headers or {})
        if token is not None:
            hdrs["Authorization"] = f"Bearer {token}"
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        if data is not None:
            hdrs.setdefault("Content-Type", "application/json")
        conn.request(method, path, body=data, headers=hdrs)
        resp = conn.getresponse()
        text = resp.read().decode()
        conn.close()
        ctype = resp.getheader("Content-Type", "")
        got = dict(resp.getheaders())
        if ctype.startswith("text/event-stream"):
            return resp.status, parse_sse(text), got
        return resp.status, json.loads(text) if text else None, got

    def post(self, path: str, body: Any, **kw) -> tuple[int, Any]:
        return self.request("POST", path, body, **kw)


def parse_sse(text: str) -> list[Any]:
    """SSE body -> list of JSON events, with the final `[DONE]` kept as the string "[DONE]"."""
    events = []
    for block in text.split("\n\n"):
        if not block.strip() or block.startswith(":"):  # a comment: the jobs stream's heartbeat
            continue
        assert block.startswith("data: "), block
        payload = block[len("data: "):]
        events.append(payload if payload == "[DONE]" else json.loads(payload))
    return events
