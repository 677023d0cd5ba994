// Motia 0.17 fix 3 (multi-instance streams). The WebSocket server only pushes stream changes made in its
// own process, and the Redis stream adapter never publishes them, so a client connected to instance A misses
// updates written by a step that ran on instance B. This manager republishes every set/delete on a Redis
// channel and replays remote changes through the local, Motia-wrapped adapter (which pushes them to the
// local WebSocket clients) without writing Redis again. Used only with an external, shared Redis.
import { randomUUID } from 'node:crypto'
import { createClient } from 'redis'
import { RedisStreamAdapterManager } from '@motiadev/adapter-redis-streams'

const REPLAY = Symbol('pte-fanout-replay')
const CHANNEL_PREFIX = 'pte:fanout:streams' // + ':<db>': Redis pub/sub channels are shared by all databases
export type RedisConn = { host: string; port: number; password?: string; db?: number }
type Message = { origin: string; op: 'set' | 'delete'; streamName: string; groupId: string; id: string; item: any }

export class FanoutStreamAdapterManager extends RedisStreamAdapterManager {
  private origin = randomUUID()
  private channel: string
  private adapters = new Map<string, any>()
  private pub: ReturnType<typeof createClient>
  private sub: ReturnType<typeof createClient>
  private replayingDelete: string | null = null
  private replayItem: any = null

  constructor(conn: RedisConn) {
    const opts = { socket: { host: conn.host, port: conn.port }, password: conn.password, database: conn.db }
    super(opts as any)
    this.channel = `${CHANNEL_PREFIX}:${conn.db ?? 0}`
    this.pub = createClient(opts)
    this.sub = this.pub.duplicate()
    this.pub.on('error', (e) => console.error('[fanout] publisher', e))
    this.sub.on('error', (e) => console.error('[fanout] subscriber', e))
    void Promise.all([this.pub.connect(), this.sub.connect()]).then(() =>
      this.sub.subscribe(this.channel, (raw) => void this.onRemote(JSON.parse(raw)).catch((e) => console.error('[fanout]', e))),
    )
  }

  createStream(streamName: string) {
    const adapter: any = super.createStream(streamName)
    const set = adapter.set.bind(adapter)
    const del = adapter.delete.bind(adapter)
    adapter.set = async (groupId: string, id: string, data: any) => {
      if (data?.[REPLAY]) return data // a remote change being replayed: already in Redis
      const item = await set(groupId, id, data)
      await this.publish({ origin: this.origin, op: 'set', streamName, groupId, id, item })
      return item
    }
    adapter.delete = async (groupId: string, id: string) => {
      if (this.replayingDelete === `${streamName}:${groupId}:${id}`) return this.replayItem
      const item = await del(groupId, id)
      await this.publish({ origin: this.origin, op: 'delete', streamName, groupId, id, item })
      return item
    }
    this.adapters.set(streamName, adapter) // Motia wraps this same object in place after the factory returns
    return adapter
  }

  private async publish(m: Message) {
    if (this.pub.isOpen) await this.pub.publish(this.channel, JSON.stringify(m))
  }

  private async onRemote(m: Message) {
    if (m.origin === this.origin) return
    const adapter = this.adapters.get(m.streamName)
    if (!adapter) return // nobody on this instance has used the stream yet
    if (m.op === 'set') {
      const data = { ...m.item }
      Object.defineProperty(data, REPLAY, { value: true, enumerable: false })
      await adapter.set(m.groupId, m.id, data) // wrapped set -> local create/update push, no Redis write
    } else {
      this.replayingDelete = `${m.streamName}:${m.groupId}:${m.id}`
      this.replayItem = m.item
      try {
        await adapter.delete(m.groupId, m.id)
      } finally {
        this.replayingDelete = null
      }
    }
  }

  async shutdown() {
    await Promise.allSettled([this.pub.quit(), this.sub.quit()])
    await super.shutdown()
  }
}
