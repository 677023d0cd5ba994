// Every step call has a hard deadline (the carried core patch: infrastructure.handler.timeout, else
// MOTIA_STEP_TIMEOUT_S, default 60 s); the stuck process is killed and the call fails (an event is retried
// by its queue, an API call answers 504, a cron runs again at its next tick). Here each such kill is
// recorded as a metrics observation, so /metrics shows pte_step_timeouts_total{step}.
import { randomUUID } from 'node:crypto'

type TimeoutInfo = { step: string; type: string; timeoutSeconds: number; traceId: string }

export function recordStepTimeouts(): void {
  ;(globalThis as any).__motiaOnStepTimeout = (info: TimeoutInfo, motia: any) => {
    const key = `timeout_${randomUUID()}`
    const obs = { key, t: Date.now() / 1000, kind: 'step_timeout', step: info.step, timeout_s: info.timeoutSeconds }
    Promise.resolve(motia?.state?.set('pte:metrics', key, obs)).catch((e: Error) =>
      console.error(`[step-timeouts] could not record a timeout of ${info.step}: ${e.message}`),
    )
  }
}
