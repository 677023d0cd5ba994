// The practice page (GET /practice) and its few static files, served by the app itself from the
// repository: practice/ (HTML, CSS, JS), the item catalogue and the sample items (examples/batch.jsonl,
// one sample submission per item type, the same file the tests and the CLI examples use).
// A fixed list of files: no path from the request ever reaches the file system.
import fs from 'node:fs'
import path from 'node:path'
import type { Express, Response } from 'express'

const root = process.cwd()
const FILES: Record<string, [string, string]> = {
  '/practice': ['practice/index.html', 'text/html; charset=utf-8'],
  '/practice/': ['practice/index.html', 'text/html; charset=utf-8'],
  '/practice/practice.js': ['practice/practice.js', 'text/javascript; charset=utf-8'],
  '/practice/practice.css': ['practice/practice.css', 'text/css; charset=utf-8'],
  '/practice/catalogue.json': ['scoring/data/catalogue.json', 'application/json; charset=utf-8'],
  '/practice/samples.jsonl': ['examples/batch.jsonl', 'application/x-ndjson; charset=utf-8'],
}
// Everything from this server only (the stream's WebSocket is on the same host and port).
const CSP = "default-src 'self'; connect-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; " +
  "style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

function send(res: Response, file: string, type: string) {
  fs.readFile(path.join(root, file), (err, data) => {
    if (err) return res.status(404).json({ errors: [{ field: 'path', message: `${file} is missing` }] })
    res.setHeader('content-type', type)
    res.setHeader('cache-control', 'no-cache')
    res.setHeader('x-content-type-options', 'nosniff')
    res.setHeader('content-security-policy', CSP)
    res.setHeader('referrer-policy', 'no-referrer')
    res.status(200).end(data)
  })
}

export function installPractice(app: Express): void {
  for (const [route, [file, type]] of Object.entries(FILES)) app.get(route, (_req, res) => send(res, file, type))
}
