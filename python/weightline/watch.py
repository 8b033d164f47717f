"""``watch(dir)``: follow a training run from the training script itself.

A ``weightline watch DIR --json`` process runs beside the script and commits
each checkpoint the trainer completes; ``stop()`` (or leaving the ``with``
block) stops it, commits what the trainer completed just before, and returns
what it did.
"""

import json
import os
import signal
import subprocess
import threading
import time
from typing import Any, Callable, List, Optional, Union

from ._cli import Cli, error_from_stderr, notes_of
from .errors import WeightlineError, error_for
from .results import RunFollowResult

PathLike = Union[str, "os.PathLike[str]"]


class Watcher:
    """A running ``weightline watch``: ``stop()`` returns its RunFollowResult.

    ``events`` holds every JSON value the CLI has printed so far, in order
    (today the CLI prints one, its summary, when it stops); ``pid`` is the process.
    """

    def __init__(self, proc: "subprocess.Popen[str]", finish: Optional[Callable[[], Any]] = None):
        self._proc = proc
        self._finish = finish
        self._buffer = ""
        self._decoder = json.JSONDecoder()
        self._events: List[Any] = []
        self._stderr: List[str] = []
        self._lock = threading.Lock()
        self._new_event = threading.Condition(self._lock)
        self._result: Optional[RunFollowResult] = None
        self._error: Optional[WeightlineError] = None
        self._stopped = False
        self._eof = False
        self._out = threading.Thread(target=self._read_stdout, name="weightline-watch-out", daemon=True)
        self._err = threading.Thread(target=self._read_stderr, name="weightline-watch-err", daemon=True)
        self._out.start()
        self._err.start()

    # -- reading the CLI's output as it comes --

    def _read_stdout(self) -> None:
        assert self._proc.stdout is not None
        for chunk in iter(lambda: self._proc.stdout.readline(), ""):  # type: ignore[union-attr]
            with self._lock:
                self._buffer += chunk
                self._drain_buffer()
        with self._lock:
            self._eof = True
            self._new_event.notify_all()

    def _drain_buffer(self) -> None:
        # One object per line or one pretty-printed object: take every complete value.
        while True:
            text = self._buffer.lstrip()
            if not text:
                self._buffer = ""
                return
            try:
                value, end = self._decoder.raw_decode(text)
            except ValueError:
                self._buffer = text
                return
            self._buffer = text[end:]
            self._events.append(value)
            self._new_event.notify_all()

    def _read_stderr(self) -> None:
        assert self._proc.stderr is not None
        for line in iter(lambda: self._proc.stderr.readline(), ""):  # type: ignore[union-attr]
            with self._lock:
                self._stderr.append(line)

    # -- what a caller sees --

    @property
    def pid(self) -> int:
        return self._proc.pid

    @property
    def events(self) -> List[Any]:
        with self._lock:
            return list(self._events)

    @property
    def notes(self) -> List[str]:
        """The CLI's ``weightline: note: ...`` and warning lines so far."""
        with self._lock:
            return notes_of("".join(self._stderr))

    def running(self) -> bool:
        return self._proc.poll() is None

    def wait_for_event(self, predicate: Any = None, timeout: Optional[float] = None) -> Any:
        """Block until the CLI prints a JSON value for which ``predicate(value)`` is true
        (any value without one); None once the watch has ended or ``timeout`` seconds passed."""
        deadline = None if timeout is None else time.monotonic() + timeout
        seen = 0
        with self._new_event:
            while True:
                for value in self._events[seen:]:
                    if predicate is None or predicate(value):
                        return value
                seen = len(self._events)
                if self._eof:
                    return None
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return None
                self._new_event.wait(left)

    def stop(self, timeout: Optional[float] = None, finish: bool = True) -> RunFollowResult:
        """Stop following and return what the watch did.

        The watch stops as on Ctrl+C (SIGINT): a commit under way is undone.
        With ``finish`` (the default), what the trainer completed up to now is
        then committed all the same, by ``weightline watch DIR --once`` (what
        is already committed is found by its bytes, never committed twice), so
        the checkpoint saved just before stop() is not left out; the result
        covers both. Raises the watch's WeightlineError when it failed (a folder
        that is no store) instead of stopping cleanly; TimeoutError when it has
        not ended after ``timeout`` seconds (it is then still running: call
        ``kill()``).
        """
        if self._proc.poll() is None and not self._stopped:
            self._stopped = True
            self._proc.send_signal(signal.SIGINT)
        result = self.wait(timeout)
        if finish and self._finish is not None and result.stopped == "cancelled":
            finish_run, self._finish = self._finish, None
            self._result = merge_results(result, RunFollowResult(finish_run()))
        return self._result if self._result is not None else result

    def wait(self, timeout: Optional[float] = None) -> RunFollowResult:
        """Wait for the watch to end by itself (a folder gone, a full disk) or after stop()."""
        try:
            code = self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise TimeoutError(f"weightline watch (pid {self._proc.pid}) is still running after {timeout} s") from None
        self._out.join()
        self._err.join()
        for pipe in (self._proc.stdout, self._proc.stderr):
            if pipe is not None:
                pipe.close()
        if self._result is not None:
            return self._result
        if self._error is not None:
            raise self._error
        with self._lock:
            summary = next((e for e in reversed(self._events) if isinstance(e, dict) and "checkpoints" in e), None)
            stderr = "".join(self._stderr)
        if summary is not None:
            self._result = RunFollowResult(summary)
            return self._result
        if self._stopped and code == -signal.SIGINT:
            # Stopped before the CLI had set up its Ctrl+C handling (node was
            # still starting): the signal's default action ended it before its
            # command began, so it committed nothing.
            self._result = RunFollowResult({"run": None, "trainer": None, "checkpoints": [], "removed": [], "stopped": "cancelled", "notes": []})
            return self._result
        self._error = error_from_stderr(stderr, code, self._proc.args)
        raise self._error

    def kill(self) -> None:
        """End the process at once (SIGKILL): the store stays as before its unfinished commit."""
        if self._proc.poll() is None:
            self._proc.kill()

    def __enter__(self) -> "Watcher":
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            # Ctrl+C in the script means "out now", not "commit what is left first".
            self.stop(finish=exc_type is None or not issubclass(exc_type, KeyboardInterrupt))
        except WeightlineError:
            # An exception already leaving the block says more; otherwise the watch's failure is raised.
            if exc_type is None:
                raise


