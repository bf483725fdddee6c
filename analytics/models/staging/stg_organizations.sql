select
    entity, year, sheet, source_row, source_file_hash,
    organization, city, kind
from {{ source('raw', 'raw_organizations') }}
