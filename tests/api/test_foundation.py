"""The HTTP foundation over a real Granian server: health, OpenAPI, routing errors, request ids, bad input."""

import httpx

from tests.conftest import assert_error


def test_health(client: httpx.Client) -> None:
    r = client.get("/health")
    assert r.status_code == 200
    assert r.text == "OK"


def test_every_response_has_a_request_id_and_echoes_the_callers(client: httpx.Client) -> None:
    first = client.get("/health").headers["x-request-id"]
    second = client.get("/health").headers["x-request-id"]
    assert first and second and first != second
    assert client.get("/health", headers={"x-request-id": "abc-123"}).headers["x-request-id"] == "abc-123"


def test_unknown_route_is_404_not_found(client: httpx.Client) -> None:
    assert_error(client.get("/nope"), 404, "not_found", "/nope")
    r = client.delete("/health")  # a known path, another method: 405 naming what it takes
    assert_error(r, 405, "not_allowed")
    assert r.headers["allow"] == "GET"


def test_openapi_lists_the_routes_with_schemas(client: httpx.Client) -> None:
    r = client.get("/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    assert doc["openapi"].startswith("3.")
    assert "get" in doc["paths"]["/store/regions"]
    assert "post" in doc["paths"]["/admin/regions/{id}"]
    create = doc["paths"]["/admin/regions"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert create["$ref"] == "#/components/schemas/CreateRegion"
    assert set(doc["components"]["schemas"]["CreateRegion"]["required"]) == {"name", "currency_code"}


def test_bad_json_is_400_invalid_data(admin: httpx.Client) -> None:
    r = admin.post("/admin/regions", content=b"{not json", headers={"content-type": "application/json"})
    assert_error(r, 400, "invalid_data", "JSON")


def test_wrong_type_names_the_field(admin: httpx.Client) -> None:
    r = admin.post("/admin/regions", json={"name": 5, "currency_code": "usd"})
    assert_error(r, 400, "invalid_data", "name")


def test_missing_required_field_is_named(admin: httpx.Client) -> None:
    assert_error(admin.post("/admin/regions", json={"name": "X"}), 400, "invalid_data", "currency_code")


def test_unknown_field_on_admin_write_is_rejected(admin: httpx.Client) -> None:
    r = admin.post("/admin/sales-channels", json={"name": "X", "colour": "red"})
    assert_error(r, 400, "invalid_data", "colour")


def test_bad_query_parameter_is_400(store: httpx.Client) -> None:
    assert_error(store.get("/store/regions", params={"limit": "many"}), 400, "invalid_data", "limit")
    assert_error(store.get("/store/regions", params={"offset": "-1"}), 400, "invalid_data", "offset")
    assert_error(store.get("/store/regions", params={"fields": "+nonsense"}), 400, "invalid_data", "nonsense")
    assert_error(store.get("/store/regions", params={"order": "password"}), 400, "invalid_data", "password")


def test_body_that_is_not_an_object_is_400(admin: httpx.Client) -> None:
    r = admin.post("/admin/sales-channels", content=b"[1,2]", headers={"content-type": "application/json"})
    assert_error(r, 400, "invalid_data")


def test_huge_body_is_refused(admin: httpx.Client) -> None:
    r = admin.post("/admin/sales-channels", content=b'{"name": "' + b"x" * (2 << 20) + b'"}')
    assert_error(r, 400, "invalid_data", "larger")


def test_metrics_count_requests_by_route(client: httpx.Client) -> None:
    client.get("/health")
    client.get("/nope")
    text = client.get("/metrics").text
    assert "# TYPE commerce_http_requests_total counter" in text
    assert 'route="/health",status="200"' in text
    assert 'route="unmatched",status="404"' in text
    assert "commerce_http_request_duration_seconds_bucket{" in text and 'le="+Inf"' in text
