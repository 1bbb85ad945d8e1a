"""Every route is on the application's own list (``api/routing.py``), in the order the modules add them,
and requests are routed as FastAPI's branches routed them: the endpoint, a wrong method, no route."""

from __future__ import annotations

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from api.routes import figures, invoices


def test_routes_are_the_modules_own_in_order_with_no_branches(client: TestClient) -> None:
    routes = client.app.router.routes  # type: ignore[attr-defined]
    assert all(type(route).__name__ != "_IncludedRouter" for route in routes)
    api = [route for route in routes if isinstance(route, APIRoute)]
    assert len(api) > 100
    for module in (invoices, figures):
        own = [route for route in api if route in module.router.routes]
        assert own == module.router.routes  # the same objects, in the module's order
    paths = [(route.path, tuple(sorted(route.methods))) for route in api]
    assert len(paths) == len(set(paths))


def test_requests_reach_their_endpoint_or_get_405_or_404(client: TestClient) -> None:
    """A route's other method is 405 with an Allow header; a path no route has is 404."""
    assert client.get("/health").status_code == 200
    wrong = client.put("/v1/invoices/00000000-0000-0000-0000-000000000001/payments")
    assert wrong.status_code == 405 and "POST" in wrong.headers["allow"]
    assert client.get("/v1/no-such-thing").status_code == 404
    unauthorised = client.post("/v1/invoices/00000000-0000-0000-0000-000000000001/payments", json={})
    assert unauthorised.status_code == 401
