"""A closed-loop HTTP/1.1 load generator, run as its own process by bench/api_load.py.

C connections on raw asyncio streams (keep-alive), each sending the next GET of a planned mix
as soon as the previous answer is read; latencies after the warm-up are kept per request kind.
Reads the plan (JSON: a list of [kind, path]) from a file, prints one JSON result on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit


@dataclass
class Tally:
    """What the connections measured after the warm-up."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)


async def _read_body(reader: asyncio.StreamReader, head: bytes) -> None:
    length, chunked = 0, False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if not chunked:
        await reader.readexactly(length)
        return
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        await reader.readexactly(size + 2)
        if size == 0:
            return


async def _get(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str, path: str
) -> int:
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: */*\r\n\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    await _read_body(reader, head)
    return int(head[9:12])


async def _connection(
    number: int, base: str, plan: list[list[str]], warm_until: float, stop_at: float, tally: Tally
) -> None:
    parts = urlsplit(base)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    index = number * 7919  # each connection walks the plan from its own place
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while (now := time.perf_counter()) < stop_at:
            kind, path = plan[index % len(plan)]
            index += 1
            try:
                status = await _get(reader, writer, f"{host}:{port}", path)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                status = 0
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
            elapsed = time.perf_counter() - now
            if now < warm_until:
                continue
            if status != 200:
                tally.errors[kind] = tally.errors.get(kind, 0) + 1
            else:
                tally.latencies.setdefault(kind, []).append(elapsed * 1000)
    finally:
        writer.close()


def percentile(sorted_values: list[float], share: float) -> float:
    """The nearest-rank percentile of already sorted values (0 < share ≤ 1)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, round(share * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


async def run_load(
    base: str, plan: list[list[str]], connections: int, warmup: float, duration: float
) -> dict[str, object]:
    """Drive `base` with the plan; counts, rps and percentiles overall and per kind."""
    tally = Tally()
    started = time.perf_counter()
    warm_until, stop_at = started + warmup, started + warmup + duration
    await asyncio.gather(
        *(_connection(n, base, plan, warm_until, stop_at, tally) for n in range(connections))
    )
    every = sorted(v for values in tally.latencies.values() for v in values)
    kinds = {
        kind: {
            "requests": len(values),
            "p50": percentile(sorted(values), 0.50),
            "p95": percentile(sorted(values), 0.95),
            "p99": percentile(sorted(values), 0.99),
        }
        for kind, values in sorted(tally.latencies.items())
    }
    errors = sum(tally.errors.values())
    return {
        "requests": len(every),
        "errors": errors,
        "rps": (len(every) + errors) / duration,
        "p50": percentile(every, 0.50),
        "p95": percentile(every, 0.95),
        "p99": percentile(every, 0.99),
        "kinds": kinds,
        "errors_by_kind": tally.errors,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the load described by the flags; print the result as one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", required=True)
    parser.add_argument("--plan", type=Path, required=True)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--duration", type=float, default=15.0)
    args = parser.parse_args(argv)
    plan = json.loads(args.plan.read_text())
    result = asyncio.run(run_load(args.base, plan, args.connections, args.warmup, args.duration))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
