-- Every REFERENSI program × every month with orders loaded (zero when nobody enrolled).
-- target is Target Siswa, per month; unit is the program's own.
with programs as (
    select entity, year, program_code, program_name, unit, target_students
    from {{ ref('stg_programs') }}
    {{ where_in_build_scope() }}
),

loaded_months as (
    select distinct entity, year, month from {{ ref('int_orders') }}
    {{ where_in_build_scope() }}
),

enrollments as (
    select
        entity, year, month, program_code,
        count(*) as enrollments,
        sum(net_amount) as revenue
    from {{ ref('int_enrollments') }}
    {{ where_in_build_scope() }}
    group by entity, year, month, program_code
)

select
    p.entity, p.year, m.month, p.program_code, p.program_name, p.unit,
    coalesce(e.enrollments, 0)::bigint as enrollments,
    coalesce(p.target_students, 0)::bigint as target,
    coalesce(e.revenue, 0)::bigint as revenue
from programs as p
inner join loaded_months as m
    on m.entity = p.entity and m.year = p.year
left join enrollments as e
    on e.entity = p.entity and e.year = p.year and e.month = m.month
    and e.program_code = p.program_code