def watch(
    dir: PathLike,
    store: Optional[Any] = None,
    then: str = "keep",
    keep_newest: int = 1,
    settle_ms: Optional[int] = None,
    once: bool = False,
    cli: Optional[List[str]] = None,
) -> Watcher:
    """Start ``weightline watch DIR`` in the background and return its Watcher.

    ``store``: a Store, or its folder (default: the store around the current
    folder, as ``weightline watch DIR`` run from here; ``dir`` need not exist yet).
    ``then``: ``keep`` the trainer's checkpoints, or ``remove`` each once its
    commit is verified, except the newest ``keep_newest`` (1 or more, so the
    trainer can resume from its folder). ``settle_ms``: how long a
    checkpoint's files must stay unchanged before it is committed (the CLI's
    default when None). ``once``: commit what is complete now, then stop by
    itself (``wait()`` returns the result).
    """
    if then not in ("keep", "remove"):
        raise error_for("BAD_USAGE", f"then is 'keep' or 'remove'; found {then!r}")
    if isinstance(keep_newest, bool) or not isinstance(keep_newest, int) or keep_newest < 1:
        raise error_for("BAD_USAGE", f"keep_newest is a whole number, 1 or more; found {keep_newest!r}")
    if settle_ms is not None and (isinstance(settle_ms, bool) or not isinstance(settle_ms, int) or settle_ms < 0):
        raise error_for("BAD_USAGE", f"settle_ms is a whole number of milliseconds, 0 or more; found {settle_ms!r}")
    target = os.path.abspath(os.fspath(dir))
    if store is None:
        runner = Cli(os.getcwd(), cli)
    elif hasattr(store, "_cli"):
        runner = store._cli
    else:
        runner = Cli(os.path.abspath(os.fspath(store)), cli)
    args = ["watch", target, "--then", then, "--keep-newest", str(keep_newest)]
    if settle_ms is not None:
        args += ["--settle", str(settle_ms)]
    if once:
        args.append("--once")
    return Watcher(runner.popen(args), None if once else (lambda: runner.run([*args, "--once"])[0]))


def merge_results(first: RunFollowResult, second: RunFollowResult) -> RunFollowResult:
    """A stopped watch's result followed by its finishing --once pass: each checkpoint once, by name."""
    by_name = {c.get("checkpoint"): i for i, c in enumerate(first.checkpoints) if isinstance(c, dict)}
    checkpoints = list(first.checkpoints)
    for c in second.checkpoints:
        i = by_name.get(c.get("checkpoint")) if isinstance(c, dict) else None
        if i is None:
            checkpoints.append(c)
        elif not checkpoints[i].get("commit") and c.get("commit"):
            # Skipped or undone by the stop, committed by the finishing pass.
            checkpoints[i] = c
    raw = {
        **first.raw, **second.raw,
        "checkpoints": checkpoints,
        "removed": first.removed + [r for r in second.removed if r not in first.removed],
        "notes": first.notes + second.notes,
    }
    return RunFollowResult(raw)
