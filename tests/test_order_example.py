"""The example order process (``processes/order.bpmn``) end to end: deployed through the
client to a broker, worked by the real worker of ``workers/orders.py``, and checked with the
process assertions of ``sdk.testing`` the way a user of the example would test it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from sdk.client import AsyncClient
from sdk.testing import assert_that, increase_time, running
from workers.orders import worker

pytestmark = pytest.mark.anyio

MODEL = Path(__file__).resolve().parent.parent / "processes" / "order.bpmn"


async def place_order(client: AsyncClient, order_id: str, item: str, quantity: int) -> int:
    await client.deploy_resources_from_files([MODEL])
    created = await client.create_process_instance(
        process_definition_id="order-process",
        variables={"orderId": order_id, "item": item, "quantity": quantity},
    )
    return int(created.process_instance_key)


async def test_a_confirmed_order_is_shipped(sdk_client: AsyncClient) -> None:
    async with running(worker, sdk_client):
        key = await place_order(sdk_client, "o-1", "keyboard", 2)
        order = assert_that(sdk_client, key)
        await order.is_waiting_for_message("payment-confirmed", correlation_key="o-1")
        await order.has_variables(paymentId="pay-o-1", charged=99.0)
        await sdk_client.publish_message(name="payment-confirmed", correlation_key="o-1")
        await order.is_completed()
        await order.has_completed_elements_in_order(
            "Order received",
            "Check stock",
            "In stock?",
            "Charge payment",
            "Payment confirmed",
            "Ship order",
            "Order shipped",
        )
        await order.has_variables(trackingNumber="TRK-o-1")
        await order.has_not_activated_elements("Order rejected", "Notify customer", "Cancel order")
        await order.has_no_incidents()


async def test_an_order_out_of_stock_is_rejected(sdk_client: AsyncClient) -> None:
    async with running(worker, sdk_client):
        key = await place_order(sdk_client, "o-2", "monitor", 1)
        order = assert_that(sdk_client, key)
        await order.is_completed()
        await order.has_completed_elements_in_order(
            "Order received", "Check stock", "In stock?", "Order rejected"
        )
        await order.has_variables(inStock=False)
        await order.has_not_activated_elements("Charge payment")


async def test_a_declined_payment_notifies_the_customer(sdk_client: AsyncClient) -> None:
    async with running(worker, sdk_client):
        key = await place_order(sdk_client, "o-3", "mouse", 30)
        order = assert_that(sdk_client, key)
        await order.is_completed()
        await order.has_terminated_elements("Charge payment")
        await order.has_completed_elements_in_order(
            "Order received",
            "Check stock",
            "In stock?",
            "Payment declined",
            "Notify customer",
            "Customer notified",
        )
        await order.has_variables(notified="payment-declined")
        await order.has_not_activated_elements("Ship order")


async def test_an_unconfirmed_payment_cancels_the_order_after_an_hour(
    sdk_client: AsyncClient,
) -> None:
    async with running(worker, sdk_client):
        key = await place_order(sdk_client, "o-4", "keyboard", 1)
        order = assert_that(sdk_client, key)
        await order.is_waiting_for_message("payment-confirmed", correlation_key="o-4")
        await increase_time(sdk_client, timedelta(hours=1))
        await order.is_completed()
        await order.has_completed_elements_in_order(
            "Charge payment", "1 hour passed", "Cancel order", "Order cancelled"
        )
        await order.has_variables(cancelled=True, voided="pay-o-4")
        await order.has_not_activated_elements("Payment confirmed", "Ship order")
