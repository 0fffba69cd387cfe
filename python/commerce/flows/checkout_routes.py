"""POST /store/carts/:id/complete: the checkout (commerce.flows.checkout), answered as Medusa does: `{type: "order",
order}`, or, when the payment is declined or needs more action, `{type: "cart", cart, error}` with the cart exactly as
it was (every other failure is its 4xx error)."""

from commerce.errors import PaymentAuthorizationError
from commerce.flows import cart as cart_flow
from commerce.flows import checkout
from commerce.flows.order_routes import store_order
from commerce.http import Request, Response, Route, json_response


async def complete(req: Request) -> Response:
    reads = await cart_flow.reads_for(req)
    cart_id = req.params["id"]
    async with req.state.pool.connection() as conn:
        try:
            order_id = await checkout.complete(conn, reads, cart_id)
        except PaymentAuthorizationError as exc:
            cart = await cart_flow.retrieve(conn, reads, cart_id)
            error = {"message": exc.message, "name": "Error", "type": exc.type}
            return json_response({"type": "cart", "cart": cart, "error": error})
        return json_response({"type": "order", "order": await store_order(req, conn, order_id)})


ROUTES = [
    Route(
        "POST",
        "/store/carts/:id/complete",
        complete,
        "store",
        "Complete the cart: reserve stock, authorize payment, place the order",
        tag="Store Carts",
    ),
]
