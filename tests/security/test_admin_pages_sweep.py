"""Every admin page, for every role: each registered admin's changelist, add, change,
history and delete pages and every custom view of its get_urls, for a superuser, a
Pipeline operator, a Report viewer and a staff user holding no permission.

A page either renders (200) or refuses cleanly (403; 405 for a POST-only button's URL on a
GET): never an error. The test client re-raises a view's exception, so a page that would be
a 500 fails here with its traceback. Which of 200 and 403 is expected comes from the admin's
own permission methods; staff without permissions must get 403 everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from uuid import uuid4

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path, quote
from django.contrib.auth.models import Group, User
from django.core.files.base import ContentFile
from django.db.models import Model
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import Failure, OrmQ, Schedule, Success
from django_q.signing import SignedPackage

from pipeline_ops.models import (
    DimensionCache,
    Entity,
    Membership,
    PipelineRun,
    Report,
    ReportBuild,
    ReportDelivery,
    ReportSubscription,
    ValidationIssue,
    WorkbookChange,
    WorkbookVersion,
)

pytestmark = pytest.mark.django_db

CODE = "ZEBRA42"  # an entity code no other text of the admin contains
ROLES = ("admin_user", "operator", "viewer", "bare_staff")
MODEL_PAGES = ("changelist", "add", "change", "history", "delete")
REGISTERED = sorted(model._meta.label_lower for model in admin.site._registry)


def _report_files(entity: Entity, data_dir: Path) -> dict[str, str]:
    folder = data_dir / "reports" / entity.code
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for ext in ("json", "html", "xlsx"):
        path = folder / f"{entity.code}-2026-02.{ext}"
        path.write_text(f"{ext} body")
        paths[f"{ext}_path"] = str(path)
    return paths


def _pipeline_rows(data_dir: Path, code: str = CODE) -> dict[str, Model]:
    entity = Entity.objects.create(code=code, name=code.title())
    now = timezone.now()
    common = {"entity": entity, "year": 2026, "month": 2, "month_end": 2}
    run = PipelineRun.objects.create(
        **common, stage="sync", status="failed", started_at=now, completed_at=now,
        error_message="sync stopped at validate",
    )  # fmt: skip
    PipelineRun.objects.create(**common, stage="validate", status="failed", parent=run)
    issue = ValidationIssue.objects.create(
        entity=entity, year=2026, month=2, cell="FEB!C7", rule="unknown_program",
        severity="error", message="Unknown program", value="XX", run=run,
    )  # fmt: skip
    report = Report.objects.create(
        entity=entity, year=2026, month_start=2, month_end=2, type="monthly", label="2026-02",
        stem=f"{entity.code}-2026-02", run=run, **_report_files(entity, data_dir),
    )  # fmt: skip
    version = WorkbookVersion.objects.create(
        entity=entity, year=2026, sha256="a" * 64, original_name="Zebra 2026.xlsx"
    )
    version.upload.save("zebra.xlsx", ContentFile(b"PK workbook"))
    change = WorkbookChange.objects.create(
        version=version, kind="changed", month=2, invoice="INV-1",
        fields=[["status", "CICIL", "LUNAS"]],
    )  # fmt: skip
    cache = DimensionCache.objects.create(entity=entity, kind="person", key="budi", ops_id=1)
    found = (entity, run, issue, report, version, change, cache)
    return {row._meta.label_lower: row for row in found}


def _delivery_rows(report: Report, viewer: User) -> dict[str, Model]:
    """A build of the report, the viewer's own subscription (they see only their own) and
    a failed delivery of that build to it."""
    build = ReportBuild.objects.create(
        report=report, run=report.run, generated_at=timezone.now(), json_path=report.json_path
    )
    subscription = ReportSubscription.objects.create(entity=report.entity, user=viewer)
    delivery = ReportDelivery.objects.create(
        build=build, subscription=subscription, recipient="vera@example.com", status="failed",
        attempts=3, error="SMTP refused",
    )  # fmt: skip
    return {row._meta.label_lower: row for row in (subscription, delivery)}


def _queue_rows() -> dict[str, Model]:
    """django-q2's rows as a worker and the broker write them (a signed OrmQ payload)."""
    now = timezone.now()
    task = {"id": uuid4().hex, "name": "zebra-task", "func": "pipeline_ops.tasks.execute_run",
            "args": (1,), "kwargs": {}, "started": now, "stopped": now}  # fmt: skip
    rows = [
        OrmQ.objects.using(Conf.ORM or "default").create(
            key="atlas", payload=SignedPackage.dumps(task)
        ),
        Schedule.objects.create(
            name="Nightly sync", func="pipeline_ops.tasks.scheduled", args="'sync'"
        ),
    ]
    for model, ok in ((Success, True), (Failure, False)):
        rows.append(model.objects.create(
            id=uuid4().hex, name=f"zebra-{model.__name__}", func=task["func"], args=(1,),
            kwargs={}, result="done", started=now, stopped=now, success=ok,
        ))  # fmt: skip
    return {row._meta.label_lower: row for row in rows}


