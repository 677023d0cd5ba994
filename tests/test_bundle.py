"""`npm run build` (`motia build`, the bundles `motia deploy` uploads to Motia Cloud) builds every step, and
each bundle is complete: the step, the whole `scoring` package with its data files, and the third-party
packages the step process imports (not the engine's model runtime: the engine runs on its own host).

- The lint (fast, no packaging): Motia's bundler parses each step and every project module it imports with
  its own Python grammar, which predates Python 3.8: no digit separators (`16_000`), no `:=`, no `match`.
  tests/builder_imports.mjs runs that very parser (the pinned Motia's, with our patch) over each step's
  imports, so code it rejects fails here with the file and line, before anyone runs a build.
- The build (e2e): runs `npm run build`, lists the bundles, imports each step's handler from its unpacked
  bundle with the bundle's own paths only (tests/bundle_probe.py, `python -I -S`), calls /score_async's
  handler (validation with the bundle's pydantic and catalogue, then a job and its event), and imports the
  API router bundle. It builds for this interpreter's Python (MOTIA_PYTHON_VERSION) so that the compiled
  wheels in the bundle can be imported here; `motia deploy` builds for Motia Cloud's Python 3.13.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from conftest import MOTIA, PYTHON, ROOT, free_port, load_step

# the engine's model runtime: never in a step's bundle (steps call the engine over HTTP)
ENGINE_RUNTIME = {"spacy", "numpy", "scipy", "onnxruntime", "onnx", "tokenizers", "faster_whisper", "ctranslate2",
                  "symspellpy", "wordfreq", "harper", "pocketsphinx", "parselmouth", "soundfile", "webrtcvad",
                  "uvicorn", "starlette", "google", "assemblyai"}
STEP_FILES = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "steps").rglob("*_step.py"))


def _step_type(rel: str) -> str:
    return load_step(rel).config["type"]


def _package_files(package: str) -> set[str]:
    """Every file of a project package as `pip install` would place it: modules and data, no bytecode."""
    root = ROOT / package
    return {str(p.relative_to(ROOT)) for p in root.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"}


@pytest.fixture(scope="module")
def imports(tmp_path_factory) -> dict:
    if not MOTIA.exists():
        pytest.skip("node_modules missing: run `make install`")
    out = tmp_path_factory.mktemp("builder") / "imports.json"
    subprocess.run(["node", "tests/builder_imports.mjs", str(out)], cwd=ROOT, check=True, timeout=120,
                   stdout=subprocess.DEVNULL)
    return json.loads(out.read_text())


def test_builder_parses_every_step_and_what_it_imports(imports):
    assert sorted(k.lstrip("/") for k in imports) == STEP_FILES
    errors = {k: v["error"] for k, v in imports.items() if "error" in v}
    assert not errors, "Motia's bundler rejects this code (keep to the syntax it parses, see this module's docstring):\n" + \
        "\n".join(errors.values())
    for step, found in imports.items():
        assert step in found["files"]
        if _step_type(step.lstrip("/")) == "noop":
            continue
        assert "/scoring/engine.py" not in found["files"], f"{step} reaches the engine through an import"
        assert not set(found["external"]) & ENGINE_RUNTIME, f"{step} would bundle the engine's runtime"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    """`npm run build` once; the unpacked bundles under a temporary folder."""
    if not MOTIA.exists():
        pytest.skip("node_modules missing: run `make install`")
    env = {**os.environ, "MOTIA_ANALYTICS_DISABLED": "true",
           "MOTIA_PYTHON_VERSION": f"{sys.version_info.major}.{sys.version_info.minor}"}
    t0 = time.time()
    r = subprocess.run(["npm", "run", "build"], cwd=ROOT, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, f"npm run build failed:\n{r.stdout[-6000:]}\n{r.stderr[-3000:]}"
    assert "Build completed" in r.stdout
    print(f"npm run build: {time.time() - t0:.0f} s")
    dist = ROOT / "dist"
    manifest = json.loads((dist / "motia.steps.json").read_text())
    unpacked = tmp_path_factory.mktemp("bundles")
    names = {}
    for zip_path in [dist / p for p in manifest["steps"]] + [dist / p for p in manifest["routers"].values()]:
        target = unpacked / zip_path.stem
        with zipfile.ZipFile(zip_path) as z:
            names[str(zip_path.relative_to(dist))] = set(z.namelist())
            z.extractall(target)
    return {"manifest": manifest, "names": names, "dir": unpacked}


def probe(bundle_dir: Path, entry: str, call: dict | None = None) -> dict:
    env = {"PATH": os.environ.get("PATH", ""), "ENGINE_URL": f"http://127.0.0.1:{free_port()}"}  # no engine there
    args = [str(PYTHON), "-I", "-S", str(ROOT / "tests" / "bundle_probe.py"), str(bundle_dir), entry]
    r = subprocess.run(args + ([json.dumps(call)] if call else []), env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, f"{entry} from {bundle_dir.name}:\n{r.stderr[-4000:]}"
    return json.loads(r.stdout.strip().splitlines()[-1])


@pytest.mark.e2e
def test_build_bundles_every_step_with_the_engine_package(bundle):
    steps = bundle["manifest"]["steps"]
    built = sorted(v["entrypointPath"].lstrip("/") for v in steps.values())
    assert built == [s for s in STEP_FILES if _step_type(s) != "noop"]  # noop steps have no code to run
    assert bundle["manifest"]["routers"] == {"python": "router-python.zip"}
    assert "scoreJob" in bundle["manifest"]["streams"]
    package = _package_files("scoring")
    assert {"scoring/data/catalogue.json", "scoring/data/calibration.json", "scoring/data/speech_calibration.json",
            "scoring/data/pos_ngrams.json"} <= package
    for zip_name, names in bundle["names"].items():
        assert package <= names, f"{zip_name} lacks {sorted(package - names)[:5]}"
        tops = {n.split("/")[0] for n in names}
        assert not tops & ENGINE_RUNTIME, f"{zip_name} carries {tops & ENGINE_RUNTIME}"
        assert {"pydantic", "pydantic_core", "pydantic_settings"} <= tops
    for bundle_path, v in steps.items():
        assert v["entrypointPath"].lstrip("/") in bundle["names"][bundle_path]


@pytest.mark.e2e
def test_each_handler_imports_from_its_bundle_alone(bundle):
    for bundle_path, v in bundle["manifest"]["steps"].items():
        entry = v["entrypointPath"].lstrip("/")
        found = probe(bundle["dir"] / Path(bundle_path).stem, entry)
        assert found["outside"] == [], f"{entry} loaded files from outside its bundle: {found['outside']}"
        assert found["async_handler"] and found["config"]["name"] == v["config"]["name"]


@pytest.mark.e2e
def test_score_async_runs_from_its_bundle(bundle):
    """No engine answers, so the step validates locally: the bundle's pydantic, models and catalogue.json."""
    here = bundle["dir"] / "score_async_api_step"
    good = probe(here, "steps/score_async_api_step.py", {"body": json.loads((ROOT / "examples/dictation.json").read_text())})
    assert good["reply"]["status"] == 202 and good["reply"]["body"]["job_id"].startswith("job_")
    assert good["emitted"] == ["submission.received"] and good["outside"] == []
    bad = probe(here, "steps/score_async_api_step.py",
                {"body": {"item_type": "write_from_dictation", "item": {"reference_text": "A b."}, "response": {"text": 3}}})
    assert bad["reply"]["status"] == 422
    assert [e["field"] for e in bad["reply"]["body"]["errors"]] == ["response.text"]


@pytest.mark.e2e
def test_api_router_bundle_routes_every_api_step(bundle):
    found = probe(bundle["dir"] / "router-python", "router")
    api = [load_step(s).config for s in STEP_FILES if _step_type(s) == "api"]
    assert found["routes"] == sorted(f"{c['method'].upper()} {c['path']}" for c in api)
    assert found["outside"] == []
