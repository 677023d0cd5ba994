"""Pipeline benchmark: latency and throughput of text submissions through the real Motia app.

    python_modules/bin/python bench/pipeline.py                 # starts its own app (`motia start`) + engine
    python_modules/bin/python bench/pipeline.py --url http://127.0.0.1:3000 --ws ws://127.0.0.1:3000
    python_modules/bin/python bench/pipeline.py --item write_essay --clients 8 --total 48 --poll 0.2
    python_modules/bin/python bench/pipeline.py --workers off   # the stock runner: a new process per step call

1. latency: N sequential submissions, each POST /score_async -> its `completed` event on the scoreJob
   stream (WebSocket subscription opened right after the 202); p50/p95.
2. throughput: C concurrent clients submitting and awaiting completion, M submissions in all.
   With --poll S the clients do what the guide's frontends do: POST /score_async, then GET /job/{id}
   every S seconds until it is completed (every poll is a step call too).
3. engine: the same clients and submissions against the warm engine's own POST /score, in the same run:
   the pipeline's throughput is reported as a share of it.
4. step calls: CPU of the app (Node, the Python step workers or processes) per GET /job/{id}, the
   lightest step call, over sequential calls on an otherwise idle app; and its latency.
5. overhead: from each job's timings: emit -> NlpScorer start (queue + worker pick-up), the NlpScorer
   handler (state RPCs + engine call), the engine's own scoring time, and the rest (AI step, Aggregator,
   stream push); plus the bare cost of starting a step process with its imports (the stock runner's cost).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import websockets

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

ITEMS = {
    "write_from_dictation": {"item_type": "write_from_dictation",
                             "response": {"text": "the students must submit their essays by friday"},
                             "item": {"reference_text": "The students must submit their assignments by Friday."}},
    "write_essay": {"item_type": "write_essay",
                    "item": {"prompt": "Some people think that technology makes life easier. Discuss."},
                    "response": {"text": (
                        "Technology has changed the way people live and work. On the one hand, devices save time: "
                        "we shop, bank and study online, and we talk to friends far away. On the other hand, "
                        "constant notifications distract us, and many jobs have been replaced by machines. "
                        "In my opinion, technology makes life easier overall, because its benefits for health, "
                        "education and communication outweigh the problems, which can be managed with better "
                        "habits and sensible rules. For example, online lessons let students in remote areas "
                        "learn from good teachers, and medical apps help patients follow their treatment. "
                        "Therefore, although we must use it wisely, technology improves our daily lives. "
                        "Critics argue that screens harm sleep and attention, especially among teenagers, and that "
                        "automation leaves many workers without secure employment. These concerns are serious. "
                        "However, they are not arguments against technology itself but against careless use of it. "
                        "Schools can teach digital habits, governments can retrain workers whose jobs disappear, and "
                        "companies can design products that respect their users' time. When these measures are in "
                        "place, people keep the advantages of modern tools while limiting their costs. In "
                        "conclusion, technology makes life easier for most people, provided that society manages "
                        "its side effects with foresight.")}},
}


def pct(xs, q):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = (len(xs) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


_counter = iter(range(10**9))


def vary(body: dict) -> dict:
    """A distinct response each time (the engine may cache analyses of identical texts)."""
    n = next(_counter)
    text = body["response"]["text"]
    return {**body, "response": {**body["response"], "text": f"{text} {WORDS[n % len(WORDS)]} {WORDS[(n // len(WORDS)) % len(WORDS)]}"}}


HEADERS: dict[str, str] = {}  # the API key of a self-started production app (X-API-Key)

WORDS = ("indeed", "clearly", "today", "however", "overall", "also", "often", "still", "perhaps", "again", "so", "yet")


async def submit(client: httpx.AsyncClient, body: dict) -> tuple[float, str]:
    """(the time it was sent, its job id) for a distinct copy of `body` sent to POST /score_async."""
    t0 = time.perf_counter()
    r = await client.post("/score_async", json=vary(body))
    r.raise_for_status()
    return t0, r.json()["job_id"]


async def one(client: httpx.AsyncClient, ws_url: str, body: dict, timeout: float = 120) -> tuple[float, str]:
    t0, job_id = await submit(client, body)
    async with websockets.connect(ws_url, max_size=None) as ws:
        await ws.send(json.dumps({"type": "join", "data": {"streamName": "scoreJob", "groupId": job_id, "id": job_id,
                                                           "subscriptionId": str(uuid.uuid4())}}))
        while True:
            msg = json.loads(await asyncio.wait_for(ws.recv(), timeout))
            data = (msg.get("event") or {}).get("data")
            for d in data if isinstance(data, list) else [data]:
                if isinstance(d, dict) and d.get("status") in ("completed", "failed"):
                    if d["status"] == "failed":
                        raise RuntimeError(f"job {job_id} failed: {d.get('error')}")
                    return time.perf_counter() - t0, job_id


async def one_polled(client: httpx.AsyncClient, body: dict, every_s: float, timeout: float = 180) -> tuple[float, str]:
    """POST /score_async, then GET /job/{id} every `every_s` until completed (a frontend without WebSockets)."""
    t0, job_id = await submit(client, body)
    while time.perf_counter() - t0 < timeout:
        await asyncio.sleep(every_s)
        job = (await client.get(f"/job/{job_id}")).json()
        if job.get("status") == "completed":
            return time.perf_counter() - t0, job_id
        if job.get("status") == "failed":
            raise RuntimeError(f"job {job_id} failed: {job.get('error')}")
    raise TimeoutError(job_id)


async def one_engine(client: httpx.AsyncClient, body: dict) -> tuple[float, str]:
    """The warm engine's own POST /score: the reference the pipeline is measured against."""
    t0 = time.perf_counter()
    r = await client.post("/score", json=vary(body))
    r.raise_for_status()
    return time.perf_counter() - t0, ""


