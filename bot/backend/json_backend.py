"""The shipped example's backend: orders from a JSON fixture."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Optional

from bot.backend.interface import OrderInfo

SAMPLE_ORDERS = Path(__file__).with_name("sample_orders.json")


class JsonBusinessBackend:
    def __init__(self, path: Path = SAMPLE_ORDERS) -> None:
        with open(path, encoding="utf-8") as handle:
            rows = json.load(handle)
        self._orders = {_digits(row["order_number"]): OrderInfo(**row) for row in rows}

    def order(self, order_number: str) -> Optional[OrderInfo]:
        # Callers read the digits ("订单号 2026…"), often without the letter prefix.
        return self._orders.get(_digits(order_number or ""))


def _digits(order_number: str) -> str:
    return re.sub(r"\D", "", order_number)
