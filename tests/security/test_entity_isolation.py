"""Each person sees and acts on their own entities (issue #25; docs/admin.md "Who sees
what"). Two entities, ALPHA7 and BRAVO9, each with a row of everything; four people: an
operator of ALPHA7, an operator of BRAVO9, group staff (a group that views every entity)
and an operator with no membership. Every admin list, object page, custom view, product
page and action is tried by each: another entity's object answers 404 (as if it did not
exist), its name never shows, its actions change nothing. A page, a view or an action
added without a line here fails `test_the_sweep_covers_…`.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.db.models import Model
from django.urls import reverse
from django.utils import timezone
from django_q.models import Schedule

from config.urls import urlpatterns
from pipeline_ops.models import (
    Membership,
    MonthState,
    PipelineRun,
    ReportBuild,
    ReportDelivery,
    WorkbookVersion,
)
from pipeline_ops.pipeline.runs.notify import OPERATORS_GROUP, VIEWERS_GROUP
from pipeline_ops.pipeline.runs.schedules import TASK
from tests.conftest import staff_in
from tests.security.test_admin_pages_sweep import CUSTOM, _delivery_rows, _pipeline_rows

pytestmark = pytest.mark.django_db
A, B = "ALPHA7", "BRAVO9"
STANDARD = ("changelist", "add", "change", "history", "delete")
PEOPLE = ("member_of_a", "member_of_b", "group_staff", "no_membership")
# What each person may see: the entity codes that may appear on their pages.
SEES = {"member_of_a": {A}, "member_of_b": {B}, "group_staff": {A, B}, "no_membership": set()}
SCOPED = sorted(
    m._meta.label_lower for m in admin.site._registry
    if m._meta.app_label == "pipeline_ops" or m is Schedule
)  # fmt: skip


@pytest.fixture(autouse=True)
def quick_passwords(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def people(db) -> dict[str, User]:
    found = {
        "member_of_a": staff_in(OPERATORS_GROUP, "ann", entities=None),
        "member_of_b": staff_in(OPERATORS_GROUP, "bob", entities=None),
        "group_staff": staff_in(VIEWERS_GROUP, "gina", entities=None),
        "no_membership": staff_in(OPERATORS_GROUP, "nora", entities=None),
    }
    finance = Group.objects.create(name="Finance")
    found["group_staff"].groups.add(finance)
    Membership.objects.create(group=finance, entity=None, role="viewer")
    return found


@pytest.fixture
def world(data_dir, people) -> dict[str, dict[str, Model]]:
    """Both entities' rows, each operator's membership, subscription and schedule."""
    rows = {}
    for code, owner in ((A, people["member_of_a"]), (B, people["member_of_b"])):
        found = _pipeline_rows(data_dir, code)
        entity = found["pipeline_ops.entity"]
        Membership.objects.create(user=owner, entity=entity, role="operator")
        found |= _delivery_rows(found["pipeline_ops.report"], owner)
        found["pipeline_ops.membership"] = Membership.objects.get(user=owner)
        found["django_q.schedule"] = Schedule.objects.create(
            name=f"Monthly publish + report {code}", func=TASK, args=repr(("publish", code)),
            schedule_type=Schedule.MONTHLY, next_run=timezone.now(), repeats=-1,
        )  # fmt: skip
        MonthState.objects.create(entity=entity, year=2026, month=2, has_data=True,
                                  blocked_errors=1, blocked_cell="FEB!C7")  # fmt: skip
        rows[code] = found
    return rows


def others(who: str) -> set[str]:
    return {A, B} - SEES[who]


def page_text(client, url: str) -> tuple[int, str]:
    response = client.get(url)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code, body.decode(errors="replace")


def _url(obj: Model, page: str) -> str:
    name = f"admin:{obj._meta.app_label}_{obj._meta.model_name}_{page}"
    return reverse(name, args=[] if page == "changelist" else [obj.pk])


@pytest.mark.parametrize("label", SCOPED)
@pytest.mark.parametrize("who", PEOPLE)
def test_a_list_names_only_ones_own_entities_and_anothers_object_is_not_found(
    client, world, people, label, who
):
    client.force_login(people[who])
    status, html = page_text(client, _url(world[A][label], "changelist") + "?q=" + B[:3])
    assert status in (200, 403)
    status, html = page_text(client, _url(world[A][label], "changelist"))
    for code in others(who):
        assert code not in html, (label, code)
        for page in ("change", "history", "delete"):
            got = client.get(_url(world[code][label], page)).status_code
            assert got in (403, 404), (label, page, got)  # 403: no such page for the role
            if status == 200 and page == "change":
                assert got == 404, (label, code)


@pytest.mark.parametrize("who", PEOPLE)
def test_the_board_and_the_banner_count_only_ones_own_entities(client, world, people, who):
    client.force_login(people[who])
    _, html = page_text(client, reverse("admin:index") + "?year=2026")
    for code in others(who):
        assert code not in html
    for code in SEES[who]:
        assert code in html
    blocked = f"{len(SEES[who])} blocked month"
    assert blocked in html


def _custom_urls(rows: dict) -> list[tuple[str, str, bool]]:
    found = []
    for name, (arguments, _, post_only) in CUSTOM.items():
        if name.startswith("auth_"):
            continue
        for args in arguments(rows):
            args = [a.replace("ZEBRA42", rows["pipeline_ops.entity"].code)
                    if isinstance(a, str) else a for a in args]  # fmt: skip
            found.append((name, reverse(f"admin:{name}", args=args), post_only))
    return found


@pytest.mark.parametrize("who", ("member_of_a", "no_membership"))
def test_every_custom_admin_view_of_anothers_object_is_not_found(client, world, people, who):
    client.force_login(people[who])
    for name, url, post_only in _custom_urls(world[B]):
        if name.endswith("subscribe"):
            continue  # no object: its form offers one's own entities (below)
        got = (client.post if post_only else client.get)(url).status_code
        assert got == 404, (url, got)


def test_subscribe_me_offers_only_ones_own_entities(client, world, people):
    client.force_login(people["member_of_a"])
    _, html = page_text(client, reverse("admin:pipeline_ops_reportsubscription_subscribe"))
    assert A in html and B not in html


# The product's own pages (config/urls.py) that show an entity's rows: their URL for one
# entity's rows. A new page fails test_the_sweep_covers_every_page_view_and_action.
PRODUCT: dict[str, Callable[[dict], str]] = {
    "report_file": lambda r: reverse("report_file", args=[r["code"], f"{r['stem']}.html"]),
    "report_build_file": lambda r: reverse(
        "report_build_file", args=[r["code"], r["build"], f"{r['stem']}.html"]),
    "figure_evidence": lambda r: reverse("figure_evidence", args=[r["code"], r["stem"]])
    + "?figure=revenue",
    "build_figure_evidence": lambda r: reverse(
        "build_figure_evidence", args=[r["code"], r["build"], r["stem"]]) + "?figure=revenue",
    "order_reports": lambda r: reverse("order_reports", args=[r["code"]])
    + "?year=2026&invoice=INV-1",
}  # fmt: skip


def _product_rows(rows: dict) -> dict:
    report = rows["pipeline_ops.report"]
    build = ReportBuild.objects.filter(report=report).first()
    return {"code": report.entity.code, "stem": report.stem, "build": build.pk}


@pytest.mark.parametrize("name", sorted(PRODUCT))
def test_anothers_report_pages_are_not_found_and_ones_own_are(client, world, people, name):
    client.force_login(people["member_of_a"])
    theirs = PRODUCT[name](_product_rows(world[B]))
    assert client.get(theirs).status_code == 404, theirs
    mine = client.get(PRODUCT[name](_product_rows(world[A]))).status_code
    assert mine != 403, name  # found, or a clean 404 of its own (no evidence in these rows)


def _state(code: str) -> tuple:
    """What an action could change of an entity's rows."""
    runs = tuple(
        PipelineRun.objects.filter(entity__code=code).values_list("status", "stop_requested_at")
    )
    versions = tuple(WorkbookVersion.objects.filter(entity__code=code).values_list("status"))
    schedules = tuple(
        Schedule.objects.filter(name__endswith=code).values_list("repeats", "next_run")
    )
    deliveries = tuple(ReportDelivery.objects.filter(build__report__entity__code=code)
                       .values_list("status", "attempts"))  # fmt: skip
    return (
        runs,
        versions,
        schedules,
        deliveries,
        PipelineRun.objects.filter(entity__code=code).count(),
    )


