"""The admin, one module per part of the product; importing this package registers them all
(Django's autodiscover imports `pipeline_ops.admin`)."""

from pipeline_ops.admin import (  # noqa: F401
    entities,
    intake,
    memberships,
    reports,
    runs,
    schedules,
    subscriptions,
)
