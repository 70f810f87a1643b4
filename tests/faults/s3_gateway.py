"""A private S3 server (Ceph radosgw on loopback) whose gateway can be stopped and restarted.

The monitor and the memstore OSD keep running, so the objects survive; only radosgw, the
process clients talk to, is killed, and a new one is started on the same port: to a client
that is exactly a storage outage and its end.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.fixtures.http_server import free_port
from tests.fixtures.s3server import (
    ACCESS_KEY_ID,
    BUCKET,
    REGION,
    SECRET_ACCESS_KEY,
    S3Server,
    S3ServerError,
    _Cluster,
    _start,
    require_binaries,
)

RESTART_TIMEOUT = 60.0


class RestartableS3:
    """A running test S3 server with `stop_gateway()` and `start_gateway()`."""

    def __init__(self, cluster: _Cluster, port: int) -> None:
        self._cluster = cluster
        self.port = port
        self.server = S3Server(
            endpoint=f"http://127.0.0.1:{port}",
            access_key_id=ACCESS_KEY_ID,
            secret_access_key=SECRET_ACCESS_KEY,
            bucket=BUCKET,
            region=REGION,
            workdir=cluster.root,
        )

    def _gateway(self) -> subprocess.Popen[bytes]:
        index = max(i for i, name in enumerate(self._cluster.names) if name == "radosgw")
        return self._cluster.processes[index]

    @property
    def is_up(self) -> bool:
        """Whether the gateway process is running."""
        return self._gateway().poll() is None

    def stop_gateway(self) -> None:
        """Kill radosgw (as a crash or a network cut would): every request now fails."""
        gateway = self._gateway()
        gateway.kill()
        gateway.wait(timeout=30)

    def start_gateway(self) -> None:
        """Start radosgw again on the same port and wait until it answers."""
        if self.is_up:
            return
        self._cluster.spawn(
            "radosgw",
            "-n",
            "client.rgw",
            "--rgw-frontends",
            f"beast endpoint=127.0.0.1:{self.port}",
        )
        deadline = time.monotonic() + RESTART_TIMEOUT
        while True:
            if self._gateway().poll() is not None:
                raise S3ServerError(f"radosgw exited on restart{self._cluster.logs()}")
            try:
                if httpx.get(self.server.endpoint, timeout=2).status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise S3ServerError(f"radosgw did not come back{self._cluster.logs()}")
            time.sleep(0.1)


@contextmanager
def restartable_s3_server() -> Iterator[RestartableS3]:
    """A fresh single-node cluster of our own (~3 s to start), removed afterwards."""
    require_binaries()
    root = Path(tempfile.mkdtemp(prefix="cratedig-faults-ceph-"))
    cluster = _Cluster(root)
    try:
        port = free_port()
        _start(cluster, port)
        yield RestartableS3(cluster, port)
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
