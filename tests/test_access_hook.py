"""config/access.ts on its own (run with tsx against a real redis-server on a free port): how API_KEYS is read,
constant-time lookup by name, the client header set only by the hook, per-address buckets when keys are off,
and the cost of the hook (printed, not asserted; bench/access.ts measures it in full)."""
from __future__ import annotations

import json
import shutil
import subprocess
import time

import pytest

from conftest import ROOT, free_port

TSX = ROOT / "node_modules" / ".bin" / "tsx"

SCRIPT = r"""
import fs from 'node:fs'
import { parseKeys, matchKey, installAccess, configuredKeys } from './config/access'
const out: any = {}
const keys = parseKeys('web:web-key-0123456789abcdef, ios:ios-key-0123456789abcdef')
out.names = keys.map((k) => k.name)
out.match = [matchKey(keys, 'ios-key-0123456789abcdef'), matchKey(keys, 'ios-key-0123456789abcdeX'), matchKey(keys, undefined)]
out.bare = parseKeys('aaaaaaaaaaaaaaaa,bbbbbbbbbbbbbbbb').map((k) => k.name)
fs.writeFileSync(process.env.KEYFILE!, '# clients\ntutor:tutor-key-0123456789abcdef\n\nkiosk:kiosk-key-0123456789abcdef  # lobby\n')
out.file = parseKeys(process.env.KEYFILE).map((k) => k.name)
try { parseKeys('web:short') } catch (e: any) { out.short = e.message }
try { configuredKeys({ APP_ENV: 'production' } as any) } catch (e: any) { out.production = e.message }
// the hook with keys off: buckets per client address; a client-sent x-pte-client never passes
process.env.API_KEYS = ''
process.env.RATE_LIMIT_PER_MINUTE = '3'
let hook: any
installAccess({ use: (fn: any) => (hook = fn) } as any, { redis: () => ({ host: '127.0.0.1', port: Number(process.env.RPORT) }) })
const call = (addr: string) => new Promise<any>((resolve) => {
  const headers: any = { 'x-pte-client': 'ios' }
  const res: any = { code: 200, headers: {}, setHeader(k: string, v: string) { this.headers[k] = v; return this },
    status(c: number) { this.code = c; return this }, json() { resolve({ code: this.code, headers: this.headers }); return this } }
  const req: any = { method: 'POST', path: '/score_async', headers, socket: { remoteAddress: addr } }
  const t = process.hrtime.bigint()
  hook(req, res, () => resolve({ code: 'next', client: req.headers['x-pte-client'] ?? null, ms: Number(process.hrtime.bigint() - t) / 1e6, headers: res.headers }))
})
out.a = []
for (let i = 0; i < 5; i++) out.a.push(await call('10.0.0.1'))
out.b = await call('10.0.0.2')
console.log(JSON.stringify(out))
process.exit(0)
"""


@pytest.fixture
def redis_port(tmp_path):
    if not shutil.which("redis-server"):
        pytest.skip("redis-server missing")
    port = free_port()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    yield port
    proc.terminate()
    proc.wait(10)


def test_access_hook(redis_port, tmp_path):
    if not TSX.exists():
        pytest.skip("node_modules missing (make install)")
    script = ROOT / f".access-test-{redis_port}.mts"
    script.write_text(SCRIPT)
    try:
        run = subprocess.run([str(TSX), str(script)], cwd=ROOT, capture_output=True, text=True, timeout=60,
                             env={"PATH": "/usr/bin:/bin", "KEYFILE": str(tmp_path / "keys"), "RPORT": str(redis_port)})
    finally:
        script.unlink()
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["names"] == ["web", "ios"] and out["match"] == ["ios", None, None]
    assert out["bare"] == ["key-1", "key-2"] and out["file"] == ["tutor", "kiosk"]
    assert "shorter than 16" in out["short"] and "needs API_KEYS" in out["production"]
    first = out["a"][0]
    assert first["code"] == "next" and first["client"] is None  # keys off: no client name, the sent one dropped
    assert first["headers"]["RateLimit-Limit"] == "3" and first["headers"]["RateLimit-Remaining"] == "2"
    assert [r["code"] for r in out["a"]] == ["next", "next", "next", 429, 429]
    assert out["a"][3]["headers"]["Retry-After"] == "20"  # 3 per minute: one token every 20 s
    assert out["b"]["code"] == "next"  # another address has its own bucket
    print(f"\naccess hook (keys off, bucket in Redis): {[round(r['ms'], 3) for r in out['a'][1:3]]} ms per call")
