"""The developer platform's writes: simulations (test helpers), bulk jobs."""

from .simulate import KINDS as SIMULATION_KINDS
from .simulate import simulation_apply as simulation_apply
from .simulate import simulation_create as simulation_create
from .simulate import simulations_run_due as simulations_run_due

__all__ = ["SIMULATION_KINDS", "simulation_apply", "simulation_create", "simulations_run_due"]
