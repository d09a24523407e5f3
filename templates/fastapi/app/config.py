"""Configuration, from the environment."""
import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    host: str
    port: int
{{#if postgres}}
    database_url: str
{{/if}}
{{#if redis}}
    redis_url: str
{{/if}}
{{#if kafka}}
    kafka_bootstrap_servers: str
{{/if}}

    @classmethod
    def from_env(cls) -> "Settings":
        return cls(
            # 0.0.0.0 so that the port published from a container answers.
            host=os.environ.get("HOST", "0.0.0.0"),
            port=int(os.environ.get("PORT", "{{PORT}}")),
{{#if postgres}}
            database_url=os.environ.get(
                "DATABASE_URL", "postgres://app:app@postgres:5432/{{PROJECT_IDENT}}"
            ),
{{/if}}
{{#if redis}}
            redis_url=os.environ.get("REDIS_URL", "redis://redis:6379"),
{{/if}}
{{#if kafka}}
            kafka_bootstrap_servers=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "kafka:9092"),
{{/if}}
        )


settings = Settings.from_env()
