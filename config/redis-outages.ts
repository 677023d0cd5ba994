// A Redis connection reset (failover, restart, CLIENT KILL) rejects every command in flight with a connection
// error. Some of those promises are Motia's own, with nobody awaiting them (tracing, stream pushes): unhandled,
// Node 20 exits the whole app. The clients reconnect by themselves (carried patch for Motia's shared client;
// ioredis and the adapters' own clients do by default), so such a rejection is logged once per second and the
// app goes on; the request it belonged to fails and is retried. Any other unhandled rejection still ends the
// process as before (and `make start`'s supervisor restarts it).
const CONNECTION_ERRORS = /SocketClosedUnexpectedly|ClientClosed|ClientOffline|ConnectionTimeout|ECONNRESET|ECONNREFUSED|EPIPE|Connection is closed|Socket closed/

export const isRedisConnectionError = (reason: unknown): boolean => {
  const e = reason as { name?: string; message?: string; code?: string } | undefined
  return CONNECTION_ERRORS.test(`${e?.name ?? ''} ${e?.code ?? ''} ${e?.message ?? String(reason)}`)
}

export function surviveRedisOutages(): void {
  if ((globalThis as any).__pteRedisOutages) return // the app hook may run more than once (hot reload)
  ;(globalThis as any).__pteRedisOutages = true
  let lastLog = 0
  process.on('unhandledRejection', (reason) => {
    if (!isRedisConnectionError(reason)) throw reason
    if (Date.now() - lastLog > 1000) {
      lastLog = Date.now()
      console.error(`[redis] a command failed while the connection was lost (${(reason as Error)?.message ?? reason}); reconnecting`)
    }
  })
}
