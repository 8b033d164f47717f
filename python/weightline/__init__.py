"""Weightline from Python: version every checkpoint a training script writes.

    import weightline
    store = weightline.Store("runs")                 # the folder holding .weightline/ (weightline.Store.init creates one)
    c = store.commit("runs/model.pt", step=1200, epoch=3, metrics={"eval_loss": 0.41})
    store.tag("best", c.id); store.restore("best", to="/tmp/best.pt")
    with weightline.watch("runs/my-run", then="remove"):   # or follow the trainer's own checkpoints
        trainer.train()

Standard library only: every call runs the ``weightline`` CLI with ``--json``
(found through $WEIGHTLINE_CLI, then PATH, then this repository's
bin/weightline.mjs) and failures raise WeightlineError subclasses carrying the
store's error code.
"""

from ._cli import find_cli
from .errors import (
    ERROR_CLASSES, AmbiguousError, BadFormatError, BadUsageError, BrokenChainError, CancelledError, ChangedDuringError,
    ClockSkewError, CorruptError, DirtyError, DiskFullError, OverBudgetError, InternalError, JobCrashedError, LockedError, NotAStoreError,
    NotFoundError, PermissionDeniedError, RefusedError, RemoteAuthError, RemoteCorruptError, RemoteError,
    RemoteNotFoundError, RemoteUnreachableError, StoreVersionError, UnsafePathError, UnsupportedError, WeightlineError,
)
from .results import Commit, CommitDetail, CommitResult, ForgetPlan, Operation, RestoreResult, RunFollowResult, Tag, TagResult, UndoResult
from .store import PendingCommit, Store
from .watch import Watcher, watch

__version__ = "0.1.0"

__all__ = [
    "Store", "PendingCommit", "watch", "Watcher", "find_cli",
    "Commit", "CommitDetail", "CommitResult", "ForgetPlan", "Operation", "RestoreResult", "RunFollowResult", "Tag", "TagResult", "UndoResult",
    "WeightlineError", "ERROR_CLASSES",
    "AmbiguousError", "BadFormatError", "BadUsageError", "BrokenChainError", "CancelledError", "ChangedDuringError",
    "ClockSkewError", "CorruptError", "DirtyError", "DiskFullError", "OverBudgetError", "InternalError", "JobCrashedError", "LockedError",
    "NotAStoreError", "NotFoundError", "PermissionDeniedError", "RefusedError", "RemoteAuthError", "RemoteCorruptError",
    "RemoteError", "RemoteNotFoundError", "RemoteUnreachableError", "StoreVersionError", "UnsafePathError",
    "UnsupportedError",
]
