"""Storage failing, told apart from bad data and said in one line.

Which errors are the storage itself failing (a full or broken disk, a lost network, an object store
without credentials it accepts: `failing`, `storage_errors`, `STORAGE_ERRNOS`) rather than a file's
own problem, what is wrong with an object store's credentials and what to set (`credentials_problem`,
`bucket_problem`), and the one line a run or command stops with (`failure_line`, `input_unreadable`).
Reading and writing files is pipeline/storage.py, which re-exports these names: callers use
`storage.failing` and the like.
"""
from __future__ import annotations

import contextlib
import errno


def bucket_problem(fs, bucket: str) -> str | None:
    """Why nothing can be written to an object store's `bucket`, or None: it does not exist (a
    write would fail late, or fsspec would create it: a misspelt name becomes a new bucket), or it
    cannot be reached (no credentials, a refused endpoint)."""
    try:
        if fs.exists(bucket):
            return None
        fs.ls(bucket)         # exists() says False for any error (s3fs: no credentials too): ls says which
    except FileNotFoundError:
        return f"the bucket {bucket!r} does not exist; create it first"
    except Exception as e:  # noqa: BLE001 - whatever the client raises, said in one line
        problem = credentials_problem(e)
        return (f"cannot reach its bucket {bucket!r}: {type(e).__name__}: {' '.join(str(e).split())[:200]}"
                + (f": {problem}" if problem else ""))
    return None


class InputUnreadable(OSError):
    """Storage failing while an input file is read (a connection cut mid-body, an I/O error): the
    run stops with one line naming the file, as for anything that cannot load. It is no bad input:
    nothing is quarantined, and a rerun reads the file again (it has no completion record)."""


def input_unreadable(path: str, e: BaseException, doing: str = "reading it") -> InputUnreadable:
    """The one line a run stops with when storage fails under an input file."""
    why = " ".join(str(e).split())[:300] or "no message"
    if (problem := credentials_problem(e)) is not None:
        return InputUnreadable(f"{path}: cannot use its object store while {doing} ({type(e).__name__}: {why}): "
                               f"{problem}")
    return InputUnreadable(f"{path}: storage failed while {doing} ({type(e).__name__}: {why}); the run "
                           f"stops here, and running it again reads this file again")


def storage_errors() -> tuple[type[BaseException], ...]:
    """What a filesystem raises when storage fails rather than data being bad: OSError, and the
    errors of the network clients behind fsspec that are not OSErrors (aiohttp's, for http(s)://
    and gcsfs; botocore's connection errors under s3fs; fsspec's FSTimeoutError is a TimeoutError),
    and the credential errors of their auth libraries (no credentials found is no bad file either)."""
    found: list[type[BaseException]] = [OSError, TimeoutError]
    with contextlib.suppress(ImportError):
        import aiohttp
        found.append(aiohttp.ClientError)
    with contextlib.suppress(ImportError):
        from botocore.exceptions import ConnectionError as BotoConnectionError
        from botocore.exceptions import HTTPClientError
        found += [BotoConnectionError, HTTPClientError, *_boto_missing()]
    with contextlib.suppress(ImportError):
        from google.auth.exceptions import GoogleAuthError
        found.append(GoogleAuthError)
    return tuple(found)


def _boto_missing() -> tuple[type[BaseException], ...]:
    """botocore's errors for credentials it could not find or load (not OSErrors: s3fs passes them on)."""
    from botocore.exceptions import CredentialRetrievalError, NoCredentialsError, PartialCredentialsError
    return NoCredentialsError, PartialCredentialsError, CredentialRetrievalError


# S3's answers to credentials it does not accept; s3fs raises them as PermissionError, the
# ClientError kept as its cause (or context). A 403 with no code is what a HEAD gets.
REFUSED_CODES = frozenset({"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken",
                           "InvalidToken", "TokenRefreshRequired", "AllAccessDisabled", "AccountProblem", "403"})
AWS_SETTINGS = ("set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary keys), or "
                "AWS_PROFILE, to credentials allowed to list, read and write it (AWS_ENDPOINT_URL for a store "
                "other than AWS)")
