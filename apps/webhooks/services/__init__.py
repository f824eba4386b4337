"""Events (transactional outbox), webhook endpoints, signed deliveries with retries, and inbound
gateway callbacks. Every write of the app goes through here; callers import from this package:

- outbox.py      event_record / events_record (every app), deferred publishing, retention
- endpoints.py   create, update, enable/disable, delete, rotate the secret, send a test
- delivery.py    fan-out, sweepers, re-drives
- sending.py     claim with a lease, sign, send concurrently (apps/webhooks/sender.py), record
- dispatch.py    in a worker process: gather fan-outs and claims in groups (a thread per process)
- inbound.py     provider callbacks: store, verify, deduplicate, apply through the owner
- publishing.py  broker publishes after commit, failing fast (the sweepers re-drive)
"""

from .delivery import deliveries_redrive as deliveries_redrive
from .delivery import deliveries_retry_failed as deliveries_retry_failed
from .delivery import deliveries_sweep as deliveries_sweep
from .delivery import deliveries_sweep_clock as deliveries_sweep_clock
from .delivery import event_fan_out as event_fan_out
from .delivery import events_fan_out as events_fan_out
from .delivery import events_fan_out_pending as events_fan_out_pending
from .delivery import events_outbox_sweep as events_outbox_sweep
from .dispatch import events_fan_out_dispatch as events_fan_out_dispatch
from .dispatch import events_wake_dispatch as events_wake_dispatch
from .dispatch import senders_shutdown as senders_shutdown
from .endpoints import endpoint_secrets as endpoint_secrets
from .endpoints import webhook_endpoint_auto_disable as webhook_endpoint_auto_disable
from .endpoints import webhook_endpoint_create as webhook_endpoint_create
from .endpoints import webhook_endpoint_delete as webhook_endpoint_delete
from .endpoints import webhook_endpoint_rotate_secret as webhook_endpoint_rotate_secret
from .endpoints import webhook_endpoint_send_test as webhook_endpoint_send_test
from .endpoints import webhook_endpoint_set_enabled as webhook_endpoint_set_enabled
from .endpoints import webhook_endpoint_update as webhook_endpoint_update
from .inbound import InboundOutcome as InboundOutcome
from .inbound import inbound_webhook_receive as inbound_webhook_receive
from .outbox import event_record as event_record
from .outbox import events_build as events_build
from .outbox import events_enqueue_on_commit as events_enqueue_on_commit
from .outbox import events_publish_deferred as events_publish_deferred
from .outbox import events_purge as events_purge
from .outbox import events_record as events_record
from .sending import deliveries_send as deliveries_send
from .sending import delivery_send as delivery_send
