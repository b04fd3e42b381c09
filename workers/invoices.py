"""A class-based, blocking handler: plain ``def`` runs in a worker thread (the thread strategy)."""

from __future__ import annotations

from typing import Any

from sdk.worker import JobError, JobHandler


class InvoiceTotal(JobHandler):
    """Sums an invoice's lines; an empty invoice is a business error the process can catch."""

    job_type = "invoice-total"

    def handle(self, items: list[dict[str, Any]], currency: str = "EUR") -> dict[str, Any]:
        if not items:
            raise JobError("EMPTY_INVOICE", "the invoice has no lines")
        total = sum(float(line["price"]) * int(line.get("quantity", 1)) for line in items)
        return {"total": round(total, 2), "currency": currency}
