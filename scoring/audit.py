"""Audit trail: what happened to each submission, appended by the steps (stdlib only: every step is a new
process) and written to PostgreSQL by one writer (steps/audit_writer_cron_step.py, scoring/audit_store.py).

Only when DATABASE_URL is set; otherwise nothing is recorded and nothing changes. Entries wait in Motia state
(Redis) under `pte:audit/<entry id>`: a PostgreSQL outage neither loses them nor slows scoring down. Entry ids
sort by time (nanoseconds, then random), and the database refuses a second row with the same id, so an entry
written twice (the writer died between commit and clean-up) is stored once."""
from __future__ import annotations

import hashlib
import os
import secrets
import time
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

QUEUE = "pte:audit"
DATA = Path(__file__).resolve().parent / "data"
CALIBRATION_FILES = ("calibration.json", "speech_calibration.json")


def enabled() -> bool:
    return bool(os.environ.get("DATABASE_URL"))


def entry_id() -> str:
    return f"{time.time_ns():020d}-{secrets.token_hex(4)}"


@lru_cache(maxsize=1)
def calibration_version() -> str:
    """Which calibration scored it: the `version` of the writing calibration and a digest of both files
    (read once per process: every finished job names it)."""
    h = hashlib.sha256()
    version = "?"
    for name in CALIBRATION_FILES:
        raw = (DATA / name).read_bytes()
        h.update(raw)
        if name == "calibration.json":
            import json
            version = str(json.loads(raw).get("version", "?"))
    return f"{version}+{h.hexdigest()[:12]}"


def entry(event: str, *, job_id: Optional[str] = None, workflow_id: Optional[str] = None,
          assessment_id: Optional[str] = None, client: Optional[str] = None, **data: Any) -> dict:
    return {"id": entry_id(), "at": time.time(), "event": event, "job_id": job_id, "workflow_id": workflow_id,
            "assessment_id": assessment_id, "client": client, "data": {k: v for k, v in data.items() if v is not None}}


async def record(ctx, event: str, **fields: Any) -> Optional[dict]:
    """Append one audit entry (no-op without DATABASE_URL)."""
    if not enabled():
        return None
    e = entry(event, **fields)
    await ctx.state.set(QUEUE, e["id"], e)
    return e


def of_job(job: dict) -> dict:
    """The identifying fields of a job for an audit entry."""
    return {"job_id": job.get("job_id"), "workflow_id": job.get("workflow_id"), "client": job.get("client")}
