"""AI providers: one request in (a rubric prompt), one completion out, or a typed ProviderError.

- Vercel AI Gateway: OpenAI-compatible `POST {base}/chat/completions` over httpx.
- Google GenAI: the `google-genai` SDK (`models.generate_content`), with `http_options.base_url`
  taken from settings so it can point at any compatible server (a local one in tests).

A provider without a key is "not configured" and is never called. Providers do no retrying of their
own (the SDK's retries are off by default; `client.py` owns retries, breaker and cache)."""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any, Optional, Protocol

import httpx

from scoring.ai.prompts import RubricPrompt
from scoring.settings import Settings


@dataclass
class Completion:
    text: str
    input_tokens: int
    output_tokens: int
    model: str
    latency_ms: float


class ProviderError(Exception):
    """A failed call. kind: timeout | network | http_5xx | http_429 | http_4xx | bad_response."""

    def __init__(self, kind: str, message: str, status: Optional[int] = None):
        self.kind = kind
        self.status = status
        super().__init__(message)

    @property
    def retryable(self) -> bool:
        return self.kind in {"timeout", "network", "http_5xx", "http_429"}


def _http_kind(status: int) -> str:
    if status == 429:
        return "http_429"
    return "http_5xx" if status >= 500 else "http_4xx"


class Provider(Protocol):
    name: str
    model: str
    configured: bool
    price_in_per_mtok: float
    price_out_per_mtok: float

    async def complete(self, prompt: RubricPrompt, timeout_s: float) -> Completion: ...


class _PerLoop:
    """Holds one client per running event loop (a client's connections belong to the loop that made them)."""

    def __init__(self) -> None:
        self._loop: Any = None
        self._client: Any = None

    def get(self, make):
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            self._client, self._loop = make(), loop
        return self._client


class VercelGateway:
    name = "vercel"

    def __init__(self, settings: Settings):
        self.key = settings.vercel_ai_gateway_key
        self.base_url = settings.vercel_ai_gateway_url.rstrip("/")
        self.model = settings.vercel_ai_model
        self.price_in_per_mtok = settings.vercel_ai_price_in_per_mtok
        self.price_out_per_mtok = settings.vercel_ai_price_out_per_mtok
        self._clients = _PerLoop()

    @property
    def configured(self) -> bool:
        return bool(self.key)

    async def complete(self, prompt: RubricPrompt, timeout_s: float) -> Completion:
        client = self._clients.get(lambda: httpx.AsyncClient(timeout=None))
        body = {
            "model": self.model,
            "messages": [{"role": "system", "content": prompt.system}, {"role": "user", "content": prompt.user}],
            "temperature": 0,
            "response_format": {"type": "json_object"},
        }
        t0 = time.perf_counter()
        try:
            resp = await client.post(f"{self.base_url}/chat/completions", json=body,
                                     headers={"Authorization": f"Bearer {self.key}"},
                                     timeout=httpx.Timeout(timeout_s))
        except httpx.TimeoutException:
            raise ProviderError("timeout", f"no answer within {timeout_s:g} s") from None
        except httpx.HTTPError as exc:
            raise ProviderError("network", f"{type(exc).__name__}: {exc}") from None
        latency = (time.perf_counter() - t0) * 1000
        if resp.status_code != 200:
            raise ProviderError(_http_kind(resp.status_code), f"HTTP {resp.status_code}: {resp.text[:200]}",
                                resp.status_code)
        try:
            data = resp.json()
            text = data["choices"][0]["message"]["content"]
            usage = data.get("usage") or {}
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise ProviderError("bad_response", f"unexpected chat completion shape: {exc!r}") from None
        if not isinstance(text, str):
            raise ProviderError("bad_response", "chat completion has no text content")
        return Completion(text=text, input_tokens=int(usage.get("prompt_tokens") or 0),
                          output_tokens=int(usage.get("completion_tokens") or 0),
                          model=str(data.get("model") or self.model), latency_ms=round(latency, 1))


