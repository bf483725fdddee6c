-- One row per order row of a month sheet; typed columns only (the *_raw text stays in raw).
select
    entity, year, month, sheet, source_row, source_file_hash,
    order_date, invoice, student_name, student_key, organization, program_code,
    unit, price, discount, paid, payment_method, status
from {{ source('raw', 'raw_orders') }}
