"""The item catalogue: every PTE Academic item type, its traits, gates and weights, read from
`scoring/data/catalogue.json` (the one place these facts live). Code, API docs and tests read it here."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict

CATALOGUE_PATH = Path(__file__).parent / "data" / "catalogue.json"

Skill = Literal["listening", "reading", "speaking", "writing"]
Mode = Literal["written", "spoken", "objective"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TraitSpec(_Frozen):
    min: int = 0
    max: Optional[int] = None  # None: depends on the item (see max_from)
    max_from: Optional[Literal["reference_text_words", "answer_key_length", "answer_key_pairs"]] = None
    descriptor: Optional[str] = None  # key into Catalogue.descriptors
    unsure: Optional[str] = None


class FormBand(_Frozen):
    min_words: int
    max_words: int
    score: int


class FormRule(_Frozen):
    kind: Literal["word_count", "one_sentence"]
    bands: list[FormBand]


class Requires(_Frozen):
    item: list[str] = []  # every one of these item fields must be present
    item_any: list[str] = []  # at least one of these item fields must be present


class ItemSpec(_Frozen):
    code: str
    name: str
    abbr: str
    section: Literal["speaking_writing", "reading", "listening"]
    mode: Mode
    traits: dict[str, TraitSpec]
    gates: list[str]
    requires: Requires = Requires()
    weights: dict[str, float]
    form_rule: Optional[FormRule] = None
    rule: Optional[str] = None
    notes: Optional[str] = None

    @property
    def skills(self) -> list[str]:
        return [k for k in self.weights if k != "overall"]


class CefrBand(_Frozen):
    min_gse: int
    level: str


class Catalogue(_Frozen):
    rule_version: str
    sources: list[str]
    skills: list[Skill]
    cefr: list[CefrBand]
    traits: dict[str, dict[str, str]]
    descriptors: dict[str, dict[str, str]]
    items: dict[str, ItemSpec]

    def item(self, code: str) -> ItemSpec:
        return self.items[code]

    def descriptor(self, item_code: str, trait: str) -> dict[str, str]:
        key = self.items[item_code].traits[trait].descriptor
        return self.descriptors.get(key, {}) if key else {}

    def cefr_level(self, gse: float) -> str:
        for band in self.cefr:
            if gse >= band.min_gse:
                return band.level
        return self.cefr[-1].level


@lru_cache(maxsize=1)
def load_catalogue(path: Path = CATALOGUE_PATH) -> Catalogue:
    raw = json.loads(path.read_text())
    raw["items"] = {code: {"code": code, **spec} for code, spec in raw["items"].items()}
    return Catalogue.model_validate(raw)


CATALOGUE = load_catalogue()
ITEM_TYPES: tuple[str, ...] = tuple(CATALOGUE.items)
TRAIT_NAMES: tuple[str, ...] = tuple(CATALOGUE.traits)
