// API keys and rate limits, checked in the Express app before any route (no Python process per check).
//
//   API_KEYS                comma-separated keys, or `name:key` pairs, or the path of a file holding them
//                           (one per line or comma-separated; `#` comments). Set: every endpoint except
//                           /health needs `Authorization: Bearer KEY` or `X-API-Key: KEY` (401 otherwise).
//                           Unset: open (dev, one warning at start); APP_ENV=production refuses to start.
//   METRICS_TOKEN           a separate bearer token that also opens GET /metrics (for a Prometheus scraper).
//   RATE_LIMIT_PER_MINUTE   token bucket per key (per client address when keys are off), in Redis so every
//                           instance shares it; 0 turns it off. RATE_LIMIT_POLL_PER_MINUTE: the bucket of the
//                           polling endpoints (GET /job/…, GET /workflow/…).
//
// The authenticated key's NAME (never the key) reaches the steps in the `x-pte-client` header, set here and
// only here: a client-sent copy is removed first. Steps store it on jobs, workflows and assessments and answer
// 404 to another key. Keys are compared as SHA-256 digests with crypto.timingSafeEqual, and every configured
// key is compared (no early exit), so timing says nothing about which key or how much of it matched.
import crypto from 'node:crypto'
import fs from 'node:fs'
import type { Express, NextFunction, Request, Response } from 'express'
import { createClient } from 'redis'
import { isProduction } from './app-env'

export const CLIENT_HEADER = 'x-pte-client'
const OPEN_PATHS = new Set(['/health'])
// the practice page's static files (config/practice.ts) hold no data; the API calls the page makes need a key
const STATIC_PAGE = /^\/practice(\/|$)/
// the framework's admin routes: closed in production, loopback-only in dev (http-guards.ts), no key needed
const ADMIN_PATHS = /^\/(__motia|motia)(\/|$)/
const POLL_PATH = /^\/(job|workflow)\/[^/]+\/?$/

type Key = { name: string; digest: Buffer }
const sha256 = (s: string) => crypto.createHash('sha256').update(s, 'utf8').digest()

/** API_KEYS as [{name, digest}]: "key1,key2" (named key-1, key-2), "web:k1,ios:k2", or a file of those. */
export function parseKeys(raw: string | undefined): Key[] {
  let text = (raw || '').trim()
  if (!text) return []
  if ((text.startsWith('/') || text.startsWith('.')) && fs.existsSync(text)) {
    text = fs.readFileSync(text, 'utf8').split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean).join(',')
  }
  const keys: Key[] = []
  text.split(',').map((s) => s.trim()).filter(Boolean).forEach((entry, i) => {
    const colon = entry.indexOf(':')
    const [name, key] = colon > 0 ? [entry.slice(0, colon).trim(), entry.slice(colon + 1).trim()] : [`key-${i + 1}`, entry]
    if (key.length < 16) throw new Error(`API_KEYS: the key named "${name}" is shorter than 16 characters`)
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) throw new Error(`API_KEYS: key names are 1-64 of A-Z a-z 0-9 _ . - (got "${name}")`)
    keys.push({ name, digest: sha256(key) })
  })
  return keys
}

/** The name of the key that `given` is, or null; compares against every key, in constant time each. */
export function matchKey(keys: Key[], given: string | undefined): string | null {
  if (!given) return null
  const d = sha256(given)
  let found: string | null = null
  for (const k of keys) if (crypto.timingSafeEqual(k.digest, d) && found === null) found = k.name
  return found
}

/** The credential a request carries: `Authorization: Bearer X`, `X-API-Key: X`, or (WebSocket upgrades, which
 * browsers cannot give headers) `?api_key=X` in the URL. */
