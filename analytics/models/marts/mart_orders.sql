-- One row per entity, year, invoice, cancelled orders included: what `publish` copies into
-- the ops DB. A table, so publish reads stored rows rather than re-running the program join.
select
    entity, year, month, sheet, source_row, source_file_hash,
    order_date, invoice, student_name, student_key, organization, program_code,
    unit, price, discount, paid, payment_method, status,
    program_name, net_amount, is_cancelled
from {{ ref('int_orders') }}
{{ where_in_build_scope() }}
