"""HTTP webhook sink: one POST per publication with an ``Idempotency-Key`` of ``id:revision``."""
from __future__ import annotations

from collections.abc import Sequence

import httpx

from core.publish.message import Publication


class WebhookError(Exception):
    """The receiver answered with a status other than 2xx."""


class WebhookSink:
    """POSTs each publication as JSON; any failure is retried by the runner with backoff."""

    batch_size = 1

    def __init__(self, url: str, name: str = "webhook", timeout_s: float = 5.0,
                 headers: dict[str, str] | None = None) -> None:
        self.url = url
        self.name = name
        self._client = httpx.AsyncClient(timeout=timeout_s, headers=headers or {})

    async def deliver(self, pubs: Sequence[Publication]) -> None:
        """POST each publication in order; raise on the first that is not accepted."""
        for pub in pubs:
            response = await self._client.post(
                self.url, content=pub.to_json().encode(),
                headers={"Content-Type": "application/json",
                         "Idempotency-Key": f"{pub.id}:{pub.revision}"})
            if not 200 <= response.status_code < 300:
                raise WebhookError(f"HTTP {response.status_code} from {self.url}")

    async def heartbeat(self, message: dict) -> None:
        """Webhook receivers get publications only."""

    async def close(self) -> None:
        """Close the HTTP connection pool."""
        await self._client.aclose()
