import { defineConfig } from '@motiadev/core'
import { BullMQEventAdapter } from '@motiadev/adapter-bullmq-events'
import endpointPlugin from '@motiadev/plugin-endpoint/plugin'
import logsPlugin from '@motiadev/plugin-logs/plugin'
import observabilityPlugin from '@motiadev/plugin-observability/plugin'
import statesPlugin from '@motiadev/plugin-states/plugin'
import bullmqPlugin from '@motiadev/plugin-bullmq/plugin'
import { FanoutStreamAdapterManager } from './config/stream-fanout'
import { startEngine } from './config/engine-supervisor'
import { installGuards } from './config/http-guards'
import { isProduction } from './config/app-env'
import { recordStepTimeouts } from './config/step-timeouts'
import { surviveRedisOutages } from './config/redis-outages'
import { configuredKeys, streamAuthenticate } from './config/access'
import { motiaRedisConnection } from './config/motia-redis'
import { installPractice } from './config/practice'

// Production (APP_ENV=production or `make start`): no Workbench, whatever command started the app.
if (isProduction()) process.env.MOTIA_DOCKER_DISABLE_WORKBENCH = 'true'

// API_KEYS parsed once at start: APP_ENV=production without keys refuses to start (config/access.ts).
try {
  configuredKeys()
} catch (e: any) {
  console.error(`[access] ${e.message}`)
  process.exit(1)
}

// REDIS_HOST set: shared Redis for state, streams (with cross-instance fan-out), cron locks and BullMQ,
// so several `motia start` instances can run side by side. Unset: Motia's in-process Redis (dev).
const external = !!process.env.REDIS_HOST
const connection = {
  host: process.env.REDIS_HOST ?? '127.0.0.1',
  port: Number(process.env.REDIS_PORT ?? 6379),
  password: process.env.REDIS_PASSWORD || undefined,
  db: Number(process.env.REDIS_DB ?? 0),
}

export default defineConfig({
  redis: external ? { useMemoryServer: false, ...connection } : { useMemoryServer: true },
  ...(external
    ? {
        adapters: {
          // per-step queue concurrency (steps' infrastructure.queue.concurrency) overrides this default
          events: new BullMQEventAdapter({ connection, prefix: 'motia:events', concurrency: Number(process.env.EVENT_CONCURRENCY ?? 2) }),
          streams: new FanoutStreamAdapterManager(connection),
        },
      }
    : {}),
  // API keys on: a WebSocket upgrade (the scoreJob stream) without a valid key is refused with 401
  streamAuth: {
    contextSchema: { type: 'object', properties: { client: { type: ['string', 'null'] } } },
    authenticate: async (request) => streamAuthenticate(request),
  },
  plugins: [observabilityPlugin, statesPlugin, endpointPlugin, logsPlugin, bullmqPlugin],
  app: (app) => {
    // CORS allow-list, admin routes closed, POST /emit closed, API keys and rate limits (config/access.ts),
    // checked JSON bodies, POST /audio proxy
    installGuards(app, { redis: () => (external ? connection : motiaRedisConnection()) })
    installPractice(app) // GET /practice: the practice page (practice/, examples/batch.jsonl)
    recordStepTimeouts() // a step call killed at its deadline is counted in /metrics
    surviveRedisOutages() // a command lost in a Redis connection reset does not end the app
    startEngine() // the warm engine starts and stops with the app, restarted if it dies
  },
})
