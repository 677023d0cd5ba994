"""The `scoreJob` Motia stream: its item schema and client helpers (Python and Node)."""
