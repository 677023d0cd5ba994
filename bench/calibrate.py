"""Fit the written-item calibration and write scoring/data/calibration.json.

    python_modules/bin/python bench/calibrate.py            # fit on the shared data, print CV numbers
    python_modules/bin/python bench/calibrate.py --check    # refit and compare with the stored file

Reads the human-scored sets under ../shared/data (never copied into the repo). Features are computed
with the engine's own analysis code (scoring/features/analysis.py) and cached under bench/out/
(recomputed when the analysis code, the rule parameters or the embedding model change: features_fingerprint).
Each trait model is a ridge regression (alpha=ALPHA) on a handful of named, standardised features;
cut-points map its latent onto the official integer scale so the score shares match the human
scores' shares. 5-fold cross-validated correlations are printed and stored beside each model.
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any, Optional

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import feature_cache  # noqa: E402
from scoring import calibration as C  # noqa: E402
from scoring.features import pos_ngrams  # noqa: E402
from scoring.features.grammar import HARPER_OFF_RULES, load_linter  # noqa: E402

DATA = Path(os.environ.get("PTE_SHARED_DATA", ROOT.parent / "shared" / "data"))
CACHE = ROOT / "bench" / "out" / "features"
SEED = 7
ALPHA = 5.0
POS_NGRAM_ALPHA = 3.0  # ridge penalty of the POS profile model (chosen on prompt-grouped ELLIPSE CV: 1 / 3 / 10)
POS_NGRAM_MIN_DF = 5  # an n-gram enters the profile when it occurs in at least this many texts
CUT_REPEATS = 10  # fold splits of the nested CV that chooses a trait's cut-point method (one split's choice flipped between refits)
SYMBOLS = "_symbols"  # key of a row's POS-profile symbols (space-joined) beside its features

# Rule parameters (not fitted; documented in docs/writing.md)
PARAMS = {
    "cover_threshold": 0.5,  # cosine at which a key idea counts as covered
    "offtopic_relevance_essay": 0.08,  # response-prompt cosine below this ...
    "offtopic_relevance_summary": 0.20,  # (summaries: response-source cosine below this) ...
    "offtopic_topic_overlap": 0.20,  # ... and fewer than this share of the prompt's topic words: off-topic, Content 0
    "offtopic_specificity_essay": 0.0,  # essays: also off-topic with few topic words when no closer to the prompt than to other prompts ...
    "offtopic_own_specificity_essay": -0.03,  # ... or, whatever the topic words, when the essay with the prompt's words masked is not (computed below specificity 0.2; docs/gaming.md)
    "offtopic_prompt_words": 12,  # ... judged only for prompts of this many words (a title is too little to compare with) ...
    "offtopic_prompt_topic_words": 4,  # ... and this many topic words (an instruction without a topic cannot be missed)
    "template_ratio": 0.35,  # share of words inside template phrases ...
    "template_topic_overlap": 0.25,  # ... with less than this share of the prompt's key words: template, Content 0
    "copy_cap2_ratio": 0.5,  # summaries: this share copied verbatim (6+ word runs) caps Content at 2
    "copy_cap1_ratio": 0.8,  # ... and this share at 1
    "all_caps_share": 0.9,  # Form 0 when this share of letters are capitals
    "bullet_share": 0.6,  # Form 0 when this share of lines are bullet points
    "short_sentence_mean_words": 5.0,  # essays: Form 0 when 4+ sentences average fewer words than this
}

# model name -> (data set, target, features, max score of the PTE trait)
MODELS: dict[str, dict[str, Any]] = {
    # ELLIPSE has no content score: Write Essay content is fitted to the holistic Overall score, with the
    # prompt-relevance features in the model (the off-topic / template gates come first, from PARAMS)
    "essay.content": {"set": "ellipse", "target": "Overall", "max": 6,
                      "features": ["log_words", "lemma_types", "mtld", "log_errors_per_100w", "lower_start_ratio", "bigram_ratio",
                                   "connective_types", "topic_overlap", "prompt_relevance", "mean_word_len", "ing_forms_per_100w", "unusual_pair_ratio", pos_ngrams.FEATURE, C.WRITING_LEVEL]},
    "essay.dsc": {"set": "ellipse", "target": "Cohesion", "max": 6,
                  "features": ["log_words", "log_n_paragraphs", "connective_types", "log_connectives_per_100w", "adjacent_cohesion",
                               "lower_start_ratio", "log_errors_per_100w", "log_sd_sentence_len", "mtld", "log_run_ons", "ing_forms_per_100w",
                               "unusual_pair_ratio", pos_ngrams.FEATURE, C.WRITING_LEVEL]},
    "essay.grammar": {"set": "ellipse", "target": "Grammar", "max": 2,
                      "features": ["log_grammar_per_100w", "log_mechanics_per_100w", "log_spelling_per_100w", "lower_start_ratio", "bigram_ratio",
                                   "unattached_ratio", "log_article_hints_per_100w", "log_lowercase_i", "mtld", "log_sd_sentence_len",
                                   "ing_forms_per_100w", "unusual_pair_ratio", pos_ngrams.FEATURE, C.WRITING_LEVEL]},
    "essay.glr": {"set": "ellipse", "target": "Syntax+Phraseology+Vocabulary", "max": 6,
                  "features": ["log_words", "mtld", "mean_zipf", "rare_ratio", "mean_word_len", "bigram_ratio", "log_errors_per_100w",
                               "lower_start_ratio", "log_sd_sentence_len", "clauses_per_sentence", "ing_forms_per_100w", "unusual_pair_ratio", pos_ngrams.FEATURE, C.WRITING_LEVEL]},
    "essay.vocabulary_range": {"set": "ellipse", "target": "Vocabulary", "max": 2,
                               "features": ["log_words", "mtld", "lemma_types", "mean_zipf", "rare_ratio", "academic_ratio", "mean_word_len",
                                            "log_spelling_per_100w", "bigram_ratio", "top3_lemma_share", "log_errors_per_100w",
                                            "ing_forms_per_100w", "unusual_pair_ratio", pos_ngrams.FEATURE, C.WRITING_LEVEL]},
    "summary.content": {"set": "commonlit", "target": "content", "max": 4,
                        "features": ["log_words_capped", "relevance", "key_coverage", "copied_ratio", "topic_overlap",
                                     "log_grammar_per_100w", "log_spelling_per_100w"]},
    # writing level: length counts up to the PTE essay's 300-word maximum (log_words_cap300); beyond that,
    # W&I's length effect (beginners write short texts) says little about a long text's level
    "writing.gse": {"set": "wi", "target": "gse", "max": None, "also": ("fce", "script_s"),
                    "features": ["log_words_cap300", "lemma_types", "log_errors_per_100w", "log_grammar_per_100w", "log_spelling_per_100w", "lower_start_ratio",
                                 "bigram_ratio", "unattached_ratio", "mtld", "mean_zipf", "rare_ratio", "mean_word_len",
                                 "clauses_per_sentence", "mean_sentence_len", "connective_types", "log_lowercase_i", "academic_ratio",
                                 "ing_forms_per_100w", "unusual_pair_ratio", pos_ngrams.FEATURE]},
}

# W&I CEFR sub-levels -> GSE points inside each CEFR band of the catalogue's table
WI_GSE = {"A1.i": 24, "A1.ii": 28, "A2.i": 33, "A2.ii": 39, "B1.i": 47, "B1.ii": 54, "B2.i": 63, "B2.ii": 71,
          "C1.i": 78, "C1.ii": 82, "C2.i": 86, "C2.ii": 89, "C2+": 90}


# ------------------------------------------------------------------------------------------ data sets

def ellipse(limit: Optional[int] = None) -> list[dict]:
    p = DATA / "ellipse" / "dev.csv"
    if not p.exists():
        return []
    rows = list(csv.DictReader(p.open(encoding="utf-8")))
    out = [{"id": r["text_id"], "text": r["full_text"], "prompt": r["prompt"],
            **{k: float(r[k]) for k in ("Overall", "Cohesion", "Syntax", "Vocabulary", "Phraseology", "Grammar", "Conventions")}}
           for r in rows]
    return _sample(out, limit)


def wi(limit: Optional[int] = None) -> list[dict]:
    p = DATA / "wi" / "train.jsonl"
    if not p.exists():
        return []
    out = []
    for line in p.open(encoding="utf-8"):
        r = json.loads(line)
        if r.get("cefr") in WI_GSE and r.get("text", "").strip():
            out.append({"id": r["id"], "text": r["text"], "cefr": r["cefr"], "gse": WI_GSE[r["cefr"]]})
    return _sample(out, limit)


def fce(limit: Optional[int] = None) -> list[dict]:
    out = []
    for name in ("train.jsonl", "dev.jsonl"):
        p = DATA / "fce" / name
        if p.exists():
            for line in p.open(encoding="utf-8"):
                r = json.loads(line)
                out.append({"id": r["script_id"], "text": r["text"], "script_s": float(r["script_s"])})
    return _sample(out, limit)


def commonlit(limit: Optional[int] = None) -> list[dict]:
    ps, pp = DATA / "commonlit" / "summaries.csv", DATA / "commonlit" / "prompts.csv"
    if not ps.exists() or not pp.exists():
        return []
    prompts = {r["prompt_id"]: r for r in csv.DictReader(pp.open(encoding="utf-8"))}
    out = []
    for r in csv.DictReader(ps.open(encoding="utf-8")):
        pr = prompts.get(r["prompt_id"])
        if pr and r["text"].strip():
            out.append({"id": r["student_id"], "text": r["text"], "prompt": pr["prompt_question"],
                        "source": pr["prompt_text"], "content": float(r["content"]), "wording": float(r["wording"])})
    return _sample(out, limit)


LOADERS = {"ellipse": ellipse, "wi": wi, "fce": fce, "commonlit": commonlit}


def _sample(rows: list[dict], limit: Optional[int]) -> list[dict]:
    if limit is None or limit >= len(rows):
        return rows
    idx = np.random.default_rng(SEED).permutation(len(rows))[:limit]
    return [rows[i] for i in sorted(idx)]


# ------------------------------------------------------------------------------------------ features

def _resources():
    from scoring.items import writing  # noqa: F401  (registers the resources)
    from scoring.registry import Resources
    from scoring.settings import get_settings
    return Resources(get_settings())


def features_for(set_name: str, rows: list[dict], cover_threshold: float = PARAMS["cover_threshold"],
                 use_cache: bool = True) -> list[dict]:
    """Features of each row, via the engine's analysis; cached per set in bench/out/features
    (use_cache=False: compute afresh, write nothing)."""
    from scoring.features.analysis import analyze
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"{set_name}.jsonl" if use_cache else Path(os.devnull)
    cached: dict[str, dict] = {}
    if use_cache and path.exists():
        for line in path.open():
            r = json.loads(line)
            if "s" in r:  # lines from before the POS profile lack its symbols: recompute them
                cached[r["id"]] = {**r["f"], SYMBOLS: r["s"]}
    res = None
    todo = [r for r in rows if r["id"] not in cached]
    t0 = time.time()
    with path.open("a") as fh:
        for i, r in enumerate(todo):
            res = res or _resources()
            summary = set_name == "commonlit"
            a = analyze(r["text"], res, prompt=r.get("prompt") or ("" if summary else None),
                        source=r.get("source") if summary else None, cover_threshold=cover_threshold)
            syms = " ".join(a.symbols)
            cached[r["id"]] = {**a.features, SYMBOLS: syms}
            fh.write(json.dumps({"id": r["id"], "f": a.features, "s": syms}) + "\n")
            if (i + 1) % 200 == 0:
                print(f"  {set_name}: {i + 1}/{len(todo)} ({time.time() - t0:.0f}s)", file=sys.stderr)
    from scoring.features.analysis import add_derived
    return [add_derived(dict(cached[r["id"]])) for r in rows]


def features_fingerprint(params: dict) -> str:
    """What the cached features depend on: the analysis code (scoring/features, scoring/text.py),
    the rule parameters (incl. the Harper rule list) and the embedding model file."""
    from scoring.features.similarity import default_model_path
    from scoring.settings import get_settings
    model = Path(get_settings().embedding_model_path or default_model_path())
    code = sorted((ROOT / "scoring" / "features").glob("*.py")) + [ROOT / "scoring" / "text.py"]
    return feature_cache.fingerprint(code + ([model] if model.exists() else []), json.dumps(params, sort_keys=True))


def fit_pos_ngrams(sets: dict[str, list[dict]], feats: dict[str, list[dict]]) -> tuple[pos_ngrams.PosNgramModel, dict]:
    """The POS profile model (scoring/features/pos_ngrams.py), fitted on W&I GSE, ELLIPSE Overall and
    FCE script scores, each standardised within its set. The trait and level models are then fitted
    on its out-of-fold values (5 folds: ELLIPSE split by prompt, W&I and FCE at random), so they weigh
    it as it behaves on texts it has not seen; the other sets get the final model's values. Returns
    the model and its out-of-fold r per set."""
    parts = [("wi", "gse"), ("ellipse", "Overall"), ("fce", "script_s")]
    docs, y, fold, owner = [], [], [], []
    for name, target in parts:
        rows = sets.get(name) or []
        t = np.array([target_of(r, target) for r in rows], float)
        if name == "ellipse":
            prompts = sorted({r["prompt"] for r in rows})
            folds = [prompts.index(r["prompt"]) % 5 for r in rows]
        else:
            folds = [0] * len(rows)
            for k, idx in enumerate(C.kfold_indices(len(rows), 5, SEED)):
                for i in idx:
                    folds[i] = k
        docs += [f[SYMBOLS].split() for f in feats[name]]
        y += list((t - t.mean()) / t.std())
        fold += folds
        owner += [(name, i) for i in range(len(rows))]
    y_, fold_ = np.array(y), np.array(fold)
    oof = np.zeros(len(y_))
    for k in range(5):
        tr, te = np.where(fold_ != k)[0], np.where(fold_ == k)[0]
        m = pos_ngrams.fit([docs[i] for i in tr], y_[tr], POS_NGRAM_ALPHA, POS_NGRAM_MIN_DF)
        oof[te] = [m.level(docs[i]) for i in te]
    model = pos_ngrams.fit(docs, y_, POS_NGRAM_ALPHA, POS_NGRAM_MIN_DF)
    for (name, i), v in zip(owner, oof):
        feats[name][i][pos_ngrams.FEATURE] = float(v)
    for name, fs in feats.items():
        if name not in dict(parts):
            for f in fs:
                f[pos_ngrams.FEATURE] = model.level(f[SYMBOLS].split())
    report = {}
    for name, _ in parts:
        sel = np.array([o[0] == name for o in owner])
        report[name] = round(C.pearson(oof[sel], y_[sel]), 4)
    print(f"pos_ngram_level          {len(model.terms)} terms, CV r " + " ".join(f"{k}={v:.3f}" for k, v in report.items()))
    return model, report


def target_of(row: dict, target: str) -> float:
    if "+" in target:
        parts = target.split("+")
        return sum(row[p] for p in parts) / len(parts)
    return float(row[target])


def human_levels(name: str, y: np.ndarray, max_score: int) -> np.ndarray:
    """Human scores mapped onto the PTE trait's 0..max scale (documented mapping)."""
    if name == "summary.content":  # CommonLit content is standardised (mean ~0, sd ~1): z + 2, rounded, 1..4
        return np.clip(np.floor(y + 2.0 + 0.5), 1, max_score)
    if max_score == 2:  # ELLIPSE 1-5 -> 0..2: below the scale's middle (<= 2.5) 0, at it (3.0-3.5) 1, above (>= 4.0) 2
        return np.digitize(y, [2.75, 3.75]).astype(float)
    return np.clip(np.floor((y - 1.0) / 4.0 * max_score + 0.5), 0, max_score)  # ELLIPSE 1-5 -> 0..max


