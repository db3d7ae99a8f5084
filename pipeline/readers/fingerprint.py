"""What identifies an input file's content cheaply, for the resume key: an input edited in place
must be read again, an untouched one must not be.

Local files: size + modification time in nanoseconds. Object stores: size + the store's ETag (or
generation/MD5/CRC when that is what the store reports), not its last-modified time (the same bytes
uploaded again are the same input: a rerun recomputed everything); a filesystem that reports none
of those gets its last-modified time and a hash of the first and last 64 KiB, the parts an append or
a rewrite touches.
"""
from __future__ import annotations

import hashlib
import os

EDGE = 64 * 1024
ETAG_KEYS = ("ETag", "etag", "generation", "md5Hash", "crc32c", "checksum", "md5")
_MTIME_KEYS = ("LastModified", "last_modified", "mtime", "updated", "modified", "created")


def _is_local(fs) -> bool:
    proto = fs.protocol if isinstance(fs.protocol, (tuple, list)) else (fs.protocol,)
    return bool({"file", "local"} & set(proto))


def file_fingerprint(fs, path: str, info: dict | None = None) -> dict:
    """Size plus the cheapest reliable sign of the content (see the module docstring); `info`: the
    store's description of the file when the caller has already asked for it."""
    if _is_local(fs):
        local = fs._strip_protocol(path)
        try:
            st = os.stat(local)
        except OSError:                     # a dangling or looping symlink: the link itself (quarantined when read)
            st = os.lstat(local)
            return {"size": None, "link": os.readlink(local), "mtime_ns": st.st_mtime_ns}
        return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}
    info = info or fs.info(path)
    out: dict = {"size": info.get("size")}
    for k in ETAG_KEYS:
        if info.get(k):
            out["etag"] = str(info[k]).strip('"')
            return out          # the content's own sign: the same bytes uploaded again are the same input
    for k in _MTIME_KEYS:
        if info.get(k):
            out["mtime"] = str(info[k])
            break
    out["head_tail"] = _head_tail_hash(fs, path, out["size"])
    return out


def _head_tail_hash(fs, path: str, size: int | None) -> str:
    h = hashlib.blake2b(digest_size=16)
    with fs.open(path, "rb") as f:
        h.update(f.read(EDGE))
        if size and size > 2 * EDGE:
            f.seek(size - EDGE)
            h.update(f.read(EDGE))
    return h.hexdigest()
