"""The example order process (``processes/order.bpmn``) run on the engine with the real
handlers of ``workers/orders.py``: every way an order can go, and its diagram."""

from __future__ import annotations

import inspect
import itertools
import re
from pathlib import Path
from typing import Any

import pytest

from engine._driver import Driver
from sdk.bpmn import Bounds, ElementType, Point, parse
from sdk.broker.ui._diagram import render_process
from sdk.models import JobKey
from sdk.worker import JobContext, JobError
from workers import orders

MODEL = (Path(__file__).resolve().parent.parent / "processes" / "order.bpmn").read_text("utf-8")
HANDLERS = {spec.job_type: spec for spec in orders.worker.tasks.values()}
HOUR_MS = 3_600_000
EVENTS = {
    ElementType.START_EVENT,
    ElementType.END_EVENT,
    ElementType.BOUNDARY_EVENT,
    ElementType.INTERMEDIATE_CATCH_EVENT,
}
GATEWAYS = {ElementType.EXCLUSIVE_GATEWAY, ElementType.EVENT_BASED_GATEWAY}


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


def _overlap(a: Bounds, b: Bounds) -> bool:
    return (
        a.x < b.x + b.width
        and b.x < a.x + a.width
        and a.y < b.y + b.height
        and b.y < a.y + a.height
    )


def _crosses(box: Bounds, a: Point, b: Point) -> bool:
    """Whether the (horizontal or vertical) segment a-b passes through ``box``."""
    x, y = min(a.x, b.x) - 0.5, min(a.y, b.y) - 0.5
    return _overlap(box, Bounds(x, y, abs(a.x - b.x) + 1, abs(a.y - b.y) + 1))


def _on_border(box: Bounds, point: Point, round_shape: bool) -> bool:
    """On the rectangle's outline; on an event or a gateway, at one of the four points where
    the circle or diamond meets its bounds."""
    right, bottom = box.x + box.width, box.y + box.height
    if round_shape:
        mid_x, mid_y = box.x + box.width / 2, box.y + box.height / 2
        sides = {(box.x, mid_y), (right, mid_y), (mid_x, box.y), (mid_x, bottom)}
        return (point.x, point.y) in sides
    return (point.x in (box.x, right) and box.y <= point.y <= bottom) or (
        point.y in (box.y, bottom) and box.x <= point.x <= right
    )


def test_the_diagram_is_laid_out_cleanly() -> None:
    """What Camunda Modeler would draw: standard sizes, nothing overlapping, labels clear of
    the flows, flows orthogonal and attached to their shapes' borders."""
    definitions = parse(MODEL)
    (process,) = definitions.executable_processes
    shapes, edges = definitions.diagram.shapes, definitions.diagram.edges
    for node in process.elements.values():
        size = (36, 36) if node.type in EVENTS else (50, 50) if node.type in GATEWAYS else (100, 80)
        bounds = shapes[node.id].bounds
        assert (bounds.width, bounds.height) == size, node.id
        assert (shapes[node.id].label is not None) == bool(
            node.name and node.type is not ElementType.SERVICE_TASK
        ), node.id
    boxes = {i: s.bounds for i, s in shapes.items()}
    boxes |= {f"{i} label": s.label for i, s in shapes.items() if s.label is not None}
    boxes |= {f"{i} label": e.label for i, e in edges.items() if e.label is not None}
    labels = [box for name, box in boxes.items() if name.endswith(" label")]
    attached = {(n.id, n.attached_to) for n in process.elements.values() if n.attached_to}
    for a, b in itertools.combinations(sorted(boxes), 2):
        if (a, b) not in attached and (b, a) not in attached:
            assert not _overlap(boxes[a], boxes[b]), (a, b)
    for flow in process.flows.values():
        points = edges[flow.id].waypoints
        assert all(p.x == q.x or p.y == q.y for p, q in itertools.pairwise(points)), flow.id
        for end, node_id in ((points[0], flow.source), (points[-1], flow.target)):
            round_shape = process.elements[node_id].type in EVENTS | GATEWAYS
            assert _on_border(boxes[node_id], end, round_shape), (flow.id, node_id)
        segments = list(itertools.pairwise(points))
        assert not any(_crosses(box, p, q) for box in labels for p, q in segments), flow.id