def harper_rules(sets: dict[str, list[dict]], per_set: int = 300) -> list[str]:
    """The Harper rules that fire at least once on a sample of the learner texts (all rules on)."""
    linter = load_linter()
    fired: set[str] = set()
    for rows in sets.values():
        for r in rows[:per_set]:
            fired |= {k for k, v in linter.organized_lints(r["text"], language="plaintext").items() if v}
    return sorted(fired - HARPER_OFF_RULES)


def fit(limits: dict[str, Optional[int]], write_params: bool = True) -> tuple[dict, pos_ngrams.PosNgramModel]:
    sets = {k: LOADERS[k](limits.get(k)) for k in ("ellipse", "wi", "commonlit", "fce")}
    rules_path = CACHE / "harper_rules.json"
    if not rules_path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        rules_path.write_text(json.dumps(harper_rules({k: sets[k] for k in ("ellipse", "wi", "commonlit")})))
    PARAMS["harper_rules"] = [r for r in json.loads(rules_path.read_text()) if r not in HARPER_OFF_RULES]
    if write_params:
        _write_params_only(PARAMS)
    feature_cache.drop_stale(CACHE / "fingerprint", sorted(CACHE.glob("*.jsonl")), features_fingerprint(PARAMS))
    feats = {k: features_for(k, v) for k, v in sets.items() if v}
    profile, profile_cv = fit_pos_ngrams(sets, feats)
    models, report, cv_ints = {}, {}, {}
    # the writing-level model first: its latent is an input of the essay trait models (C.WRITING_LEVEL)
    for name, spec in sorted(MODELS.items(), key=lambda kv: kv[1]["max"] is not None):
        rows = sets.get(spec["set"]) or []
        if not rows:
            print(f"{name}: no data ({spec['set']})")
            continue
        if spec["max"] is None:
            entry = _fit_level(spec, sets, feats)
            level = C.TraitModel.from_json(name, entry)
            for name_, fs in feats.items():
                if name_ not in (spec["set"], spec["also"][0]):
                    for f in fs:
                        f[C.WRITING_LEVEL] = level.latent(f)
        else:
            entry, cv_ints[name] = _fit_trait(name, spec, rows, feats[spec["set"]])
        models[name] = entry
        report[name] = {k: entry[k] for k in entry if k.startswith("cv_") or k in ("n", "target")}
        print(f"{name:24s} n={entry['n']:5d} " + " ".join(f"{k}={entry[k]:.3f}" for k in entry if k.startswith("cv_")))
    total = _cv_essay_total(sets["ellipse"], feats.get("ellipse", []), {k: v for k, v in cv_ints.items() if k.startswith("essay.")})
    print("write_essay total        " + " ".join(f"{k}={v}" for k, v in total.items()))
    return {"version": time.strftime("%Y-%m-%d"), "method": "ridge on standardised named features + quantile-matched cut-points; "
            "see scoring/calibration.py and bench/calibrate.py", "limits": limits, "seed": SEED,
            "params": PARAMS, "models": models, "cv_essay_total": total, "pos_ngrams": {"path": "scoring/data/pos_ngrams.json", "terms": len(profile.terms),
                                                               "alpha": POS_NGRAM_ALPHA, "min_df": POS_NGRAM_MIN_DF, "cv_r": profile_cv}}, profile


