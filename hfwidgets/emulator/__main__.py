"""Run the emulator in the foreground: `python -m hfwidgets.emulator --port 8123 [--host H] [--realistic]`.

`--home DIR` serves the emulator of that HFWIDGETS_HOME instead (its recorded port, its tasks
kept there; see `hfwidgets._home_emulator`, which starts it that way in the background).
"""

from __future__ import annotations

import argparse
import logging
import sys

import uvicorn

from .._emulator_cli import emulator_parser
from ._app import create_app
from ._server import bind, install_log_filter, uvicorn_config
from ._tasks import Timing


def main(argv: list[str] | None = None, *, prog: str = "python -m hfwidgets.emulator") -> int:
    """Parse the command line, serve until interrupted (Ctrl-C or SIGTERM)."""
    parser = emulator_parser(prog)
    args = parser.parse_args(argv)

    timing = Timing.realistic(seed=args.seed) if args.realistic else Timing()
    if args.home is not None:
        return _serve_home(args, timing)
    app = create_app(timing=timing, render=not args.no_render)
    sock = bind(args.host, args.port)
    port = sock.getsockname()[1]
    host = f"[{args.host}]" if ":" in args.host else args.host
    base_url = f"http://{host}:{port}"
    print(f"hfwidgets emulator listening on {base_url}", flush=True)
    print(f"  motions: {base_url}/motions   samples: {base_url}/samples/cat.jpg", flush=True)
    print(
        f"  point a client at it:  OPENAI_HK_BASE_URL={base_url} OPENAI_HK_API_KEY=anything "
        f"HFWIDGETS_MOTIONS_URL={base_url}/motions",
        flush=True,
    )
    print("  Ctrl-C to stop", flush=True)
    install_log_filter()
    server = uvicorn.Server(uvicorn_config(app, log_level="info"))
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn re-raises Ctrl-C once it has shut down cleanly
        pass
    finally:
        app.state.emulator.close()
    return 0


def _serve_home(args: argparse.Namespace, timing: Timing) -> int:
    from ._home import detach, serve_home

    if args.seconds is not None and not args.realistic:
        queued = min(0.2, args.seconds / 2)
        timing = Timing(queued=queued, in_progress=args.seconds - queued)
    if args.detach:
        detach()
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    return serve_home(
        args.home.resolve(),
        timing=timing,
        idle_timeout=args.idle_timeout,
        ready=sys.stdout if args.detach else None,
    )


if __name__ == "__main__":
    sys.exit(main())
