"""Who subscribes to what (docs/reports.md, "Subscriptions and delivery").

A report viewer subscribes themselves ("Subscribe me" in the admin): the mail goes to the
address on their user, so a user without one cannot subscribe until it is added.
"""

from __future__ import annotations

from pipeline_ops.models import Entity, ReportSubscription
from pipeline_ops.pipeline.errors import PipelineError

NO_EMAIL = (
    "Your user has no e-mail address, so no report can reach you: ask an administrator to "
    "add one to your user, then subscribe."
)


class NoEmailAddress(PipelineError):
    pass


def subscribe(user, entity: Entity, report_type: str, unit: str = "") -> tuple:
    """The user's subscription to one report (turned on again if it was off);
    returns (subscription, created)."""
    if not (user.email or "").strip():
        raise NoEmailAddress(NO_EMAIL)
    mine = dict(user=user, email="", entity=entity, report_type=report_type, unit=unit)
    subscription = ReportSubscription.objects.filter(**mine).first()
    if subscription is None:
        return ReportSubscription.objects.create(**mine), True
    if not subscription.active:
        subscription.active = True
        subscription.save(update_fields=["active"])
    return subscription, False
