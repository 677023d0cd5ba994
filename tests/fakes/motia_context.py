"""A stand-in for the Motia 0.17 step context (state with its {"data": ...} wrapping quirk, streams,
logger, emit), for calling a step handler directly in a unit test."""
from __future__ import annotations

import importlib.util
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[2]


def load_step(rel_path: str):
    """Import a *_step.py file the way Motia's python-runner does (spec_from_file_location)."""
    path = ROOT / rel_path
    spec = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


class State:
    def __init__(self):
        self.groups: dict[str, dict[str, object]] = {}

    async def set(self, group, key, value):
        self.groups.setdefault(group, {})[key] = value
        return value

    async def get(self, group, key):
        v = self.groups.get(group, {}).get(key)
        if v is None:
            return {"data": None}
        if isinstance(v, dict) and "data" not in v:
            return {"data": v}
        return v

    async def get_group(self, group):
        return list(self.groups.get(group, {}).values())

    async def delete(self, group, key):
        return self.groups.get(group, {}).pop(key, None)


class Stream:
    def __init__(self):
        self.items = {}

    async def set(self, group_id, id, data):
        self.items[(group_id, id)] = {**data, "id": id}
        return self.items[(group_id, id)]

    async def get(self, group_id, id):
        return self.items.get((group_id, id))


class Logger:
    def __init__(self):
        self.records = []

    def info(self, m, a=None):
        self.records.append(("info", m, a))

    warn = error = debug = info


class Context:
    def __init__(self):
        self.trace_id = "TEST"
        self.state = State()
        self.logger = Logger()
        self.streams = SimpleNamespace(scoreJob=Stream())
        self.emitted: list[dict] = []

    async def emit(self, event):
        self.emitted.append(event)
