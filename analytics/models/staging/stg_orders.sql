-- One row per order row of a month sheet; typed columns only (the *_raw text stays in raw).
-- Months validation blocked are left out: their errors block only themselves
-- (docs/pipeline.md), and nothing downstream sees them until a clean workbook is validated.
select
    o.entity, o.year, o.month, o.sheet, o.source_row, o.source_file_hash,
    o.order_date, o.invoice, o.student_name, o.student_key, o.organization, o.program_code,
    o.unit, o.price, o.discount, o.paid, o.payment_method, o.status
from {{ source('raw', 'raw_orders') }} as o
where not exists (
    select 1 from {{ source('raw', '_blocked_months') }} as b
    where b.entity = o.entity and b.year = o.year and b.month = o.month
)
