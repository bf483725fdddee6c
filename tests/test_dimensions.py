from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from pipeline_ops import opsdb
from pipeline_ops.models import DimensionCache, Entity
from pipeline_ops.pipeline.demo.seed import seed_entity
from pipeline_ops.pipeline.dimensions import Dimensions, mirror, name_key
from tests.ops_fixtures import ops_rows
from tests.workbooks import ORGANIZATIONS, PROGRAMS

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("spelling", ["Budi  Santoso", "budi santoso", " BUDI\tSANTOSO "])
def test_name_key_folds_case_and_whitespace(spelling):
    assert name_key(spelling) == "budi santoso"


def test_existing_rows_keep_their_ids_and_new_ones_come_after_the_highest(ops_url):
    with opsdb.connect(ops_url) as client:
        opsdb.ensure_schema(client)
        client.execute("INSERT INTO db_entity (id, code) VALUES (5, 'IONS')")
        client.execute(
            "INSERT INTO db_person (id, entity_id, name_key, name) VALUES"
            " (40, 5, 'ani', 'Ani'), (90, 5, 'budi', 'Budi')"
        )
        dims = Dimensions.load(client, "IONS")
        assert (dims.entity_id, dims.entity_is_new) == (5, False)
        assert dims.person("ANI") == 40
        assert dims.person("Citra") == 91
        assert dims.person("citra ") == 91
        opsdb.run_batch(client, dims.statements())
        people = opsdb.query(client, "SELECT id, name_key, name FROM db_person ORDER BY id")
    assert people == [(40, "ani", "Ani"), (90, "budi", "Budi"), (91, "citra", "Citra")]


def test_dimensions_are_scoped_by_entity(ops_url):
    with opsdb.connect(ops_url) as client:
        opsdb.ensure_schema(client)
        first = Dimensions.load(client, "IONS")
        ani_ions = first.person("Ani")
        opsdb.run_batch(client, first.statements())
        other = Dimensions.load(client, "ACME")
        assert other.entity_is_new and other.entity_id != first.entity_id
        assert other.person("Ani") != ani_ions
        opsdb.run_batch(client, other.statements())
        rows = opsdb.query(client, "SELECT entity_id, name_key FROM db_person ORDER BY id")
    assert rows == [(first.entity_id, "ani"), (other.entity_id, "ani")]


def test_mirror_writes_only_rows_that_changed(entity, ops_url):
    with opsdb.connect(ops_url) as client:
        opsdb.ensure_schema(client)
        dims = Dimensions.load(client, "IONS")
        dims.account(dims.person("Ani"), dims.organization("SMA 1"))
    assert mirror(entity, dims) == 4  # entity, person, organization, account
    assert mirror(entity, dims) == 0
    account = DimensionCache.objects.get(entity=entity, kind="account")
    assert account.ops_id == dims.tables["account"].ids[(1, 1)]


def test_seed_creates_the_entity_and_the_newest_workbooks_reference_rows(
    data_dir, workbook_factory
):
    older = [{**p, "name": f"old {p['name']}"} for p in PROGRAMS[:1]]
    workbook_factory(year=2025, programs=older, organizations=ORGANIZATIONS[:1])
    workbook_factory(year=2026)
    result = seed_entity("IONS")
    assert any("3 programs and 3 organizations from IONS-2026.xlsx" in n for n in result.notes)
    assert ops_rows("SELECT code FROM db_entity") == [("IONS",)]
    programs = ops_rows("SELECT code, name, unit, price, target_students FROM db_program")
    expected = [(p["code"], p["name"], p["unit"], p["price"], p["target"]) for p in PROGRAMS]
    assert sorted(programs) == sorted(expected)
    orgs = ops_rows("SELECT name_key, name, city, kind FROM db_organization")
    assert sorted(orgs) == sorted(
        (o["name"].casefold(), o["name"], o["city"], o["kind"]) for o in ORGANIZATIONS
    )
    cached = DimensionCache.objects.filter(entity__code="IONS", kind="program")
    assert cached.count() == len(PROGRAMS)


def test_seeding_twice_updates_reference_rows_in_place(data_dir, workbook_factory):
    workbook_factory(year=2026)
    seed_entity("IONS")
    ids = ops_rows("SELECT id, code FROM db_program ORDER BY id")
    renamed = [{**p, "price": p["price"] + 1} for p in PROGRAMS]
    workbook_factory(year=2026, programs=renamed)
    seed_entity("IONS")
    assert ops_rows("SELECT id, code FROM db_program ORDER BY id") == ids
    prices = ops_rows("SELECT code, price FROM db_program")
    assert sorted(prices) == sorted((p["code"], p["price"]) for p in renamed)


def test_seed_without_a_workbook_still_creates_the_ops_entity(data_dir):
    out = StringIO()
    call_command("seed", "--entity", "acme", stdout=out)
    assert Entity.objects.filter(code="ACME").exists()
    assert ops_rows("SELECT code FROM db_entity") == [("ACME",)]
    assert "no workbook yet" in out.getvalue()


def test_seed_with_an_unreadable_workbook_says_so_and_registers_the_entity(data_dir):
    path = data_dir / "sources" / "IONS" / "IONS-2026.xlsx"
    path.parent.mkdir(parents=True)
    path.write_text("not a workbook")
    result = seed_entity("IONS")
    assert result.created
    assert any(n.startswith("Ops DB not seeded:") and "IONS-2026.xlsx" in n for n in result.notes)
