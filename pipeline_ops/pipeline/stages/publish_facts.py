"""The ops DB fact rows of a publish (stages/publish.py): the ids already published for an
entity-year, reused so a republish changes nothing, the scoped DELETEs, and the order and
payment rows to insert."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline_ops import opsdb
from pipeline_ops.pipeline.dimensions import Dimensions
from pipeline_ops.pipeline.period import MonthRange


@dataclass
class ExistingFacts:
    """Ids already published for an entity-year, reused so a republish changes nothing."""

    orders: dict[str, tuple[int, int]]  # invoice → (id, month)
    payments: dict[int, int]  # order id → payment id
    next_order: int
    next_payment: int

    @classmethod
    def load(cls, client: opsdb.Client, entity_id: int, year: int) -> ExistingFacts:
        scope = [entity_id, year]
        where = "WHERE entity_id = ? AND year = ?"
        orders = opsdb.query(
            client, f"SELECT invoice, id, month FROM commerce_order {where}", scope
        )
        payments = opsdb.query(
            client, f"SELECT order_id, id FROM finance_transaction {where}", scope
        )
        (top_order,) = opsdb.query(client, "SELECT coalesce(max(id), 0) FROM commerce_order")[0]
        (top_pay,) = opsdb.query(client, "SELECT coalesce(max(id), 0) FROM finance_transaction")[0]
        return cls(
            orders={inv: (oid, month) for inv, oid, month in orders},
            payments=dict(payments),
            next_order=int(top_order) + 1,
            next_payment=int(top_pay) + 1,
        )

    def order_id(self, invoice: str) -> int:
        found = self.orders.get(invoice)
        if found:
            return found[0]
        self.next_order += 1
        return self.next_order - 1

    def payment_id(self, order_id: int) -> int:
        found = self.payments.get(order_id)
        if found:
            return found
        self.next_payment += 1
        return self.next_payment - 1

    def delete_statements(
        self, entity_id: int, year: int, months: MonthRange, invoices: set[str]
    ) -> list[opsdb.Statement]:
        # An invoice that moved from another month is removed there too (one per entity-year).
        moved = [
            oid
            for inv, (oid, month) in self.orders.items()
            if inv in invoices and not months.start <= month <= months.end
        ]
        scope = [entity_id, year, months.start, months.end]
        where = "entity_id = ? AND year = ? AND month BETWEEN ? AND ?"
        stmts: list[opsdb.Statement] = [
            (f"DELETE FROM finance_transaction WHERE {where}", scope),
            (f"DELETE FROM commerce_order WHERE {where}", scope),
        ]
        if moved:
            marks = ", ".join("?" * len(moved))
            stmts.insert(1, (f"DELETE FROM finance_transaction WHERE order_id IN ({marks})", moved))
            stmts.append((f"DELETE FROM commerce_order WHERE id IN ({marks})", moved))
        return stmts


def fact_rows(
    dims: Dimensions, ids: ExistingFacts, year: int, orders: list[tuple]
) -> tuple[list[tuple], list[tuple]]:
    eid = dims.entity_id
    order_rows: list[tuple] = []
    payment_rows: list[tuple] = []
    for (month, invoice, day, name, key, org, code, program_name, unit, price, discount, net,
         paid, method, status, cancelled) in orders:  # fmt: skip
        person_id = dims.person(name or key)
        org_id = dims.organization(org)
        program_id = dims.program(code, program_name, unit) if code else None
        order_id = ids.order_id(invoice)
        day_text = day.isoformat() if day is not None else None
        order_rows.append((
            order_id, eid, year, month, invoice, day_text, dims.account(person_id, org_id),
            person_id, program_id, unit, price or 0, discount or 0, net or 0, paid or 0, method,
            status, int(bool(cancelled)),
        ))  # fmt: skip
        if paid and paid > 0:
            payment_rows.append(
                (ids.payment_id(order_id), eid, year, month, order_id, day_text, paid, method)
            )
    return order_rows, payment_rows
