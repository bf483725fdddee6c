"""Schedules are data, not code: real admin POSTs against django-q2's Schedule model.

Each test is an attack on the worker through the Schedule admin (whoever writes `func`,
`hook` or `args` runs code as the worker) and shows it refused, or a legitimate operator
change that must still work.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse
from django.utils import timezone
from django_q.models import OrmQ, Schedule

from pipeline_ops.pipeline.runs.schedules import (
    NIGHTLY_NAME,
    NIGHTLY_TASK,
    TASK,
    setup_schedules,
    validate_schedule,
)

pytestmark = pytest.mark.django_db

ADD = "admin:django_q_schedule_add"
CHANGELIST = "admin:django_q_schedule_changelist"


@pytest.fixture
def nightly(entity) -> Schedule:
    setup_schedules()
    return Schedule.objects.get(name=NIGHTLY_NAME)


def form(schedule: Schedule | None = None, **fields) -> dict:
    """What the admin's change form posts: the stored values, then the attacker's edits."""
    when = timezone.localtime(schedule.next_run if schedule else timezone.now())
    data = {
        "name": "", "func": TASK, "hook": "", "args": "('sync', 'IONS')", "kwargs": "",
        "schedule_type": "D", "minutes": "", "repeats": "-1", "cron": "", "cluster": "",
        "intended_date_kwarg": "", "next_run_0": when.strftime("%Y-%m-%d"),
        "next_run_1": when.strftime("%H:%M:%S"), "_save": "Save",
    }  # fmt: skip
    if schedule is not None:
        data.update(name=schedule.name, func=schedule.func, args=schedule.args)
    return {**data, **fields}


def change(client, schedule: Schedule, **fields):
    url = reverse("admin:django_q_schedule_change", args=[schedule.pk])
    return client.post(url, form(schedule, **fields))


def unchanged(schedule: Schedule) -> bool:
    stored = Schedule.objects.get(pk=schedule.pk)
    return (stored.func, stored.hook, stored.args, stored.kwargs) == (
        schedule.func, schedule.hook, schedule.args, schedule.kwargs
    )  # fmt: skip


def test_an_operator_cannot_point_a_schedule_at_os_system(client, operator, nightly):
    client.force_login(operator)
    response = change(client, nightly, func="os.system", args="'touch /tmp/pwned'")
    assert response.status_code == 302  # the timing part saved; the code fields were ignored
    assert unchanged(nightly)


def test_an_operator_cannot_add_a_schedule_running_os_system(client, operator, entity):
    client.force_login(operator)
    response = client.post(reverse(ADD), form(func="os.system", args="'id'"))
    assert response.status_code == 403
    assert not Schedule.objects.exists()


def test_an_operator_cannot_hang_os_system_on_a_schedule_as_its_hook(client, operator, nightly):
    client.force_login(operator)
    change(client, nightly, hook="os.system")
    assert Schedule.objects.get(pk=nightly.pk).hook in (None, "")


def test_an_operator_cannot_smuggle_code_through_a_schedules_args(client, operator, nightly):
    client.force_login(operator)
    change(client, nightly, args="__import__('os').system('id')", kwargs="{'q_options': {}}")
    assert unchanged(nightly)


def test_an_operator_cannot_delete_a_schedule(client, operator, nightly):
    client.force_login(operator)
    url = reverse("admin:django_q_schedule_delete", args=[nightly.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert Schedule.objects.filter(pk=nightly.pk).exists()


def test_an_operator_can_neither_see_nor_pause_a_schedule_naming_other_code(client, operator):
    foreign = Schedule.objects.create(func="os.system", args="'id'", repeats=-1)
    client.force_login(operator)
    assert "os.system" not in client.get(reverse(CHANGELIST)).content.decode()
    url = reverse("admin:django_q_schedule_change", args=[foreign.pk])
    assert client.get(url).status_code == 404  # as if it did not exist
    client.post(reverse(CHANGELIST), {"action": "pause", "_selected_action": [foreign.pk]})
    assert Schedule.objects.get(pk=foreign.pk).repeats == -1


def test_a_superuser_cannot_save_os_system_as_a_schedule_function(client, admin_user, entity):
    client.force_login(admin_user)
    response = client.post(reverse(ADD), form(func="os.system", args="'id'"))
    assert response.status_code == 200
    assert "is not one of the task functions" in response.content.decode()
    assert not Schedule.objects.exists()


def test_a_superuser_cannot_save_a_hook_outside_the_allow_list(client, admin_user, entity):
    client.force_login(admin_user)
    response = client.post(reverse(ADD), form(hook="os.system"))
    assert "is not an allowed hook" in response.content.decode()
    assert not Schedule.objects.exists()


@pytest.mark.parametrize(
    ("args", "kwargs", "error"),
    [
        ("__import__('os').system('id')", "", "must be a Python literal"),
        ("('rm -rf /', 'IONS')", "", "is not one of sync, publish"),
        ("('sync', '../../x')", "", "is not an existing entity code"),
        ("('sync', 'IONS')", "{'q_options': {'hook': 'os.system'}}", "takes (stage, entity"),
        ("('sync', 'IONS', '2026; id')", "", "is not a year"),
        ("('sync', 'IONS')", "x=__import__('os')", "must be a Python literal"),
    ],
)
def test_a_superuser_cannot_smuggle_code_or_bad_values_through_args(
    client, admin_user, entity, args, kwargs, error
):
    client.force_login(admin_user)
    response = client.post(reverse(ADD), form(args=args, kwargs=kwargs))
    assert error in response.content.decode().replace("&#x27;", "'")
    assert not Schedule.objects.exists()


def test_a_superuser_can_add_a_schedule_of_the_product_task(client, admin_user, entity):
    client.force_login(admin_user)
    response = client.post(reverse(ADD), form(args="('publish', 'IONS')", kwargs="{'year': 2026}"))
    assert response.status_code == 302
    assert Schedule.objects.get().args == "('publish', 'IONS')"


def test_the_schedules_setup_schedules_makes_pass_the_allow_list(nightly):
    for schedule in Schedule.objects.all():
        validate_schedule(schedule.func, schedule.hook, schedule.args, schedule.kwargs)


def test_an_operator_can_re_time_a_schedule(client, operator, nightly):
    client.force_login(operator)
    response = change(client, nightly, schedule_type="W", repeats="5", next_run_1="01:30:00")
    assert response.status_code == 302
    stored = Schedule.objects.get(pk=nightly.pk)
    assert (stored.schedule_type, stored.repeats) == ("W", 5)
    assert timezone.localtime(stored.next_run).strftime("%H:%M") == "01:30"


def act(client, action: str, *schedules: Schedule) -> str:
    data = {"action": action, "_selected_action": [s.pk for s in schedules]}
    return client.post(reverse(CHANGELIST), data, follow=True).content.decode()


def test_an_operator_pauses_and_resumes_schedules(client, operator, nightly):
    client.force_login(operator)
    monthly = Schedule.objects.get(name="Monthly publish + report IONS")
    assert "Paused 2 schedule(s)." in act(client, "pause", nightly, monthly)
    assert set(Schedule.objects.values_list("repeats", flat=True)) == {0}
    assert "Resumed 1 schedule(s)." in act(client, "resume", nightly)
    assert Schedule.objects.get(pk=nightly.pk).repeats == -1


# Transactional: django-q2's scheduler() closes the connection first, as in the worker.
@pytest.mark.django_db(transaction=True)
def test_the_real_scheduler_queues_nothing_for_a_paused_schedule_until_it_is_resumed(
    client, operator, nightly
):
    from django_q.brokers.orm import ORM
    from django_q.scheduler import scheduler as run_scheduler

    def scheduler() -> None:
        # The ORM queue whatever Q_CLUSTER's broker is, so the queued task can be read back.
        run_scheduler(broker=ORM(list_key="atlas-ops-test"))

    Schedule.objects.filter(pk=nightly.pk).update(next_run=timezone.now() - timedelta(minutes=5))
    client.force_login(operator)
    act(client, "pause", nightly)
    scheduler()
    assert not OrmQ.objects.exists()

    act(client, "resume", nightly)
    scheduler()
    (queued,) = OrmQ.objects.all()
    assert (queued.func(), queued.args()) == (NIGHTLY_TASK, ())


def test_no_role_grants_anything_of_django_q_beyond_viewing_and_changing_schedules(operator):
    granted = Permission.objects.filter(group__isnull=False, content_type__app_label="django_q")
    assert set(granted.values_list("codename", flat=True)) == {"view_schedule", "change_schedule"}


def test_a_staff_user_allowed_to_see_failures_cannot_resubmit_one(client, db):
    user = User.objects.create_user("fay", password="pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_failure"))
    client.force_login(user)
    page = client.get(reverse("admin:django_q_failure_changelist"))
    assert page.status_code == 200 and "resubmit_task" not in page.content.decode()
