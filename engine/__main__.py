"""`python -m engine serve` — start the HTTP service (settings from the environment, see runtime.py)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading


def serve() -> int:
    from .runtime import Runtime, Settings, SettingsError  # torch import: only once we are serving

    try:
        settings = Settings.from_env(os.environ)
        runtime = Runtime(settings)
    except SettingsError as e:
        print(f"engine: error: {e}", file=sys.stderr)
        return 2
    except (OSError, ValueError, KeyError, RuntimeError) as e:  # unreadable or mismatched checkpoint
        print(f"engine: error: cannot load the model: {type(e).__name__}: {e}", file=sys.stderr)
        return 2
    from .server import EngineServer

    try:
        server = EngineServer((settings.host, settings.port), runtime)
    except OSError as e:
        print(f"engine: error: cannot listen on {settings.host}:{settings.port}: {e}", file=sys.stderr)
        return 1

    def stop(signum: int, frame: object) -> None:
        # shutdown() blocks until serve_forever returns, so call it from another thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    host, port = server.server_address[:2]
    if ":" in str(host):  # an IPv6 address needs brackets in a URL
        host = f"[{host}]"
    info = runtime.health()
    print(f"engine: model {runtime.policy.id} on {info['device']} ({info['dtype']}, decode {info['decode_mode']})"
          f"{' — random init' if info['random_init'] else ''}", file=sys.stderr)
    print(f"engine listening on http://{host}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m engine", description="Pairwise's Llama 2 engine")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="run the HTTP service (configured by ENGINE_* environment variables)")
    args = parser.parse_args(argv)
    if args.command == "serve":
        return serve()
    return 2


if __name__ == "__main__":
    sys.exit(main())
