"""The company's business systems as the dialogue sees them (orders, refunds, warranty)."""

from bot.backend.interface import BusinessBackend, OrderInfo
from bot.backend.json_backend import JsonBusinessBackend

__all__ = ["BusinessBackend", "OrderInfo", "JsonBusinessBackend"]
