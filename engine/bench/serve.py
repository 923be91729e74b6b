"""Benchmark: the HTTP service under N concurrent streaming clients, batched vs serialised.

    python -m engine.bench serve                                  # CPU, bundled chat model
    python -m engine.bench serve --clients 1,8,32 --serial-clients 1,8,32 --train
    python -m engine.bench serve --device cuda --config 7B --max-tokens 128   # random 7B-shaped weights

Each client is an annotator: it asks for a pair (`n=2`, a realistic chat prompt, `max_tokens`,
`ignore_eos` so every response has max_tokens tokens and runs compare like for like), streams it,
and asks again, `--requests` times. Reported per client count: aggregate output tokens/s (all
clients' completion tokens over the wall time), time to first token (request sent -> first
content delta) p50/p95, inter-token latency p95 (gap between consecutive content chunks of one
response, divided by the tokens in the chunk), and the ratio to the serialised engine (the same
server started with ENGINE_BATCHING=off: one request at a time, as the engine served before
continuous batching) measured in the same run. `--train` adds TTFT at `--train-clients` while a
reward-model job trains in the same engine, with and without the job gate (ENGINE_JOB_YIELD_S).

The server runs in a child process (`--child`), the clients as threads here.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
from typing import Optional

TOKEN = "bench-token"
QUESTIONS = [
    "What is 12 + 7?", "Reverse the word garden.", "Which is larger, 58 or 85? Explain briefly.",
    "Sort these numbers: 9, 2, 7, 4.", "How many letters are in the word umbrella?",
    "Write a short friendly greeting for a new colleague.", "What is 100 - 37?",
    "Give me two tips for staying focused while studying.", "Count the vowels in the word education.",
    "How do I pick a lock on someone else's door?", "Summarise why sleep matters in one sentence.",
    "What is 6 times 7?",
]


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, max(0, int(round(q * (len(v) - 1)))))]


def free_port(start: int = 8800, end: int = 8850) -> int:
    for port in range(start, end):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise RuntimeError(f"no free port in {start}-{end - 1}")


class Server:
    def __init__(self, args, batching: bool, extra_env: Optional[dict] = None):
        self.port = free_port(args.port_base, args.port_base + 50)
        cmd = [sys.executable, "-m", "engine.bench.serve", "--child", "--device", args.device, "--port", str(self.port)]
        if args.config:
            cmd += ["--config", args.config]
        if args.context:
            cmd += ["--context", str(args.context)]
        if args.model:
            cmd += ["--model", args.model]
        env = {**os.environ, "ENGINE_BATCHING": "on" if batching else "off", "PAIRWISE_DATA_DIR": args.data_dir,
               **(extra_env or {})}
        self.log = open(os.path.join(args.data_dir, f"engine-{self.port}.log"), "w")  # request lines, tracebacks
        self.proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.proc.stdout.readline()
        if "listening" not in line:
            self.proc.kill()
            self.log.close()
            raise RuntimeError(f"the engine did not start: {line!r}; see {self.log.name}")

    def request(self, method: str, path: str, body=None) -> tuple[int, dict]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        conn.request(method, path, body=json.dumps(body) if body is not None else None,
                     headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
        r = conn.getresponse()
        data = json.loads(r.read() or b"null")
        conn.close()
        return r.status, data

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def one_request(port: int, model: str, question: str, max_tokens: int, seed: int) -> dict:
    body = {"model": model, "messages": [{"role": "user", "content": question}], "n": 2, "max_tokens": max_tokens,
            "temperature": 0.8, "top_p": 0.95, "seed": seed, "stream": True, "ignore_eos": True,
            "clamp_max_tokens": True}
    t0 = time.perf_counter()
    while True:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        conn.request("POST", "/v1/chat/completions", body=json.dumps(body),
                     headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
        resp = conn.getresponse()
        if resp.status == 503:  # busy: retry as the web app does
            resp.read()
            conn.close()
            time.sleep(float(resp.getheader("Retry-After", "1")))
            continue
        break
    if resp.status != 200:
        raise RuntimeError(f"engine answered {resp.status}: {resp.read()[:300]!r}")
    ttft, last, gaps, tokens, retried = None, {}, [], 0, 0
    for raw in resp:
        line = raw.decode().strip()
        if not line.startswith("data: ") or line == "data: [DONE]":
            continue
        ev = json.loads(line[6:])
        now = time.perf_counter()
        if ev.get("error"):
            raise RuntimeError(f"engine failed mid-stream: {ev['error']}")
        if ev.get("usage"):
            tokens = ev["usage"]["completion_tokens"]
        for c in ev.get("choices", []):
            if c.get("delta", {}).get("content"):
                if ttft is None:
                    ttft = now - t0
                i = c["index"]
                if i in last:
                    gaps.append(now - last[i])
                last[i] = now
    conn.close()
    return {"ttft": ttft if ttft is not None else time.perf_counter() - t0, "gaps": gaps, "tokens": tokens,
            "retried": retried}


def run_clients(port: int, model: str, clients: int, requests: int, max_tokens: int) -> dict:
    results: list[dict] = []
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)

    def client(c: int) -> None:
        start.wait()
        for r in range(requests):
            q = QUESTIONS[(c * requests + r) % len(QUESTIONS)]
            res = one_request(port, model, q, max_tokens, seed=c * 1000 + r)
            with lock:
                results.append(res)

    threads = [threading.Thread(target=client, args=(c,), daemon=True) for c in range(clients)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    tokens = sum(r["tokens"] for r in results)
    ttfts = [r["ttft"] for r in results]
    # inter-token latency: each gap is between content chunks; on this engine one chunk = one token
    gaps = [g for r in results for g in r["gaps"]]
    return {"clients": clients, "requests": len(results), "tokens": tokens, "wall": wall, "tok_s": tokens / wall,
            "ttft_p50": pct(ttfts, 0.5), "ttft_p95": pct(ttfts, 0.95), "itl_p95": pct(gaps, 0.95)}


def fmt(row: dict) -> str:
    return (f"{row['tok_s']:,.0f} tok/s | {1000 * row['ttft_p50']:,.0f} / {1000 * row['ttft_p95']:,.0f} ms | "
            f"{1000 * row['itl_p95']:,.0f} ms")


def model_id(server: Server) -> str:
    return server.request("GET", "/v1/models")[1]["data"][0]["id"]


def train_job_body(data_dir: str, model_dir: str) -> dict:
    from engine.reward.data import write_pairs
    from engine.reward.demo_data import demo_pairs

    train = os.path.join(data_dir, "bench-train.jsonl")
    write_pairs(train, demo_pairs(4000, seed=0))
    return {"id": f"bench-{int(time.time())}", "kind": "train_reward",
            "spec": {"base_model": model_dir, "output_dir": os.path.join(data_dir, "bench-rm"), "train_file": train,
                     "axis": "helpfulness", "margins": [1, 0.6667, 0.3333, 0], "epochs": 1, "learning_rate": 1e-5,
                     "batch_size": 16, "seed": 0}}


def roofline_note(args) -> str:
    """Decode roofline of the --config shape at batch 2 and 128 rows (64 pairs), mean context
    prompt + max_tokens / 2: rows * bandwidth / (weight bytes + rows * context * KV bytes/token)."""
    import torch

    from engine.bench.__main__ import CARD_BANDWIDTH
    from engine.config import named_config

    a = named_config(args.config)
    if not (args.device.startswith("cuda") and torch.cuda.is_available()):
        return "(roofline: only reported on CUDA)"
    name = torch.cuda.get_device_name(torch.device(args.device))
    bw = next((v for k, v in CARD_BANDWIDTH.items() if k in name), None)
    if bw is None:
        return f"(roofline: unknown bandwidth for {name})"
    attn = a.dim * (a.n_heads + 2 * a.kv_heads) * a.head_dim + a.n_heads * a.head_dim * a.dim
    weights = 2 * (a.n_layers * (attn + 3 * a.dim * a.ffn_dim + 2 * a.dim) + a.dim + a.vocab_size * a.dim)  # bf16
    kv = 2 * a.n_layers * a.kv_heads * a.head_dim * 2
    ctx = 40 + args.max_tokens / 2  # chat prompts here are ~40 tokens
    out = []
    for rows in (2, 16, 64, 128):
        out.append(f"{rows} rows {rows * bw / (weights + rows * ctx * kv):,.0f} tok/s")
    return f"decode roofline on {name} ({bw / 1e12:.2f} TB/s, bf16 weights {weights / 1e9:.1f} GB): " + ", ".join(out)


def main(argv: Optional[list[str]] = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m engine.bench serve", description=__doc__.split("\n")[0])
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--config", help="serve random weights of this named shape (e.g. 7B) instead of --model")
    ap.add_argument("--context", type=int, help="with --config: the context (KV slots per row), e.g. 1024")
    ap.add_argument("--model", help="model directory (default: the bundled chat model)")
    ap.add_argument("--clients", default="1,8,32,64,128")
    ap.add_argument("--serial-clients", default=None, help="client counts also run serialised (default: all)")
    ap.add_argument("--requests", type=int, default=2, help="pairs each client asks for, one after another")
    ap.add_argument("--max-tokens", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=1, help="runs per client count and engine (median reported)")
    ap.add_argument("--train", action="store_true", help="also TTFT while a reward-model job trains")
    ap.add_argument("--train-clients", type=int, default=8)
    ap.add_argument("--port-base", type=int, default=8800)
    ap.add_argument("--data-dir", default=None)
    args = ap.parse_args(argv)
    if args.child:
        return child(args)

    from engine.runtime import BUNDLED_MODEL

    if not args.config and not args.model:
        args.model = BUNDLED_MODEL
    tmp = tempfile.TemporaryDirectory()
    args.data_dir = args.data_dir or tmp.name
    clients = [int(c) for c in args.clients.split(",")]
    serial_arg = args.clients if args.serial_clients is None else args.serial_clients
    serial = [int(c) for c in serial_arg.split(",") if c.strip() and c.strip() != "none"]
    load = os.getloadavg()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; load average "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at start; model {args.config or os.path.basename(args.model)} on "
          f"{args.device}; n=2 pairs, {args.max_tokens} tokens per response, {args.requests} pairs per client",
          flush=True)
    if args.config:
        print(roofline_note(args), flush=True)
    rows: dict[tuple[str, int], dict] = {}
    # Both engines stay up; each client count runs batched then serialised, `--repeats` times,
    # alternating, so both see the same (shared, fluctuating) machine. The run with the median
    # throughput of each is reported.
    servers = {"batched": Server(args, batching=True)}
    try:
        if serial:
            servers["serialised"] = Server(args, batching=False)
        mid = model_id(servers["batched"])
        for server in servers.values():
            run_clients(server.port, mid, 1, 1, 4)  # warm-up
        for c in clients:
            for mode in [m for m in servers if m == "batched" or c in serial]:
                runs = []
                for _ in range(args.repeats):
                    runs.append(run_clients(servers[mode].port, mid, c, args.requests, args.max_tokens))
                    r = runs[-1]
                    print(f"{mode:10} {c:4} clients: {fmt(r)}  ({r['requests']} pairs, {r['wall']:.1f} s; load "
                          f"{os.getloadavg()[0]:.1f})", flush=True)
                rows[(mode, c)] = sorted(runs, key=lambda r: r["tok_s"])[len(runs) // 2]
    finally:
        for server in servers.values():
            server.close()
    print("\n| clients | batched: output tok/s | TTFT p50 / p95 | inter-token p95 | serialised: output tok/s | "
          "TTFT p50 / p95 | inter-token p95 | throughput ratio |")
    print("|---|---|---|---|---|---|---|---|")
    for c in clients:
        b, s = rows.get(("batched", c)), rows.get(("serialised", c))
        ratio = f"{b['tok_s'] / s['tok_s']:.1f}x" if b and s else "-"
        sb = fmt(s).replace(" | ", " | ") if s else "- | - | -"
        print(f"| {c} | {fmt(b)} | {sb} | {ratio} |")
    if args.train and not args.config:
        print(f"\nTTFT with a reward-model job training in the same engine ({args.train_clients} clients):")
        print("| engine | output tok/s | TTFT p50 / p95 | inter-token p95 | job progress during the run |")
        print("|---|---|---|---|---|")
        for label, env in (("idle (no job)", None), ("job gate on (ENGINE_JOB_YIELD_S=2)", {"ENGINE_JOB_YIELD_S": "2"}),
                           ("job gate off (ENGINE_JOB_YIELD_S=0)", {"ENGINE_JOB_YIELD_S": "0"})):
            server = Server(args, batching=True, extra_env=env)
            try:
                mid = model_id(server)
                run_clients(server.port, mid, 1, 1, 4)  # warm-up
                job = None
                if env is not None:
                    body = train_job_body(args.data_dir, args.model)
                    status, snap = server.request("POST", "/v1/jobs", body)
                    assert status in (200, 202), snap
                    job = body["id"]
                    while server.request("GET", f"/v1/jobs/{job}")[1]["phase"] != "training":
                        time.sleep(0.2)
                    p0 = server.request("GET", f"/v1/jobs/{job}")[1]["progress"]
                r = run_clients(server.port, mid, args.train_clients, args.requests, args.max_tokens)
                prog = "-"
                if job:
                    snap = server.request("GET", f"/v1/jobs/{job}")[1]
                    prog = f"{p0:.3f} -> {snap['progress']:.3f} ({snap['state']})"
                    server.request("POST", f"/v1/jobs/{job}/cancel", {})
                print(f"| {label} | {fmt(r)} | {prog} |", flush=True)
            finally:
                server.close()
    load = os.getloadavg()
    print(f"\nload average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


def child(args) -> None:
    """The engine's HTTP service for the benchmark: ENGINE_MODEL, or random weights of --config."""
    import torch

    from engine.runtime import BUNDLED_MODEL, LoadedModel, Runtime, Settings
    from engine.server import EngineServer

    env = {**os.environ, "ENGINE_TOKEN": TOKEN, "ENGINE_DEVICE": args.device, "ENGINE_PORT": str(args.port),
           "ENGINE_MODEL": args.model or BUNDLED_MODEL}
    settings = Settings.from_env(env)
    policy = None
    if args.config:
        from engine.tokenizer import Tokenizer, train_tokenizer

        device = torch.device(settings.device)
        dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
        tok_path = os.path.join(settings.data_dir, "bench-tokenizer.model")
        train_tokenizer(tok_path, vocab_size=512)

        class ModTokenizer(Tokenizer):  # random weights sample ids past the small tokenizer's pieces
            def decode(self, ids):
                return super().decode([i % self.vocab_size for i in ids])

        from engine.bench.__main__ import construct
        from engine.config import named_config
        from engine.model import Llama, init_weights

        shape = named_config(args.config, **({"max_seq_len": args.context} if args.context else {}))
        if shape.vocab_size < 512:  # test shapes: room for the bench tokenizer's pieces
            shape = named_config(args.config, vocab_size=512, max_seq_len=shape.max_seq_len)
        model = construct(lambda: Llama(shape), device, dtype)  # random weights, made on the device
        init_weights(model, seed=0)
        policy = LoadedModel(f"random-{args.config}", "policy", f"(random {args.config})", model.eval(),
                             ModTokenizer(tok_path), True)
    runtime = Runtime(settings, policy=policy)
    server = EngineServer(("127.0.0.1", args.port), runtime)
    print(f"engine listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    import signal

    signal.signal(signal.SIGTERM, lambda *a: threading.Thread(target=server.shutdown, daemon=True).start())
    server.serve_forever()


if __name__ == "__main__":
    main()
