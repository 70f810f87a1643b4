"""ffmpeg and ffprobe children bounded in time and address space, dying with their parent."""

from __future__ import annotations

import functools
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO

from cratedig.media.errors import MediaError, ToolError, ToolLimitError

log = logging.getLogger(__name__)
# Run by /bin/sh with the spawning process's pid as $0: exec the rest only while that process
# is still the parent; exit 125 ("could not run") when it has already gone.
_STILL_OUR_CHILD = 'test "$PPID" = "$0" || exit 125; exec "$@"'
# What ffmpeg and its libraries print when an allocation fails.
_OUT_OF_MEMORY = (
    "cannot allocate memory",
    "out of memory",
    "bad_alloc",
    "failed to allocate",
    "failed to map segment",  # the loader could not map a shared library
)
# glibc reserves 64 MiB of address space per malloc arena, up to 8 per core: a decoder's
# threads on a many-core host would spend the address-space limit on empty reservations.
_CHILD_ENVIRONMENT = {"MALLOC_ARENA_MAX": "2"}
TIMEOUT_SETTING = "CRATEDIG_MEDIA__FFMPEG_TIMEOUT_SECONDS"
MEMORY_SETTING = "CRATEDIG_MEDIA__FFMPEG_MEMORY_MB"


@dataclass(frozen=True)
class ChildLimits:
    """Wall-clock seconds and address space (MiB) one ffmpeg or ffprobe may use."""

    timeout_seconds: float = 600.0
    memory_mb: int = 2048


@functools.cache
def _limit_wrapper() -> tuple[str, str] | None:
    """util-linux's setpriv and prlimit (Essential in Debian), or None where they are missing."""
    setpriv, prlimit = shutil.which("setpriv"), shutil.which("prlimit")
    if setpriv is None or prlimit is None or not sys.platform.startswith("linux"):
        log.warning("setpriv or prlimit not found: ffmpeg children run without memory limits")
        return None
    return setpriv, prlimit


def bounded_command(cmd: Sequence[str], memory_bytes: int) -> list[str]:
    """`cmd` started through setpriv (killed when its parent dies, even by SIGKILL) and prlimit
    (the address-space limit), each exec'ing the next in the same process.

    Why not a preexec_fn: it forces fork() instead of vfork(), and fork() runs OpenBLAS's
    pthread_atfork handler, which stops BLAS's thread pool under another thread's matrix
    product; that thread then waits for the pool forever (seen: the pipeline hung in the
    loudness filter while a sibling step started ffprobe).
    """
    wrapper = _limit_wrapper()
    if wrapper is None:
        return list(cmd)
    setpriv, prlimit = wrapper
    return [
        setpriv, "--pdeathsig", "KILL", "--",
        # A parent that died before setpriv set the signal would never send it: the shell
        # checks that its parent is still the one that started it, after the signal is set.
        "/bin/sh", "-c", _STILL_OUR_CHILD, str(os.getpid()),
        prlimit, f"--as={memory_bytes}", "--", *cmd,
    ]  # fmt: skip


class Child:
    """One running tool: killed at its deadline, its outcome turned into a typed error."""

    def __init__(
        self,
        cmd: Sequence[str],
        *,
        what: str,
        limits: ChildLimits,
        stdin: int | None = subprocess.DEVNULL,
        stdout: int | None = subprocess.DEVNULL,
    ) -> None:
        self.tool = os.path.basename(cmd[0])
        self.what = what
        self.limits = limits
        self.timed_out = False
        # A file, not a pipe: a tool that floods stderr can never block on it.
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed when the child ends)
        if shutil.which(cmd[0]) is None:
            self._stderr.close()
            raise MediaError(f"{self.tool} not found on PATH: install ffmpeg")
        try:
            self.process = subprocess.Popen(
                bounded_command(cmd, limits.memory_mb * 2**20),
                stdin=stdin,
                stdout=stdout,
                stderr=self._stderr,
                env=os.environ | _CHILD_ENVIRONMENT,
            )
        except OSError as exc:
            self._stderr.close()
            raise MediaError(f"could not start {self.tool}: {exc.strerror}") from exc
        self._timer = threading.Timer(limits.timeout_seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    @property
    def stdin(self) -> IO[bytes] | None:
        """The child's standard input when it was opened as a pipe."""
        return self.process.stdin

    @property
    def stdout(self) -> IO[bytes] | None:
        """The child's standard output when it was opened as a pipe."""
        return self.process.stdout

    def _expire(self) -> None:
        self.timed_out = True
        self.process.kill()

    def communicate(self, input_bytes: bytes | None = None) -> bytes:
        """Feed `input_bytes`, wait for the end; return stdout or raise the typed error."""
        out, _ = self.process.communicate(input_bytes)
        self.check()
        return out or b""

    def check(self) -> None:
        """Wait for the child; raise ToolLimitError or ToolError unless it succeeded."""
        self.process.wait()
        self._timer.cancel()
        stderr = self._read_stderr()
        if self.timed_out:
            raise ToolLimitError(
                self.tool,
                f"{self.what} ran longer than {self.limits.timeout_seconds:g} s "
                f"({TIMEOUT_SETTING}) and was stopped",
                stderr,
            )
        if self.process.returncode == 0:
            return
        if any(sign in stderr.lower() for sign in _OUT_OF_MEMORY):
            raise self._memory_error(stderr)
        code = self.process.returncode
        reason = f" (killed by {signal.Signals(-code).name})" if code < 0 else ""
        raise ToolError(self.tool, f"{self.what} failed{reason}", stderr)

    def kill(self) -> None:
        """Stop the child now and reap it."""
        self._timer.cancel()
        self.process.kill()
        self.process.communicate()
        self._stderr.close()

    def _read_stderr(self) -> str:
        self._stderr.seek(0)
        text = self._stderr.read()[-16384:].decode(errors="replace")
        self._stderr.close()
        return text

    def _memory_error(self, stderr: str = "") -> ToolLimitError:
        return ToolLimitError(
            self.tool,
            f"{self.what} needed more than {self.limits.memory_mb} MiB of memory "
            f"({MEMORY_SETTING}) and was stopped",
            stderr,
        )
