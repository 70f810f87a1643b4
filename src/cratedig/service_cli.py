"""The service sub-commands: `serve` (API + embedded worker), `worker`, `submit [--wait]`."""

from __future__ import annotations

import argparse
import socket
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

DEFAULT_API = "http://127.0.0.1:8000"
TERMINAL = ("completed", "failed")


def register(commands: Any) -> None:
    """Add serve, worker and submit to the `cratedig` sub-command parsers."""
    serve_cmd = commands.add_parser("serve", help="run the API (and the embedded worker)")
    serve_cmd.add_argument("--host", default="127.0.0.1")
    serve_cmd.add_argument("--port", type=int, default=8000)
    serve_cmd.add_argument(
        "--workers",
        type=int,
        default=1,
        help="API processes on one port (above 1 needs CRATEDIG_EMBEDDED_WORKER=false)",
    )
    serve_cmd.add_argument(
        "--log-level", default="info", choices=["debug", "info", "warning", "error"]
    )
    serve_cmd.set_defaults(
        handler=lambda args: serve(args.host, args.port, args.workers, args.log_level)
    )

    worker_cmd = commands.add_parser("worker", help="run a pipeline worker until SIGINT/SIGTERM")
    worker_cmd.set_defaults(handler=lambda _args: worker())

    submit_cmd = commands.add_parser("submit", help="submit a video URL to a running API")
    submit_cmd.add_argument("url")
    submit_cmd.add_argument("--api", default=DEFAULT_API, help=f"default {DEFAULT_API}")
    submit_cmd.add_argument("--wait", action="store_true", help="follow progress to the end")
    submit_cmd.add_argument("--timeout", type=float, default=600.0, help="seconds to wait")
    submit_cmd.set_defaults(handler=_submit_args)


def serve(
    host: str = "127.0.0.1", port: int = 8000, workers: int = 1, log_level: str = "info"
) -> int:
    """Run the API with uvicorn in `workers` processes; each lifespan starts its runtime."""
    import uvicorn

    from cratedig.api import create_app
    from cratedig.config import load_settings
    from cratedig.logging import uvicorn_log_config
    from cratedig.sqlite_paths import prepare_sqlite_files

    if workers < 1:
        raise ValueError(f"--workers must be 1 or more, got {workers}")
    settings = load_settings()
    # One line like `worker`'s, not a traceback (and before any child process is started).
    if problems := settings.production_problems():
        raise ValueError("refusing to start in production mode: " + "; ".join(problems))
    prepare_sqlite_files(settings)  # a bad path is one line here, not a lifespan traceback
    # Our handler formats (and redacts) every line; our middleware writes the access log.
    # uvicorn's proxy headers stay off: our ClientAddress middleware alone reads
    # X-Forwarded-For, from CRATEDIG_TRUSTED_PROXIES only.
    options: dict[str, Any] = {
        "log_config": uvicorn_log_config(settings),
        "access_log": False,
        "proxy_headers": False,
        "forwarded_allow_ips": "",
        "log_level": log_level,
    }
    if workers == 1:
        # Bind first: a port in use must fail before the runtime (and its worker) starts and
        # takes over the workflows of the instance already listening there.
        sock = listening_socket(host, port)
        print(f"cratedig API on http://{host}:{port} (docs at /docs)", flush=True)
        server = uvicorn.Server(uvicorn.Config(create_app(settings), **options))
        server.run(sockets=[sock])
        return 0 if server.started else 3  # uvicorn.run's exit code for a failed start
    # Each process would also run pipelines; scale those with `cratedig worker` instead.
    if settings.embedded_worker:
        raise ValueError(
            "--workers above 1 needs CRATEDIG_EMBEDDED_WORKER=false "
            "(run the pipelines in `cratedig worker` processes)"
        )
    print(f"cratedig API on http://{host}:{port}, {workers} processes", flush=True)
    # uvicorn binds the port in this process before it starts any API process.
    uvicorn.run(
        "cratedig.api:create_app", factory=True, host=host, port=port, workers=workers, **options
    )
    return 0


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to host:port, or ValueError saying why it cannot be."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # Made with proto IPPROTO_TCP, not socket.create_server's 0: asyncio sets TCP_NODELAY only
    # on accepted sockets whose proto says TCP. Without it a keep-alive client waits ~40 ms
    # (Nagle against delayed ACK) for every response sent in two writes.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host.strip("[]"), port))
        sock.listen(2048)
    except OSError as error:
        sock.close()
        raise ValueError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    return sock


