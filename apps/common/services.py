from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import models

from apps.common import context
from apps.common.models import AuditEvent


def _jsonable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    # Anything else (a lazy translation, a django-countries Country...) by its string form, so the
    # JSON column never refuses an audit event.
    return str(value)


def audit_record(
    *,
    actor: Any,
    action: str,
    target: models.Model | None = None,
    organisation: Any = None,
    dispute_id: int | None = None,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEvent:
    """Append one audit event. ``actor`` is a User, an Actor (accounts.actors) or None (system)."""
    user = getattr(actor, "user", actor)
    label = getattr(actor, "label", None) or (str(user) if user is not None else "system")
    if organisation is None:
        organisation = getattr(actor, "organisation", None)
    if organisation is None and target is not None:
        if target._meta.label == "accounts.Organisation":
            organisation = target
        else:
            organisation = getattr(target, "organisation", None)
    if dispute_id is None and target is not None:
        dispute_id = getattr(target, "dispute_id", None)
        if dispute_id is None and target._meta.model_name == "dispute":
            dispute_id = target.pk
    ctx = context.current()
    return AuditEvent.objects.create(
        actor=user if getattr(user, "pk", None) else None,
        actor_label=label[:200],
        organisation=organisation,
        action=action,
        target_type=f"{target._meta.app_label}.{target._meta.model_name}" if target is not None else "",
        target_id=str(target.pk) if target is not None and target.pk is not None else "",
        target_label=str(target)[:300] if target is not None else "",
        dispute_id=dispute_id,
        before=_jsonable(before or {}),
        after=_jsonable(after or {}),
        request_id=ctx.request_id,
        ip=ctx.ip,
    )


def model_update(
    *, instance: models.Model, fields: Iterable[str], data: dict[str, Any]
) -> tuple[models.Model, dict[str, Any], dict[str, Any]]:
    """Set the given fields from data; full_clean and save only what changed.

    Returns (instance, before, after) holding the changed fields only, for the audit event.
    """
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    m2m: dict[str, Any] = {}
    model_fields = {f.name: f for f in instance._meta.get_fields()}
    for name in fields:
        if name not in data:
            continue
        field = model_fields[name]
        if field.many_to_many:
            m2m[name] = data[name]
            continue
        old = getattr(instance, name)
        new = data[name]
        if old != new:
            before[name], after[name] = old, new
            setattr(instance, name, new)
    if before:
        instance.full_clean()
        update_fields = list(before)
        if "updated_at" in model_fields:
            update_fields.append("updated_at")
        instance.save(update_fields=update_fields)
    for name, value in m2m.items():
        related = getattr(instance, name)
        old_ids = sorted(related.values_list("pk", flat=True))
        new_ids = sorted(v.pk if isinstance(v, models.Model) else v for v in value)
        if old_ids != new_ids:
            related.set(value)
            before[name], after[name] = old_ids, new_ids
    return instance, _jsonable(before), _jsonable(after)


def full_clean_or_raise(instance: models.Model, *, exclude: list[str] | None = None) -> None:
    """full_clean(), with the first problem raised as an ApplicationError naming its field."""
    from django.core.exceptions import ValidationError

    from apps.common.errors import ApplicationError

    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            field, errors = next(iter(exc.error_dict.items()))
            raise ApplicationError(errors[0].messages[0], field=None if field == "__all__" else field) from exc
        raise ApplicationError(exc.messages[0]) from exc


def model_update_or_raise(
    *, instance: models.Model, fields: Iterable[str], data: dict[str, Any]
) -> tuple[models.Model, dict[str, Any], dict[str, Any]]:
    """model_update(), with validation problems raised as ApplicationError."""
    from django.core.exceptions import ValidationError

    from apps.common.errors import ApplicationError

    try:
        return model_update(instance=instance, fields=fields, data=data)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            field, errors = next(iter(exc.error_dict.items()))
            raise ApplicationError(errors[0].messages[0], field=None if field == "__all__" else field) from exc
        raise ApplicationError(exc.messages[0]) from exc