def _fit_trait(name: str, spec: dict, rows: list[dict], feats: list[dict]) -> tuple[dict, np.ndarray]:
    """A trait model: ridge on the named features, then cut-points onto the PTE trait's 0..max.
    Returns the model and its nested cross-validated integer scores (cut-points chosen on the other folds)."""
    X = np.array([[f.get(k, 0.0) for k in spec["features"]] for f in feats], float)
    y = np.array([target_of(r, spec["target"]) for r in rows], float)
    cv = C.cross_val_predict(X, y, ALPHA, k=5, seed=SEED)
    mu, sd, w, b = C.fit_ridge(X, y, ALPHA)
    latent = C.predict(X, mu, sd, w, b)
    entry: dict[str, Any] = {"target": f"{spec['set']}:{spec['target']}", "n": len(y), "alpha": ALPHA,
                             "features": spec["features"], "mean": _r(mu), "sd": _r(sd), "weights": _r(w),
                             "intercept": round(b, 4), "cv_r": round(C.pearson(cv, y), 4),
                             "lo": round(float(y.min()), 4), "hi": round(float(y.max()), 4)}
    levels = human_levels(name, y, spec["max"])
    entry["cuts"] = C.quantile_cuts(latent, levels, spec["max"])
    # cut-points: quantile-matched to the human shares, unless shares chosen to maximise the
    # integer score's correlation (within share_bounds) do better by C.CUT_GAIN in nested CV (mean of CUT_REPEATS splits)
    quant_cv, opt_cv, r_quant, r_opt = _nested_cut_cv(cv, y, levels, spec["max"])
    entry["cuts_method"] = "quantile-matched"
    entry["cv_r_integer_quantile"] = round(r_quant, 4)
    entry["cv_r_integer_optimised"] = round(r_opt, 4)
    if entry["cv_r_integer_optimised"] >= entry["cv_r_integer_quantile"] + C.CUT_GAIN:
        entry["shares"] = C.optimised_shares(cv, y, levels, spec["max"])
        entry["cuts"] = C.share_cuts(latent, entry["shares"])
        entry["cuts_method"] = "optimised shares"
    cv_scores = np.array([C.cut(v, entry["cuts"]) for v in cv])
    entry["cv_r_integer"] = round(C.pearson(cv_scores, y), 4)
    entry["cv_qwk_levels"] = round(C.qwk(levels.astype(int), cv_scores), 4)
    return entry, (opt_cv if entry["cuts_method"] == "optimised shares" else quant_cv)


