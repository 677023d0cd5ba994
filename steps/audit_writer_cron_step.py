"""AuditWriter: with DATABASE_URL set, every 5 s moves the audit entries the steps queued in state (scoring/audit.py)
into PostgreSQL's append-only `audit_logs` (scoring/audit_store.py); entries leave the queue only after their
transaction committed, so a PostgreSQL outage delays the log and loses nothing. Motia's cron lock makes it the
single writer across instances. Without DATABASE_URL it runs once a day and does nothing (psycopg not imported)."""
from scoring import audit
from scoring.settings import get_settings

config = {
    "type": "cron",
    "name": "AuditWriter",
    "description": "Drain queued audit entries into PostgreSQL (DATABASE_URL)",
    "cron": "*/5 * * * * *" if audit.enabled() else "0 4 * * *",
    "emits": [],
    "flows": ["pte-scoring"],
}


async def handler(context):
    url = get_settings().database_url
    if not url:
        return
    from scoring.audit_store import drain

    out = await drain(context, url)
    if out.get("error"):
        context.logger.warn("audit log: PostgreSQL unavailable, entries stay queued", out)
    elif out["written"]:
        context.logger.info("audit log written", out)
