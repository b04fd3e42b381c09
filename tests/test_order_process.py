"""The example order process (``processes/order.bpmn``) run on the engine with the real
handlers of ``workers/orders.py``: every way an order can go, and its diagram."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import pytest

from engine._driver import Driver
from sdk.bpmn import parse
from sdk.broker.ui._diagram import render_process
from sdk.models import JobKey
from sdk.worker import JobContext, JobError
from workers import orders

MODEL = (Path(__file__).resolve().parent.parent / "processes" / "order.bpmn").read_text("utf-8")
HANDLERS = {spec.job_type: spec for spec in orders.worker.tasks.values()}
HOUR_MS = 3_600_000


def work(driver: Driver, job_type: str) -> None:
    """What a worker does with the open job of ``job_type``: call its handler with the job's
    variables (and the job itself, when the handler asks for it), then report the outcome."""
    job = driver.job(job_type)
    variables = driver.job_variables(job_type)
    context = JobContext(
        JobKey(str(job.key)), job.type, job.retries, 0, variables, job.custom_headers
    )
    handler = HANDLERS[job_type].handler
    arguments: dict[str, Any] = {}
    for name in inspect.signature(handler).parameters:
        if name == "job":
            arguments[name] = context
        elif name in variables:
            arguments[name] = variables[name]
    try:
        result = handler(**arguments)
    except JobError as error:
        driver.throw(job_type, error.code, error.message, error.variables)
    else:
        driver.complete(job_type, result)


def order(item: str, quantity: int) -> tuple[Driver, int]:
    driver = Driver.deploy(MODEL)
    key = driver.start("order-process", {"orderId": "o-1", "item": item, "quantity": quantity})
    return driver, key


def charged(item: str = "keyboard", quantity: int = 2) -> tuple[Driver, int]:
    """An order past the payment, waiting for its confirmation."""
    driver, key = order(item, quantity)
    work(driver, "check-stock")
    work(driver, "charge-payment")
    return driver, key


def test_the_model_parses_and_every_job_type_has_a_handler() -> None:
    (process,) = parse(MODEL).executable_processes
    job_types = {node.job.type for node in process.elements.values() if node.job is not None}
    assert (
        job_types
        == set(HANDLERS)
        == {
            "check-stock",
            "charge-payment",
            "notify-customer",
            "ship-order",
            "cancel-order",
        }
    )


def test_a_paid_and_confirmed_order_ships() -> None:
    driver, key = charged()
    assert driver.active(key) == ["AwaitConfirmation"]

    driver.publish("payment-confirmed", "o-1")
    work(driver, "ship-order")

    assert driver.status(key) == "COMPLETED"
    assert driver.history(key) == [
        "OrderReceived",
        "CheckStock",
        "InStock",
        "ChargePayment",
        "AwaitConfirmation",
        "PaymentConfirmed",
        "ShipOrder",
        "OrderShipped",
    ]
    variables = driver.variables(key)
    assert "amount" not in variables  # the input mapping's result stays on the task
    assert {k: variables[k] for k in ("inStock", "charged", "paymentId", "trackingNumber")} == {
        "inStock": True,
        "charged": 99,
        "paymentId": "pay-o-1",
        "trackingNumber": "TRK-o-1",
    }
    assert not driver.timers and not driver.subscriptions


def test_an_order_out_of_stock_is_rejected_by_the_default_flow() -> None:
    driver, key = order("monitor", 1)
    work(driver, "check-stock")

    assert driver.status(key) == "COMPLETED"
    assert driver.history(key) == ["OrderReceived", "CheckStock", "InStock", "OrderRejected"]
    assert driver.variables(key)["inStock"] is False
    assert not driver.jobs


def test_a_declined_payment_notifies_the_customer() -> None:
    driver, key = order("keyboard", 12)  # 594.00, over the payment limit
    work(driver, "check-stock")
    work(driver, "charge-payment")

    assert driver.active(key) == ["NotifyCustomer"]
    assert "ChargePayment" in driver.history(key, "ELEMENT_TERMINATED")
    work(driver, "notify-customer")

    assert driver.status(key) == "COMPLETED"
    assert driver.history(key)[-3:] == ["PaymentDeclined", "NotifyCustomer", "CustomerNotified"]
    variables = driver.variables(key)
    assert variables["notified"] == "payment-declined"  # the task header's template
    assert "paymentId" not in variables


def test_an_order_unconfirmed_for_an_hour_is_cancelled() -> None:
    driver, key = charged()
    driver.advance(HOUR_MS - 1)
    assert driver.active(key) == ["AwaitConfirmation"]

    driver.advance(1)
    work(driver, "cancel-order")

    assert driver.status(key) == "COMPLETED"
    assert driver.history(key)[-4:] == [
        "AwaitConfirmation",
        "ConfirmationTimeout",
        "CancelOrder",
        "OrderCancelled",
    ]
    assert driver.variables(key)["voided"] == "pay-o-1"
    assert not driver.subscriptions

    driver.publish("payment-confirmed", "o-1")  # too late: nothing waits for it any more
    assert driver.status(key) == "COMPLETED"


@pytest.mark.parametrize("quantity", [0, 13])
def test_check_stock_refuses_what_it_cannot_deliver(quantity: int) -> None:
    assert orders.check_stock("keyboard", quantity) == {"inStock": False, "unitPrice": 49.5}


def test_the_diagram_draws_every_element_and_flow() -> None:
    definitions = parse(MODEL)
    svg = render_process(definitions, "order-process")
    assert svg is not None and str(svg).startswith("<svg")
    (process,) = definitions.executable_processes
    drawn = set(re.findall(r'data-element-id="([^"]+)"', str(svg)))
    assert drawn == set(process.elements) | set(process.flows)
