"""Warehouse raw tables (docs/warehouse.md). The contract between extract/load and dbt.

Typed columns are NULL where the cell could not be typed; the `*_raw` text keeps what the
person typed so validation can quote it. `source_row` is the Excel row number (1-based).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the driver loads where a warehouse is opened, not with the admin
    import duckdb

RAW_DDL = """
CREATE TABLE IF NOT EXISTS raw_orders (
    entity VARCHAR NOT NULL, year INTEGER NOT NULL, month INTEGER NOT NULL,
    sheet VARCHAR NOT NULL, source_row INTEGER NOT NULL, source_file_hash VARCHAR,
    order_date DATE, order_date_raw VARCHAR,
    invoice VARCHAR,
    student_name VARCHAR, student_key VARCHAR,
    organization VARCHAR,
    program_code VARCHAR,
    unit VARCHAR, unit_raw VARCHAR,
    price BIGINT, price_raw VARCHAR,
    discount BIGINT, discount_raw VARCHAR,
    paid BIGINT, paid_raw VARCHAR,
    payment_method VARCHAR,
    status VARCHAR, status_raw VARCHAR
);
CREATE TABLE IF NOT EXISTS raw_programs (
    entity VARCHAR NOT NULL, year INTEGER NOT NULL,
    sheet VARCHAR NOT NULL, source_row INTEGER NOT NULL, source_file_hash VARCHAR,
    program_code VARCHAR, program_name VARCHAR, unit VARCHAR,
    price BIGINT, price_raw VARCHAR, target_students INTEGER, target_students_raw VARCHAR
);
CREATE TABLE IF NOT EXISTS raw_organizations (
    entity VARCHAR NOT NULL, year INTEGER NOT NULL,
    sheet VARCHAR NOT NULL, source_row INTEGER NOT NULL, source_file_hash VARCHAR,
    organization VARCHAR, city VARCHAR, kind VARCHAR
);
CREATE TABLE IF NOT EXISTS raw_targets (
    entity VARCHAR NOT NULL, year INTEGER NOT NULL, month INTEGER, month_raw VARCHAR,
    sheet VARCHAR NOT NULL, source_row INTEGER NOT NULL, source_file_hash VARCHAR,
    unit VARCHAR, revenue_target BIGINT, revenue_target_raw VARCHAR
);
CREATE TABLE IF NOT EXISTS _validation_issues (
    entity VARCHAR NOT NULL, year INTEGER NOT NULL, month INTEGER,
    sheet VARCHAR, cell VARCHAR, rule VARCHAR NOT NULL, severity VARCHAR NOT NULL,
    message VARCHAR NOT NULL, value VARCHAR, run_id BIGINT
);
-- Months validation found errors in, written with the issues (validate): dbt leaves their
-- orders out and publish/report refuse them until a clean workbook is validated.
CREATE TABLE IF NOT EXISTS _blocked_months (
    entity VARCHAR NOT NULL, year INTEGER NOT NULL, month INTEGER NOT NULL,
    errors INTEGER NOT NULL, first_issue VARCHAR NOT NULL
);
-- The entity-years the running dbt build may touch (transform writes it under the lock);
-- marts replace only these rows and tests check only them.
CREATE TABLE IF NOT EXISTS _build_scope (entity VARCHAR NOT NULL, year INTEGER NOT NULL);
-- load's helpers: the Excel column each field was read from (issues and the report evidence
-- name cells with it), and the month sheets extract could not read.
CREATE TABLE IF NOT EXISTS _raw_columns (
    entity VARCHAR NOT NULL, year INTEGER NOT NULL, month INTEGER,
    sheet VARCHAR NOT NULL, tbl VARCHAR NOT NULL, field VARCHAR NOT NULL, col VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS _raw_problems (
    entity VARCHAR NOT NULL, year INTEGER NOT NULL, month INTEGER NOT NULL,
    sheet VARCHAR NOT NULL, cell VARCHAR NOT NULL, rule VARCHAR NOT NULL, message VARCHAR NOT NULL
);
"""

RAW_TABLES = ("raw_orders", "raw_programs", "raw_organizations", "raw_targets")


def ensure_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(RAW_DDL)
