"""The safe AI client: cache -> providers in order, each behind its circuit breaker, each call with a
timeout and bounded retries (exponential backoff), every reply validated; tokens and cost counted
per provider. It never raises for a provider problem: it returns an AiOutcome saying what happened.

Retried: timeouts, network errors, HTTP 5xx and 429, and rejected replies (malformed JSON, a score
out of range...). Not retried: other HTTP 4xx (a bad key will not get better); the next provider is
tried instead. The whole call has a deadline of `ai_timeout_s * (2 + ai_max_retries)` seconds: every
attempt on the first provider plus one on a fallback (60 s with the defaults 15 s and 2 retries)."""
from __future__ import annotations

import asyncio
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Awaitable, Callable, Optional

from scoring.ai.breaker import CircuitBreaker
from scoring.ai.cache import TtlCache
from scoring.ai.prompts import RubricPrompt
from scoring.ai.providers import Completion, Provider, ProviderError, build_providers
from scoring.ai.reply import ReplyRejected, parse_reply
from scoring.settings import Settings


@dataclass
class AiOutcome:
    status: str  # ok | failed | not_configured
    reason: Optional[str] = None
    provider: Optional[str] = None
    model: Optional[str] = None
    traits: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> {score, reason, min, max}
    cached: bool = False
    attempts: list[dict[str, Any]] = field(default_factory=list)
    usage: dict[str, float] = field(default_factory=lambda: {"input_tokens": 0, "output_tokens": 0, "cost_usd": 0.0})
    latency_ms: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ProviderStats:
    calls: int = 0
    successes: int = 0
    failures: int = 0
    failures_by_kind: dict[str, int] = field(default_factory=dict)
    skipped_breaker_open: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    latency_ms_total: float = 0.0
    last_error: Optional[str] = None

    def fail(self, kind: str, message: str) -> None:
        self.failures += 1
        self.failures_by_kind[kind] = self.failures_by_kind.get(kind, 0) + 1
        self.last_error = f"{kind}: {message}"[:300]


def cost_usd(provider: Provider, c: Completion) -> float:
    return (c.input_tokens * provider.price_in_per_mtok + c.output_tokens * provider.price_out_per_mtok) / 1e6


