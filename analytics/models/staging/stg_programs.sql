select
    entity, year, sheet, source_row, source_file_hash,
    program_code, program_name, unit, price, target_students
from {{ source('raw', 'raw_programs') }}
