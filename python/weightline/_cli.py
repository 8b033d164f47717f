"""Finding and running the weightline CLI, and reading its --json answers.

The package is a thin client: every operation is one ``weightline ... --json``
process, so the store's rules (the lock, the CHECKPOINT rule, the error codes)
are the CLI's and never copied here.
"""

import json
import os
import shlex
import shutil
import signal
import subprocess
from pathlib import Path
from typing import Any, List, Optional, Sequence, Tuple

from .errors import WeightlineError, error_for

ENV_CLI = "WEIGHTLINE_CLI"


def find_cli() -> List[str]:
    """The command words that run the CLI.

    In order: ``$WEIGHTLINE_CLI`` (a command line, split as a POSIX shell
    would: ``node /opt/weightline/bin/weightline.mjs``), else ``weightline``
    on PATH, else ``node <repo>/bin/weightline.mjs`` when this package is used
    from the repository's ``python/`` folder.
    """
    given = os.environ.get(ENV_CLI, "").strip()
    if given:
        words = shlex.split(given)
        if not words:
            raise error_for("BAD_USAGE", f"${ENV_CLI} holds no command, found {given!r}")
        return words
    on_path = shutil.which("weightline")
    if on_path:
        return [on_path]
    repo_bin = Path(__file__).resolve().parent.parent.parent / "bin" / "weightline.mjs"
    if repo_bin.is_file():
        node = shutil.which("node")
        if not node:
            raise error_for("NOT_FOUND", f"found {repo_bin} but no node on PATH to run it; install Node.js 20.19 or newer")
        return [node, str(repo_bin)]
    raise error_for(
        "NOT_FOUND",
        f"no weightline CLI: ${ENV_CLI} is not set, no weightline on PATH, and no {repo_bin} "
        "(set WEIGHTLINE_CLI='node /path/to/weightline/bin/weightline.mjs', or run `npm link` in the repository)",
    )


def decode_values(text: str) -> List[Any]:
    """Every JSON value in text, in order: one pretty-printed object, or one per line."""
    decoder = json.JSONDecoder()
    values = []
    i, n = 0, len(text)
    while True:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            return values
        value, i = decoder.raw_decode(text, i)
        values.append(value)


def error_from_stderr(stderr: str, exit_code: Optional[int], command: Sequence[str]) -> WeightlineError:
    """The CLI's JSON error (the last line of stderr that is one), as an exception.

    Warnings and notes come before it on stderr, one line each; a CLI that died
    without its JSON (not built, a crash of node) is an INTERNAL error quoting
    what it said.
    """
    for line in reversed(stderr.strip().splitlines()):
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            parsed = json.loads(line)
        except ValueError:
            continue
        err = parsed.get("error") if isinstance(parsed, dict) else None
        if isinstance(err, dict) and isinstance(err.get("code"), str):
            file = err.get("file")
            return error_for(err["code"], str(err.get("message", "")), file if isinstance(file, str) else None, exit_code)
    said = stderr.strip() or "nothing on stderr"
    return error_for("INTERNAL", f"`{shlex.join(command)}` exited {exit_code} without a JSON error; it said: {said}", None, exit_code)


def notes_of(stderr: str) -> List[str]:
    """The warnings and notes a successful command printed (``weightline: note: ...``)."""
    return [line for line in stderr.splitlines() if line.startswith("weightline: ")]


class Cli:
    """Runs one CLI command line against a folder (``-C``) with ``--json``."""

    def __init__(self, root: str, command: Optional[Sequence[str]] = None):
        self.root = root
        self.command = list(command) if command else find_cli()

    def argv(self, args: Sequence[str]) -> List[str]:
        return [*self.command, "-C", self.root, *args, "--json"]

    def popen(self, args: Sequence[str]) -> "subprocess.Popen[str]":
        argv = self.argv(args)
        try:
            return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        except FileNotFoundError as e:
            raise error_for("NOT_FOUND", f"cannot run the weightline CLI `{shlex.join(argv)}`: {e.strerror}", e.filename) from None

    def run(self, args: Sequence[str]) -> Tuple[Any, List[str]]:
        """The command's JSON answer and its notes; a failure raises its WeightlineError."""
        proc = self.popen(args)
        try:
            out, err = proc.communicate()
        except BaseException:
            stop(proc)
            raise
        return answer(proc.args, proc.returncode, out, err)


def stop(proc: "subprocess.Popen[str]") -> None:
    """End a CLI process the script is leaving (Ctrl+C, an exception): the store is left as before its command.

    Ctrl+C at a terminal reaches the CLI too (same process group) and it stops
    by itself, within its grace period (src-main/cli/interrupt.ts); a second
    signal would cut that unwinding short, so one is sent only to a CLI still
    running after it, which never got the first.
    """
    if proc.poll() is not None:
        return
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGINT)
        proc.wait()


def answer(argv: Sequence[str], code: int, out: str, err: str) -> Tuple[Any, List[str]]:
    if code != 0:
        raise error_from_stderr(err, code, argv)
    try:
        values = decode_values(out)
    except ValueError as e:
        raise error_for("INTERNAL", f"`{shlex.join(argv)}` printed output that is not JSON ({e}): {out[:200]!r}") from None
    if not values:
        raise error_for("INTERNAL", f"`{shlex.join(argv)}` exited 0 and printed no JSON")
    return values[-1], notes_of(err)
