-- An enrollment is one non-cancelled order (DESIGN §5).
select
    entity, year, month, invoice, order_date, student_name, student_key, organization,
    program_code, program_name, unit, net_amount, coalesce(paid, 0) as paid
from {{ ref('int_orders') }}
where not is_cancelled