def _actions() -> list[tuple[str, str]]:
    found = []
    for model, model_admin in admin.site._registry.items():
        if model._meta.label_lower not in SCOPED:
            continue
        for name in model_admin.actions or ():
            found.append(
                (model._meta.label_lower, name if isinstance(name, str) else name.__name__)
            )
    return sorted(found)


@pytest.mark.parametrize("label, action", _actions())
def test_no_action_acts_on_anothers_object(client, world, people, label, action, orm_broker):
    client.force_login(people["member_of_a"])
    before = _state(B)
    obj = world[B][label]
    data = {"action": action, "_selected_action": [obj.pk], "apply": "1", "year": "2026",
            "months": "2", "report_type": "monthly"}  # fmt: skip
    response = client.post(_url(world[A][label], "changelist"), data)
    assert response.status_code in (200, 302, 403)
    assert _state(B) == before, (label, action)


def test_the_sweep_covers_every_page_view_and_action():
    named = {p.name for p in urlpatterns if getattr(p, "name", None)}
    assert named - set(PRODUCT) == set(), "add the page to PRODUCT"
    customs = {
        pattern.name
        for model_admin in admin.site._registry.values()
        for pattern in model_admin.get_urls()
        if pattern.name and pattern.name.split("_")[-1] not in STANDARD
    }  # fmt: skip
    assert customs - set(CUSTOM) == set(), "add the view to test_admin_pages_sweep.CUSTOM"
    assert set(SCOPED) >= {"pipeline_ops.entity", "pipeline_ops.membership", "django_q.schedule"}
