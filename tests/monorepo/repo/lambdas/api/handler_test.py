import json

from api.handler import handler


def test_a_valid_order_is_priced() -> None:
    body = json.dumps({"sku": "ABC-0001", "quantity": 3, "unit_price_cents": 250})
    response = handler({"body": body}, None)
    assert response["statusCode"] == 200
    assert json.loads(response["body"])["total_cents"] == 750


def test_an_invalid_order_names_its_fields() -> None:
    body = json.dumps({"sku": "abc", "quantity": 0, "unit_price_cents": 250})
    response = handler({"body": body}, None)
    assert response["statusCode"] == 422
    assert json.loads(response["body"]) == {"invalid": ["sku", "quantity"]}
