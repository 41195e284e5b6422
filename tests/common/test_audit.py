import pytest
from django.db import connection
from django.db.utils import DatabaseError

from apps.common.models import AppendOnlyError, AuditEvent
from apps.common.services import audit_record

pytestmark = pytest.mark.django_db


def test_audit_record_keeps_actor_target_and_changes(org, admin_membership):
    event = audit_record(actor=admin_membership.user, action="accounts.organisation.renamed", target=org,
                         before={"name": "Old"}, after={"name": "New"})
    event.refresh_from_db()
    assert event.organisation == org
    assert event.actor == admin_membership.user
    assert event.target_type == "accounts.organisation"
    assert event.target_id == str(org.pk)
    assert event.before == {"name": "Old"} and event.after == {"name": "New"}


def test_the_orm_refuses_to_change_or_delete_audit_events(org):
    event = audit_record(actor=None, action="x.y.z", target=org)
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action="forged")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()


def test_the_database_refuses_raw_sql_updates_and_deletes(org):
    event = audit_record(actor=None, action="x.y.z", target=org)
    for sql in ("UPDATE common_auditevent SET action = 'forged' WHERE id = %s",
                "DELETE FROM common_auditevent WHERE id = %s"):
        with pytest.raises(DatabaseError, match="append-only"), connection.cursor() as cur:
            from django.db import transaction

            with transaction.atomic():
                cur.execute(sql, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == "x.y.z"


def test_audit_data_of_any_type_is_stored_as_json(org):
    import datetime as dt

    from django.utils.translation import gettext_lazy
    from django_countries.fields import Country

    event = audit_record(actor=None, action="parties.party.updated", target=org,
                         before={"country": Country("KE"), "label": gettext_lazy("Closed")},
                         after={"country": Country("ET"), "when": dt.date(2026, 5, 1)})
    event.refresh_from_db()
    assert event.before == {"country": "KE", "label": "Closed"}
    assert event.after == {"country": "ET", "when": "2026-05-01"}