def worker() -> int:
    """Run a worker process until SIGINT/SIGTERM, then let running steps finish and exit 0."""
    from cratedig.config import load_settings
    from cratedig.logging import configure_logging
    from cratedig.pipeline.worker import exit_process, run_worker

    settings = load_settings()
    configure_logging(settings)
    if problems := settings.production_problems():
        print("cratedig: error: refusing to start: " + "; ".join(problems), file=sys.stderr)
        return 1
    run_worker(settings)
    exit_process(0)


def submit(
    url: str,
    api: str = DEFAULT_API,
    wait: bool = False,
    timeout: float = 600.0,
    say: Callable[[str], None] = print,
    poll_seconds: float = 0.5,
) -> int:
    """POST the URL; with `wait`, print `step n/N name` (and pending retries) until completed (0)
    or failed (1)."""
    import httpx  # here, not at the top: `cratedig --help` must not wait for it

    base = api.rstrip("/")
    try:
        with httpx.Client(base_url=base, timeout=30.0) as client:
            response = client.post("/api/v1/samples", json={"url": url})
            if response.is_error:
                say(f"error: {_error_text(response)}")
                return 1
            sample = response.json()
            verb = "submitted" if response.status_code == 202 else "already known"
            say(f"{verb}: {sample['id']} ({sample['status']})")
            if not wait:
                return 0
            return _follow(client, sample["id"], timeout, say, poll_seconds)
    except httpx.HTTPError as error:
        say(f"error: cannot reach the API at {base}: {error}")
        return 1


def _follow(
    client: httpx.Client,
    sample_id: str,
    timeout: float,
    say: Callable[[str], None],
    poll_seconds: float,
) -> int:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        response = client.get(f"/api/v1/samples/{sample_id}/status")
        if response.is_error:
            say(f"error: {_error_text(response)}")
            return 1
        status = response.json()
        line = progress_line(status)
        if line is not None and line != last:
            say(line)
            last = line
        if status["status"] == "completed":
            return 0
        if status["status"] == "failed":
            reason = f"{status['error_code']}: {status['error_message']}"
            say(f"failed at {status['step']}: {reason}")
            return 1
        time.sleep(poll_seconds)
    say(f"error: still not finished after {timeout:.0f} s")
    return 1


def progress_line(status: dict[str, Any]) -> str | None:
    """What `submit --wait` shows for one status reading; None while nothing has started."""
    if status["status"] in TERMINAL:
        return str(status["status"])
    if status["step"] is None:
        return None  # still queued: the `submitted` line already says so
    number = f"{status['step_number']}/{status['step_count']} " if status["step_number"] else ""
    line = f"step {number}{status['step']}"
    if status["attempts"] > 1:
        line += f" (attempt {status['attempts']})"
    if status["error_code"]:
        # The pipeline records why a step will run again and when (the web page shows it too).
        line += f": retry pending: {status['error_code']}: {status['error_message']}"
    return line


def _error_text(response: httpx.Response) -> str:
    try:
        error = response.json()["error"]
        field = f" ({error['field']})" if error.get("field") else ""
        return f"{response.status_code} {error['code']}: {error['message']}{field}"
    except (ValueError, KeyError, TypeError):
        return f"{response.status_code}: {response.text[:200]}"


def _submit_args(args: argparse.Namespace) -> int:
    return submit(args.url, args.api, args.wait, args.timeout, say=_print_flush)


def _print_flush(line: str) -> None:
    print(line, file=sys.stdout, flush=True)
