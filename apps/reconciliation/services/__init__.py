"""Every write of reconciliation: ingest, sync, runs and resolutions."""

from .ingest import settlement_file_ingest as settlement_file_ingest
from .resolve import actions_for as actions_for
from .resolve import discrepancy_resolve as discrepancy_resolve
from .runs import reconciliation_run_create as reconciliation_run_create
from .runs import reconciliation_run_execute as reconciliation_run_execute
from .sync import settlement_sync as settlement_sync
from .sync import settlement_sync_execute as settlement_sync_execute
from .sync import settlement_sync_request as settlement_sync_request
