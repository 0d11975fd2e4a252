#!/usr/bin/env python3
"""The README walk-through through the Python clients that openapi-python-client generated
from the services' documents (see scripts/generated-clients, which runs this).

    client_walkthrough.py ORDER_URL VOUCHER_URL

ALICE_TOKEN (a customer token of alice) and FULFILMENT_TOKEN (orders:status) come from the
environment; the generated packages `order_client` and `voucher_client` from PYTHONPATH.
Every client raises on a status its document does not declare.
"""

import os
import sys
import time

from order_client import AuthenticatedClient as OrderClient
from order_client.api.catalog import list_products
from order_client.api.orders import change_order_status, create_order, get_order
from order_client.models import (
    CreateOrderRequest,
    OrderDto,
    OrderLineRequest,
    ProductPageDto,
    OrderStatusDto,
    Problem as OrderProblem,
    TargetStatus,
    UpdateStatusRequest,
)
from voucher_client import AuthenticatedClient as VoucherClient
from voucher_client.api.vouchers import get_voucher, list_vouchers
from voucher_client.models import VoucherDto, VoucherListDto, VoucherStatusDto


def log(message):
    print(f"==>   {message}", file=sys.stderr, flush=True)


def main(order_url, voucher_url):
    alice, fulfilment = os.environ["ALICE_TOKEN"], os.environ["FULFILMENT_TOKEN"]
    as_alice = OrderClient(base_url=order_url, token=alice, raise_on_unexpected_status=True)
    as_fulfilment = OrderClient(base_url=order_url, token=fulfilment, raise_on_unexpected_status=True)
    vouchers = VoucherClient(base_url=voucher_url, token=alice, raise_on_unexpected_status=True)

    # What the shop sells: the sample catalog.
    products = list_products.sync_detailed(client=as_alice)
    assert products.status_code == 200 and isinstance(products.parsed, ProductPageDto), products
    [book] = [p for p in products.parsed.items if p.sku == "BOOK-1"]
    assert book.unit_price_cents == 6000 and book.active, book
    log(f"list_products: 200, {len(products.parsed.items)} products, BOOK-1 at {book.unit_price_cents} cents")

    # Alice orders 2 of BOOK-1; the server prices them from the catalog and computes the total.
    request = CreateOrderRequest(customer_id="alice", items=[OrderLineRequest(sku="BOOK-1", quantity=2)])
    created = create_order.sync_detailed(client=as_alice, body=request)
    assert created.status_code == 201, created
    order = created.parsed
    assert isinstance(order, OrderDto), order
    assert (order.total_cents, order.status) == (12000, OrderStatusDto.CREATED), order
    assert order.items[0].name == book.name and order.items[0].unit_price_cents == 6000, order
    assert created.headers["location"] == f"/orders/{order.id}", created.headers
    log(f"create_order: 201, order {order.id}, total {order.total_cents} cents")

    # Fulfilment marks it sent, which publishes order.sent.
    sent = change_order_status.sync_detailed(
        str(order.id), client=as_fulfilment, body=UpdateStatusRequest(status=TargetStatus.SENT)
    )
    assert sent.status_code == 200 and sent.parsed.status == OrderStatusDto.SENT, sent
    log("change_order_status: 200, sent")
    read = get_order.sync_detailed(str(order.id), client=as_alice)
    assert isinstance(read.parsed, OrderDto) and read.parsed.status == OrderStatusDto.SENT, read

    # Within moments Alice has a 5.00 EUR voucher.
    deadline = time.time() + 10
    while True:
        listed = list_vouchers.sync_detailed(client=vouchers, order_id=str(order.id))
        assert listed.status_code == 200 and isinstance(listed.parsed, VoucherListDto), listed
        if listed.parsed.items:
            break
        assert time.time() < deadline, "no voucher within 10 s"
        time.sleep(0.1)
    [voucher] = listed.parsed.items
    assert isinstance(voucher, VoucherDto) and voucher.amount_cents == 500, voucher
    assert voucher.status == VoucherStatusDto.ACTIVE and voucher.order_id == order.id, voucher
    log(f"list_vouchers: 200, one voucher of {voucher.amount_cents} cents")
    looked_up = get_voucher.sync_detailed(voucher.code.lower(), client=vouchers)
    assert isinstance(looked_up.parsed, VoucherDto) and looked_up.parsed.id == voucher.id, looked_up

    # She spends it on her next order (once the order service has heard of it: milliseconds).
    def spend(quantity):
        body = CreateOrderRequest(
            customer_id="alice", items=[OrderLineRequest(sku="MUG-3", quantity=quantity)], voucher_code=voucher.code
        )
        deadline = time.time() + 10
        while True:
            answer = create_order.sync_detailed(client=as_alice, body=body)
            if answer.status_code == 201:
                return answer.parsed
            assert answer.status_code == 422 and answer.parsed.type_ == "/problems/voucher-unknown", answer
            assert time.time() < deadline, "the voucher was not usable within 10 s"
            time.sleep(0.1)

    held = spend(1)
    assert (held.subtotal_cents, held.discount_cents, held.total_cents) == (1250, 500, 750), held
    assert held.voucher_id == voucher.id, held
    taken = create_order.sync_detailed(
        client=as_alice,
        body=CreateOrderRequest(customer_id="alice", items=[OrderLineRequest(sku="MUG-3", quantity=1)],
                                voucher_code=voucher.code),
    )
    assert taken.status_code == 422 and taken.parsed.type_ == "/problems/voucher-held", taken
    log("create_order with the voucher: 201, 5.00 EUR off; a second order with it: 422 voucher-held")

    # She cancels that order: the voucher is given back; she spends it again and it is sent.
    cancelled = change_order_status.sync_detailed(
        str(held.id), client=as_fulfilment, body=UpdateStatusRequest(status=TargetStatus.CANCELLED)
    )
    assert cancelled.status_code == 200, cancelled
    last = spend(2)
    assert change_order_status.sync_detailed(
        str(last.id), client=as_fulfilment, body=UpdateStatusRequest(status=TargetStatus.SENT)
    ).status_code == 200
    deadline = time.time() + 10
    while (told := get_voucher.sync_detailed(voucher.code, client=vouchers).parsed).status != VoucherStatusDto.REDEEMED:
        assert time.time() < deadline, f"the voucher was not redeemed within 10 s: {told}"
        time.sleep(0.1)
    assert told.used_by_order_id == last.id, told
    story = [(entry.event.value, entry.order_id) for entry in told.history]
    assert story == [("issued", order.id), ("reserved", held.id), ("released", held.id),
                     ("reserved", last.id), ("redeemed", last.id)], story
    log("cancel, spend again, send: get_voucher says redeemed by the last order, with its history")

    # A broken token is a 401, as a problem the client parses.
    broken = OrderClient(base_url=order_url, token=alice + "x", raise_on_unexpected_status=True)
    refused = get_order.sync_detailed(str(order.id), client=broken)
    assert refused.status_code == 401 and isinstance(refused.parsed, OrderProblem), refused
    log("get_order with a broken token: 401 /problems/invalid-token")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
