// Cost of the access hook (config/access.ts) per request: the API key check and the Redis token bucket.
//
//   node_modules/.bin/tsx bench/access.ts            # starts its own redis-server on a free port
//   REDIS_PORT=6379 node_modules/.bin/tsx bench/access.ts   # or uses a running one (keys under pte:ratelimit:bench*)
//
// Prints p50 / p99 / max in milliseconds of: the key lookup alone, one token-bucket call (one EVALSHA
// round trip over loopback), and the whole Express middleware (key check + bucket + headers) as a request
// meets it. The issue asks for under 1 ms per request.
import { spawn } from 'node:child_process'
import net from 'node:net'
import { installAccess, matchKey, parseKeys, RateLimiter } from '../config/access'

const N = Number(process.env.N ?? 5000)

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port
      s.close(() => resolve(port))
    })
  })

function summary(name: string, ms: number[]) {
  ms.sort((a, b) => a - b)
  const q = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))].toFixed(3)
  console.log(`${name.padEnd(34)} n=${ms.length}  p50 ${q(0.5)} ms  p99 ${q(0.99)} ms  max ${ms[ms.length - 1].toFixed(3)} ms`)
}

async function main() {
  let port = Number(process.env.REDIS_PORT || 0)
  let redis: ReturnType<typeof spawn> | null = null
  if (!port) {
    port = await freePort()
    redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
    await new Promise((r) => setTimeout(r, 500))
  }
  try {
    const keys = parseKeys('web:web-key-0123456789abcdef,ios:ios-key-0123456789abcdef,tutor:tutor-key-0123456789abcdef')
    const lookup: number[] = []
    for (let i = 0; i < N; i++) {
      const t = process.hrtime.bigint()
      matchKey(keys, 'tutor-key-0123456789abcdef')
      lookup.push(Number(process.hrtime.bigint() - t) / 1e6)
    }
    summary('API key lookup (3 keys)', lookup)

    const env = { ...process.env, RATE_LIMIT_PER_MINUTE: '1000000000' }
    const limiter = new RateLimiter(() => ({ host: '127.0.0.1', port }), env)
    await limiter.take('bench:warmup', false)
    const bucket: number[] = []
    for (let i = 0; i < N; i++) {
      const t = process.hrtime.bigint()
      const v = await limiter.take(`bench:${i % 50}`, false)
      bucket.push(Number(process.hrtime.bigint() - t) / 1e6)
      if (!v || !v.allowed) throw new Error('bucket refused or Redis unavailable')
    }
    summary('token bucket (EVALSHA, loopback)', bucket)

    process.env.API_KEYS = 'web:web-key-0123456789abcdef,ios:ios-key-0123456789abcdef'
    process.env.RATE_LIMIT_PER_MINUTE = '1000000000'
    let hook: any = null
    installAccess({ use: (fn: any) => (hook = fn) } as any, { redis: () => ({ host: '127.0.0.1', port }) })
    const whole: number[] = []
    const res: any = { setHeader: () => res, status: () => res, json: () => res }
    for (let i = 0; i < N + 1; i++) {
      const req: any = { method: 'POST', path: '/score_async', headers: { authorization: 'Bearer ios-key-0123456789abcdef' },
        socket: { remoteAddress: '127.0.0.1' } }
      const t = process.hrtime.bigint()
      await new Promise<void>((next) => hook(req, res, next))
      if (i) whole.push(Number(process.hrtime.bigint() - t) / 1e6) // the first call connects
    }
    summary('whole access hook (key + bucket)', whole)
  } finally {
    redis?.kill()
  }
  process.exit(0)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
