// Which mode the app runs in, and the settings that depend on it. One place: motia.config.ts and the guards read it.
//   production: APP_ENV=production, or `make start` (which sets it). The Workbench is off, the framework's admin
//               routes answer 404, CORS allows only CORS_ORIGINS (none by default).
//   dev:        everything else. Admin routes answer loopback clients only; CORS allows any origin by default.

export const isProduction = (env: NodeJS.ProcessEnv = process.env): boolean =>
  (env.APP_ENV || '').toLowerCase() === 'production' || env.MOTIA_DOCKER_DISABLE_WORKBENCH === 'true'

/** CORS_ORIGINS: comma-separated origins ("https://app.example.com"), or "*" for any; unset: "*" in dev, none in production. */
export function corsOrigins(env: NodeJS.ProcessEnv = process.env): '*' | Set<string> {
  const raw = env.CORS_ORIGINS ?? (isProduction(env) ? '' : '*')
  const list = raw.split(',').map((s) => s.trim().replace(/\/+$/, '')).filter(Boolean)
  return list.includes('*') ? '*' : new Set(list)
}

/** MOTIA_PYTHON_WORKERS=off: the stock runner, one new Python process per step call (the carried patch's switch). */
export const pythonWorkersOff = (env: NodeJS.ProcessEnv = process.env): boolean =>
  ['off', 'false', '0'].includes((env.MOTIA_PYTHON_WORKERS ?? '').trim().toLowerCase())

export const positiveInt = (value: string | undefined, fallback: number): number => {
  const n = Number(value)
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : fallback
}