def _cv_essay_total(rows: list[dict], feats: list[dict], cv_ints: dict[str, np.ndarray]) -> dict:
    """The Write Essay total (ungated) against ELLIPSE Overall on the fitted essays, cross-validated: the
    modelled traits' nested out-of-fold integer scores, Content 0 where the engine's off-topic / template
    gate fires, plus Form and Spelling by the engine's own rules. bench/validity.py measures the same
    total through the engine on the essays not fitted on; this one rests on three times as many."""
    from scoring.items.writing import content_gate, score_form, spelling_score
    if not rows or len(cv_ints) < 5:
        return {}
    gated = np.array([content_gate(f, PARAMS, summary=False) is not None for f in feats])
    modelled = sum(cv_ints.values()) - np.where(gated, cv_ints["essay.content"], 0)
    rules = np.array([score_form("write_essay", r["text"], None, PARAMS).score + spelling_score(int(f["spelling_errors"]))
                      for r, f in zip(rows, feats)])
    y = np.array([r["Overall"] for r in rows], float)
    return {"n": len(rows), "r": round(C.pearson(modelled + rules, y), 4), "r_modelled_traits": round(C.pearson(modelled, y), 4)}


def _fit_level(spec: dict, sets: dict[str, list[dict]], feats: dict[str, list[dict]]) -> dict:
    """The writing-level (GSE) model. W&I gives levels across the whole scale (A1-C2, on the GSE
    points of WI_GSE); FCE gives finer distinctions inside B1-C1, where W&I's strong length effect
    says little. FCE scores are placed on the GSE scale by a linear link with no free choice: the
    W&I-only model's (stretched) GSE for the FCE scripts gives the link's mean and sd, and each
    script's standardised score is put at that mean plus z times that sd. The model is then fitted on
    both sets together, each set weighing the same in total (an FCE row weighs n_W&I / n_FCE), and
    stretched by sd(human) / sd(fitted) on W&I, so that it spans the levels."""
    names = spec["features"]
    Xw = np.array([[f.get(k, 0.0) for k in names] for f in feats[spec["set"]]], float)
    yw = np.array([target_of(r, spec["target"]) for r in sets[spec["set"]]], float)
    mu, sd, w, b = C.fit_ridge(Xw, yw, ALPHA)
    alone = C.predict(Xw, mu, sd, w, b)
    entry: dict[str, Any] = {"target": f"{spec['set']}:{spec['target']}", "features": names, "alpha": ALPHA}
    X, y, nw, weights = Xw, yw, len(yw), None
    also = spec.get("also")
    frows = sets.get(also[0]) if also else None
    if frows:
        Xf = np.array([[f.get(k, 0.0) for k in names] for f in feats[also[0]]], float)
        yf = np.array([target_of(r, also[1]) for r in frows], float)
        pf = b + (C.predict(Xf, mu, sd, w, b) - b) * float(yw.std() / alone.std())
        link = {"score_mean": round(float(yf.mean()), 4), "score_sd": round(float(yf.std()), 4),
                "gse_mean": round(float(pf.mean()), 4), "gse_sd": round(float(pf.std()), 4)}
        X = np.vstack([Xw, Xf])
        y = np.concatenate([yw, link["gse_mean"] + (yf - link["score_mean"]) / link["score_sd"] * link["gse_sd"]])
        row_weight = nw / len(yf)  # both sets weigh the same in the fit, however many rows each has
        weights = np.concatenate([np.ones(nw), np.full(len(yf), row_weight)])
        entry["also"] = {"target": f"{also[0]}:{also[1]}", "n": len(yf), "link": link, "row_weight": round(row_weight, 4)}
    mu, sd, w, b = C.fit_ridge(X, y, ALPHA, weights)
    stretch = float(yw.std() / max(C.predict(Xw, mu, sd, w, b).std(), 1e-9))
    cv = C.cross_val_predict(X, y, ALPHA, k=5, seed=SEED, weights=weights)
    cv = b + (cv - b) * stretch
    entry.update({"n": len(y), "mean": _r(mu), "sd": _r(sd), "weights": _r(w * stretch), "intercept": round(b, 4),
                  "stretch": round(stretch, 4), "cuts": [], "lo": round(float(yw.min()), 4), "hi": round(float(yw.max()), 4),
                  "cv_r": round(C.pearson(cv[:nw], yw), 4)})
    if frows:
        entry["cv_r_" + also[0]] = round(C.pearson(cv[nw:], yf), 4)
    major = np.array([_major(g) for g in yw])
    entry["cv_qwk_cefr6"] = round(C.qwk(major, np.array([_major(g) for g in np.clip(cv[:nw], 10, 90)])), 4)
    return entry