export function credential(headers: Record<string, any>, url?: string): string | undefined {
  const auth = headers['authorization']
  if (typeof auth === 'string' && /^bearer\s+/i.test(auth)) return auth.replace(/^bearer\s+/i, '').trim()
  if (typeof headers['x-api-key'] === 'string') return headers['x-api-key'].trim()
  if (url && url.includes('api_key=')) return new URL(url, 'http://x').searchParams.get('api_key') || undefined
  return undefined
}

const unauthorized = (res: Response, message: string) =>
  res.status(401).setHeader('WWW-Authenticate', 'Bearer').json({ errors: [{ field: 'Authorization', message }] })

export type RedisConnection = { host: string; port: number; password?: string; db?: number }

export type AccessOptions = {
  /** the Redis to keep rate-limit buckets in: the app's external Redis, or (dev) a function giving the
   * in-process one once Motia has started it */
  redis: () => Promise<RedisConnection | null> | RedisConnection | null
}

let warned = false

/** API keys from the environment, checked once at start: production without keys refuses to start. */
export function configuredKeys(env: NodeJS.ProcessEnv = process.env): Key[] {
  const keys = parseKeys(env.API_KEYS)
  if (!keys.length && isProduction(env)) {
    throw new Error('APP_ENV=production needs API_KEYS (comma-separated keys or name:key pairs, or a file of them)')
  }
  if (!keys.length && !warned) {
    warned = true
    console.warn('[access] WARNING: API_KEYS is not set: every endpoint is open to anyone who can reach this port (dev mode)')
  } else if (keys.length && !warned) {
    warned = true
    console.log(`[access] API keys on: ${keys.map((k) => k.name).join(', ')}`)
  }
  return keys
}

export function installAccess(app: Express, options: AccessOptions): void {
  const keys = configuredKeys()
  const metricsToken = process.env.METRICS_TOKEN ? sha256(process.env.METRICS_TOKEN) : null
  const limiter = new RateLimiter(options.redis)

  app.use(async (req: Request, res: Response, next: NextFunction) => {
    delete req.headers[CLIENT_HEADER] // only this hook says who the client is
    if (req.method === 'OPTIONS' || OPEN_PATHS.has(req.path) || ADMIN_PATHS.test(req.path)) return next()
    if (req.method === 'GET' && STATIC_PAGE.test(req.path)) return next()
    let client: string | null = null
    if (keys.length) {
      const given = credential(req.headers)
      client = matchKey(keys, given)
      const metricsOk = req.path === '/metrics' && !!metricsToken && !!given && crypto.timingSafeEqual(metricsToken, sha256(given))
      if (!client && !metricsOk) {
        return unauthorized(res, given ? 'unknown API key' : 'missing API key: send Authorization: Bearer <key> or X-API-Key: <key>')
      }
      if (client) req.headers[CLIENT_HEADER] = client
      if (metricsOk && !client) return next() // the scraper's token is not rate limited
    }
    const poll = req.method === 'GET' && POLL_PATH.test(req.path)
    const who = client ? `key:${client}` : `addr:${req.socket.remoteAddress || 'unknown'}`
    const verdict = await limiter.take(who, poll)
    if (verdict) {
      res.setHeader('RateLimit-Limit', String(verdict.limit))
      res.setHeader('RateLimit-Remaining', String(verdict.remaining))
      res.setHeader('RateLimit-Reset', String(verdict.resetS))
      if (!verdict.allowed) {
        res.setHeader('Retry-After', String(verdict.retryAfterS))
        return res.status(429).json({ errors: [{ field: 'rate_limit', message:
          `more than ${verdict.limit} requests per minute${poll ? ' to the polling endpoints' : ''}; retry after ${verdict.retryAfterS} s` }] })
      }
    }
    next()
  })
}

/** `streamAuth` for motia.config.ts: with API keys on, a WebSocket upgrade without a valid key is refused
 * (401 on the upgrade); the context names the key. */
let streamKeys: Key[] | null = null
export function streamAuthenticate(request: { headers: Record<string, any>; url?: string }): { client: string | null } {
  const keys = (streamKeys ??= configuredKeys())
  if (!keys.length) return { client: null }
  const client = matchKey(keys, credential(request.headers, request.url))
  if (!client) throw new Error('unauthorized')
  return { client }
}

