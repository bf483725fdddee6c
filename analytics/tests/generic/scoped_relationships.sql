{#- Like dbt's `relationships`, but the parent must exist within the same scope
    (entity and year): a program of another entity's workbook does not count. -#}
{% test scoped_relationships(model, column_name, to, field, scope=['entity', 'year']) %}
select child.{{ column_name }}, {% for col in scope %}child.{{ col }}{{ ", " if not loop.last }}{% endfor %}
from {{ model }} as child
left join {{ to }} as parent
    on parent.{{ field }} = child.{{ column_name }}
    {% for col in scope %}and parent.{{ col }} = child.{{ col }} {% endfor %}
where child.{{ column_name }} is not null and parent.{{ field }} is null
{% endtest %}
