// Dev: the host and port of Motia's in-process Redis (redis-memory-server), once Motia has started it.
// The module is loaded by its file path (the motia package does not export it) so that this is the very
// instance the CLI started; null until then.
import path from 'node:path'
import { pathToFileURL } from 'node:url'

type Info = { host: string; port: number; password?: string; db?: number } | null

export async function motiaRedisConnection(): Promise<Info> {
  const file = path.join(process.cwd(), 'node_modules', 'motia', 'dist', 'redis', 'connection.mjs')
  const mod = await import(pathToFileURL(file).href)
  const info = mod.getRedisConnectionInfo?.()
  return info ? { host: info.host, port: info.port, password: info.password, db: info.db } : null
}
