// Express middleware installed by motia.config.ts before Motia's own body parsers and routes.
import http from 'node:http'
import type { Express, NextFunction, Request, Response } from 'express'
import { corsOrigins, isProduction, positiveInt, pythonWorkersOff } from './app-env'
import { engineUrl } from './engine-supervisor'
import { installAccess, type AccessOptions } from './access'

// Warm step workers (the default) receive a request over their IPC channel: bodies up to MAX_BODY_BYTES.
// The stock runner (MOTIA_PYTHON_WORKERS=off) passes it as ONE command-line argument, and above ~64 KB the
// spawn fails with E2BIG (a 500): then what is passed on (the body as Motia re-serializes it, plus the
// headers) is capped below that, with a clear 413.
export const STEP_ARG_MAX = 60_000
// Deeper JSON than any submission needs is refused before a step sees it (2,000 levels gave 500s).
export const MAX_JSON_DEPTH = 32

const fieldError = (res: Response, status: number, field: string, message: string) =>
  res.status(status).json({ errors: [{ field, message }] })

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/
const utf8 = new TextDecoder('utf-8', { fatal: true })

export function installGuards(app: Express, access: AccessOptions): void {
  const argvTransport = pythonWorkersOff()
  const maxBody = Math.min(positiveInt(process.env.MAX_BODY_BYTES, 1_000_000), argvTransport ? STEP_ARG_MAX : Infinity)
  const audioMax = positiveInt(process.env.AUDIO_MAX_BYTES, 20_000_000)
  const production = isProduction()

  app.use(cors(corsOrigins()))

  // Motia 0.17 fix 4: every server exposes an unauthenticated POST /emit that forges any event.
  app.all('/emit', (_req, res) => res.status(404).json({ error: 'not found' }))

  // Motia 0.17 fix 7: the plugins' admin API (/__motia/state read/write/delete, BullMQ pause/drain/clean,
  // flows config, analytics) has no authentication and stays mounted under `motia start`. Production: 404.
  // Dev: answered to loopback clients only (the Workbench on the same machine).
  app.use(['/__motia', '/motia'], (req, res, next) => {
    if (!production && LOOPBACK.test(req.socket.remoteAddress || '')) return next()
    res.status(404).json({ error: 'not found' })
  })

  // API keys and rate limits: after CORS (a browser sees the 401/429), before any route
  installAccess(app, access)

  // POST /audio: Python steps cannot receive binary bodies, so stream the raw upload to the engine.
  app.post('/audio', (req, res) => proxyAudio(req, res, audioMax))

  // Checked JSON body reading for every other write; a refused body names the field "body".
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (!['POST', 'PUT', 'PATCH', 'DELETE'].includes(req.method)) return next()
    if (Number(req.headers['content-length'] || 0) > maxBody) return tooLarge(req, res, maxBody)
    const chunks: Buffer[] = []
    let size = 0
    let done = false
    req.on('data', (c: Buffer) => {
      if (done) return
      size += c.length
      if (size > maxBody) {
        done = true
        tooLarge(req, res, maxBody)
        return
      }
      chunks.push(c)
    })
    req.on('end', () => {
      if (done) return
      done = true
      const [body, refusal] = parseBody(Buffer.concat(chunks))
      if (refusal) return fieldError(res, refusal.status, 'body', refusal.message)
      if (argvTransport) {
        const passedOn = Buffer.byteLength(JSON.stringify(body ?? {})) + Buffer.byteLength(JSON.stringify(req.headers))
        if (passedOn > STEP_ARG_MAX) return tooLarge(req, res, maxBody)
      }
      ;(req as any).body = body
      ;(req as any)._body = true // tells Motia's body parsers the body is already read
      next()
    })
    req.on('aborted', () => {
      done = true // the client went away mid-body: nothing to answer, nothing passed on
    })
    req.on('error', () => {
      done = true
    })
  })
}

type Refusal = { status: number; message: string }