// ---------------------------------------------------------------- token bucket in Redis

// One atomic script per request: refill by elapsed time (Redis' own clock, so instances need not agree on
// time), take one token if there is one, remember the bucket until it would be full again.
// Returns {allowed 0|1, tokens left (floor), ms until the next token, ms until full}.
export const TOKEN_BUCKET_LUA = `
local capacity = tonumber(ARGV[1])
local per_ms = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(b[1]) or capacity
local at = tonumber(b[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * per_ms)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
local full_ms = math.ceil((capacity - tokens) / per_ms)
redis.call('PEXPIRE', KEYS[1], full_ms + 1000)
local next_ms = 0
if tokens < 1 then next_ms = math.ceil((1 - tokens) / per_ms) end
return {allowed, math.floor(tokens), next_ms, full_ms}
`

export type Verdict = { allowed: boolean; limit: number; remaining: number; resetS: number; retryAfterS: number }

const perMinute = (value: string | undefined, fallback: number): number => {
  const n = Number(value)
  return value !== undefined && value !== '' && Number.isFinite(n) && n >= 0 ? Math.floor(n) : fallback
}

export class RateLimiter {
  readonly limit: number
  readonly pollLimit: number
  private client: ReturnType<typeof createClient> | null = null
  private sha: string | null = null
  private down = false

  constructor(private connection: AccessOptions['redis'], env: NodeJS.ProcessEnv = process.env) {
    this.limit = perMinute(env.RATE_LIMIT_PER_MINUTE, 120)
    this.pollLimit = perMinute(env.RATE_LIMIT_POLL_PER_MINUTE, Math.max(this.limit * 5, 600))
  }

  /** A token from the caller's bucket; null when rate limiting is off or Redis cannot answer (fail open:
   * a Redis outage must not turn every request away; the state calls behind it answer 503 anyway). */
  async take(who: string, poll: boolean): Promise<Verdict | null> {
    const limit = poll ? this.pollLimit : this.limit
    if (!limit) return null
    try {
      const client = await this.redis()
      if (!client) return null
      if (!this.sha) this.sha = await client.scriptLoad(TOKEN_BUCKET_LUA)
      const args = [String(limit), String(limit / 60000)]
      const key = `pte:ratelimit:${poll ? 'poll' : 'api'}:${who}`
      let out: any
      try {
        out = await client.evalSha(this.sha!, { keys: [key], arguments: args })
      } catch (e: any) {
        if (!String(e?.message).includes('NOSCRIPT')) throw e
        out = await client.eval(TOKEN_BUCKET_LUA, { keys: [key], arguments: args })
      }
      this.down = false
      const [allowed, remaining, nextMs, fullMs] = (out as number[]).map(Number)
      return { allowed: allowed === 1, limit, remaining, resetS: Math.ceil(fullMs / 1000),
        retryAfterS: Math.max(1, Math.ceil(nextMs / 1000)) }
    } catch (e: any) {
      if (!this.down) console.error(`[access] rate limit not checked (Redis: ${e?.message || e}); letting requests through`)
      this.down = true
      return null
    }
  }

  private async redis() {
    if (this.client) return this.client.isReady ? this.client : null
    const c = await this.connection()
    if (!c) return null // dev: Motia has not started its in-process Redis yet
    const client = createClient({
      socket: { host: c.host, port: c.port, noDelay: true, connectTimeout: 2000,
        reconnectStrategy: (retries: number) => Math.min(retries * 100, 3000) },
      password: c.password, database: c.db ?? 0,
      disableOfflineQueue: true, // while Redis is away a check fails at once (and lets the request through)
    })
    client.on('error', () => {}) // reported once by take(); the client reconnects by itself
    this.client = client
    await client.connect()
    return client
  }
}
