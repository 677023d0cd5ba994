// Express middleware installed by motia.config.ts before Motia's own body parsers and routes.
import http from 'node:http'
import type { Express, NextFunction, Request, Response } from 'express'
import { engineUrl } from './engine-supervisor'

// Motia passes a request to a Python step as ONE command-line argument: above ~64 KB the spawn fails
// with E2BIG (a 500). Bodies for step routes are therefore capped below that, with a clear 413.
export const STEP_BODY_MAX = 60_000

const fieldError = (res: Response, status: number, field: string, message: string) =>
  res.status(status).json({ errors: [{ field, message }] })

export function installGuards(app: Express): void {
  const maxBody = Math.min(Number(process.env.MAX_BODY_BYTES || 1_000_000), STEP_BODY_MAX)
  const audioMax = Number(process.env.AUDIO_MAX_BYTES || 20_000_000)

  // Motia 0.17 fix 4: every server exposes an unauthenticated POST /emit that forges any event.
  app.all('/emit', (_req, res) => res.status(404).json({ error: 'not found' }))

  // POST /audio: Python steps cannot receive binary bodies, so stream the raw upload to the engine.
  app.post('/audio', (req, res) => proxyAudio(req, res, audioMax))

  // Size-checked JSON body reading for every other write; a bad body names the field "body".
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (!['POST', 'PUT', 'PATCH'].includes(req.method)) return next()
    const declared = Number(req.headers['content-length'] || 0)
    if (declared > maxBody) return tooLarge(req, res, maxBody)
    const chunks: Buffer[] = []
    let size = 0
    let aborted = false
    req.on('data', (c: Buffer) => {
      if (aborted) return
      size += c.length
      if (size > maxBody) {
        aborted = true
        tooLarge(req, res, maxBody)
        return
      }
      chunks.push(c)
    })
    req.on('end', () => {
      if (aborted) return
      const raw = Buffer.concat(chunks).toString('utf8')
      let body: unknown = {}
      if (raw.trim()) {
        try {
          body = JSON.parse(raw)
        } catch {
          return fieldError(res, 400, 'body', 'must be valid JSON')
        }
      }
      ;(req as any).body = body
      ;(req as any)._body = true // tells Motia's body parsers the body is already read
      next()
    })
    req.on('error', next)
  })
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
