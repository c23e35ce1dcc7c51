"""The event envelope every message on the bus carries."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from opentelemetry import propagate
from pydantic import BaseModel, Field


class Event(BaseModel):
    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: str = Field(pattern=r"^[a-z_]+\.[a-z_]+$", max_length=100)
    version: int = Field(default=1, ge=1)
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    producer: str
    subject_id: uuid.UUID | None = None
    data: dict[str, Any] = {}
    traceparent: str | None = None

    @classmethod
    def new(
        cls,
        event_type: str,
        *,
        producer: str,
        subject_id: uuid.UUID | None,
        data: dict[str, Any],
        version: int = 1,
    ) -> Event:
        """An event stamped with the current trace context (W3C traceparent)."""
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
        return cls(
            type=event_type,
            version=version,
            producer=producer,
            subject_id=subject_id,
            data=data,
            traceparent=carrier.get("traceparent"),
        )

    def trace_context(self) -> Any:
        """The producer's trace context, for the consumer to continue the trace."""
        return propagate.extract({"traceparent": self.traceparent} if self.traceparent else {})
