-- One row per order of a loaded month (BATAL ones too): its part of every report figure
-- and the workbook cells it was typed in. A report keeps the rows of its period as its
-- evidence (docs/reports.md, "Where a number comes from"): summed, they give the report's
-- revenue, collected, outstanding, orders and enrollments to the rupiah. Cells are written
-- as validation issues name them (`MAR!H14`): sheet, the column `load` found the field in
-- (_raw_columns; `?` where it is not known), the Excel row.
with orders as (
    select * from {{ ref('int_orders') }}
    {{ where_in_build_scope() }}
),

columns as (
    select entity, year, month, sheet, field, col
    from {{ source('raw', '_raw_columns') }}
    where tbl = 'orders' and month is not null and {{ in_build_scope() }}
),

cells as (
    select
        entity, year, month, sheet,
        any_value(col) filter (where field = 'invoice') as invoice_col,
        any_value(col) filter (where field = 'price') as price_col,
        any_value(col) filter (where field = 'discount') as discount_col,
        any_value(col) filter (where field = 'paid') as paid_col
    from columns
    group by entity, year, month, sheet
)

select
    o.entity, o.year, o.month, o.invoice, o.order_date, o.student_name, o.organization,
    o.program_code, o.program_name, o.unit, o.status, o.is_cancelled,
    o.price, o.discount, o.paid,
    o.revenue, o.collected, o.revenue - o.collected as outstanding,
    case when o.is_cancelled then 0 else 1 end as enrollments,
    o.sheet, o.source_row,
    o.sheet || '!' || coalesce(c.invoice_col, '?') || o.source_row as invoice_cell,
    o.sheet || '!' || coalesce(c.price_col, '?') || o.source_row as price_cell,
    o.sheet || '!' || coalesce(c.discount_col, '?') || o.source_row as discount_cell,
    o.sheet || '!' || coalesce(c.paid_col, '?') || o.source_row as paid_cell,
    o.source_file_hash as workbook_sha256
from orders as o
left join cells as c
    on c.entity = o.entity and c.year = o.year and c.month = o.month and c.sheet = o.sheet
