"""The circuit breaker's probe: a connector whose open circuit cooled down (half open) gets a
read-only health check; a success closes the circuit, a failure opens it again (observe)."""

from __future__ import annotations

from .. import observe
from ..models import Connector

CHUNK = 500


def connectors_probe_circuits() -> dict[str, int]:
    """Every active connector's circuit is read (one cache round trip per chunk of 500)."""
    from .. import gateway

    probed = closed = 0
    chunk: list[Connector] = []
    rows = Connector.objects.filter(status=Connector.Status.ACTIVE).order_by("pk").iterator(chunk_size=CHUNK)
    for connector in rows:
        chunk.append(connector)
        if len(chunk) < CHUNK:
            continue
        p, c = _probe(chunk, gateway)
        probed, closed, chunk = probed + p, closed + c, []
    p, c = _probe(chunk, gateway)
    return {"probed": probed + p, "closed": closed + c}


def _probe(connectors: list[Connector], gateway) -> tuple[int, int]:
    states = observe.circuit_states([c.public_id for c in connectors])
    probed = closed = 0
    for connector in connectors:
        if states[connector.public_id] != observe.HALF_OPEN:
            continue
        probed += 1
        gateway.health(connector=connector)
        closed += observe.circuit_state(connector.public_id) == observe.CLOSED
    return probed, closed
