-- One row per entity, year, month, unit that has orders or a target, for every month
-- that has orders loaded. revenue and collected are the sums of each order's part
-- (int_orders: price − discount and paid, zero for BATAL); orders counts every order,
-- cancelled the BATAL ones.
with orders as (
    select * from {{ ref('int_orders') }}
    {{ where_in_build_scope() }}
),

loaded_months as (
    select distinct entity, year, month from orders
),

targets as (
    select t.entity, t.year, t.month, t.unit, sum(t.revenue_target) as target
    from {{ ref('stg_targets') }} as t
    inner join loaded_months as m
        on m.entity = t.entity and m.year = t.year and m.month = t.month
    group by t.entity, t.year, t.month, t.unit
),

order_totals as (
    select
        entity, year, month, unit,
        sum(revenue) as revenue,
        sum(collected) as collected,
        count(*) as orders,
        count(*) filter (where is_cancelled) as cancelled
    from orders
    group by entity, year, month, unit
),

grain as (
    select entity, year, month, unit from order_totals
    union
    select entity, year, month, unit from targets
)

select
    g.entity, g.year, g.month, g.unit,
    coalesce(o.revenue, 0)::bigint as revenue,
    coalesce(t.target, 0)::bigint as target,
    coalesce(o.collected, 0)::bigint as collected,
    coalesce(o.orders, 0)::bigint as orders,
    coalesce(o.cancelled, 0)::bigint as cancelled
from grain as g
left join order_totals as o
    on o.entity = g.entity and o.year = g.year and o.month = g.month and o.unit = g.unit
left join targets as t
    on t.entity = g.entity and t.year = g.year and t.month = g.month and t.unit = g.unit
