-- One row per non-cancelled order (an enrollment): the report's organizations section and
-- publish's enrollment count read it.
select
    entity, year, month, invoice, order_date, student_name, student_key, organization,
    program_code, program_name, unit, net_amount, paid
from {{ ref('int_enrollments') }}
{{ where_in_build_scope() }}
