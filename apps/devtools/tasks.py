from celery import shared_task


@shared_task(acks_late=True)
def simulation_apply_task(simulation_id: int) -> str:
    from .services.simulate import simulation_apply

    return simulation_apply(simulation_id=simulation_id).status


@shared_task
def simulations_run_due_task() -> int:
    from .services.simulate import simulations_run_due

    return simulations_run_due()


@shared_task(acks_late=True)
def bulk_job_run_task(job_id: int) -> str:
    from .services.bulk import bulk_job_run

    job = bulk_job_run(job_id=job_id)
    return job.status if job is not None else "locked"


@shared_task
def bulk_jobs_resume_task() -> int:
    from .services.bulk import bulk_jobs_resume

    return bulk_jobs_resume()


@shared_task(acks_late=True)
def test_clock_advance_task(clock_id: int) -> str:
    from .services.clocks import test_clock_run_advance

    return test_clock_run_advance(clock_id=clock_id).status


@shared_task
def test_clocks_expire_task() -> int:
    from .services.clocks import test_clocks_expire

    return test_clocks_expire()