def _auth_rows(user: User) -> dict[str, Model]:
    seen = {"ip_address": "127.0.0.1", "user_agent": "pytest", "http_accept": "*/*",
            "path_info": "/admin/login/", "username": "mallory"}  # fmt: skip
    return {
        "auth.user": user,
        "auth.group": Group.objects.get(name="Pipeline operators"),
        "axes.accessattempt": AccessAttempt.objects.create(
            **seen, get_data="", post_data="username=mallory", failures_since_start=1
        ),
        "axes.accesslog": AccessLog.objects.create(**seen),
        "axes.accessfailurelog": AccessFailureLog.objects.create(**seen),
    }


@pytest.fixture(autouse=True)
def quick_passwords(settings) -> None:
    """Before the role fixtures make their users: hashing four passwords per test is most
    of this module's time otherwise."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def bare_staff(db) -> User:
    return User.objects.create_user("sam", password="pw", is_staff=True)


@pytest.fixture
def rows(data_dir, operator, viewer, admin_user, bare_staff) -> dict[str, Model]:
    """One existing row of every registered model (the users exist for every role)."""
    pipeline = _pipeline_rows(data_dir)
    deliveries = _delivery_rows(pipeline["pipeline_ops.report"], viewer)
    membership = {"pipeline_ops.membership": Membership.objects.get(user=operator)}
    return {**pipeline, **deliveries, **_queue_rows(), **_auth_rows(viewer), **membership}


def test_every_registered_admin_has_a_row_to_sweep(rows):
    assert sorted(set(REGISTERED) - set(rows)) == [], "add a row for it in _*_rows()"


def _allowed(model_admin, user: User, page: str, obj: Model) -> bool:
    request = RequestFactory().get("/admin/")
    request.user = user
    if page == "add":
        return model_admin.has_add_permission(request)
    if page == "delete":
        return model_admin.has_delete_permission(request, obj)
    return model_admin.has_view_or_change_permission(request, None if page == "changelist" else obj)


def _model_url(model: type[Model], page: str, obj: Model) -> str:
    name = f"admin:{model._meta.app_label}_{model._meta.model_name}_{page}"
    return reverse(name, args=[] if page in ("changelist", "add") else [obj.pk])


@pytest.mark.parametrize("label", REGISTERED)
@pytest.mark.parametrize("who", ROLES)
def test_every_page_of_every_admin_renders_or_refuses_cleanly(client, rows, label, who, request):
    user = request.getfixturevalue(who)
    client.force_login(user)
    obj = rows[label]
    model_admin = admin.site._registry[type(obj)]
    got, expected = {}, {}
    for page in MODEL_PAGES:
        got[page] = client.get(_model_url(type(obj), page, obj)).status_code
        expected[page] = 200 if _allowed(model_admin, user, page, obj) else 403
        if who == "bare_staff":
            expected[page] = 403  # no permission at all: no page of any model
    assert got == expected


# Every custom view of the admins' get_urls: its URL arguments, the permission that lets a
# role in, and whether it is a POST-only button (a GET is 405, a POST without a form
# redirects back to its page, or 403 without the permission).
REPORT_KINDS = ("json", "html", "xlsx", "preview")
CUSTOM: dict[str, tuple[Callable[[dict], list[list]], str, bool]] = {
    "pipeline_ops_entity_upload": (
        lambda r: [[r["pipeline_ops.entity"].pk]], "pipeline_ops.add_workbookversion", False),
    "pipeline_ops_workbookversion_download": (
        lambda r: [[r["pipeline_ops.workbookversion"].pk]], "pipeline_ops.view_workbookversion",
        False),
    "pipeline_ops_workbookversion_decide": (
        lambda r: [[r["pipeline_ops.workbookversion"].pk]], "pipeline_ops.accept_workbookversion",
        True),
    "pipeline_ops_pipelinerun_progress": (
        lambda r: [[r["pipeline_ops.pipelinerun"].pk]], "pipeline_ops.view_pipelinerun", False),
    "pipeline_ops_pipelinerun_cancel": (
        lambda r: [[r["pipeline_ops.pipelinerun"].pk]], "pipeline_ops.launch_pipelinerun", True),
    "pipeline_ops_pipelinerun_stop": (  # GET asks first; its POST is tested in test_run_stop
        lambda r: [[r["pipeline_ops.pipelinerun"].pk]], "pipeline_ops.launch_pipelinerun", False),
    "pipeline_ops_reportsubscription_subscribe": (
        lambda r: [[]], "pipeline_ops.view_report", False),
    "pipeline_ops_pipelinerun_rerun": (
        lambda r: [[r["pipeline_ops.pipelinerun"].pk]], "pipeline_ops.launch_pipelinerun", True),
    "pipeline_ops_report_download": (
        lambda r: [[r["pipeline_ops.report"].pk, kind] for kind in REPORT_KINDS],
        "pipeline_ops.view_report", False),
    "pipeline_ops_report_file": (
        lambda r: [[f"{CODE}/{CODE}-2026-02.html"]], "pipeline_ops.view_report", False),
    "auth_user_password_change": (
        lambda r: [[r["auth.user"].pk]], "auth.change_user", False),
}  # fmt: skip


def _custom_names() -> list[str]:
    standard = {f"{m._meta.app_label}_{m._meta.model_name}_{page}"
                for m in admin.site._registry for page in MODEL_PAGES}  # fmt: skip
    names = {
        pattern.name
        for model_admin in admin.site._registry.values()
        for pattern in model_admin.get_urls()
        if pattern.name and pattern.name not in standard
    }
    return sorted(names)


def test_every_custom_admin_view_is_in_the_sweep():
    assert sorted(set(_custom_names()) - set(CUSTOM)) == []


@pytest.mark.parametrize("name", sorted(CUSTOM))
@pytest.mark.parametrize("who", ROLES)
def test_every_custom_admin_view_renders_or_refuses_cleanly(client, rows, name, who, request):
    user = request.getfixturevalue(who)
    client.force_login(user)
    arguments, permission, post_only = CUSTOM[name]
    allowed = user.has_perm(permission)
    for args in arguments(rows):
        url = reverse(f"admin:{name}", args=args)
        got = client.get(url, follow=True).status_code  # a report's preview: its stable address
        assert got == (405 if post_only else 200 if allowed else 403), (url, got)
        if post_only:
            got = client.post(url).status_code
            assert got == (302 if allowed else 403), (url, got)


@pytest.mark.parametrize("who", ROLES)
def test_the_index_and_every_app_page_render_for_every_role(client, rows, who, request):
    """An app page a role holds no permission in is Django's 404 ("does not exist")."""
    user = request.getfixturevalue(who)
    client.force_login(user)
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("admin:password_change")).status_code == 200
    for app_label in sorted({m._meta.app_label for m in admin.site._registry}):
        visible = user.has_module_perms(app_label)
        got = client.get(reverse("admin:app_list", args=[app_label])).status_code
        assert got == (200 if visible else 404), (app_label, got)