async def latency(url, ws_url, body, n):
    out, ids = [], []
    async with httpx.AsyncClient(base_url=url, timeout=60, headers=HEADERS) as c:
        for _ in range(n):
            dt, job_id = await one(c, ws_url, body)
            out.append(dt)
            ids.append(job_id)
    return out, ids


async def throughput(url, ws_url, body, clients, total, poll_s=None, engine=False):
    done, ids = [], []
    queue = asyncio.Queue()
    for _ in range(total):
        queue.put_nowait(1)

    async def worker(c):
        while not queue.empty():
            queue.get_nowait()
            if engine:
                dt, job_id = await one_engine(c, body)
            elif poll_s:
                dt, job_id = await one_polled(c, body, poll_s)
            else:
                dt, job_id = await one(c, ws_url, body)
            done.append(dt)
            ids.append(job_id)

    async with httpx.AsyncClient(base_url=url, timeout=120, limits=httpx.Limits(max_connections=clients * 2),
                                 headers={} if engine else HEADERS) as c:
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(c) for _ in range(clients)))
        wall = time.perf_counter() - t0
    return wall, done, ids


def overhead(url, ids):
    rows = []
    with httpx.Client(base_url=url, timeout=30, headers=HEADERS) as c:
        for job_id in ids:
            t = c.get(f"/job/{job_id}").json().get("timings_ms") or {}
            if "nlp.engine" in t:
                rows.append(t)
    if not rows:
        return {}
    med = lambda k: round(statistics.median(r.get(k, 0) for r in rows), 1)  # noqa: E731
    total, queue, step, engine = med("total"), med("nlp.queue"), med("nlp.step"), med("nlp.engine")
    return {"jobs": len(rows), "total_ms": total, "emit_to_nlp_start_ms": queue, "nlp_handler_ms": step,
            "engine_ms": engine, "nlp_handler_minus_engine_ms": round(step - engine, 1),
            "after_nlp_ms (AI step, Aggregator, stream)": round(total - queue - step, 1),
            "motia_share_of_total": round(1 - engine / total, 3) if total else None}


