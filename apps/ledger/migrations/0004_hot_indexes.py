# Issue 21: a capture writes one journal entry, two postings, one balance transaction and one
# capture record. The indexes Django made implicitly that no query needs go (PostgreSQL only;
# the model state is unchanged, they come from field attributes and shared abstract models):
# - the `_like` (varchar_pattern_ops) twins of journal entries' public_id and idempotency_key,
#   balance transactions' public_id and payout_id, capture records' charge_id: every lookup of
#   these columns, the admin's searches (`=public_id`, `=payout_id`, `=charge_id`) included, is
#   an equality, which the plain or unique B-tree serves;
# - the merchant FK index of journal entries (ledger_je_merchant leads with merchant_id) and of
#   balance transactions (ledger_txn_tenant and ledger_txn_type lead with it).
# Kept, with their queries: the pkeys and unique keys (public ids, the entry's idempotency key,
# one capture record per charge); ledger_je_source (an object's entries), ledger_je_merchant and
# ledger_je_kind (the ledger pages and reports by merchant / kind over time); created_at's
# (reporting's cross-merchant windows, the admin's date hierarchy); ledger_posting_acct_id (the
# balance reads) and the posting's entry FK (the deferred zero-sum trigger sums an entry's
# postings); ledger_txn_tenant / ledger_txn_type (balance transaction list and ?type=), the
# partial ledger_txn_due (pending funds becoming available), payout_id's (a payout's
# transactions), journal_entry's FK (payouts.py: the transaction of a payout's entry); the
# capture record's merchant FK (the admin's `=merchant__public_id` search) and its partial
# ledger_capture_fx_missing (the FX repair job).

from django.db import migrations

from apps.core.migration_ops import btree, pg_indexes


def _one(name, table, columns):
    return {name: btree(name, table, columns)}


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0003_feescheduleevent_feeschedule_insert_insert_and_more"),
    ]

    operations = [
        pg_indexes(
            drop={
                **_one(
                    "ledger_journalentry_public_id_ba408e02_like",
                    "ledger_journalentry",
                    '"public_id" varchar_pattern_ops',
                ),
                **_one(
                    "ledger_journalentry_idempotency_key_d120a2b9_like",
                    "ledger_journalentry",
                    '"idempotency_key" varchar_pattern_ops',
                ),
                **_one("ledger_journalentry_merchant_id_43d5cd37", "ledger_journalentry", '"merchant_id"'),
                **_one(
                    "ledger_balancetransaction_public_id_40bcbfd1_like",
                    "ledger_balancetransaction",
                    '"public_id" varchar_pattern_ops',
                ),
                **_one(
                    "ledger_balancetransaction_payout_id_4931922d_like",
                    "ledger_balancetransaction",
                    '"payout_id" varchar_pattern_ops',
                ),
                **_one(
                    "ledger_balancetransaction_merchant_id_89da166c",
                    "ledger_balancetransaction",
                    '"merchant_id"',
                ),
                **_one(
                    "ledger_capturerecord_charge_id_84c9987d_like",
                    "ledger_capturerecord",
                    '"charge_id" varchar_pattern_ops',
                ),
            }
        ),
    ]
