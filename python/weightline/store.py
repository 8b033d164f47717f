"""``Store``: a Weightline store, driven through the CLI's --json."""

import math
import os
import signal
import subprocess
import threading
from typing import TYPE_CHECKING, Any, List, Mapping, Optional, Sequence, Union

from ._cli import Cli, answer
from .errors import error_for
from .results import Commit, CommitDetail, CommitResult, ForgetPlan, Operation, RestoreResult, RunFollowResult, Tag, TagResult, UndoResult

if TYPE_CHECKING:
    from .watch import Watcher

PathLike = Union[str, "os.PathLike[str]"]


def _abs(p: PathLike) -> str:
    # The CLI resolves paths against the store folder it is given (-C); a
    # script means them relative to its own working folder.
    return os.path.abspath(os.fspath(p))


def meta_args(step: Optional[int], epoch: Optional[float], metrics: Optional[Mapping[str, float]]) -> List[str]:
    """``--step N --epoch E --metric NAME=VALUE ...``; values the store would refuse are refused here first, as BAD_USAGE."""
    args: List[str] = []
    if step is not None:
        if isinstance(step, bool) or not isinstance(step, int) or step < 0:
            raise error_for("BAD_USAGE", f"step must be a whole number, 0 or more; found {step!r}")
        args += ["--step", str(step)]
    if epoch is not None:
        if isinstance(epoch, bool) or not isinstance(epoch, (int, float)) or not math.isfinite(epoch) or epoch < 0:
            raise error_for("BAD_USAGE", f"epoch must be a finite number, 0 or more; found {epoch!r}")
        args += ["--epoch", repr(float(epoch)) if isinstance(epoch, float) else str(epoch)]
    for name, value in (metrics or {}).items():
        if not isinstance(name, str) or not name or "=" in name or any(c.isspace() for c in name):
            raise error_for("BAD_USAGE", f"a metric name is a word with no spaces or '=' (eval_loss); found {name!r}")
        # A tensor or numpy scalar (loss.item() forgotten) converts here.
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise error_for("BAD_USAGE", f"metric {name} must be a number; found {value!r}") from None
        if not math.isfinite(number):
            raise error_for("BAD_USAGE", f"metric {name} must be a finite number; found {number!r}")
        args += ["--metric", f"{name}={number!r}"]
    return args


class PendingCommit:
    """A commit running in the background (``Store.commit(..., wait=False)``).

    The training loop goes on; ``wait()`` returns the CommitResult (or raises
    the commit's WeightlineError). Keep the committed files as they are until
    it returns: the commit reads them while it runs.
    """

    def __init__(self, proc: "subprocess.Popen[str]"):
        self._proc = proc
        self._result: Optional[CommitResult] = None
        self._error: Optional[BaseException] = None
        self._finished = threading.Event()
        self._cancelled = False
        # Reading the pipes in a thread keeps a CLI with a lot to say from blocking on a full pipe.
        self._thread = threading.Thread(target=self._collect, name="weightline-commit", daemon=True)
        self._thread.start()

    def _collect(self) -> None:
        try:
            out, err = self._proc.communicate()
            if self._cancelled and self._proc.returncode == -signal.SIGINT:
                # Cancelled before the CLI had set up its Ctrl+C handling: the
                # signal's default action ended it before the commit began.
                raise error_for("CANCELLED", "commit cancelled before it began; nothing was committed", None, self._proc.returncode)
            value, _ = answer(self._proc.args, self._proc.returncode, out, err)
            self._result = CommitResult(value)
        except BaseException as e:  # noqa: BLE001 -- handed to the caller of wait()
            self._error = e
        finally:
            self._finished.set()

    @property
    def pid(self) -> int:
        return self._proc.pid

    def done(self) -> bool:
        """True once the commit has finished (made, unchanged, or failed)."""
        return self._finished.is_set()

    def wait(self, timeout: Optional[float] = None) -> CommitResult:
        """The commit's result; raises its WeightlineError, or TimeoutError after ``timeout`` seconds."""
        if not self._finished.wait(timeout):
            raise TimeoutError(f"the commit (pid {self._proc.pid}) is still running after {timeout} s")
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result

    def cancel(self) -> None:
        """Stop the commit as Ctrl+C would (the store is left as before it): ``wait()`` raises CancelledError, unless it had already finished."""
        if not self._finished.is_set():
            self._cancelled = True
            self._proc.send_signal(signal.SIGINT)