class GoogleGenAI:
    name = "google"

    def __init__(self, settings: Settings):
        self.key = settings.google_genai_key
        self.base_url = settings.google_genai_base_url
        self.model = settings.google_genai_model
        self.price_in_per_mtok = settings.google_genai_price_in_per_mtok
        self.price_out_per_mtok = settings.google_genai_price_out_per_mtok
        self._clients = _PerLoop()

    @property
    def configured(self) -> bool:
        return bool(self.key)

    def warm(self) -> None:
        """Import the SDK and build its request schemas (~0.4 s, pydantic models built on first use)."""
        from google.genai import types

        types.GenerateContentConfig(temperature=0, response_mime_type="application/json",
                                    http_options=types.HttpOptions(timeout=1000))

    def _make_client(self):
        from google import genai  # imported only in the engine process, on first use (~0.4 s)
        from google.genai import types

        opts = types.HttpOptions(base_url=self.base_url) if self.base_url else None
        return genai.Client(api_key=self.key, http_options=opts)

    async def complete(self, prompt: RubricPrompt, timeout_s: float) -> Completion:
        from google.genai import errors, types

        client = self._clients.get(self._make_client)
        config = types.GenerateContentConfig(
            system_instruction=prompt.system, temperature=0, response_mime_type="application/json",
            http_options=types.HttpOptions(timeout=int(timeout_s * 1000)))
        t0 = time.perf_counter()
        try:
            resp = await asyncio.wait_for(
                client.aio.models.generate_content(model=self.model, contents=prompt.user, config=config),
                timeout_s + 1.0)  # hard deadline in case the SDK's own timeout does not fire
        except asyncio.TimeoutError:
            raise ProviderError("timeout", f"no answer within {timeout_s:g} s") from None
        except errors.APIError as exc:
            code = int(exc.code or 0)
            raise ProviderError(_http_kind(code) if code else "bad_response", f"HTTP {code}: {str(exc)[:200]}",
                                code or None) from None
        except Exception as exc:  # transport errors come from the SDK's HTTP library (httpx2)
            name = type(exc).__name__
            if "Timeout" in name:
                raise ProviderError("timeout", f"no answer within {timeout_s:g} s") from None
            if any(b.__name__ in {"TransportError", "HTTPError", "OSError"} for b in type(exc).__mro__):
                raise ProviderError("network", f"{name}: {exc}") from None
            raise ProviderError("bad_response", f"{name}: {str(exc)[:200]}") from None
        latency = (time.perf_counter() - t0) * 1000
        try:
            text = resp.text
        except Exception as exc:  # e.g. a candidate with no text part
            raise ProviderError("bad_response", f"no text in reply: {exc}") from None
        if not text:
            reason = resp.candidates[0].finish_reason if resp.candidates else "no candidates"
            raise ProviderError("bad_response", f"empty reply (finish reason {reason})")
        usage = resp.usage_metadata
        return Completion(text=text, input_tokens=int(getattr(usage, "prompt_token_count", 0) or 0),
                          output_tokens=int(getattr(usage, "candidates_token_count", 0) or 0),
                          model=str(resp.model_version or self.model), latency_ms=round(latency, 1))


PROVIDER_TYPES = {"vercel": VercelGateway, "google": GoogleGenAI}


def build_providers(settings: Settings) -> list[Provider]:
    """Providers in the order of `settings.ai_providers` (configured or not; the client skips unconfigured)."""
    out: list[Provider] = []
    for name in (n.strip() for n in settings.ai_providers.split(",")):
        if not name:
            continue
        if name not in PROVIDER_TYPES:
            raise ValueError(f"AI_PROVIDERS: unknown provider {name!r}; known: {', '.join(PROVIDER_TYPES)}")
        out.append(PROVIDER_TYPES[name](settings))
    return out