def test_staff_without_permissions_see_no_pipeline_data_anywhere(client, rows, bare_staff):
    """No entity code, run, report or task on the index, the board or any app page."""
    client.force_login(bare_staff)
    pages = [reverse("admin:index"), reverse("admin:index") + "?year=2026"]
    html = "".join(client.get(url).content.decode() for url in pages)
    for secret in (CODE, "Zebra", "2026-02", "sync stopped", "zebra-", "Freshness", "open failure"):
        assert secret not in html, secret
    assert "Atlas Ops pipeline" not in html  # the app is not even listed


# Hostile values for every list filter parameter (and date hierarchy part) of every
# changelist, and for the object id of every object page: a 30-digit id overflows
# SQLite's and PostgreSQL's 64-bit integers (and `datetime` as a year), PostgreSQL refuses
# NUL in text, `²` passes str.isdigit() but not int(). The superuser reaches the admins
# of auth, axes and django-q2 too.
HOSTILE_VALUES = ("9" * 30, "-" + "9" * 30, "-1", "\x00", "é✓", "²")
FUZZ_ROLES = ("admin_user", "operator", "viewer")
# An empty list, Django's `?e=1` redirect (or "does not exist" for an object), a refused
# lookup (400), no permission: never a 500, which the test client raises as the exception.
CLEAN = {200, 302, 400, 403, 404}


