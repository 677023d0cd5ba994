"""Imports a step (or the API router) from an unpacked `motia build` bundle, with the bundle's own paths only.

Run by tests/test_bundle.py as `python -I -S bundle_probe.py BUNDLE_DIR ENTRY [CALL_JSON]`: -S keeps the venv's
site-packages (and the project root .pth) off sys.path, so everything beyond the standard library must come
from BUNDLE_DIR. ENTRY is a step file inside the bundle (`steps/x_step.py`, loaded by path as Motia's runner
does) or `router` (the router module, imported by name). CALL_JSON, for a step: {"body": ...} to call its
handler once with a minimal in-memory context. Prints one JSON line: the config, the route keys, the reply,
the emitted topics and every loaded module file found outside the bundle and the standard library."""
from __future__ import annotations

import asyncio
import importlib
import importlib.util
import json
import os
import sys
import sysconfig


class State:
    def __init__(self):
        self.groups: dict = {}

    async def set(self, group, key, value):
        self.groups.setdefault(group, {})[key] = json.loads(json.dumps(value))
        return value

    async def get(self, group, key):  # Motia 0.17 wraps: {"data": value}
        value = self.groups.get(group, {}).get(key)
        return {"data": value} if value is None or (isinstance(value, dict) and "data" not in value) else value

    async def get_group(self, group):
        return list(self.groups.get(group, {}).values())

    async def delete(self, group, key):
        return self.groups.get(group, {}).pop(key, None)

    async def clear(self, group):
        self.groups.pop(group, None)


class Stream:
    def __init__(self):
        self.items: dict = {}

    async def set(self, group_id, id, data):
        self.items[(group_id, id)] = {**data, "id": id}
        return self.items[(group_id, id)]

    async def get(self, group_id, id):
        return self.items.get((group_id, id))

    async def get_group(self, group_id):
        return [v for (g, _), v in self.items.items() if g == group_id]

    async def delete(self, group_id, id):
        return self.items.pop((group_id, id), None)

    async def send(self, channel, event):
        pass


class Logger:
    def info(self, *a): pass
    def warn(self, *a): pass
    def error(self, *a): pass
    def debug(self, *a): pass


class Context:
    def __init__(self):
        self.trace_id = "BUNDLE-PROBE"
        self.state, self.logger, self.emitted = State(), Logger(), []
        self.streams = type("Streams", (), {"scoreJob": Stream()})()

    async def emit(self, event):
        self.emitted.append(event)


def main() -> None:
    bundle, entry = os.path.realpath(sys.argv[1]), sys.argv[2]
    sys.path.insert(0, bundle)
    os.chdir(bundle)
    out: dict = {}
    if entry == "router":
        router = importlib.import_module("router")
        out["routes"] = sorted(router.router_paths)
    else:
        spec = importlib.util.spec_from_file_location(f"steps.{os.path.basename(entry)[:-3]}", os.path.join(bundle, entry))
        step = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(step)
        out["config"] = step.config
        out["async_handler"] = asyncio.iscoroutinefunction(getattr(step, "handler", None))
        if len(sys.argv) > 3:
            ctx = Context()
            out["reply"] = asyncio.run(step.handler({"headers": {}, "pathParams": {}, "queryParams": {},
                                                     **json.loads(sys.argv[3])}, ctx))
            out["emitted"] = [e["topic"] for e in ctx.emitted]
    allowed = [bundle + os.sep] + [os.path.realpath(sysconfig.get_paths()[k]) + os.sep for k in ("stdlib", "platstdlib")]
    files = {os.path.realpath(m.__file__) for name, m in list(sys.modules.items())
             if name != "__main__" and getattr(m, "__file__", None)}
    out["outside"] = sorted(f for f in files if not any(f.startswith(a) for a in allowed))
    print(json.dumps(out, default=str))


main()
