"""The AI client's counters as Prometheus text (exposition format 0.0.4), served by GET /ai/metrics so
the app's /metrics can append them. Pure: renders the dict that GET /ai/stats returns."""
from __future__ import annotations

from typing import Any

BREAKER_STATES = ("closed", "half_open", "open")


def _labels(**kw: Any) -> str:
    inner = ",".join(f'{k}="{str(v).replace(chr(34), "").replace(chr(92), "")}"' for k, v in kw.items())
    return "{" + inner + "}"


def prometheus(stats: dict[str, Any]) -> str:
    series: dict[str, tuple[str, str, list[str]]] = {}

    def add(name: str, kind: str, help_: str, labels: str, value: float) -> None:
        series.setdefault(name, (kind, help_, []))[2].append(f"{name}{labels} {value}")

    for name, p in (stats.get("providers") or {}).items():
        add("pte_ai_provider_configured", "gauge", "1 when the provider has a key", _labels(provider=name),
            int(bool(p.get("configured"))))
        add("pte_ai_provider_calls_total", "counter", "calls sent to the provider", _labels(provider=name), p.get("calls", 0))
        add("pte_ai_provider_successes_total", "counter", "calls answered with a valid reply", _labels(provider=name),
            p.get("successes", 0))
        for kind, n in sorted((p.get("failures_by_kind") or {}).items()):
            add("pte_ai_provider_failures_total", "counter", "failed calls by kind", _labels(provider=name, kind=kind), n)
        add("pte_ai_provider_breaker_skips_total", "counter", "calls not sent because the breaker was open",
            _labels(provider=name), p.get("skipped_breaker_open", 0))
        for direction in ("input", "output"):
            add("pte_ai_provider_tokens_total", "counter", "tokens used", _labels(provider=name, direction=direction),
                p.get(f"{direction}_tokens", 0))
        add("pte_ai_provider_cost_usd_total", "counter", "estimated cost from the configured prices",
            _labels(provider=name), round(float(p.get("cost_usd", 0.0)), 8))
        add("pte_ai_provider_latency_seconds_total", "counter", "summed latency of successful calls",
            _labels(provider=name), round(float(p.get("latency_ms_total", 0.0)) / 1000, 6))
        state = (p.get("breaker") or {}).get("state", "closed")
        for s in BREAKER_STATES:
            add("pte_ai_provider_breaker_state", "gauge", "1 for the breaker's current state",
                _labels(provider=name, state=s), int(s == state))
    cache = stats.get("cache") or {}
    add("pte_ai_cache_hits_total", "counter", "requests answered from the AI cache", "", cache.get("hits", 0))
    add("pte_ai_cache_misses_total", "counter", "requests not in the AI cache", "", cache.get("misses", 0))
    add("pte_ai_cache_size", "gauge", "entries in the AI cache", "", cache.get("size", 0))
    for status, n in sorted((stats.get("outcomes") or {}).items()):
        add("pte_ai_outcomes_total", "counter", "AI requests by outcome", _labels(status=status), n)
    for status, n in sorted((stats.get("blocked_by_policy") or {}).items()):
        add("pte_ai_not_sent_total", "counter", "AI requests answered without calling a provider", _labels(status=status), n)
    lines: list[str] = []
    for name, (kind, help_, rows) in series.items():
        lines += [f"# HELP {name} {help_}", f"# TYPE {name} {kind}", *rows]
    return "\n".join(lines) + "\n"
