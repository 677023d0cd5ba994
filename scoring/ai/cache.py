"""Identical rubric requests answered from memory: an LRU with a time-to-live, keyed by the hash of
exactly what would be sent (prompt version, system and user text, trait ranges). Only validated
replies are stored, so a cached answer is always a usable one. Lives in the engine process."""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any, Callable, Optional


class TtlCache:
    def __init__(self, max_items: int, ttl_s: float, clock: Callable[[], float] = time.monotonic):
        self.max_items = max_items
        self.ttl_s = ttl_s
        self.clock = clock
        self._items: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> Optional[Any]:
        with self._lock:
            item = self._items.get(key)
            if item is None or self.clock() - item[0] > self.ttl_s:
                if item is not None:
                    del self._items[key]
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return item[1]

    def put(self, key: str, value: Any) -> None:
        if self.max_items <= 0:
            return
        with self._lock:
            self._items[key] = (self.clock(), value)
            self._items.move_to_end(key)
            while len(self._items) > self.max_items:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)

    def snapshot(self) -> dict:
        return {"size": len(self._items), "max_items": self.max_items, "hits": self.hits, "misses": self.misses}
