"""Operations that write: restoring a dispute from its archive."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from apps.accounts.models import Organisation
from apps.common.errors import ApplicationError
from apps.common.services import audit_record
from apps.disputes.models import Dispute
from apps.operations.archive import FORMAT, FORMAT_VERSION, dispute_archive_restore, required_emails

IMPORT_LABEL = "import_dispute"


@transaction.atomic
def dispute_archive_import(*, organisation: Organisation, archive: dict[str, Any]) -> Dispute:
    """Restore an archive made by ``export_dispute`` into ``organisation``, all or nothing.

    Refused when the archive is not one (or of a newer format), when the organisation already
    has a dispute with that reference, or when a user the rows need (case team, team at a
    session, owner of an action item) has no membership there; users are matched by e-mail.
    Writes one audit event, ``operations.dispute.imported``, besides the restored history.
    """
    if not isinstance(archive, dict) or archive.get("format") != FORMAT:
        raise ApplicationError(_("This file is not a PeaceCase dispute archive."), field="archive")
    version = archive.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ApplicationError(
            _("This archive has format version %(version)s; this PeaceCase reads up to %(max)s.")
            % {"version": version, "max": FORMAT_VERSION}, field="archive",
        )
    reference = archive.get("dispute", {}).get("reference") or ""
    if not reference:
        raise ApplicationError(_("The archive holds no dispute."), field="archive")
    # Lock the organisation row: two imports of one reference at once must not both pass the check.
    Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
    if Dispute.objects.filter(organisation=organisation, reference=reference).exists():
        raise ApplicationError(
            _("%(org)s already has a dispute %(reference)s; nothing was imported.")
            % {"org": organisation.slug, "reference": reference}, field="reference",
        )
    members = set(
        organisation.memberships.values_list("user__email", flat=True)
    )
    missing = sorted(e for e in required_emails(archive) if e.lower() not in {m.lower() for m in members})
    if missing:
        raise ApplicationError(
            _("These users are on the case team (or own its sessions' attendance or action items) but have no "
              "membership in %(org)s: %(emails)s. Add them first; nothing was imported.")
            % {"org": organisation.slug, "emails": ", ".join(missing)}, field="team",
        )
    dispute = dispute_archive_restore(organisation=organisation, archive=archive)
    audit_record(
        actor=None,
        action="operations.dispute.imported",
        target=dispute,
        organisation=organisation,
        after={
            "reference": reference,
            "from_organisation": archive.get("organisation", {}).get("slug", ""),
            "exported_at": archive.get("exported_at", ""),
            "exported_by": archive.get("exported_by", ""),
            "team_only_notes_included": bool(archive.get("team_only_notes_included")),
        },
    )
    return dispute
