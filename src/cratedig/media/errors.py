"""Typed errors raised by the media toolkit."""

from __future__ import annotations


class MediaError(Exception):
    """A media input could not be turned into a sample; the message is one clear line."""


class ToolError(MediaError):
    """An external tool (ffmpeg, ffprobe) failed; carries the tail of its stderr."""

    show_detail = True  # the stderr line that names the cause joins the message

    def __init__(self, tool: str, message: str, stderr: str = "") -> None:
        self.tool = tool
        self.stderr_tail = tail(stderr)
        detail = last_meaningful_line(self.stderr_tail) if self.show_detail else ""
        self._message = message
        super().__init__(f"{tool}: {message}" + (f" ({detail})" if detail else ""))

    def __reduce__(self) -> tuple[type[ToolError], tuple[str, str, str]]:
        # Workflow engines pickle step errors; keep the tool and its stderr.
        return (type(self), (self.tool, self._message, self.stderr_tail))


class ToolLimitError(ToolError):
    """A tool broke its time or memory limit and was stopped; the same input would again."""

    # Whatever ffmpeg printed as it died (often a host path) adds nothing to the limit's name.
    show_detail = False


def tail(text: str, lines: int = 20) -> str:
    """Return the last `lines` lines of `text`."""
    return "\n".join(text.strip().splitlines()[-lines:])


def last_meaningful_line(text: str) -> str:
    """Return the last non-empty line of a tool's stderr, the one that usually names the cause."""
    for line in reversed(text.splitlines()):
        if line.strip():
            return line.strip()
    return ""
