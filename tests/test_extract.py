"""extract: source workbook → typed Parquet (DESIGN §4 tolerance rules, bad files)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from pipeline_ops.models import PipelineRun
from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.period import MonthRange
from pipeline_ops.pipeline.runs.locking import pipeline_lock
from pipeline_ops.pipeline.runs.warehouse import connect
from pipeline_ops.pipeline.stages.extract import file_sha256, run_extract
from tests.workbooks import ORDER_HEADERS, build_workbook, order, standard_workbook

pytestmark = pytest.mark.django_db
SOURCE = Path("sources/IONS/IONS-2026.xlsx")


def extract_dir(data_dir: Path) -> Path:
    return data_dir / "extracts" / "IONS" / "2026"


def query(data_dir: Path, name: str, sql: str) -> list[tuple]:
    con = duckdb.connect()
    con.execute(f"CREATE VIEW t AS SELECT * FROM read_parquet('{extract_dir(data_dir) / name}')")
    return con.execute(sql).fetchall()


def orders(data_dir: Path, columns: str, month: int = 2) -> list[tuple]:
    return query(
        data_dir, f"orders-{month:02d}.parquet", f"SELECT {columns} FROM t ORDER BY source_row"
    )


def test_it_extracts_every_month_sheet_and_records_hash_and_rows(standard_source, data_dir):
    run = run_extract("IONS", 2026)
    assert run.status == "success"
    assert run.source_file_hash == file_sha256(data_dir / SOURCE)
    assert run.row_count == 30
    for month in (1, 2, 3):
        assert len(orders(data_dir, "invoice", month)) == 10
    assert query(data_dir, "programs.parquet", "SELECT count(*) FROM t") == [(3,)]
    assert query(data_dir, "targets.parquet", "SELECT count(*) FROM t") == [(6,)]


def test_headers_are_found_below_titles_in_any_order_case_and_column(
    entity, workbook_factory, data_dir
):
    upper = [h.upper() for h in ORDER_HEADERS[1:3]]
    headers = ["  no.", "STATUS", "nama   siswa", "Catatan", *upper, *ORDER_HEADERS[4:11]]
    workbook_factory(
        months={2: [order(status="CICIL", paid=10, extra={"Catatan": "ignored"})]},
        headers=headers,
        title_rows=[["LAPORAN"], ["IONS 2026"], []],
        first_col=3,
    )
    run_extract("IONS", 2026)
    assert orders(data_dir, "source_row, status, student_name, paid, invoice") == [
        (5, "CICIL", "Budi Santoso", 10, "INV-0001")
    ]
    letters = dict(query(data_dir, "columns-02.parquet", "SELECT field, col FROM t"))
    assert (
        letters["status"] == "D" and letters["student_name"] == "E" and letters["order_date"] == "G"
    )


def test_dates_may_be_excel_dates_serials_or_text(entity, workbook_factory, data_dir):
    forms = [dt.datetime(2026, 2, 3), dt.date(2026, 2, 3), 46056, "03/02/2026", "3/2/2026",
             "03-02-2026", "2026-02-03", " 2026-02-03 ", "2026-02-30", "tgl 3"]  # fmt: skip
    workbook_factory(months={2: [order(invoice=f"I{i}", date=d) for i, d in enumerate(forms)]})
    run_extract("IONS", 2026)
    got = [d for (d,) in orders(data_dir, "order_date")]
    assert got == [dt.date(2026, 2, 3)] * 8 + [None, None]


def test_money_may_be_numbers_or_indonesian_or_english_text(entity, workbook_factory, data_dir):
    forms = [1500000, 1500000.0, "Rp 1.500.000", "1.500.000", "1,500,000", "Rp1500000",
             "Rp 1.500.000,-", "rp. 1.500.000,00", "IDR 1,500,000", "1 500 000"]  # fmt: skip
    workbook_factory(months={2: [order(invoice=f"I{i}", price=p) for i, p in enumerate(forms)]})
    run_extract("IONS", 2026)
    assert [p for (p,) in orders(data_dir, "price")] == [1_500_000] * len(forms)


def test_unreadable_money_stays_null_with_its_text_and_blank_discount_or_paid_is_zero(
    entity, workbook_factory, data_dir
):
    workbook_factory(
        months={2: [order(price="satu juta", discount=None, paid=None), order(price=-5)]}
    )
    run_extract("IONS", 2026)
    assert orders(data_dir, "price, price_raw, discount, discount_raw, paid") == [
        (None, "satu juta", 0, None, 0),
        (-5, "-5", 0, "0", 1_500_000),
    ]


def test_units_statuses_and_names_are_normalised(entity, workbook_factory, data_dir):
    workbook_factory(
        months={
            2: [
                order(
                    unit=" tm ",
                    status="lunas",
                    student="  budi   SANTOSO ",
                    organization=" SD  Harapan",
                ),
                order(invoice="B", unit="Dr", status="Cicil ", program="tm-sd-reg", paid=1),
                order(invoice="C", unit="XX", status="??"),
            ]
        }
    )
    run_extract("IONS", 2026)
    assert orders(
        data_dir, "unit, unit_raw, status, student_name, student_key, organization, program_code"
    ) == [
        ("TM", "tm", "LUNAS", "budi SANTOSO", "budi santoso", "SD Harapan", "TM-SD-REG"),
        ("DR", "Dr", "CICIL", "Budi Santoso", "budi santoso", "SD Harapan", "TM-SD-REG"),
        (None, "XX", None, "Budi Santoso", "budi santoso", "SD Harapan", "TM-SD-REG"),
    ]


def test_blank_rows_numbered_blank_rows_and_total_rows_are_not_orders(
    entity, workbook_factory, data_dir
):
    rows = [
        order(invoice="A"),
        None,
        [7],  # a pre-numbered row with nothing else
        order(invoice="B"),
        ["TOTAL", None, None, None, None, None, None, 3_000_000, 0, 3_000_000],
        [None, None, " jumlah ", None, None, None, None, 3_000_000],
        order(invoice="C"),
    ]
    workbook_factory(months={2: rows})
    run_extract("IONS", 2026)
    assert orders(data_dir, "invoice, source_row") == [("A", 2), ("B", 5), ("C", 8)]


@pytest.mark.parametrize(
    ("name", "month"),
    [("Februari", 2), ("march", 3), ("04", 4), ("AGS", 8), ("agt", 8), ("Agustus", 8),
     ("AGU", 8), ("DES", 12), ("OKTOBER", 10), ("mei", 5)],
)  # fmt: skip
def test_month_sheets_are_recognised_by_every_accepted_name(
    entity, workbook_factory, data_dir, name, month
):
    workbook_factory(
        months={month: [order(date=dt.datetime(2026, month, 1))]},
        sheet_names={month: name},
        extra_sheets={"Pivot": [["x"]], "Catatan": [["Tanggal", "No Invoice"]]},
        hidden_sheets=("Pivot",),
    )
    run = run_extract("IONS", 2026)
    assert run.row_count == 1
    assert orders(data_dir, "sheet, month", month) == [(name, month)]
    assert [p.name for p in sorted(extract_dir(data_dir).glob("orders-*"))] == [
        f"orders-{month:02d}.parquet"
    ]


def test_referensi_blocks_stack_below_titles_and_end_at_a_blank_row(
    entity, workbook_factory, data_dir
):
    targets = [{"month": "Jan", "unit": "tm", "target": "Rp 5.000.000"},
               {"month": "FEBRUARI", "unit": "DR", "target": 7},
               {"month": 3, "unit": "TM", "target": 1}]  # fmt: skip
    workbook_factory(targets=targets, reference_title_rows=[["Referensi IONS"], []])
    run_extract("IONS", 2026)
    got = query(
        data_dir, "targets.parquet", "SELECT month, unit, revenue_target, source_row FROM t"
    )
    assert got == [(1, "TM", 5_000_000, 14), (2, "DR", 7, 15), (3, "TM", 1, 16)]
    assert query(data_dir, "programs.parquet", "SELECT min(source_row), count(*) FROM t") == [
        (4, 3)
    ]
    assert query(data_dir, "organizations.parquet", "SELECT organization FROM t ORDER BY 1") == [
        ("Bimbel Cerdas",),
        ("SD Harapan",),
        ("SMP Nusantara",),
    ]


def test_month_option_extracts_only_those_months(standard_source, data_dir):
    run = run_extract("IONS", 2026, MonthRange(2, 3))
    assert run.row_count == 20
    assert sorted(p.name for p in extract_dir(data_dir).glob("orders-*")) == [
        "orders-02.parquet",
        "orders-03.parquet",
    ]


def test_asking_for_a_month_without_a_sheet_fails_clearly(standard_source):
    with pytest.raises(PipelineError, match="no sheet for month MEI"):
        run_extract("IONS", 2026, MonthRange(5, 5))


def test_two_sheets_for_one_month_fail_clearly(entity, workbook_factory):
    workbook_factory(months={2: [order()]}, extra_sheets={"Februari": [["x"]]})
    with pytest.raises(PipelineError, match="'FEB' and 'Februari' are both month 2"):
        run_extract("IONS", 2026)


# -- bad files: one clear line, failed run, warehouse and extracts unchanged --------------


def write_encrypted(path: Path) -> None:
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = path.with_suffix(".plain.xlsx")
    standard_workbook(plain)
    with open(plain, "rb") as src, open(path, "wb") as dst:
        office = OOXMLFile(src)
        office.encrypt("secret", dst)


BAD_FILES = {
    "random bytes": (lambda p: p.write_bytes(os.urandom(4096)), "not a workbook"),
    "empty": (lambda p: p.write_bytes(b""), "the file is empty"),
    "csv": (lambda p: p.write_text("Tanggal,No Invoice\n03/02/2026,A\n"), "CSV renamed"),
    "encrypted": (write_encrypted, "password-protected"),
    "no referensi": (lambda p: build_workbook(p, reference=False), "no REFERENSI sheet"),
    "no months": (lambda p: build_workbook(p, months={}), "no month sheets"),
    "broken zip": (lambda p: p.write_bytes(b"PK\x03\x04" + b"\0" * 200), "not a readable .xlsx"),
}


def warehouse_rows() -> list[tuple]:
    with pipeline_lock(), connect() as con:
        return con.execute(
            "SELECT 'o', count(*), sum(price) FROM raw_orders UNION ALL"
            " SELECT 'p', count(*), sum(price) FROM raw_programs ORDER BY 1"
        ).fetchall()


@pytest.mark.parametrize("kind", list(BAD_FILES))
def test_a_bad_file_fails_with_one_clear_line_and_changes_nothing(standard_source, data_dir, kind):
    call_command("extract", entity="IONS", year=2026)
    call_command("load", entity="IONS", year=2026)
    before = warehouse_rows()
    extracts = {p.name: p.read_bytes() for p in extract_dir(data_dir).iterdir()}
    path = data_dir / SOURCE
    path.unlink()
    make, expected = BAD_FILES[kind]
    make(path)
    with pytest.raises(CommandError) as failure:
        call_command("extract", entity="IONS", year=2026)
    message = str(failure.value)
    assert failure.value.returncode == 1
    assert expected in message and str(path) in message and "\n" not in message
    run = PipelineRun.objects.filter(stage="extract").first()
    assert run.status == "failed" and run.error_message == message
    assert warehouse_rows() == before
    assert {p.name: p.read_bytes() for p in extract_dir(data_dir).iterdir()} == extracts


def test_a_missing_workbook_names_the_expected_path(entity, data_dir):
    with pytest.raises(PipelineError) as failure:
        run_extract("IONS", 2026)
    assert str(failure.value) == f"Workbook not found: expected {data_dir / SOURCE}"
    assert PipelineRun.objects.get(stage="extract").status == "failed"


def test_the_extract_command_runs_as_a_real_process(tmp_path):
    root = tmp_path / "proc"
    env = {"PIPELINE_DATA_DIR": str(root), "PATH": "/usr/bin:/bin"}

    def manage(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args], capture_output=True, text=True, env=env
        )

    assert manage("migrate", "-v", "0").returncode == 0
    assert manage("seed", "--entity", "IONS").returncode == 0
    source = root / SOURCE
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_text("a,b\n1,2\n")
    bad = manage("extract", "--entity", "ions", "--year", "2026")
    assert bad.returncode == 1
    assert len(bad.stderr.strip().splitlines()) == 1 and "CSV renamed" in bad.stderr
    assert "Traceback" not in bad.stderr
    standard_workbook(source)
    good = manage("extract", "--entity", "IONS", "--year", "2026", "--month", "1-2")
    assert good.returncode == 0, good.stderr
    assert "Extracted 20 orders" in good.stdout
    flags = manage("extract", "--entity", "IONS", "--year", "2026", "--month", "13")
    assert flags.returncode == 2


def test_a_blank_month_sheet_made_in_advance_is_skipped(entity, workbook_factory):
    workbook_factory(months={2: [order()]}, extra_sheets={"MAR": []})
    run = run_extract("IONS", 2026)
    assert run.status == "success"
    assert "Skipped empty month sheet(s): MAR" in run.log
    with pytest.raises(PipelineError, match="sheet MAR is empty"):
        run_extract("IONS", 2026, MonthRange(3, 3))