/** The body as JSON, or why it is refused: not UTF-8, not JSON, or nested deeper than MAX_JSON_DEPTH. */
export function parseBody(raw: Buffer): [unknown, Refusal | null] {
  let text: string
  try {
    text = utf8.decode(raw)
  } catch {
    return [null, { status: 400, message: 'must be UTF-8 text (found invalid byte sequences)' }]
  }
  if (!text.trim()) return [{}, null]
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    return [null, { status: 400, message: 'must be valid JSON' }]
  }
  if (depth(body) > MAX_JSON_DEPTH) return [null, { status: 400, message: `JSON nested deeper than ${MAX_JSON_DEPTH} levels` }]
  return [body, null]
}

/** Nesting depth of parsed JSON, computed without recursion (and stopping early past the limit). */
function depth(value: unknown): number {
  let max = 0
  const stack: Array<[unknown, number]> = [[value, 1]]
  while (stack.length) {
    const [v, d] = stack.pop()!
    if (v === null || typeof v !== 'object') continue
    max = Math.max(max, d)
    if (max > MAX_JSON_DEPTH) return max
    for (const child of Object.values(v as object)) stack.push([child, d + 1])
  }
  return max
}

/** CORS from an allow-list. Motia's own middleware answers every origin with credentials and private-network
 * access; here the preflight is answered first and Motia's later Access-Control-* headers are ignored. */
function cors(allowed: '*' | Set<string>) {
  return (req: Request, res: Response, next: NextFunction) => {
    const origin = req.headers.origin
    const ok = !!origin && (allowed === '*' || allowed.has(origin))
    const setHeader = res.setHeader.bind(res)
    if (ok) {
      setHeader('Access-Control-Allow-Origin', allowed === '*' ? '*' : origin!)
      setHeader('Access-Control-Expose-Headers', 'Location, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset')
      if (allowed !== '*') setHeader('Vary', 'Origin')
    }
    ;(res as any).setHeader = (name: string, value: any) =>
      name.toLowerCase().startsWith('access-control-') ? res : setHeader(name, value)
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method']) {
      if (ok) {
        setHeader('Access-Control-Allow-Methods', 'GET, POST, DELETE, OPTIONS')
        setHeader('Access-Control-Allow-Headers', 'Content-Type, Authorization, X-API-Key, Idempotency-Key, Last-Event-ID')
        setHeader('Access-Control-Max-Age', '600')
      }
      return res.status(204).end()
    }
    next()
  }
}

function tooLarge(req: Request, res: Response, max: number) {
  res.setHeader('Connection', 'close')
  fieldError(res, 413, 'body', `request body larger than ${max} bytes; split batches, upload audio to POST /audio`)
  req.resume()
}

function proxyAudio(req: Request, res: Response, max: number) {
  const declared = Number(req.headers['content-length'] || 0)
  if (declared > max) return tooLarge(req, res, max)
  const target = new URL('/audio' + (req.url.includes('?') ? req.url.slice(req.url.indexOf('?')) : ''), engineUrl())
  const headers: Record<string, string> = {}
  for (const h of ['content-type', 'content-length', 'x-filename']) {
    const v = req.headers[h]
    if (typeof v === 'string') headers[h] = v
  }
  if (!headers['content-length']) headers['transfer-encoding'] = 'chunked'
  const up = http.request(target, { method: 'POST', headers }, (r) => {
    res.status(r.statusCode || 502)
    res.setHeader('content-type', r.headers['content-type'] || 'application/json')
    r.pipe(res)
  })
  up.on('error', (e) => {
    if (!res.headersSent) fieldError(res, 503, 'engine', `engine unavailable: ${e.message}`)
  })
  req.on('aborted', () => up.destroy()) // the client went away mid-upload: drop the engine request too
  let size = 0
  req.on('data', (c: Buffer) => {
    size += c.length
    if (size > max) {
      up.destroy()
      if (!res.headersSent) tooLarge(req, res, max)
    }
  })
  req.pipe(up)
}