def step_calls(url: str, job_id: str, node_pid, n: int = 200) -> dict:
    """GET /job/{id} n times in a row: latency, and the app's CPU (Node + Python step workers/processes) per call."""
    with httpx.Client(base_url=url, timeout=30, headers=HEADERS) as c:
        c.get(f"/job/{job_id}")
        cpu0 = cpu_snapshot(node_pid) if node_pid else None
        ts = []
        for _ in range(n):
            t0 = time.perf_counter()
            c.get(f"/job/{job_id}").raise_for_status()
            ts.append(time.perf_counter() - t0)
        cpu1 = cpu_snapshot(node_pid) if node_pid else None
    out = {"calls": n, "latency_p50_ms": round(pct(ts, 0.5) * 1000, 1), "latency_p95_ms": round(pct(ts, 0.95) * 1000, 1)}
    if cpu1:
        per = {k: (cpu1.get(k, 0) - cpu0.get(k, 0)) / n * 1000 for k in ("node", "step processes", "step workers")}
        out["app_cpu_ms_per_call"] = round(sum(per.values()), 2)
        out["of which"] = {k: round(v, 2) for k, v in per.items()}
    return out


def step_process_start(repeat=5):
    """Wall time of a bare step process: interpreter + Motia runner-like imports + the step module."""
    py = str(ROOT / "python_modules" / "bin" / "python")
    out = {}
    for label, code in {"python -c pass": "pass",
                        "light step (scoring.jobs)": "import asyncio, json; import scoring.jobs",
                        "engine-calling step (scoring.jobs_steps: stdlib HTTP client)": "import asyncio, json; import scoring.jobs_steps",
                        "API step (scoring.jobs_api: the engine validates)": "import asyncio, json; import scoring.jobs_api",
                        "API step validating itself (engine down: pydantic models + Settings)":
                            "import asyncio, json; import scoring.jobs_api, scoring.models, scoring.settings"}.items():
        ts = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            subprocess.run([py, "-c", code], cwd=ROOT, check=True)
            ts.append((time.perf_counter() - t0) * 1000)
        out[label] = round(statistics.median(ts), 1)
    return out


