// Starts the warm scoring engine (python -m scoring.server) together with the Motia app and restarts it
// whenever it exits. While it is down, steps that need it fail and their events are retried by the queue
// (and re-emitted by the JobSweeper cron), so a submission is never lost.
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

const root = process.cwd()
let child: ChildProcess | null = null
let stopping = false
let started = false

const python = () => {
  const venv = path.join(root, 'python_modules', 'bin', 'python')
  return fs.existsSync(venv) ? venv : 'python3'
}

export function engineUrl(): string {
  const env = process.env
  return env.ENGINE_URL || `http://${env.ENGINE_HOST || '127.0.0.1'}:${env.ENGINE_PORT || '8765'}`
}

export function startEngine(): void {
  if (started) return // the app hook may run more than once (hot reload)
  started = true
  if ((process.env.ENGINE_SPAWN ?? 'true').toLowerCase() === 'false') {
    console.log(`[engine] ENGINE_SPAWN=false: using the engine at ${engineUrl()}`)
    return
  }
  let delay = 500
  const launch = () => {
    const t0 = Date.now()
    child = spawn(python(), ['-m', 'scoring.server', '--exit-with-parent'], {
      cwd: root,
      env: { ...process.env, PYTHONUNBUFFERED: '1' },
      stdio: ['ignore', 'inherit', 'inherit'],
    })
    console.log(`[engine] started pid ${child.pid} at ${engineUrl()}`)
    child.on('exit', (code, signal) => {
      child = null
      if (stopping) return
      if (Date.now() - t0 > 30_000) delay = 500 // it ran a while: restart quickly
      console.error(`[engine] exited (code ${code}, signal ${signal}); restarting in ${delay} ms`)
      setTimeout(launch, delay).unref()
      delay = Math.min(delay * 2, 5_000)
    })
  }
  launch()
  const stop = () => {
    stopping = true
    child?.kill('SIGTERM')
  }
  process.once('exit', stop)
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.once(sig, () => {
      stop()
      // a signal listener replaces Node's default exit: give Motia's own handlers (Redis, queues) a moment
      setTimeout(() => process.exit(0), 1500).unref()
    })
  }
}