def _nested_cut_cv(cv: np.ndarray, y: np.ndarray, levels: np.ndarray,
                   max_score: int) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Integer scores of each fold from cut-points chosen on the other folds' out-of-fold latents:
    quantile-matched, and optimised shares (so the choice of cut-points is itself cross-validated).
    Repeated over CUT_REPEATS fold splits: returns the first split's integer scores (quantile, optimised)
    and each method's integer r averaged over the splits, which the choice between them reads."""
    rs, first = [], None
    for seed in range(SEED + 1, SEED + 1 + CUT_REPEATS):
        quant, opt = np.zeros(len(y), int), np.zeros(len(y), int)
        for fold in C.kfold_indices(len(y), 5, seed):
            tr = np.setdiff1d(np.arange(len(y)), fold)
            qc = C.quantile_cuts(cv[tr], levels[tr], max_score)
            oc = C.share_cuts(cv[tr], C.optimised_shares(cv[tr], y[tr], levels[tr], max_score))
            quant[fold] = [C.cut(v, qc) for v in cv[fold]]
            opt[fold] = [C.cut(v, oc) for v in cv[fold]]
        first = first or (quant, opt)
        rs.append((C.pearson(quant, y), C.pearson(opt, y)))
    r_quant, r_opt = np.mean(rs, axis=0)
    return first[0], first[1], float(r_quant), float(r_opt)


