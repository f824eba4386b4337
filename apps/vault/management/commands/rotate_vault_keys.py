"""Re-wrap every vault record's data key under the newest (active) key-encryption key.

    manage.py rotate_vault_keys [--to-version v2] [--batch-size 500] [--dry-run]

Runs in batches, each batch in its own short transaction with its rows locked (SKIP LOCKED, so
it can run next to live traffic and in several copies). Resumable: it only ever selects records
not yet on the target version, so an interrupted run simply continues where it stopped. The
ciphertext never changes, only the wrapped data key; once it reports 0 remaining, the old
version can be removed from VAULT_KEYS.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Count

from apps.audit.services import Actor, audit_record
from apps.vault import crypto
from apps.vault.errors import VaultDecryptionError, VaultKeyError
from apps.vault.models import VaultRecord
from apps.vault.services import vault_record_rotate


class Command(BaseCommand):
    help = "Re-wrap vault data keys under the active (or given) key version, in resumable batches."

    def add_arguments(self, parser):
        parser.add_argument(
            "--to-version", default=None, help="Target key version (default: the active one)."
        )
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument("--dry-run", action="store_true", help="Only count what would be rotated.")
        parser.add_argument(
            "--max-batches", type=int, default=None, help="Stop after N batches (resume later)."
        )

    def handle(self, *args, to_version=None, batch_size=500, dry_run=False, max_batches=None, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        try:
            keyring = crypto.get_keyring()
        except VaultKeyError as exc:
            raise CommandError(str(exc)) from exc
        target = to_version or keyring.active_version
        if not keyring.has(target):
            raise CommandError(
                f"Key version {target!r} is not in VAULT_KEYS ({', '.join(keyring.versions)})."
            )

        by_version = dict(
            VaultRecord.objects.values_list("kek_version")
            .annotate(n=Count("id"))
            .values_list("kek_version", "n")
        )
        total = sum(by_version.values())
        pending = total - by_version.get(target, 0)
        missing = sorted(v for v in by_version if not keyring.has(v))
        self.stdout.write(
            f"target={target} total={total} already_current={by_version.get(target, 0)} to_rotate={pending} "
            f"by_version={by_version}"
        )
        if missing:
            self.stderr.write(
                f"Records use key versions absent from VAULT_KEYS: {missing}; they cannot be rotated."
            )
        if dry_run or pending == 0:
            return

        rotated = failed = batches = 0
        last_pk = 0
        failed_ids: list[str] = []
        while max_batches is None or batches < max_batches:
            with transaction.atomic():
                batch = list(
                    VaultRecord.objects.select_for_update(skip_locked=True, of=("self",))
                    .select_related("merchant")
                    .exclude(kek_version=target)
                    .filter(pk__gt=last_pk)
                    .order_by("pk")[:batch_size]
                )
                if not batch:
                    break
                changed = []
                for record in batch:
                    try:
                        if vault_record_rotate(record=record, to_version=target):
                            changed.append(record)
                    except (VaultKeyError, VaultDecryptionError) as exc:
                        failed += 1
                        failed_ids.append(record.public_id)
                        self.stderr.write(f"{record.public_id}: {exc}")
                VaultRecord.objects.bulk_update(changed, ["kek_version", "wrapped_key", "rotated_at"])
                rotated += len(changed)
                last_pk = batch[-1].pk
            batches += 1
            self.stdout.write(f"batch {batches}: rotated {len(changed)} (total {rotated})")

        remaining = VaultRecord.objects.exclude(kek_version=target).count()
        with transaction.atomic():
            audit_record(
                actor=Actor.system("rotate_vault_keys"),
                action="vault.keys_rotated",
                object_type="vault.vaultrecord",
                object_id=target,
                after={"target": target, "rotated": rotated, "failed": failed, "remaining": remaining,
                       "batches": batches, "failed_ids": failed_ids[:100]},
            )  # fmt: skip
        self.stdout.write(
            self.style.SUCCESS(
                f"rotated={rotated} failed={failed} remaining={remaining} batches={batches} target={target}"
            )
        )
