"""Every setting of the service, read from the environment (and `.env`) in one place.

`.env.example` lists the same names. Nothing else in the code reads os.environ, except
`engine_client.env_url` (the engine address, for the API steps that skip loading this module) and
`audit.enabled` (DATABASE_URL, for the same reason)."""
from __future__ import annotations

from functools import lru_cache
from typing import Literal, Optional

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from scoring import engine_client


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    # engine process (long-lived, holds the models; steps call it over loopback)
    engine_host: str = engine_client.DEFAULT_HOST
    engine_port: int = engine_client.DEFAULT_PORT
    engine_url: Optional[str] = None  # default http://{engine_host}:{engine_port}
    engine_preload: bool = True  # load every model at engine start
    engine_timeout_s: float = 60.0
    engine_workers: int = 2  # threads scoring at once in the engine process (one per core)
    engine_spawn: bool = True  # motia.config.ts starts and supervises the engine; False: ENGINE_URL points elsewhere
    engine_wait_s: float = 10.0  # how long a step waits for a restarting engine before failing (the event is retried)

    # API behaviour
    score_mode: Literal["sync", "async"] = "sync"
    score_sync_timeout_s: float = 20.0
    max_body_bytes: int = 1000000
    batch_max_items: int = 100
    job_ttl_s: int = 86400
    job_deadline_s: int = 300
    job_max_attempts: int = 3
    max_queue_depth: int = 200  # unfinished jobs above which the async endpoints answer 503 + Retry-After (0: no limit)

    # models
    spacy_model: str = "en_core_web_sm"
    embedding_model_path: Optional[str] = None  # an all-MiniLM-L6-v2 ONNX file; default: the int8 build of the packaged one
    tokenizer_path: Optional[str] = None  # tokenizer.json; default: the packaged one
    whisper_model: str = "tiny.en"  # a faster-whisper model name or a local CTranslate2 model path
    whisper_compute_type: str = "int8"
    # Whisper's instruction set on x86 (CTranslate2 + its oneDNN GEMMs): int8 kernels of different
    # widths give different transcripts (25 of 100 speechocean clips), so every AVX2 host computes as
    # the AVX2 host the speech calibration was fitted on; "native" lets AVX-512 hosts use AVX-512
    whisper_cpu_isa: Literal["AVX2", "native"] = "AVX2"

    # audio
    audio_dir: str = ".data/audio"
    audio_max_bytes: int = 20000000
    audio_max_seconds: float = 180.0
    audio_url_allow_private: bool = False

    # cloud transcription (optional)
    assemblyai_api_key: Optional[str] = None
    assemblyai_base_url: Optional[str] = None

    # AI hybrid scoring (optional)
    ai_mode: Literal["off", "hybrid"] = "hybrid"  # hybrid only takes effect when a provider key is set
    ai_share_responses: bool = True  # False: never send learner responses to a third party
    ai_weight: float = Field(default=0.5, ge=0.0, le=1.0)  # AI share of each combined trait score
    ai_timeout_s: float = 15.0
    ai_max_retries: int = 2
    ai_breaker_failures: int = 5
    ai_breaker_cooldown_s: float = 60.0
    ai_disagreement_threshold: float = 0.34  # fraction of a trait's range that flags human review
    vercel_ai_gateway_key: Optional[str] = None
    vercel_ai_gateway_url: str = "https://ai-gateway.vercel.sh/v1"
    vercel_ai_model: str = "openai/gpt-4o-mini"
    google_genai_key: Optional[str] = None
    google_genai_base_url: Optional[str] = None
    google_genai_model: str = "gemini-2.0-flash"
    ai_providers: str = "vercel,google"  # order tried; a provider without a key is skipped
    ai_backoff_s: float = 0.5  # first retry delay, doubled each retry
    ai_cache_size: int = 2048  # identical rubric requests answered from memory (0: off)
    ai_cache_ttl_s: float = 86400.0
    vercel_ai_price_in_per_mtok: float = 0.15  # USD per million tokens, for cost accounting only
    vercel_ai_price_out_per_mtok: float = 0.60
    google_genai_price_in_per_mtok: float = 0.10
    google_genai_price_out_per_mtok: float = 0.40

    # audit log, webhooks (docs/operations.md "Guard rails"; API keys and rate limits are Node-side, see .env.example)
    # PostgreSQL for the append-only audit log (table audit_logs); unset: no audit log. Steps read it from the
    # environment (scoring/audit.py) without loading Settings
    database_url: Optional[str] = None
    webhook_url: Optional[str] = None  # default webhook of submissions and workflows that name none
    webhook_secret: Optional[str] = None  # key of the X-PTE-Signature HMAC-SHA256; webhooks are not sent without it
    webhook_allow_private: bool = False  # allow webhooks to private, loopback and link-local addresses
    webhook_max_attempts: int = Field(default=6, ge=1, le=8)  # tries per webhook (backoff 1, 2, 4, 8, 16 s between)
    webhook_timeout_s: float = 10.0  # per try

    # Redis (scale-out; also read by /health)
    redis_host: Optional[str] = None
    redis_port: int = 6379
    redis_password: Optional[str] = None
    redis_db: int = 0

    @property
    def engine_base_url(self) -> str:
        return self.engine_url or f"http://{self.engine_host}:{self.engine_port}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
