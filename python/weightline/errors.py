"""Weightline's errors as Python exceptions.

The CLI reports an expected failure as one JSON object on stderr,
``{"error": {"code": ..., "message": ..., "file"?: ...}}`` (codes as in
src-shared/errors.ts). Each code has its own subclass, so a training script
can catch exactly what it can handle (``except weightline.LockedError``) or
test ``e.code``.
"""

from typing import Dict, Optional, Type


class WeightlineError(Exception):
    """A failure the store reports with a code (``NOT_FOUND``, ``LOCKED`` ...).

    ``code`` is the store's error code, ``message`` its sentence (which names
    the file where one is involved), ``file`` the file when the CLI gives it
    separately, else None. ``exit_code`` is the CLI's exit status (1 for a
    failed or refused operation, 2 for bad usage), None when the CLI never ran.
    """

    code = "INTERNAL"

    def __init__(self, code: str, message: str, file: Optional[str] = None, exit_code: Optional[int] = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.file = file
        self.exit_code = exit_code

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r}, file={self.file!r})"


def _subclass(name: str, code: str, doc: str) -> Type[WeightlineError]:
    return type(name, (WeightlineError,), {"code": code, "__doc__": doc})


BadFormatError = _subclass("BadFormatError", "BAD_FORMAT", "A model file that does not parse as what its name or magic says.")
NotFoundError = _subclass("NotFoundError", "NOT_FOUND", "A path, commit, tag or object that does not exist.")
NotAStoreError = _subclass("NotAStoreError", "NOT_A_STORE", "No .weightline folder at or above the folder.")
AmbiguousError = _subclass("AmbiguousError", "AMBIGUOUS", "A commit prefix that matches several commits.")
BadUsageError = _subclass("BadUsageError", "BAD_USAGE", "Arguments that do not make sense by themselves (the CLI exits 2).")
RefusedError = _subclass("RefusedError", "REFUSED", "A well-formed request that what the store found stops.")
DirtyError = _subclass("DirtyError", "DIRTY", "The working copy holds uncommitted work.")
CorruptError = _subclass("CorruptError", "CORRUPT", "Stored bytes whose checksum does not match.")
BrokenChainError = _subclass("BrokenChainError", "BROKEN_CHAIN", "A delta chain that cannot be replayed.")
LockedError = _subclass("LockedError", "LOCKED", "Another writer (a commit, a watch) holds the store.")
DiskFullError = _subclass("DiskFullError", "DISK_FULL", "The disk is full.")
OverBudgetError = _subclass("OverBudgetError", "OVER_BUDGET", "A commit would break the store's disk budget (maxStoreBytes, minFreeBytes); nothing was written.")
PermissionDeniedError = _subclass("PermissionDeniedError", "PERMISSION", "The file system refused (a read-only disk, another owner).")
UnsupportedError = _subclass("UnsupportedError", "UNSUPPORTED", "The file system cannot do what was asked.")
UnsafePathError = _subclass("UnsafePathError", "UNSAFE_PATH", "A manifest path that would escape its target.")
StoreVersionError = _subclass("StoreVersionError", "STORE_VERSION", "A store written by a newer or older format.")
CancelledError = _subclass("CancelledError", "CANCELLED", "The command was interrupted; the store is as before it.")
ChangedDuringError = _subclass("ChangedDuringError", "CHANGED_DURING", "A file that changed while it was read.")
JobCrashedError = _subclass("JobCrashedError", "JOB_CRASHED", "A job process died; the store is as before the job.")
RemoteAuthError = _subclass("RemoteAuthError", "REMOTE_AUTH", "The remote refused the credentials.")
RemoteNotFoundError = _subclass("RemoteNotFoundError", "REMOTE_NOT_FOUND", "The bucket or a key the remote should hold is missing.")
RemoteUnreachableError = _subclass("RemoteUnreachableError", "REMOTE_UNREACHABLE", "The remote's endpoint cannot be reached.")
ClockSkewError = _subclass("ClockSkewError", "CLOCK_SKEW", "This machine's clock is too far from the remote's.")
RemoteCorruptError = _subclass("RemoteCorruptError", "REMOTE_CORRUPT", "A remote object whose bytes do not hash to its name.")
RemoteError = _subclass("RemoteError", "REMOTE_ERROR", "Any other refusal by the remote.")
InternalError = _subclass("InternalError", "INTERNAL", "A bug in Weightline, or a CLI that could not be run or answered no JSON.")

ERROR_CLASSES: Dict[str, Type[WeightlineError]] = {
    cls.code: cls
    for cls in (
        BadFormatError, NotFoundError, NotAStoreError, AmbiguousError, BadUsageError, RefusedError, DirtyError,
        CorruptError, BrokenChainError, LockedError, DiskFullError, OverBudgetError, PermissionDeniedError, UnsupportedError,
        UnsafePathError, StoreVersionError, CancelledError, ChangedDuringError, JobCrashedError, RemoteAuthError,
        RemoteNotFoundError, RemoteUnreachableError, ClockSkewError, RemoteCorruptError, RemoteError, InternalError,
    )
}


def error_for(code: str, message: str, file: Optional[str] = None, exit_code: Optional[int] = None) -> WeightlineError:
    """The exception for a code; a code this package does not know yet still arrives, as a WeightlineError."""
    cls = ERROR_CLASSES.get(code, WeightlineError)
    return cls(code, message, file, exit_code)
