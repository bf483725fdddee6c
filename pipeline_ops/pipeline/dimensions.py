"""Ops DB dimension resolution: find-or-create, cached for one publish (docs/publish.md).

`Dimensions.load()` reads every existing key of an entity in one query per table. Rows that
are missing get ids chosen up front (max(id) + n), so the caller can put their INSERTs in the
same atomic batch as the facts that reference them. Same key → same row: a person is the
case-folded, whitespace-collapsed name inside an entity.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field

from pipeline_ops import opsdb
from pipeline_ops.models import DimensionCache, Entity

# kind → (table, key columns, data columns written when the row is created)
TABLES: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "program": ("db_program", ("code",), ("name", "unit", "price", "target_students")),
    "organization": ("db_organization", ("name_key",), ("name", "city", "kind")),
    "person": ("db_person", ("name_key",), ("name",)),
    "account": ("db_account", ("person_id", "organization_id"), ()),
}
LABELS = {"program": "name", "organization": "name", "person": "name", "account": "''"}


def name_key(name: str | None) -> str:
    """A person's (or organization's) identity: trimmed, inner whitespace collapsed, folded."""
    return " ".join(str(name or "").split()).casefold()


def clean_name(name: str | None) -> str:
    return " ".join(str(name or "").split())


@dataclass
class Table:
    """Existing ids of one dimension table for one entity, plus rows to create."""

    kind: str
    ids: dict[Hashable, int] = field(default_factory=dict)
    next_id: int = 1
    new: list[tuple] = field(default_factory=list)
    labels: dict[Hashable, str] = field(default_factory=dict)
    used: set[Hashable] = field(default_factory=set)

    def resolve(self, key: Hashable, data: tuple = (), label: str = "") -> int:
        found = self.ids.get(key)
        if found is None:
            found = self.ids[key] = self.next_id
            self.next_id += 1
            keys = key if isinstance(key, tuple) else (key,)
            self.new.append((found, *keys, *data))
        if key not in self.used:
            self.used.add(key)
            self.labels[key] = label
        return found


class Dimensions:
    """Every dimension of one entity in the ops DB, resolved in memory for one publish."""

    def __init__(self, entity_code: str, entity_id: int, entity_is_new: bool) -> None:
        self.entity_code = entity_code
        self.entity_id = entity_id
        self.entity_is_new = entity_is_new
        self.tables = {kind: Table(kind) for kind in TABLES}
        # Raw spelling → id: the same cell text recurs on many rows; normalise it once.
        self._seen: dict[tuple[str, str | None], int | None] = {}

    @classmethod
    def load(cls, client: opsdb.Client, entity_code: str) -> Dimensions:
        rows = opsdb.query(client, "SELECT id FROM db_entity WHERE code = ?", [entity_code])
        if rows:
            dims = cls(entity_code, int(rows[0][0]), False)
        else:
            (top,) = opsdb.query(client, "SELECT coalesce(max(id), 0) FROM db_entity")[0]
            dims = cls(entity_code, int(top) + 1, True)
        for kind, (table, keys, _) in TABLES.items():
            dims._load_table(client, dims.tables[kind], table, keys, LABELS[kind])
        return dims

    def _load_table(
        self, client: opsdb.Client, target: Table, table: str, keys: tuple, label: str
    ) -> None:
        (top,) = opsdb.query(client, f"SELECT coalesce(max(id), 0) FROM {table}")[0]
        target.next_id = int(top) + 1
        sql = f"SELECT id, {label}, {', '.join(keys)} FROM {table} WHERE entity_id = ?"
        for row in opsdb.query(client, sql, [self.entity_id]):
            key = tuple(row[2:]) if len(keys) > 1 else row[2]
            target.ids[key] = int(row[0])
            target.labels[key] = row[1]

    def program(self, code: str, name: str | None = None, unit: str | None = None) -> int:
        return self.tables["program"].resolve(code, (name or "", unit, None, None), name or "")

    def organization(self, name: str | None) -> int | None:
        seen = self._seen.get(("organization", name), -1)
        if seen != -1:
            return seen
        found = self._seen["organization", name] = self._organization(name)
        return found

    def _organization(self, name: str | None) -> int | None:
        key = name_key(name)
        if not key:
            return None
        label = clean_name(name)
        return self.tables["organization"].resolve(key, (label, None, None), label)

    def person(self, name: str | None) -> int:
        found = self._seen.get(("person", name))
        if found is None:
            found = self._seen["person", name] = self._person(name)
        return found

    def _person(self, name: str | None) -> int:
        label = clean_name(name)
        return self.tables["person"].resolve(name_key(name), (label,), label)

    def account(self, person_id: int, organization_id: int | None) -> int:
        return self.tables["account"].resolve((person_id, organization_id))

    def new_row_count(self) -> int:
        return sum(len(t.new) for t in self.tables.values()) + int(self.entity_is_new)

    def statements(self) -> list[opsdb.Statement]:
        """INSERTs for the rows this publish created (explicit ids, so facts can use them)."""
        stmts: list[opsdb.Statement] = []
        if self.entity_is_new:
            stmts.append(
                (
                    "INSERT INTO db_entity (id, code) VALUES (?, ?)",
                    [self.entity_id, self.entity_code],
                )
            )
        for kind, (table, keys, data) in TABLES.items():
            columns = ("id", *keys, *data, "entity_id")
            rows = [(*row, self.entity_id) for row in self.tables[kind].new]
            stmts += opsdb.insert_statements(table, columns, rows)
        return stmts


def mirror(entity: Entity, dims: Dimensions) -> int:
    """Copy the ids this publish resolved into Django's DimensionCache (bulk, changed only)."""
    wanted = {("entity", dims.entity_code): (dims.entity_id, dims.entity_code)}
    for kind, table in dims.tables.items():
        for key in table.used:
            text = "|".join(str(k) for k in key) if isinstance(key, tuple) else str(key)
            wanted[(kind, text)] = (table.ids[key], table.labels.get(key, ""))
    existing = {
        (kind, key): (ops_id, label)
        for kind, key, ops_id, label in DimensionCache.objects.filter(entity=entity).values_list(
            "kind", "key", "ops_id", "label"
        )
    }
    changed = [
        DimensionCache(entity=entity, kind=kind, key=key[:400], ops_id=ops_id, label=label[:400])
        for (kind, key), (ops_id, label) in wanted.items()
        if existing.get((kind, key)) != (ops_id, label)
    ]
    DimensionCache.objects.bulk_create(
        changed,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["entity", "kind", "key"],
        update_fields=["ops_id", "label"],
    )
    return len(changed)
