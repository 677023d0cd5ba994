"""Fingerprints for the benches' feature caches (bench/out/): a cache is dropped when what its
features were computed with changes, so a changed feature is never fitted on stale values."""
from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import Iterable, Union


def fingerprint(files: Iterable[Path], *extra: Union[str, bytes]) -> str:
    """A short hash of the files' names and contents and of the extra values (settings, parameters)."""
    h = hashlib.sha256()
    for path in files:
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    for x in extra:
        h.update(b"\0" + (x if isinstance(x, bytes) else x.encode()))
    return h.hexdigest()[:16]


def drop_stale(stamp: Path, cached: Iterable[Path], fp: str) -> None:
    """Remove the cached files unless `stamp` records the fingerprint `fp`; then record it."""
    stamp.parent.mkdir(parents=True, exist_ok=True)
    if stamp.exists() and stamp.read_text().strip() == fp:
        return
    stale = [p for p in cached if p.exists()]
    if stale:
        print(f"features changed since they were cached: recomputing {', '.join(p.name for p in stale)}", file=sys.stderr)
    for p in stale:
        p.unlink()
    stamp.write_text(fp + "\n")