def _cpu_s(pid: int, children: bool) -> float:
    """utime+stime (+ reaped children's cutime+cstime) of a process, in seconds."""
    try:
        f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(f[11]) + int(f[12]) + ((int(f[13]) + int(f[14])) if children else 0)
    return ticks / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    out = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                if int((p / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(p.name))
            except (OSError, IndexError, ValueError):
                pass
    return out


def cpu_snapshot(node_pid: int) -> dict:
    """CPU seconds so far: node itself, the step processes it reaped, and its long-lived children (engine, redis)."""
    own = _cpu_s(node_pid, children=False)
    snap = {"node": own, "step processes": _cpu_s(node_pid, children=True) - own}
    for child in _children(node_pid):
        try:
            name = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        key = ("engine" if "scoring.server" in name else "redis" if "redis-server" in name
               else "step workers" if "python-worker.py" in name else None)
        if key:  # (a worker that ended meanwhile is counted in "step processes", as Node reaped it)
            snap[key] = snap.get(key, 0.0) + _cpu_s(child, children=False)
    return snap


def start_app(args):
    from conftest import free_port  # same port rules as the tests (PORT <= 43857, PORT+21678 free)
    port, engine_port = free_port(21678), free_port()
    d = Path(tempfile.mkdtemp(prefix="bench-motia-"))
    env = {**os.environ, "MOTIA_ANALYTICS_DISABLED": "true", "REDISMS_SYSTEM_BINARY": shutil.which("redis-server") or "",
           "ENGINE_PORT": str(engine_port), "AI_MODE": args.ai_mode, "MOTIA_PYTHON_WORKERS": args.workers,
           "MAX_QUEUE_DEPTH": "0"}
    if args.mode == "start":  # as `make start` runs it: production mode (no Workbench, so no traces), with an
        key = uuid.uuid4().hex  # API key and its rate-limit check on every request (limits set out of the way)
        env.update({"APP_ENV": "production", "API_KEYS": f"bench:{key}", "RATE_LIMIT_PER_MINUTE": os.environ.get("RATE_LIMIT_PER_MINUTE", "1000000"),
                    "RATE_LIMIT_POLL_PER_MINUTE": "1000000"})
        HEADERS["X-API-Key"] = key
    log = open(d / "dev.log", "w")
    proc = subprocess.Popen([str(ROOT / "node_modules/.bin/motia"), args.mode, "-p", str(port), "--motia-dir", str(d)],
                            cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    t0 = time.time()
    while time.time() - t0 < 180:
        try:
            if httpx.get(url + "/health", timeout=5, headers=HEADERS).status_code == 200:
                ws = f"ws://127.0.0.1:{port}" + (f"/?api_key={HEADERS['X-API-Key']}" if HEADERS else "")
                return proc, url, ws, f"http://127.0.0.1:{engine_port}"
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise RuntimeError((d / "dev.log").read_text()[-2000:])
        time.sleep(0.5)
    raise TimeoutError("app did not become healthy")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url")
    ap.add_argument("--ws")
    ap.add_argument("--item", default="write_from_dictation", choices=sorted(ITEMS))
    ap.add_argument("-n", type=int, default=20, help="sequential submissions for latency")
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--total", type=int, default=40, help="submissions in the throughput run")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--ai-mode", default="off", help="AI_MODE for a self-started app (default off: no cloud)")
    ap.add_argument("--poll", type=float, help="clients poll GET /job/{id} every POLL seconds instead of the stream")
    ap.add_argument("--workers", default="8", help="MOTIA_PYTHON_WORKERS for a self-started app ('off': stock runner)")
    ap.add_argument("--mode", default="start", choices=("start", "dev"),
                    help="start: production as `make start` runs it (default); dev: `motia dev` with the Workbench")
    ap.add_argument("--engine-url", help="the engine of an app given by --url (for the engine's own throughput)")
    args = ap.parse_args()
    proc = None
    if args.url:
        url, ws_url, engine_url = args.url, args.ws or args.url.replace("http", "ws", 1), args.engine_url
    else:
        proc, url, ws_url, engine_url = start_app(args)
    body = ITEMS[args.item]
    try:
        asyncio.run(latency(url, ws_url, body, args.warmup))
        lat, ids = asyncio.run(latency(url, ws_url, body, args.n))
        calls = step_calls(url, ids[-1], proc.pid if proc else None)  # before the load runs leave work behind
        cpu0 = cpu_snapshot(proc.pid) if proc else None
        wall, tp, tp_ids = asyncio.run(throughput(url, ws_url, body, args.clients, args.total, poll_s=args.poll))
        cpu1 = cpu_snapshot(proc.pid) if proc else None
        engine_tp = None
        if engine_url:
            e_wall, e_done, _ = asyncio.run(throughput(engine_url, None, body, args.clients, args.total, engine=True))
            engine_tp = {"per_s": round(len(e_done) / e_wall, 2), "latency_p50_s": round(pct(e_done, 0.5), 3)}
        report = {
            "item": args.item, "cpu_cores": os.cpu_count(), "load_avg_1m_before": round(os.getloadavg()[0], 2),
            "app": f"motia {args.mode}" if proc else args.url,
            "step_runner": "stock (a process per call)" if args.workers.lower() in ("off", "false", "0")
                           else f"warm workers ({args.workers})",
            "clients_wait_by": f"polling GET /job every {args.poll} s" if args.poll else "stream (WebSocket)",
            "latency_s": {"n": len(lat), "p50": round(pct(lat, 0.5), 3), "p95": round(pct(lat, 0.95), 3),
                          "min": round(min(lat), 3), "max": round(max(lat), 3)},
            "throughput": {"clients": args.clients, "submissions": len(tp), "wall_s": round(wall, 2),
                           "per_s": round(len(tp) / wall, 2), "latency_p50_s": round(pct(tp, 0.5), 3),
                           "latency_p95_s": round(pct(tp, 0.95), 3)},
            "engine_own_score": engine_tp,
            "pipeline_share_of_engine": round(len(tp) / wall / engine_tp["per_s"], 3) if engine_tp else None,
            "step_calls (GET /job)": calls,
            "overhead_sequential": overhead(url, ids),
            "overhead_concurrent": overhead(url, tp_ids),
            "step_process_start_ms": step_process_start(),
            "cpu_s_per_submission (throughput run)": (
                {k: round((cpu1.get(k, 0) - cpu0.get(k, 0)) / max(1, len(tp)), 3) for k in cpu1} if cpu1 else None),
        }
        print(json.dumps(report, indent=2))
    finally:
        if proc is not None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


if __name__ == "__main__":
    main()
