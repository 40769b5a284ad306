"""`company:` who the hotline is (names spoken in the opening line, numbers)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.config.errors import ConfigError


@dataclass(frozen=True)
class CompanyInfo:
    name: str
    hotline_name: str = "客户服务热线"
    assistant_name: str = ""
    hotline_number: str = ""
    referral_number: str = "114"  # out-of-scope referral


def parse_company(raw: Mapping[str, Any], where: str) -> CompanyInfo:
    missing = [k for k in ("name", "assistant_name") if not raw.get(k)]
    if missing:
        raise ConfigError(f"{where}: company.{', company.'.join(missing)} must be set")
    default = CompanyInfo(name="")
    return CompanyInfo(
        name=str(raw["name"]),
        hotline_name=str(raw.get("hotline_name", default.hotline_name)),
        assistant_name=str(raw["assistant_name"]),
        hotline_number=str(raw.get("hotline_number", default.hotline_number)),
        referral_number=str(raw.get("referral_number", default.referral_number)),
    )
