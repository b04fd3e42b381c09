"""The handlers of the order process (``processes/order.bpmn``): one module per process.

Each handler stands in for a call to another service (inventory, payment provider, mail,
carrier); what they return becomes process variables the gateways and later tasks read.
"""

from __future__ import annotations

from typing import Any

from sdk.worker import JobContext, JobError, Worker

worker = Worker()

CATALOGUE = {"keyboard": (49.5, 12), "mouse": (19.9, 40), "monitor": (189.0, 0)}
"""Unit price and units in stock per item: a fixed table in place of an inventory service."""
PAYMENT_LIMIT = 500.0
"""The most the payment provider accepts for one order: above it the charge is declined."""


@worker.task("check-stock")
def check_stock(item: str, quantity: int = 1) -> dict[str, Any]:
    """Answers the "In stock?" gateway and prices the order; an unknown item is out of stock
    (a routine outcome the process takes care of, not a failure to retry)."""
    price, units = CATALOGUE.get(item, (0.0, 0))
    return {"inStock": 0 < quantity <= units, "unitPrice": price}


@worker.task("charge-payment")
def charge_payment(orderId: str, amount: float) -> dict[str, Any]:
    """Charges ``amount`` (the task's input mapping computes it). A declined charge is a
    business outcome, so it is a BPMN error the process catches, not a failed job to retry."""
    if amount > PAYMENT_LIMIT:
        raise JobError("PAYMENT_DECLINED", f"{amount:.2f} is over the limit of {PAYMENT_LIMIT}")
    return {"paymentId": f"pay-{orderId}", "charged": amount}


@worker.task("notify-customer")
def notify_customer(job: JobContext, orderId: str) -> dict[str, Any]:
    """Tells the customer what went wrong; the task header picks the mail template, so one
    handler serves every notification the process models."""
    template = job.custom_headers.get("template", "generic")
    job.logger.info("mailing {} about order {}", template, orderId)
    return {"notified": template}


@worker.task("ship-order")
def ship_order(orderId: str) -> dict[str, str]:
    """Hands the paid order to the carrier; runs only once the payment is confirmed."""
    return {"trackingNumber": f"TRK-{orderId}"}


@worker.task("cancel-order")
def cancel_order(orderId: str, paymentId: str) -> dict[str, Any]:
    """Voids the charge of an order whose payment was never confirmed within the hour."""
    return {"cancelled": True, "voided": paymentId}