class Store:
    """A Weightline store: the folder holding ``.weightline/`` (or any folder inside it).

    Every method runs one ``weightline -C <path> ... --json`` and raises a
    WeightlineError subclass with the store's code when it fails. ``cli``
    overrides how the CLI is run (a list of words; default: find_cli()).
    """

    def __init__(self, path: PathLike = ".", cli: Optional[Sequence[str]] = None):
        self.path = _abs(path)
        self._cli = Cli(self.path, cli)
        self._pending: Optional[PendingCommit] = None
        self._pending_lock = threading.Lock()

    @classmethod
    def init(cls, path: PathLike = ".", nested: bool = False, cli: Optional[Sequence[str]] = None) -> "Store":
        """Create a store in ``path`` (an existing store is opened as it is) and return it."""
        os.makedirs(_abs(path), exist_ok=True)
        store = cls(path, cli)
        store._run(["init", *(["--nested"] if nested else [])])
        return store

    @property
    def cli(self) -> List[str]:
        """The command words that run the CLI."""
        return list(self._cli.command)

    def _run(self, args: Sequence[str]) -> Any:
        value, _notes = self._cli.run(args)
        return value

    def _write(self, args: Sequence[str]) -> Any:
        """A command that takes the store's write lock: after this Store's background commit, never beside it."""
        with self._pending_lock:
            self._settle()
            return self._run(args)

    def commit(
        self,
        path: PathLike,
        message: Optional[str] = None,
        step: Optional[int] = None,
        epoch: Optional[float] = None,
        metrics: Optional[Mapping[str, float]] = None,
        checkpoint: bool = False,
        allow_empty: bool = False,
        wait: bool = True,
    ) -> Union[CommitResult, PendingCommit]:
        """Commit a model file or folder (inside the store's folder) as a new version.

        ``step``, ``epoch`` and ``metrics`` ({"eval_loss": 0.41}) are recorded
        on the commit and shown by log. With ``wait=False`` the commit runs in
        the background and a PendingCommit is returned; commits of one Store
        never overlap (the store takes one writer at a time): a new one first
        waits for the one before it.
        """
        args = ["commit", _abs(path)]
        if message is not None:
            args += ["-m", message]
        args += meta_args(step, epoch, metrics)
        if checkpoint:
            args.append("--checkpoint")
        if allow_empty:
            args.append("--allow-empty")
        with self._pending_lock:
            self._settle()
            if wait:
                return CommitResult(self._run(args))
            self._pending = PendingCommit(self._cli.popen(args))
            return self._pending

    def _settle(self) -> None:
        """Wait for this Store's background commit, if any; its failure is its caller's to see through wait()."""
        if self._pending is not None:
            self._pending._finished.wait()
            self._pending = None

    def wait(self) -> None:
        """Wait for the background commit started with ``wait=False``, if one is running."""
        with self._pending_lock:
            self._settle()

    def log(self, path: Optional[PathLike] = None, max_count: Optional[int] = None) -> List[Commit]:
        """The commits, newest first, each with its meta (step, epoch, metrics) and tags."""
        args = ["log"]
        if path is not None:
            args += ["--path", _abs(path)]
        if max_count is not None:
            args += ["-n", str(max_count)]
        return [Commit(c) for c in self._run(args)]

    def show(self, ref: str = "HEAD") -> CommitDetail:
        """One commit (an id or prefix, HEAD, HEAD~N, a tag) with its files and tensors."""
        return CommitDetail(self._run(["show", ref]))

    def restore(self, ref: str, to: Optional[PathLike] = None, force: bool = False, link: Optional[str] = None) -> RestoreResult:
        """Write a version back to its own path, or to ``to``. ``link``: auto, reflink, hardlink, symlink or copy."""
        args = ["restore", ref]
        if to is not None:
            # A trailing separator means "into this folder", as on the CLI.
            given = os.fspath(to)
            args += ["--to", _abs(given) + (os.sep if given.endswith(("/", os.sep)) else "")]
        if force:
            args.append("--force")
        if link is not None:
            args += ["--link", link]
        return RestoreResult(self._write(args))

    def tag(self, name: str, ref: str = "HEAD") -> TagResult:
        """Name a commit (``restore('best')`` then works); an existing tag of that name moves."""
        return TagResult(self._write(["tag", name, ref]))

    def untag(self, name: str) -> TagResult:
        """Delete a tag (the commit stays)."""
        return TagResult(self._write(["tag", "-d", name]))

    def tags(self) -> List[Tag]:
        """Every tag, with the commit it names."""
        value = self._run(["tag", "--list"])
        if isinstance(value, dict):
            # Parsed defensively: a {name: info} map as well as a list.
            value = [{"name": k, **(v if isinstance(v, dict) else {"commit": v})} for k, v in value.items()]
        return [Tag(t) for t in value]

    def best(self, metric: str, mode: str = "min") -> Optional[Commit]:
        """The commit with the lowest (``mode='min'``) or highest (``'max'``) value of a metric, None when none has it."""
        if mode not in ("min", "max"):
            raise error_for("BAD_USAGE", f"mode is 'min' or 'max'; found {mode!r}")
        scored = [c for c in self.log() if isinstance(c.metrics.get(metric), (int, float))]
        if not scored:
            return None
        pick = min if mode == "min" else max
        return pick(scored, key=lambda c: c.metrics[metric])

    def watch(self, dir: PathLike, then: str = "keep", keep_newest: int = 1, settle_ms: Optional[int] = None, once: bool = False) -> "Watcher":
        """Follow a training run's folder in the background (see weightline.watch)."""
        from .watch import watch

        return watch(dir, store=self, then=then, keep_newest=keep_newest, settle_ms=settle_ms, once=once)

    def import_run(self, dir: PathLike, base: Optional[str] = None) -> RunFollowResult:
        """Commit every complete checkpoint of a finished run's folder, in step order
        (run it again to go on: what is committed is found by its bytes). ``base``:
        a ref the run's first checkpoint is stored on (runs fine-tuned from one model
        become sibling lines)."""
        args = ["import", _abs(dir)]
        if base is not None:
            args += ["--base", base]
        return RunFollowResult(self._write(args))

    def forget(
        self,
        *refs: str,
        keep_last: Optional[int] = None,
        keep_best: Optional[Sequence[str]] = None,
        keep_every: Optional[int] = None,
        keep_within: Optional[str] = None,
        keep_tags: Optional[Sequence[str]] = None,
        dry_run: bool = False,
        save: bool = False,
    ) -> ForgetPlan:
        """Forget versions by a retention policy (restic's words) or by name.

        ``keep_best`` takes "N:METRIC[:min|max]" strings ("3:eval_loss:min");
        ``keep_within`` a duration ("7d", "2w", "36h"). With no policy and no
        refs, the store's saved policy applies. HEAD, pinned, linked and tagged
        commits and every branch tip are always kept. ``dry_run`` says exactly
        what would go and the bytes freed; ``save`` stores the policy as the
        store's (what autoForget and a bare ``forget`` apply). What a forget
        removes stays in the trash for ``trashDays``: ``undo()`` puts it back.
        """
        args: List[str] = ["forget", *refs]
        if keep_last is not None:
            args += ["--keep-last", str(keep_last)]
        for b in keep_best or []:
            args += ["--keep-best", b]
        if keep_every is not None:
            args += ["--keep-every", str(keep_every)]
        if keep_within is not None:
            args += ["--keep-within", keep_within]
        for t in keep_tags or []:
            args += ["--keep-tag", t]
        if save:
            args.append("--save")
        if dry_run:
            args.append("--dry-run")
            return ForgetPlan(self._run(args))
        return ForgetPlan(self._write(args))

    def undo(self, op: Optional[str] = None) -> UndoResult:
        """Put back the last forget (or the operation ``op``) from the trash."""
        return UndoResult(self._write(["undo", *([op] if op else [])]))

    def ops(self) -> List[Operation]:
        """The operations log, newest first: forgets, cleanups, repairs, undos, and whether each can still be undone."""
        value = self._run(["ops"])
        items = value.get("ops") if isinstance(value, dict) else value
        return [Operation(o) for o in (items or [])]

    def __repr__(self) -> str:
        return f"Store({self.path!r})"

