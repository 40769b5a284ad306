"""What the dialogue asks of a company's business systems.

A company plugs in its own backend by implementing `BusinessBackend` and
naming the class in HOTLINE_BACKEND (module:Class); the dialogue is unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Protocol


@dataclass(frozen=True)
class OrderInfo:
    order_number: str
    product: str
    status_text: str       # how the order stands, in the company's words
    refund_text: str       # refund progress, in the company's words
    warranty_text: str     # warranty state, in the company's words
    phone_last4: str       # to check identity before disclosing details


class BusinessBackend(Protocol):
    def order(self, order_number: str) -> Optional[OrderInfo]:
        """The order, or None when there is no such order."""
        ...
