"""The audit log in PostgreSQL (DATABASE_URL): schema, the writer that drains the queue in Motia state into it,
and the export behind `pte-score audit export`. Imports psycopg: used only by the writer step and the CLI.

Table `audit_logs` is append-only for the app: a trigger refuses UPDATE, DELETE and TRUNCATE (whatever role the
app connects as), and the schema revokes them from PUBLIC. Migrations are numbered and recorded in
`audit_schema`; the writer applies missing ones before writing."""
from __future__ import annotations

import csv
import json
from datetime import datetime, timezone
from typing import Any, Iterable, Iterator, Optional

import psycopg
from psycopg.types.json import Jsonb

from scoring import audit

MIGRATIONS: list[str] = [
    # 1: the table, its indexes, and the append-only guard
    """
    CREATE TABLE IF NOT EXISTS audit_logs (
        seq           BIGSERIAL PRIMARY KEY,
        entry_id      TEXT NOT NULL UNIQUE,
        at            TIMESTAMPTZ NOT NULL,
        event         TEXT NOT NULL,
        job_id        TEXT,
        workflow_id   TEXT,
        assessment_id TEXT,
        client        TEXT,
        data          JSONB NOT NULL DEFAULT '{}'::jsonb,
        written_at    TIMESTAMPTZ NOT NULL DEFAULT now()
    );
    CREATE INDEX IF NOT EXISTS audit_logs_at ON audit_logs (at);
    CREATE INDEX IF NOT EXISTS audit_logs_job ON audit_logs (job_id);
    CREATE OR REPLACE FUNCTION audit_logs_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit_logs is append-only (% refused)', TG_OP;
    END $$;
    DROP TRIGGER IF EXISTS audit_logs_no_change ON audit_logs;
    CREATE TRIGGER audit_logs_no_change BEFORE UPDATE OR DELETE ON audit_logs
        FOR EACH ROW EXECUTE FUNCTION audit_logs_append_only();
    DROP TRIGGER IF EXISTS audit_logs_no_truncate ON audit_logs;
    CREATE TRIGGER audit_logs_no_truncate BEFORE TRUNCATE ON audit_logs
        FOR EACH STATEMENT EXECUTE FUNCTION audit_logs_append_only();
    REVOKE UPDATE, DELETE, TRUNCATE ON audit_logs FROM PUBLIC;
    """,
]

COLUMNS = ("entry_id", "at", "event", "job_id", "workflow_id", "assessment_id", "client", "data")


def connect(url: str, timeout_s: float = 5.0) -> psycopg.Connection:
    return psycopg.connect(url, connect_timeout=max(1, int(timeout_s)))


def migrate(conn: psycopg.Connection) -> int:
    """Apply the migrations not applied yet (under an advisory lock: several writers may start at once)."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(72018)")
        conn.execute("CREATE TABLE IF NOT EXISTS audit_schema (version INT PRIMARY KEY, applied_at TIMESTAMPTZ "
                     "NOT NULL DEFAULT now())")
        done = {r[0] for r in conn.execute("SELECT version FROM audit_schema")}
        for version, sql in enumerate(MIGRATIONS, start=1):
            if version not in done:
                conn.execute(sql)
                conn.execute("INSERT INTO audit_schema (version) VALUES (%s)", (version,))
    return len(MIGRATIONS)


def row(entry: dict) -> tuple:
    at = datetime.fromtimestamp(float(entry.get("at") or 0), tz=timezone.utc)
    return (str(entry["id"]), at, str(entry.get("event") or "unknown"), entry.get("job_id"), entry.get("workflow_id"),
            entry.get("assessment_id"), entry.get("client"), Jsonb(entry.get("data") or {}))


def insert(conn: psycopg.Connection, entries: list[dict]) -> int:
    """Write entries in one transaction; an entry already written (same id) is skipped. Returns rows added."""
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(f"INSERT INTO audit_logs ({', '.join(COLUMNS)}) VALUES ({', '.join(['%s'] * len(COLUMNS))}) "
                        "ON CONFLICT (entry_id) DO NOTHING", [row(e) for e in entries])
        return cur.rowcount if cur.rowcount >= 0 else len(entries)


async def drain(ctx, url: str, max_entries: int = 5000) -> dict:
    """Move queued audit entries (Motia state) into PostgreSQL, oldest first: they leave the queue only after
    the transaction that holds them committed. PostgreSQL away: nothing leaves the queue (next tick retries)."""
    queued = [e for e in audit_entries(await ctx.state.get_group(audit.QUEUE))]
    if not queued:
        return {"queued": 0, "written": 0}
    batch = sorted(queued, key=lambda e: e["id"])[:max_entries]
    try:
        with connect(url) as conn:
            migrate(conn)
            insert(conn, batch)
    except psycopg.Error as e:
        return {"queued": len(queued), "written": 0, "error": f"{type(e).__name__}: {str(e).strip()[:300]}"}
    for e in batch:
        await ctx.state.delete(audit.QUEUE, e["id"])
    return {"queued": len(queued), "written": len(batch)}


def audit_entries(values: Any) -> Iterator[dict]:
    for v in values if isinstance(values, list) else []:
        if isinstance(v, dict) and set(v) == {"data"}:
            v = v["data"]
        if isinstance(v, dict) and v.get("id") and v.get("event"):
            yield v


def export(url: str, since: Optional[datetime] = None, until: Optional[datetime] = None) -> Iterator[dict]:
    """Rows in order of writing, as dicts (`at` in ISO 8601)."""
    where, args = [], []
    if since:
        where.append("at >= %s")
        args.append(since)
    if until:
        where.append("at < %s")
        args.append(until)
    sql = (f"SELECT seq, {', '.join(COLUMNS)} FROM audit_logs" + (f" WHERE {' AND '.join(where)}" if where else "")
           + " ORDER BY at, seq")
    with connect(url) as conn, conn.cursor(name="audit_export") as cur:
        cur.execute(sql, args)
        for r in cur:
            rec = dict(zip(("seq",) + COLUMNS, r))
            rec["at"] = rec["at"].isoformat()
            yield rec


def write_jsonl(rows: Iterable[dict], out) -> int:
    n = 0
    for r in rows:
        out.write(json.dumps(r, sort_keys=True, default=str) + "\n")
        n += 1
    return n


def write_csv(rows: Iterable[dict], out) -> int:
    w = csv.writer(out)
    w.writerow(("seq",) + COLUMNS)
    n = 0
    for r in rows:
        w.writerow([json.dumps(r[c], sort_keys=True) if c == "data" else r[c] for c in ("seq",) + COLUMNS])
        n += 1
    return n

