"""What the CLI answers, as small read-only objects.

Each keeps the CLI's whole JSON object in ``raw``: the CLI adds fields over
time (it never renames them), and a field this package has no attribute for
is still there.
"""

from typing import Any, Dict, List, Optional


def _dict(v: Any) -> Dict[str, Any]:
    return v if isinstance(v, dict) else {}


class Result:
    """The CLI's JSON object, with the fields named in snake_case as attributes."""

    _fields: Dict[str, str] = {}

    def __init__(self, raw: Dict[str, Any]):
        self.raw = _dict(raw)

    def __getattr__(self, name: str) -> Any:
        fields = type(self)._fields
        if name in fields:
            return self.raw.get(fields[name])
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r} (the CLI's fields are in .raw: {sorted(self.raw)})")

    def __getitem__(self, key: str) -> Any:
        return self.raw[key]

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.raw == self.raw  # type: ignore[attr-defined]

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={getattr(self, k)!r}" for k in list(type(self)._fields)[:4])
        return f"{type(self).__name__}({shown})"


class CommitResult(Result):
    """What ``Store.commit`` made: ``id``, ``type`` (CHECKPOINT or DELTA), ``parent``,
    ``logical_bytes`` (the version's size), ``delta_bytes``, ``full_bytes_added``,
    ``unchanged`` (True: nothing changed since the newest commit of that path,
    and ``id`` is that commit), ``checkpoint_reason``."""

    _fields = {
        "id": "id", "type": "type", "parent": "parent", "logical_bytes": "logicalBytes", "delta_bytes": "deltaBytes",
        "full_bytes_added": "fullBytesAdded", "unchanged": "unchanged", "checkpoint_reason": "checkpointReason",
    }


class Commit(Result):
    """One commit as ``log`` and ``show`` list it, with its training metadata
    (``meta``: step, epoch, metrics, trainer ...) and its ``tags``."""

    _fields = {
        "id": "id", "type": "type", "parent": "parent", "message": "message", "created_at": "createdAt",
        "path": "path", "logical_bytes": "logicalBytes", "full_bytes": "fullBytes", "delta_bytes": "deltaBytes",
        "has_full": "hasFull", "chain_length": "chainLength", "pinned": "pinned",
    }

    @property
    def meta(self) -> Dict[str, Any]:
        return _dict(self.raw.get("meta"))

    @property
    def tags(self) -> List[str]:
        t = self.raw.get("tags")
        return list(t) if isinstance(t, list) else []

    @property
    def step(self) -> Optional[int]:
        return self.meta.get("step")

    @property
    def epoch(self) -> Optional[float]:
        return self.meta.get("epoch")

    @property
    def metrics(self) -> Dict[str, float]:
        return dict(_dict(self.meta.get("metrics")))


class CommitDetail(Commit):
    """``show``: a commit with its files (``files``: dicts with path, bytes, sha256, format, status, tensors)."""

    @property
    def files(self) -> List[Dict[str, Any]]:
        f = self.raw.get("files")
        return list(f) if isinstance(f, list) else []


class RestoreResult(Result):
    """What ``Store.restore`` wrote: ``id``, ``target`` (the path written), ``files``, ``bytes``,
    ``head`` (whether HEAD moved), ``notes``."""

    _fields = {"id": "id", "target": "target", "files": "files", "bytes": "bytes", "head": "head", "link": "link"}

    @property
    def notes(self) -> List[Dict[str, Any]]:
        n = self.raw.get("notes")
        return list(n) if isinstance(n, list) else []


class Tag(Result):
    """A tag: ``name``, the ``commit`` it names, ``set_at`` (when it was set)."""

    _fields = {"name": "name", "commit": "commit", "set_at": "setAt"}


class TagResult(Result):
    """What ``tag``/``untag`` did: ``name``, ``commit`` (None once deleted), ``previous``."""

    _fields = {"name": "name", "commit": "commit", "previous": "previous"}


class RunFollowResult(Result):
    """What a watch did when it stopped: ``run`` (the folder), ``trainer``, ``checkpoints``
    (one dict per checkpoint: checkpoint, commit, already, meta, skipped), ``removed``,
    ``stopped`` (done, cancelled, folder-gone, disk-full), ``notes``."""

    _fields = {"run": "run", "trainer": "trainer", "stopped": "stopped"}

    @property
    def checkpoints(self) -> List[Dict[str, Any]]:
        c = self.raw.get("checkpoints")
        return list(c) if isinstance(c, list) else []

    @property
    def commits(self) -> List[str]:
        """The commits of its checkpoints, in the order they were taken (skipped ones left out)."""
        return [c["commit"] for c in self.checkpoints if isinstance(c, dict) and c.get("commit")]

    @property
    def removed(self) -> List[str]:
        r = self.raw.get("removed")
        return list(r) if isinstance(r, list) else []

    @property
    def notes(self) -> List[Dict[str, Any]]:
        n = self.raw.get("notes")
        return list(n) if isinstance(n, list) else []


class ForgetPlan(Result):
    """What ``Store.forget`` did or would do: ``forgotten`` and ``kept`` (counts),
    ``bytes_freed`` (exact: what the store shrinks by once the trash is emptied),
    ``bytes_removed``, ``bytes_added`` (re-based deltas), ``dry_run``, ``op`` (the
    operation to undo), ``trash_until``; ``commits`` lists every commit with its
    verdict and reasons."""

    _fields = {
        "forgotten": "forgotten", "kept": "kept", "bytes_freed": "bytesFreed", "bytes_removed": "bytesRemoved",
        "bytes_added": "bytesAdded", "dry_run": "dryRun", "op": "op", "trash_until": "trashUntil", "policy": "policy",
        "store_bytes_before": "storeBytesBefore", "store_bytes_after": "storeBytesAfter",
    }

    @property
    def commits(self) -> List[Dict[str, Any]]:
        c = self.raw.get("commits")
        return list(c) if isinstance(c, list) else []

    @property
    def forgotten_ids(self) -> List[str]:
        """The ids of the commits that go (or went)."""
        return [c["id"] for c in self.commits if isinstance(c, dict) and c.get("verdict") == "forget"]


class Operation(Result):
    """One entry of the operations log: ``id``, ``kind`` (forget, cleanup, repair, undo),
    ``state``, ``summary``, ``undoable``, ``why_not``, ``trash_until``, ``bytes``."""

    _fields = {
        "id": "id", "kind": "kind", "state": "state", "summary": "summary", "undoable": "undoable", "why_not": "whyNot",
        "trash_until": "trashUntil", "bytes": "bytes", "started_at": "startedAt", "finished_at": "finishedAt",
    }

    @property
    def commits(self) -> List[str]:
        c = self.raw.get("commits")
        return list(c) if isinstance(c, list) else []


class UndoResult(Result):
    """What ``Store.undo`` put back: ``restored`` (commit ids back in the history), ``op`` (the undo's own record)."""

    _fields = {"op": "op"}

    @property
    def restored(self) -> List[str]:
        r = self.raw.get("restored")
        return list(r) if isinstance(r, list) else []

    @property
    def undone(self) -> Operation:
        return Operation(self.raw.get("undone") or {})