class AiClient:
    def __init__(self, settings: Settings, providers: Optional[list[Provider]] = None,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep):
        self.settings = settings
        self.providers = providers if providers is not None else build_providers(settings)
        self.clock = clock
        self.sleep = sleep
        self.breakers = {p.name: CircuitBreaker(settings.ai_breaker_failures, settings.ai_breaker_cooldown_s, clock)
                         for p in self.providers}
        self.stats = {p.name: ProviderStats() for p in self.providers}
        self.cache = TtlCache(settings.ai_cache_size, settings.ai_cache_ttl_s, clock)
        self.outcomes: dict[str, int] = {}

    @property
    def configured(self) -> list[Provider]:
        return [p for p in self.providers if p.configured]

    def warm(self) -> None:
        """Do the configured providers' one-off set-up (SDK imports) now rather than in the first call."""
        for p in self.configured:
            warm = getattr(p, "warm", None)
            if warm is not None:
                warm()

    def count(self, status: str) -> None:
        self.outcomes[status] = self.outcomes.get(status, 0) + 1

    async def score(self, prompt: RubricPrompt) -> AiOutcome:
        out = await self._score(prompt)
        self.count(out.status + ("_cached" if out.cached else ""))
        return out

    async def _score(self, prompt: RubricPrompt) -> AiOutcome:
        t0 = self.clock()
        key = prompt.cache_key()
        hit = self.cache.get(key)
        if hit is not None:
            return AiOutcome(status="ok", provider=hit["provider"], model=hit["model"], traits=hit["traits"],
                             cached=True, reason="answered from cache (identical request)")
        providers = self.configured
        if not providers:
            return AiOutcome(status="not_configured", reason="no AI provider configured "
                             "(set VERCEL_AI_GATEWAY_KEY or GOOGLE_GENAI_KEY)")
        out = AiOutcome(status="failed")
        s = self.settings
        deadline = t0 + s.ai_timeout_s * (2 + s.ai_max_retries)
        failures: list[str] = []
        for p in providers:
            breaker, st = self.breakers[p.name], self.stats[p.name]
            last = None
            for attempt in range(1 + s.ai_max_retries):
                if attempt:
                    await self.sleep(s.ai_backoff_s * 2 ** (attempt - 1))
                remaining = deadline - self.clock()
                if remaining <= 0.05:
                    last = "deadline reached"
                    break
                if not breaker.allow():
                    st.skipped_breaker_open += 1
                    last = f"circuit breaker open (retry in {breaker.retry_in_s():.0f} s)"
                    out.attempts.append({"provider": p.name, "attempt": attempt + 1, "outcome": "skipped", "error": last})
                    break
                st.calls += 1
                a0 = self.clock()
                completion: Optional[Completion] = None
                try:
                    completion = await p.complete(prompt, min(s.ai_timeout_s, remaining))
                    reply = parse_reply(completion.text, prompt.traits)
                except asyncio.CancelledError:
                    breaker.record_failure()  # frees a half-open trial slot; the caller went away
                    raise
                except Exception as exc:  # provider errors, rejected replies, and any bug in a provider/SDK
                    if isinstance(exc, ProviderError):
                        kind, retryable = exc.kind, exc.retryable
                    elif isinstance(exc, ReplyRejected):
                        kind, retryable = "rejected_reply", True
                    else:
                        kind, retryable = "internal", False
                    breaker.record_failure()
                    st.fail(kind, str(exc))
                    last = f"{kind}: {exc}"
                    out.attempts.append({"provider": p.name, "attempt": attempt + 1, "outcome": kind,
                                         "error": str(exc)[:300], "latency_ms": round((self.clock() - a0) * 1000, 1)})
                    self._account(p, st, out, completion)
                    if not retryable:
                        break
                    continue
                breaker.record_success()
                st.successes += 1
                st.latency_ms_total += completion.latency_ms
                self._account(p, st, out, completion)
                out.attempts.append({"provider": p.name, "attempt": attempt + 1, "outcome": "ok",
                                     "latency_ms": completion.latency_ms})
                out.status, out.reason, out.provider, out.model = "ok", None, p.name, completion.model
                out.traits = {name: {"score": v.score, "reason": v.reason.strip(),
                                     "min": prompt.traits[name].min, "max": prompt.traits[name].max}
                              for name, v in reply.traits.items()}
                out.latency_ms = round((self.clock() - t0) * 1000, 1)
                self.cache.put(key, {"provider": p.name, "model": completion.model, "traits": out.traits})
                return out
            failures.append(f"{p.name}: {last}")
        out.reason = "every AI provider failed (" + "; ".join(failures) + "); the local score stands"
        out.latency_ms = round((self.clock() - t0) * 1000, 1)
        return out

    @staticmethod
    def _account(p: Provider, st: ProviderStats, out: AiOutcome, c: Optional[Completion]) -> None:
        if c is None:
            return
        cost = cost_usd(p, c)
        st.input_tokens += c.input_tokens
        st.output_tokens += c.output_tokens
        st.cost_usd += cost
        out.usage["input_tokens"] += c.input_tokens
        out.usage["output_tokens"] += c.output_tokens
        out.usage["cost_usd"] = round(out.usage["cost_usd"] + cost, 8)

    def snapshot(self) -> dict[str, Any]:
        return {
            "providers": {p.name: {"configured": p.configured, "model": p.model,
                                   **asdict(self.stats[p.name]), "cost_usd": round(self.stats[p.name].cost_usd, 8),
                                   "breaker": self.breakers[p.name].snapshot()} for p in self.providers},
            "cache": self.cache.snapshot(),
            "outcomes": dict(self.outcomes),
        }