def _write_params_only(params: dict) -> None:
    """Put the rule parameters (incl. the Harper rule list) in place before features are computed,
    so the engine's resources load the same configuration the features are computed with."""
    path = C.CALIBRATION_PATH
    cal = json.loads(path.read_text()) if path.exists() else {"models": {}}
    cal["params"] = params
    path.write_text(json.dumps(cal, indent=1) + "\n")
    C.load_calibration.cache_clear()


def _major(gse: float) -> int:
    from scoring.catalogue import CATALOGUE
    order = ["below A1", "A1", "A2", "B1", "B2", "C1", "C2"]
    return max(1, order.index(CATALOGUE.cefr_level(gse)))  # W&I has no "below A1": fold into A1


def _r(a: np.ndarray) -> list[float]:
    return [round(float(x), 5) for x in a]


# rows fitted on (a fixed random sample of each set); bench/validity.py measures agreement on the others
DEFAULT_LIMITS = {"ellipse": 1118, "wi": 1500, "commonlit": 1500, "fce": 800}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="refit and compare with the stored calibration; write nothing")
    ap.add_argument("--limit", type=int, default=None, help="rows per set (default: all ELLIPSE, 1500 W&I, 1500 CommonLit)")
    ap.add_argument("--out", default=str(C.CALIBRATION_PATH))
    args = ap.parse_args()
    limits = {k: (args.limit if args.limit else v) for k, v in DEFAULT_LIMITS.items()}
    if not DATA.exists():
        sys.exit(f"no shared data at {DATA}")
    cal, profile = fit(limits, write_params=not args.check)
    if args.check:
        stored = json.loads(Path(args.out).read_text())
        for name, m in cal["models"].items():
            s = stored["models"].get(name)
            if s:
                dw = max(abs(a - b) for a, b in zip(m["weights"], s["weights"]))
                print(f"{name}: max weight difference {dw:.4f}")
        old = pos_ngrams.load_model()
        if old is not None:
            dw = max(abs(w - old.terms.get(t, (0, 0))[1]) for t, (_, w) in profile.terms.items())
            print(f"pos_ngrams: {len(profile.terms)} terms ({len(old.terms)} stored), max weight difference {dw:.5f}")
        return
    Path(args.out).write_text(json.dumps(cal, indent=1) + "\n")
    profile.save(pos_ngrams.MODEL_PATH, fitted_on="W&I GSE, ELLIPSE Overall and FCE script_s, each standardised (bench/calibrate.py)",
                 alpha=POS_NGRAM_ALPHA, min_df=POS_NGRAM_MIN_DF)
    print(f"wrote {args.out} and {pos_ngrams.MODEL_PATH}")


if __name__ == "__main__":
    main()
