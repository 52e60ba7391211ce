"""The command-line layer every tool shares: one-line errors, exit codes 0/1/2, no traceback.

- A bad argument prints ``<prog>: error: <message>`` and exits 2 (usage).
- An expected failure (``ToolError``: a missing file, an unreachable server, AWS refusing)
  prints ``<prog>: error: <message>`` and exits 1; the tool's own verdict (a failed check,
  a parity mismatch) is also 1. Success is 0; Ctrl-C is 130.
- A reader closing the pipe early (``| head``) ends the tool quietly.
- Echo policy: a tool never echoes its own command line, and the make targets that run a tool
  do not echo theirs either (``@`` recipes): the first line of output is the tool's own.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import NoReturn, TextIO

OK = 0
FAILURE = 1
USAGE = 2
INTERRUPTED = 130


class UsageError(Exception):
    """Bad arguments: the message is one line, the exit code 2."""


class ToolError(Exception):
    """An expected failure: the message is one line, the exit code 1."""


class Parser(argparse.ArgumentParser):
    """argparse whose errors raise UsageError instead of printing usage and exiting."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def one_line(text: object) -> str:
    return " ".join(str(text).split())


def error_line(prog: str, message: object) -> str:
    return f"{prog}: error: {one_line(message)}"


def run(
    prog: str,
    body: Callable[[], int],
    *,
    err: TextIO | None = None,
    failures: tuple[type[BaseException], ...] = (),
    bad_input: tuple[type[BaseException], ...] = (),
) -> int:
    """Call ``body`` and turn what it raises into one line on ``err`` and an exit code.

    ``failures`` names the tool's own expected exceptions, reported like ToolError (exit 1);
    ``bad_input`` those that mean the operator's input is wrong (a file, a stage), exit 2.
    """
    stream = err or sys.stderr
    expected: tuple[type[BaseException], ...] = (ToolError, *failures)
    try:
        return body()
    except UsageError as error:
        print(error_line(prog, error), file=stream)
        return USAGE
    except bad_input as error:
        print(error_line(prog, error), file=stream)
        return USAGE
    except expected as error:
        print(error_line(prog, error), file=stream)
        return FAILURE
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=stream)
        return INTERRUPTED
    except BrokenPipeError:
        return quiet_broken_pipe()


def quiet_broken_pipe() -> int:
    """The reader went away (``| head``): point stdout at /dev/null so exit flushes nothing."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return OK


def exit_with(code: int) -> NoReturn:
    """``sys.exit`` after flushing stdout, with a closed pipe counted as success."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        quiet_broken_pipe()
    sys.exit(code)