GCS_SETTINGS = ("set GOOGLE_APPLICATION_CREDENTIALS to a key file allowed to list, read and write it, or run "
                "`gcloud auth application-default login`")


def credentials_problem(e: BaseException) -> str | None:
    """What is wrong, and what to set, when `e` (or what it was raised from) says an object store
    got no credentials it accepts: none were found, or the store refused them; None for anything
    else (a local PermissionError is a file's own problem)."""
    seen = 0
    while e is not None and seen < 8:
        module = type(e).__module__.split(".")[0]
        if module == "botocore":
            from botocore.exceptions import ClientError
            if isinstance(e, _boto_missing()):
                return f"no credentials for it were found; {AWS_SETTINGS}"
            if isinstance(e, ClientError) and e.response.get("Error", {}).get("Code") in REFUSED_CODES:
                return f"the store refused the credentials; {AWS_SETTINGS}"
        elif module == "google":
            from google.auth.exceptions import GoogleAuthError
            if isinstance(e, GoogleAuthError):
                return f"no usable credentials for it; {GCS_SETTINGS}"
        e, seen = e.__cause__ or e.__context__, seen + 1
    return None


# Errors of the storage itself, not of a file or its data: a disk or NFS I/O error, a full disk or
# quota, a read-only mount, the network. (No such file, permission denied, a symlink loop are a
# path's own problems.)
STORAGE_ERRNOS = frozenset(getattr(errno, n) for n in (
    "EIO", "ENOSPC", "EDQUOT", "EFBIG", "EROFS", "ETIMEDOUT", "ECONNRESET", "ECONNABORTED", "ECONNREFUSED", "EPIPE",
    "ENETDOWN", "ENETUNREACH", "ENETRESET", "EHOSTDOWN", "EHOSTUNREACH", "ESTALE", "EREMOTEIO", "ENOLINK",
    "EAGAIN") if hasattr(errno, n))


def failing(e: BaseException) -> bool:
    """Is `e` the storage failing (STORAGE_ERRNOS, a timeout, a network client's error, an object
    store without credentials it accepts) rather than something about one file or its data?"""
    return (isinstance(e, (TimeoutError, ConnectionError)) or getattr(e, "errno", None) in STORAGE_ERRNOS
            or (isinstance(e, storage_errors()) and not isinstance(e, OSError))
            or credentials_problem(e) is not None)


def failure_line(e: BaseException, command: str = "run", reads: str | None = None,
                 writes: str | None = None) -> str | None:
    """The one line a command stops with when storage failed under it (a run's output filled its
    disk or lost its object store, a store without credentials), or None for any other error
    (raised in a Ray task, the error is Ray's wrapper, an instance of the task's error too, whose
    `cause` it is). `reads`, `writes`: the run folder the command reads, the place it writes."""
    cause = getattr(e, "cause", None) or e
    if not failing(cause):
        return None
    why = f"{type(cause).__name__}: {' '.join(str(cause).split())[:400] or 'no message'}"
    if (problem := credentials_problem(cause)) is not None:
        where = " ".join(filter(None, [command, reads, writes and f"-> {writes}"]))
        return f"{where}: cannot use the object store ({why}): {problem}"
    if command != "run":            # a command reading a run: nothing of the run stopped, nothing resumes
        from pipeline.storage import is_local     # here: pipeline.storage imports this module
        places = [p for p in (reads, writes) if p]
        check = ("its endpoint (AWS_ENDPOINT_URL) and the network" if any(p.startswith("s3") for p in places)
                 else "the network" if any(not is_local(p) for p in places) else "the disk")
        what = " or write ".join(filter(None, [reads or (not writes and "the run"), writes]))
        return f"{command} could not read {what}: storage failed ({why}); check {check}, then run it again"
    hint = "free some space, then " if getattr(cause, "errno", None) in (errno.ENOSPC, errno.EDQUOT) else ""
    return (f"storage failed ({why}); the run stopped, and what it completed "
            f"is kept: {hint}running it again resumes from there")
