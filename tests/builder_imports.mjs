// What `motia build` would put in each Python step's bundle, without packaging anything (~1 s): runs the
// pinned Motia's own bundler analysis (python-data/extract-python-data.mjs, patched: see patches/) on every
// step file. Prints JSON {"/steps/x_step.py": {"files": [...], "external": {import: requirement}} or
// {"error": "..."}}. Used by tests/test_bundle.py; run from the project root.
import fs from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'

const root = process.cwd()
const dist = path.join(root, 'node_modules', 'motia', 'dist')
const load = (rel) => import(pathToFileURL(path.join(dist, rel)).href)
const data = 'cloud/build/builders/python/python-data'
const { extractPythonData } = await load(`${data}/extract-python-data.mjs`)
const { readRequirements } = await load(`${data}/read-requirements.mjs`)
const { resolveDepNames } = await load(`${data}/resolve-dep-names.mjs`)
const { getSitePackagesPath } = await load('utils/activate-python-env.mjs')
const { getStepFiles } = await load('generate-locked-data.mjs')

const requirements = readRequirements(path.join(root, 'requirements.txt'))
const depMap = resolveDepNames(Object.keys(requirements), getSitePackagesPath({ baseDir: root }))
const out = {}
for (const file of getStepFiles(root).filter((f) => f.endsWith('.py')).sort()) {
  const entry = file.replace(root, '')
  try {
    const { files, externalDependencies } = extractPythonData(root, entry, depMap)
    out[entry] = { files: files.sort(), external: externalDependencies }
  } catch (error) {
    out[entry] = { error: String(error.message ?? error) }
  }
}
fs.writeFileSync(process.argv[2] ?? '/dev/stdout', JSON.stringify(out, null, 1) + '\n')
