-- One row per entity, year, invoice. An order's unit is its own Unit cell, or the
-- program's unit when that cell was blank (docs/warehouse.md). Its part of each report
-- figure is defined here once: revenue = price − discount and collected = paid, both zero
-- for a BATAL order; the marts sum these, and a report's evidence lists them per order.
with orders as (
    select * from {{ ref('stg_orders') }}
),

programs as (
    select entity, year, program_code, program_name, unit as program_unit
    from {{ ref('stg_programs') }}
)

select
    o.entity, o.year, o.month, o.sheet, o.source_row, o.source_file_hash,
    o.order_date, o.invoice, o.student_name, o.student_key, o.organization, o.program_code,
    coalesce(o.unit, p.program_unit) as unit,
    o.price, o.discount, o.paid, o.payment_method, o.status,
    p.program_name,
    coalesce(o.price, 0) - coalesce(o.discount, 0) as net_amount,
    coalesce(o.status = 'BATAL', false) as is_cancelled,
    case when is_cancelled then 0 else net_amount end as revenue,
    case when is_cancelled then 0 else coalesce(o.paid, 0) end as collected
from orders as o
left join programs as p
    on p.entity = o.entity and p.year = o.year and p.program_code = o.program_code
