# Issue 21: the step-3 charge UPDATE (the provider's answer) changed two indexed columns — status,
# in the predicate of ch_unresolved, and gateway_reference, indexed by ch_gateway_reference — so
# it was never HOT and wrote an entry in every index of intents_charge. Both lookups move to side
# tables kept by triggers on intents_charge (models.py: ChargeReference, UnresolvedAttempt), the
# two indexes go:
# - intents_chargereference (gateway_reference, charge_id), primary key = the lookup by a
#   provider's reference (selectors.charges_by_gateway_reference: webhooks and notifications,
#   disputes, early fraud warnings, the customer's return, back-office search). Insert-only.
# - intents_unresolvedattempt (charge_id): the re-check janitor's and diagnostics' candidates
#   (selectors.charges_unresolved), a row while the charge is submitting / unknown / pending.
# The triggers run inside the statement that writes the charge (the hot path's CTE included), only
# when their WHEN clause says the side table changes. Existing charges are copied in.

import django.db.models.deletion
from django.db import migrations, models

OPEN = "('submitting', 'unknown', 'pending')"

POSTGRES = f"""
CREATE FUNCTION intents_charge_reference_record() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO intents_chargereference (gateway_reference, charge_id)
    VALUES (NEW.gateway_reference, NEW.id) ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER intents_charge_reference_ins AFTER INSERT ON intents_charge FOR EACH ROW
    WHEN (NEW.gateway_reference <> '') EXECUTE FUNCTION intents_charge_reference_record();
CREATE TRIGGER intents_charge_reference_upd AFTER UPDATE OF gateway_reference ON intents_charge
    FOR EACH ROW WHEN (NEW.gateway_reference <> '' AND NEW.gateway_reference <> OLD.gateway_reference)
    EXECUTE FUNCTION intents_charge_reference_record();

CREATE FUNCTION intents_charge_unresolved_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status IN {OPEN} THEN
        INSERT INTO intents_unresolvedattempt (charge_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
    ELSE
        DELETE FROM intents_unresolvedattempt WHERE charge_id = NEW.id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER intents_charge_unresolved_ins AFTER INSERT ON intents_charge FOR EACH ROW
    WHEN (NEW.status IN {OPEN}) EXECUTE FUNCTION intents_charge_unresolved_track();
CREATE TRIGGER intents_charge_unresolved_upd AFTER UPDATE OF status ON intents_charge FOR EACH ROW
    WHEN ((NEW.status IN {OPEN}) <> (OLD.status IN {OPEN})) EXECUTE FUNCTION intents_charge_unresolved_track();
"""

POSTGRES_REVERSE = """
DROP TRIGGER intents_charge_reference_ins ON intents_charge;
DROP TRIGGER intents_charge_reference_upd ON intents_charge;
DROP TRIGGER intents_charge_unresolved_ins ON intents_charge;
DROP TRIGGER intents_charge_unresolved_upd ON intents_charge;
DROP FUNCTION intents_charge_reference_record();
DROP FUNCTION intents_charge_unresolved_track();
"""

SQLITE = [
    """CREATE TRIGGER intents_charge_reference_ins AFTER INSERT ON intents_charge
       WHEN NEW.gateway_reference <> '' BEGIN
       INSERT OR IGNORE INTO intents_chargereference (gateway_reference, charge_id)
       VALUES (NEW.gateway_reference, NEW.id); END""",
    """CREATE TRIGGER intents_charge_reference_upd AFTER UPDATE OF gateway_reference ON intents_charge
       WHEN NEW.gateway_reference <> '' AND NEW.gateway_reference <> OLD.gateway_reference BEGIN
       INSERT OR IGNORE INTO intents_chargereference (gateway_reference, charge_id)
       VALUES (NEW.gateway_reference, NEW.id); END""",
    f"""CREATE TRIGGER intents_charge_unresolved_ins AFTER INSERT ON intents_charge
       WHEN NEW.status IN {OPEN} BEGIN
       INSERT OR IGNORE INTO intents_unresolvedattempt (charge_id) VALUES (NEW.id); END""",
    f"""CREATE TRIGGER intents_charge_unresolved_upd AFTER UPDATE OF status ON intents_charge
       WHEN (NEW.status IN {OPEN}) <> (OLD.status IN {OPEN}) BEGIN
       INSERT OR IGNORE INTO intents_unresolvedattempt (charge_id)
       SELECT NEW.id WHERE NEW.status IN {OPEN};
       DELETE FROM intents_unresolvedattempt WHERE charge_id = NEW.id AND NEW.status NOT IN {OPEN}; END""",
]

SQLITE_REVERSE = [
    f"DROP TRIGGER {name}"
    for name in (
        "intents_charge_reference_ins",
        "intents_charge_reference_upd",
        "intents_charge_unresolved_ins",
        "intents_charge_unresolved_upd",
    )
]

COPY = [
    "INSERT INTO intents_chargereference (gateway_reference, charge_id)"
    " SELECT gateway_reference, id FROM intents_charge WHERE gateway_reference <> ''",
    f"INSERT INTO intents_unresolvedattempt (charge_id) SELECT id FROM intents_charge WHERE status IN {OPEN}",
]


def forward(apps, schema_editor):
    statements = [POSTGRES] if schema_editor.connection.vendor == "postgresql" else SQLITE
    for sql in [*statements, *COPY]:
        schema_editor.execute(sql)


def backward(apps, schema_editor):
    statements = [POSTGRES_REVERSE] if schema_editor.connection.vendor == "postgresql" else SQLITE_REVERSE
    for sql in statements:
        schema_editor.execute(sql)
    schema_editor.execute("DELETE FROM intents_chargereference")
    schema_editor.execute("DELETE FROM intents_unresolvedattempt")


class Migration(migrations.Migration):
    dependencies = [
        ("intents", "0007_hot_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="ChargeReference",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "gateway_reference", "charge", blank=True, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("gateway_reference", models.CharField(max_length=100)),
                (
                    "charge",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="intents.charge",
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="UnresolvedAttempt",
            fields=[
                (
                    "charge",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="intents.charge",
                    ),
                ),
            ],
        ),
        migrations.RunPython(forward, backward),
        migrations.RemoveIndex(model_name="charge", name="ch_unresolved"),
        migrations.RemoveIndex(model_name="charge", name="ch_gateway_reference"),
    ]
