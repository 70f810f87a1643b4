"""The test S3 server harness itself: it starts, serves, and leaves nothing behind."""

from __future__ import annotations

import subprocess

import httpx
import pytest

from tests.fixtures import s3server


def _pids(pattern: str) -> set[int]:
    done = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True, check=False)
    return {int(pid) for pid in done.stdout.split()}


def test_a_fresh_server_stops_every_daemon_and_removes_its_files() -> None:
    with s3server.running_s3_server() as server:
        root = server.workdir
        daemons = _pids(str(root))
        assert len(daemons) == 3  # mon, osd, radosgw
        assert httpx.get(server.endpoint).status_code == 200
    assert not root.exists()
    assert _pids(str(root)) == set()


def test_missing_binaries_fail_loudly_with_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(s3server, "_BINARIES", ("ceph-mon", "no-such-ceph-program"))
    with pytest.raises(s3server.S3ServerError, match="apt-get install -y ceph-mon"):
        s3server.require_binaries()
