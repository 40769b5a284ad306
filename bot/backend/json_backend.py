"""The shipped example's backend: orders from a JSON fixture."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

from bot.backend.interface import OrderInfo

SAMPLE_ORDERS = Path(__file__).with_name("sample_orders.json")


class JsonBusinessBackend:
    def __init__(self, path: Path = SAMPLE_ORDERS) -> None:
        with open(path, encoding="utf-8") as handle:
            rows = json.load(handle)
        self._orders = {row["order_number"]: OrderInfo(**row) for row in rows}

    def order(self, order_number: str) -> Optional[OrderInfo]:
        return self._orders.get((order_number or "").strip().upper())
