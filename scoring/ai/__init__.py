"""AI hybrid scoring: rubric prompts to an LLM provider, strict reply validation, a safe client
(timeouts, retries, circuit breaker, cache, accounting) and the pure rule that combines AI and local
trait scores. Runs in the long-lived engine process; steps reach it over HTTP (`scoring/ai/http.py`).
Importing this package is light: providers import their SDKs on first use."""