def _filter_parameters(model_admin, user: User) -> list[str]:
    """The query parameters the admin's filters read, made as Django's ChangeList makes
    them: a SimpleListFilter's parameter_name, a field filter's expected_parameters()."""
    request = RequestFactory().get("/admin/")
    request.user = user
    model, params = model_admin.model, []
    for item in model_admin.get_list_filter(request):
        if isinstance(item, type) and issubclass(item, admin.SimpleListFilter):
            params.append(item.parameter_name)
            continue
        path, factory = item if isinstance(item, tuple) else (item, admin.FieldListFilter.create)
        field = get_fields_from_path(model, path)[-1]
        spec = factory(field, request, {}, model, model_admin, field_path=path)
        params += spec.expected_parameters()
    if model_admin.date_hierarchy:
        params += [f"{model_admin.date_hierarchy}__{part}" for part in ("year", "month", "day")]
    return params


def test_the_fuzz_finds_the_filters_of_the_order_diff(rows):
    """The parameters of the workbook-change list, where a 30-digit version id was a 500."""
    model_admin = admin.site._registry[WorkbookChange]
    params = _filter_parameters(model_admin, rows["auth.user"])
    assert {"version__id__exact", "month", "kind__exact"} <= set(params)


@pytest.mark.parametrize("label", REGISTERED)
@pytest.mark.parametrize("who", FUZZ_ROLES)
def test_no_filter_value_or_object_id_makes_an_admin_page_fail(client, rows, label, who, request):
    client.force_login(request.getfixturevalue(who))
    obj = rows[label]
    params = _filter_parameters(admin.site._registry[type(obj)], rows["auth.user"])
    url = _model_url(type(obj), "changelist", obj)
    for param in params:
        for value in HOSTILE_VALUES:
            got = client.get(url, {param: value}).status_code
            assert got in CLEAN, (url, param, value, got)
    for page in ("change", "history", "delete"):
        for value in HOSTILE_VALUES:
            name = f"admin:{obj._meta.app_label}_{obj._meta.model_name}_{page}"
            bad = reverse(name, args=[quote(value)])
            got = client.get(bad).status_code
            assert got in CLEAN, (bad, got)


@pytest.mark.parametrize("name", sorted(CUSTOM))
def test_a_huge_id_in_a_custom_admin_url_is_not_found_not_an_error(client, rows, name, operator):
    client.force_login(operator)
    arguments, _, post_only = CUSTOM[name]
    send = client.post if post_only else client.get
    for args in arguments(rows):
        huge = [10**30 if isinstance(arg, int) else arg for arg in args]
        got = send(reverse(f"admin:{name}", args=huge)).status_code
        assert got in CLEAN, (name, huge, got)
