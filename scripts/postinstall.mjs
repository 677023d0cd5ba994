// Runs after `npm install` (after `patch-package` has applied patches/*.patch to node_modules):
//  1. `motia install`: builds the Python venv python_modules/ from requirements.txt (skipped when the venv
//     exists and requirements*.txt did not change since the last run: see python_modules/.pte-install-stamp);
//  2. the packages installed without their declared dependencies (requirements-nodeps.txt) and this
//     project itself (`pip install --no-deps -e .` in setuptools' `compat` mode: a plain path in a .pth
//     file; the default mode imports a finder module at every interpreter start, ~6 ms of every step
//     process's ~36 ms);
//  3. Motia 0.17 fix: a .pth file putting the project root on the venv's sys.path. On hot reload Motia
//     sets PYTHONPATH to steps/ only, so `import scoring` fails and the step silently drops out.
//  4. the int8 build of the embedding model (once; the engine would otherwise build it on first load);
//  5. bytecode for the modules every step process imports (Motia's Python runner, steps/, scoring/,
//     streams/): each step call is a new process, and where PYTHONDONTWRITEBYTECODE is set (CI images,
//     many containers) it would otherwise compile them from source every time (~15 ms CPU per call).
// Set PTE_SKIP_PYTHON_INSTALL=1 to skip 1 and 2 (the .pth is always written).
import { execSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

const root = process.cwd()
const venv = path.join(root, 'python_modules')
const stampFile = path.join(venv, '.pte-install-stamp')
const run = (cmd) => execSync(cmd, { stdio: 'inherit', cwd: root, env: { ...process.env, MOTIA_ANALYTICS_DISABLED: 'true' } })

const EDITABLE_MODE = 'compat'
const stamp = createHash('sha256').update(`editable_mode=${EDITABLE_MODE}\n`)
for (const f of ['requirements.txt', 'requirements-nodeps.txt', 'pyproject.toml']) {
  if (fs.existsSync(path.join(root, f))) stamp.update(fs.readFileSync(path.join(root, f)))
}
const want = stamp.digest('hex')
const have = fs.existsSync(stampFile) ? fs.readFileSync(stampFile, 'utf8').trim() : ''

if (process.env.PTE_SKIP_PYTHON_INSTALL !== '1' && want !== have) {
  run('node_modules/.bin/motia install')
  const pip = path.join(venv, 'bin', 'pip')
  if (fs.existsSync(path.join(root, 'requirements-nodeps.txt'))) run(`"${pip}" install --no-deps -r requirements-nodeps.txt`)
  run(`"${pip}" install --no-deps -e . --config-settings editable_mode=${EDITABLE_MODE}`)
  fs.writeFileSync(stampFile, want + '\n')
} else {
  console.log('python_modules up to date (requirements unchanged)')
}

const lib = path.join(venv, 'lib')
const py = fs.existsSync(lib) ? fs.readdirSync(lib).find((d) => d.startsWith('python3')) : undefined
if (!py) throw new Error('python_modules/lib/python3.* not found: run `node_modules/.bin/motia install`')
fs.writeFileSync(path.join(lib, py, 'site-packages', 'pte_project_root.pth'), root + '\n')
console.log('wrote pte_project_root.pth (project root on the venv sys.path)')

// the int8 embedder, built once from the packaged model (scoring/features/similarity.py: build_dynamic_int8)
run(`"${path.join(venv, 'bin', 'python')}" -c "from scoring.features.similarity import default_model_path; print('embedder:', default_model_path())"`)

run(`"${path.join(venv, 'bin', 'python')}" -m compileall -q node_modules/@motiadev/core/dist/src/python steps scoring streams`)
console.log('compiled the step-process modules to bytecode')
