select
    entity, year, month, sheet, source_row, source_file_hash,
    unit, revenue_target
from {{ source('raw', 'raw_targets') }}
