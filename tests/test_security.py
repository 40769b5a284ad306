"""Access settings of the Rasa server command (launcher/services.py), without starting it."""

from __future__ import annotations

from pathlib import Path

import pytest

from launcher.services import Ports, rasa_server


def args_for(monkeypatch: pytest.MonkeyPatch, origins: str | None) -> list[str]:
    if origins is None:
        monkeypatch.delenv("WEBCHAT_ALLOWED_ORIGINS", raising=False)
    else:
        monkeypatch.setenv("WEBCHAT_ALLOWED_ORIGINS", origins)
    monkeypatch.delenv("RASA_INTERFACE", raising=False)
    service = rasa_server(Path("."), Path("model.tar.gz"), Ports(rasa=5005, actions=5055), "tok")
    return [str(a) for a in service.args]


def test_the_http_api_always_needs_the_token_and_listens_on_loopback_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    args = args_for(monkeypatch, None)
    assert args[args.index("--auth-token") + 1] == "tok"
    assert args[args.index("--interface") + 1] == "127.0.0.1"
    assert "--cors" not in args  # no cross-origin access at all unless configured


def test_cors_lists_only_the_configured_web_chat_origins_never_a_wildcard(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    args = args_for(monkeypatch, "https://shop.example, *, ,https://m.shop.example")
    start = args.index("--cors") + 1
    assert args[start:start + 2] == ["https://shop.example", "https://m.shop.example"]
    assert "*" not in args


def test_one_masking_function_keeps_only_the_last_four_digits() -> None:
    from bot.masking import mask_number, mask_sensitive

    text = "电话139-0000-1234,身份证11010519491231002X,卡号6222 0212 3456 7890 123,金额128元"
    masked = mask_sensitive(text)
    for secret in ("1390000", "110105194912", "62220212345678"):
        assert secret not in masked.replace("-", "").replace(" ", "")
    assert masked.endswith("金额128元") and "1234" in masked and "002X" in masked
    assert mask_number("+86 139 0000 1234") == "*********1234"
