"""The engine's HTTP service on the standard library's ThreadingHTTPServer.

Each connection gets a thread. Generation goes to the policy's Scheduler (engine/scheduler.py:
continuous batching, one thread owns the model), which the handler thread then follows, writing
its request's deltas; reward scoring goes through Runtime.lock. Every handler turns ApiError into
a 4xx/501 JSON body, a full admission queue into 503 + Retry-After, and any other exception into a
500 JSON body: no request can take the server down.
"""

from __future__ import annotations

import hmac
import json
import queue
import select
import socket
import sys
import time
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Optional


from . import jobs_http
from .generate import RowState
from .protocol import DEFAULT_MAX_TOKENS, ApiError, GenerationRequest, parse_generation, parse_rewards
from .reward import score as reward_score
from .runtime import Runtime
from .scheduler import Busy, Handle, Update
from .tokenizer import Message, Tokenizer

MAX_BODY = 4 * 1024 * 1024


class EngineServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # Listen backlog: a burst of connections (a team opening pairs at once) waits in the kernel's
    # queue instead of being reset; the kernel caps it at net.core.somaxconn.
    request_queue_size = 1024

    def __init__(self, address: tuple[str, int], runtime: Runtime):
        self.runtime = runtime
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, Handler)


class Handler(BaseHTTPRequestHandler):
    server: EngineServer
    protocol_version = "HTTP/1.1"  # keep-alive for JSON; streams close their connection
    # Socket timeout: an idle keep-alive connection is closed, and a client that stops reading a
    # stream cannot hold the generation lock for more than this long.
    timeout = 120
    server_version = "pairwise-engine/0.1"

    # -- plumbing ---------------------------------------------------------------------------
    def log_message(self, format: str, *args: Any) -> None:
        sys.stderr.write(f"engine: {self.address_string()} {format % args}\n")

    def _send_json(self, status: int, payload: Any, headers: Optional[dict] = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _read_json(self) -> Any:
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            self.close_connection = True
            raise ApiError(411, "a JSON body with a Content-Length header is required")
        if int(length) > MAX_BODY:
            self.close_connection = True  # the unread body would corrupt the next request
            raise ApiError(413, f"request body is larger than {MAX_BODY} bytes")
        raw = self.rfile.read(int(length))
        try:
            return json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ApiError(400, f"request body is not valid JSON: {e}") from None

    def _authorised(self) -> bool:
        header = self.headers.get("Authorization", "")
        expected = f"Bearer {self.server.runtime.settings.token}"
        return hmac.compare_digest(header.encode(), expected.encode())

    def _dispatch(self, method: str) -> None:
        routes: dict[str, dict[str, Callable[[], None]]] = {
            "/healthz": {"GET": self.health},
            "/v1/models": {"GET": self.models},
            "/v1/chat/completions": {"POST": lambda: self.generation(chat=True)},
            "/v1/completions": {"POST": lambda: self.generation(chat=False)},
            "/v1/rewards": {"POST": self.rewards},
        }
        try:
            if not self._authorised():
                raise ApiError(401, "missing or invalid bearer token in the Authorization header",
                               type_="authentication_error", code="invalid_token")
            path = self.path.split("?", 1)[0]
            routes.update(jobs_http.routes_for(self, path))  # /v1/jobs..., /v1/rewards/combined
            if path not in routes:
                raise ApiError(404, f"no route {path}", code="not_found")
            if method not in routes[path]:
                raise ApiError(405, f"{path} accepts {', '.join(routes[path])}, not {method}", code="method_not_allowed")
            routes[path][method]()
        except ApiError as e:
            if method == "POST" and not self.close_connection and e.status in (401, 404, 405):
                self.close_connection = True  # body left unread
            self._send_json(e.status, e.body())
        except Busy as e:
            self._send_json(503, {"error": {"message": str(e), "type": "server_error", "param": None,
                                            "code": "engine_busy"}}, {"Retry-After": str(e.retry_after)})
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True
        except Exception as e:  # a bug must cost one request, never the server
            traceback.print_exc()
            self.close_connection = True
            try:
                self._send_json(500, {"error": {"message": f"internal error: {type(e).__name__}: {e}",
                                                "type": "server_error", "param": None, "code": None}})
            except OSError:
                pass

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_OPTIONS(self) -> None:
        self._dispatch("OPTIONS")

    # -- routes ------------------------------------------------------------------------------
    def health(self) -> None:
        self._send_json(200, self.server.runtime.health())

    def models(self) -> None:
        rt = self.server.runtime
        loaded = rt.models + rt.policies.loaded_models()  # start-up models first, then loaded directories
        data = [{"id": m.id, "object": "model", "created": 0, "owned_by": "pairwise", "kind": m.kind,
                 "context_length": m.context_length} for m in loaded]
        self._send_json(200, {"object": "list", "data": data})

    def generation(self, chat: bool) -> None:
        req = parse_generation(self._read_json(), chat)
        rt = self.server.runtime
        # The policy loaded at start by id, or a policy directory under the data dir (an LRU).
        policy, scheduler = rt.policies.resolve(req.model)
        tok = policy.tokenizer
        prompt = tok.encode_dialog(req.messages) if chat else tok.encode(req.prompt or "", bos=True)
        ctx, param = policy.context_length, "messages" if chat else "prompt"
        if len(prompt) >= ctx:
            raise ApiError(400, f"the prompt is {len(prompt)} tokens; the model's context is {ctx}", param,
                           code="context_length_exceeded")
        if req.max_tokens_given and req.clamp_max_tokens:  # extension: shrink to fit instead of a 400
            req.params.max_tokens = min(req.params.max_tokens, ctx - len(prompt))
        if req.max_tokens_given and len(prompt) + req.params.max_tokens > ctx:
            raise ApiError(400, f"prompt ({len(prompt)} tokens) + max_tokens ({req.params.max_tokens}) exceeds "
                           f"the context of {ctx}", "max_tokens", code="context_length_exceeded")
        if not req.max_tokens_given:
            req.params.max_tokens = min(DEFAULT_MAX_TOKENS, ctx - len(prompt))
        meta = {"id": f"{'chatcmpl' if chat else 'cmpl'}-{uuid.uuid4().hex}", "created": int(time.time()),
                "model": policy.id if policy is rt.policy else req.model}  # a directory: as the request named it
        try:
            handle = scheduler.submit(prompt, req.params, req.n)
        except ValueError as e:  # n past the batch rows (a tiny ENGINE_MAX_BATCH)
            raise ApiError(400, str(e), "n") from None
        try:
            if req.stream:
                self._stream(req, prompt, chat, meta, handle, policy.tokenizer)
                return
            rows: list[RowState] = []
            for update in self._follow(handle):
                rows = update.rows
                if update.error:
                    raise RuntimeError(update.error)
            if handle.cancelled:
                return
        finally:
            handle.cancel()  # no-op once finished; frees the rows if this thread leaves early
        choices = [self._choice(r, i, chat, req.params.logprobs, tok) for i, r in enumerate(rows)]
        obj = "chat.completion" if chat else "text_completion"
        self._send_json(200, {**meta, "object": obj, "choices": choices, "usage": _usage(len(prompt), rows)})

    def _client_gone(self) -> bool:
        """True when the peer has closed its end (readable with nothing to read)."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b""
        except (OSError, ValueError):
            return True

    def _follow(self, handle: Handle):
        """The scheduler's updates for `handle` until it is done; cancels it when the client goes.
        The peer is checked between updates too (a cheap non-blocking select, at most every 20 ms):
        while the rows generate, updates arrive every step and the queue never runs dry."""
        checked = time.monotonic()
        while True:
            try:
                update: Optional[Update] = handle.get(timeout=0.25)
            except queue.Empty:
                update = None
            now = time.monotonic()
            if update is None or now - checked >= 0.02:
                checked = now
                if self._client_gone():
                    handle.cancel()
                    self.close_connection = True
                    return
            if update is None:
                continue
            while not update.done:  # coalesce: each update holds the whole state, the latest suffices
                try:
                    update = handle.updates.get_nowait()
                except queue.Empty:
                    break
            yield update
            if update.done:
                return

    def _choice(self, row: RowState, index: int, chat: bool, logprobs: bool, tok: Tokenizer) -> dict:
        lp: Optional[dict] = None
        if logprobs and chat:
            lp = {"content": [{"token": tok.piece(t), "token_id": t, "logprob": p, "top_logprobs": []}
                              for t, p in zip(row.token_ids, row.logprobs)]}
        elif logprobs:
            lp = {"tokens": [tok.piece(t) for t in row.token_ids], "token_ids": list(row.token_ids),
                  "token_logprobs": list(row.logprobs)}
        if chat:
            return {"index": index, "message": {"role": "assistant", "content": row.text},
                    "finish_reason": row.finish_reason, "logprobs": lp}
        return {"index": index, "text": row.text, "finish_reason": row.finish_reason, "logprobs": lp}

    def _stream(self, req: GenerationRequest, prompt: list[int], chat: bool, meta: dict, handle: Handle,
                tokenizer: Tokenizer) -> None:
        obj = "chat.completion.chunk" if chat else "text_completion"
        self.close_connection = True  # the stream ends when the connection does
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()

        def event(choices: list[dict], **extra: Any) -> None:
            payload = {**meta, "object": obj, "choices": choices, **extra}
            self.wfile.write(f"data: {json.dumps(payload)}\n\n".encode())
            self.wfile.flush()

        if chat:
            event([{"index": i, "delta": {"role": "assistant", "content": ""}, "finish_reason": None,
                    "logprobs": None} for i in range(req.n)])
        rows: list[RowState] = []
        tokens_sent = [0] * req.n  # per choice: tokens whose logprobs went out already
        finish_sent = [False] * req.n
        emitted = [0] * req.n  # characters of each choice's text already sent
        try:
            for update in self._follow(handle):
                if update.error:
                    raise RuntimeError(update.error)
                rows = update.rows
                choices = []
                for i, row in enumerate(rows):
                    row.emitted = emitted[i]
                    delta = row.take_delta(req.params.stop)
                    emitted[i] = row.emitted
                    finishing = row.finished and not finish_sent[i]
                    if not delta and not finishing:
                        continue
                    choice: dict[str, Any] = {"index": i, "finish_reason": row.finish_reason if finishing else None,
                                              "logprobs": None}
                    if chat:
                        choice["delta"] = {"content": delta} if delta else {}
                    else:
                        choice["text"] = delta
                    if req.params.logprobs:
                        choice["logprobs"] = self._logprobs_delta(row, tokens_sent[i], chat, tokenizer)
                    tokens_sent[i], finish_sent[i] = len(row.token_ids), row.finished
                    choices.append(choice)
                if choices:
                    event(choices)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            handle.cancel()  # client went away or stalled: its rows are freed at the next step
            return
        except Exception as e:  # the 200 is already sent: report the failure in-band
            traceback.print_exc()
            event([], error={"message": f"internal error: {type(e).__name__}: {e}", "type": "server_error"})
        else:
            if handle.cancelled:  # the client went away (seen while waiting)
                return
            event([], usage=_usage(len(prompt), rows))
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()

    def _logprobs_delta(self, row: RowState, start: int, chat: bool, tok: Tokenizer) -> dict:
        """Log-probabilities of the row's tokens from `start` on, in the chunk format."""
        new = list(zip(row.token_ids[start:], row.logprobs[start:]))
        if chat:
            return {"content": [{"token": tok.piece(t), "token_id": t, "logprob": p, "top_logprobs": []}
                                for t, p in new]}
        return {"token_ids": [t for t, _ in new], "token_logprobs": [p for _, p in new]}

    def rewards(self) -> None:
        req = parse_rewards(self._read_json())
        rt = self.server.runtime
        # The model loaded at start by id, or a trained model's directory under the data dir (an LRU).
        reward = reward_score.reward_models(rt).resolve(req.model)
        seqs = [reward.tokenizer.encode_dialog(msgs + [Message("assistant", response)])
                for msgs, response in req.inputs]
        reward_score.check_lengths(reward, seqs)
        rewards = reward_score.score(rt, reward, seqs)  # right-padded; read at each last token
        self._send_json(200, {"object": "list", "model": reward.id,
                              "data": [{"index": i, "reward": r} for i, r in enumerate(rewards)],
                              "usage": {"prompt_tokens": sum(len(s) for s in seqs)}})


def _usage(prompt_tokens: int, rows: list[RowState]) -> dict:
    completion = sum(len(r.token_ids) for r in rows)
    return {"prompt_tokens": prompt_tokens, "completion_tokens": completion, "total_tokens": prompt_tokens + completion}
