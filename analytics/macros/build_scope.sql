{#- Scoped builds (docs/pipeline.md). Before every `dbt build`, `manage.py transform` writes
    the entity-years it builds into main._build_scope, under the pipeline lock. Marts are
    incremental: each build deletes and re-inserts only those entity-years, and every test
    reads only them, so another entity's data can neither fail a build nor slow it. A mart
    built for the first time holds only its first scope too: entity-years outside it are
    untested, and join when their own build comes. -#}

{% macro in_build_scope(alias=none) -%}
    ({% if alias %}{{ alias }}.{% endif %}entity, {% if alias %}{{ alias }}.{% endif %}year)
        in (select entity, year from main._build_scope)
{%- endmacro %}

{#- `where` clause for a mart's base CTE: its rows in scope. -#}
{% macro where_in_build_scope(alias=none) -%}
    where {{ in_build_scope(alias) }}
{%- endmacro %}

{#- pre_hook of every mart: drop the rows this build replaces. -#}
{% macro delete_build_scope() -%}
    {% if is_incremental() %}delete from {{ this }} where {{ in_build_scope() }}{% endif %}
{%- endmacro %}

{#- Every data test reads its model through this (dbt's own macro, dispatched): the rows of
    the entity-years in scope, then the test's own `where` config if it has one. No alias:
    DuckDB needs none, and tests like scoped_relationships alias the model themselves. -#}
{% macro duckdb__get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- set filtered -%}
        (select * from {{ relation }} where {{ in_build_scope() }}
            {%- if where %} and ({{ where }}){% endif %})
    {%- endset -%}
    {%- do return(filtered) -%}
{%- endmacro %}
