from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User

from pipeline_ops.models import Entity, Membership
from pipeline_ops.pipeline.roles import setup_roles
from pipeline_ops.pipeline.runs.notify import OPERATORS_GROUP, VIEWERS_GROUP

pytest_plugins = [
    "tests.workbooks", "tests.warehouse_fixtures", "tests.ops_fixtures", "tests.browser_fixtures",
]  # fmt: skip


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, settings) -> Path:
    """Every test gets its own PIPELINE_DATA_DIR: warehouse, ops DB, sources, reports."""
    root = tmp_path / "data"
    root.mkdir()
    settings.PIPELINE_DATA_DIR = root
    settings.WAREHOUSE_PATH = None
    settings.OPS_DB_URL = None
    settings.MEDIA_ROOT = root / "uploads"
    settings.PIPELINE_LOCK_TIMEOUT = 30
    # django-q2's cluster stats (ORM broker) where a test's worker, started with this data
    # dir, writes them (config/settings.py).
    qstats = {**settings.CACHES["qstats"], "LOCATION": str(root / "qstats")}
    settings.CACHES = {**settings.CACHES, "qstats": qstats}
    return root


@pytest.fixture
def entity(db) -> Entity:
    return Entity.objects.create(code="IONS", name="IONS")


def staff_in(group: str, username: str, entities: str | None = "every") -> User:
    """A staff user in a role's group; member of every entity in that role (as an upgrade
    leaves existing staff), unless `entities=None` (tests/test_access*.py grant their own)."""
    setup_roles()  # the groups exist after migrate; a flushed test database may have lost them
    user = User.objects.create_user(username, f"{username}@example.com", "pw", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    if entities == "every":
        role = "operator" if group == OPERATORS_GROUP else "viewer"
        Membership.objects.create(user=user, entity=None, role=role)
    return user


@pytest.fixture
def operator(db) -> User:
    """A staff user in the Pipeline operators group."""
    return staff_in(OPERATORS_GROUP, "olga")


@pytest.fixture
def viewer(db) -> User:
    """A staff user in the Report viewers group."""
    return staff_in(VIEWERS_GROUP, "vic")


@pytest.fixture
def orm_broker(monkeypatch):
    """django-q2's ORM broker whatever the environment names, so queued tasks are rows."""
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "ORM", "default")
    monkeypatch.setattr(Conf, "SYNC", False)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`make test` runs on two pytest-xdist workers. Tests that start a real django-q2
    worker (they import tests.worker.running_worker) all go to the same one, in turn: with
    Redis, two clusters on one queue would take each other's tasks."""
    for item in items:
        module = getattr(item, "module", None)
        if module is not None and hasattr(module, "running_worker"):
            item.add_marker(pytest.mark.xdist_group("qcluster"))


@pytest.fixture(autouse=True)
def empty_task_queue(settings):
    """With Redis, django-q2's queue outlives each test's database: a task a test queued and
    no worker took (an admin launch, an upload's preview) must not reach a later test's
    worker, which would run it against other rows. Each xdist process has its own queue."""
    from django_q.brokers import get_broker

    broker = get_broker() if settings.Q_CLUSTER.get("redis") else None
    if broker:
        broker.purge_queue()
    yield
    if broker:
        broker.purge_queue()
