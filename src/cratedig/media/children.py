"""ffmpeg and ffprobe children bounded in time and address space, dying with their parent."""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import IO

from cratedig.media.errors import MediaError, ToolError, ToolLimitError

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None
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


def _bound_child(memory_bytes: int, parent_pid: int) -> Callable[[], None]:
    """The code run in the child between fork and exec: all of it is prepared beforehand."""
    libc = _LIBC

    def bound() -> None:
        if libc is not None:
            # Killed when the spawning thread's process dies, even by SIGKILL; a parent that
            # died before this line leaves the child with another parent: stop at once.
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            if os.getppid() != parent_pid:
                os.kill(os.getpid(), signal.SIGKILL)
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))

    return bound


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
        try:
            self.process = subprocess.Popen(
                list(cmd),
                stdin=stdin,
                stdout=stdout,
                stderr=self._stderr,
                env=os.environ | _CHILD_ENVIRONMENT,
                preexec_fn=_bound_child(limits.memory_mb * 2**20, os.getpid()),
            )
        except FileNotFoundError as exc:
            self._stderr.close()
            raise MediaError(f"{self.tool} not found on PATH: install ffmpeg") from exc
        except OSError as exc:
            self._stderr.close()  # ENOMEM: the executable did not even fit under the limit
            raise self._memory_error() from exc
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
