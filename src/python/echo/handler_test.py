from echo.handler import handler


def test_echoes_the_message() -> None:
    assert handler({"message": "hello"}, None) == {"message": "hello"}
