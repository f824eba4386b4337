"""The developer platform's writes: simulations (test helpers), bulk jobs."""

from .bulk import bulk_job_approve as bulk_job_approve
from .bulk import bulk_job_cancel as bulk_job_cancel
from .bulk import bulk_job_create as bulk_job_create
from .bulk import bulk_job_reject as bulk_job_reject
from .bulk import bulk_job_run as bulk_job_run
from .bulk import bulk_job_start as bulk_job_start
from .bulk import bulk_jobs_resume as bulk_jobs_resume
from .simulate import KINDS as SIMULATION_KINDS
from .simulate import simulation_apply as simulation_apply
from .simulate import simulation_create as simulation_create
from .simulate import simulations_run_due as simulations_run_due

__all__ = [
    "SIMULATION_KINDS",
    "bulk_job_approve",
    "bulk_job_cancel",
    "bulk_job_create",
    "bulk_job_reject",
    "bulk_job_run",
    "bulk_job_start",
    "bulk_jobs_resume",
    "simulation_apply",
    "simulation_create",
    "simulations_run_due",
]
