from celery import shared_task


@shared_task(acks_late=True)
def simulation_apply_task(simulation_id: int) -> str:
    from .services.simulate import simulation_apply

    return simulation_apply(simulation_id=simulation_id).status


@shared_task
def simulations_run_due_task() -> int:
    from .services.simulate import simulations_run_due

    return simulations_run_due()
