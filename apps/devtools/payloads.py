"""The public shape of the developer platform's objects."""

from apps.core.payloads import unix

from .models import Simulation


def simulation_to_dict(sim: Simulation) -> dict:
    return {
        "id": sim.public_id,
        "object": "test_helpers.simulation",
        "type": sim.type,
        "target": sim.object_id,
        "params": dict(sim.params),
        "status": sim.status,
        "result": sim.result or None,
        "provider_event_id": sim.provider_event_id or None,
        "run_at": unix(sim.run_at),
        "applied_at": unix(sim.applied_at),
        "created": unix(sim.created_at),
        "livemode": sim.livemode,
    }
