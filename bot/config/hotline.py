"""hotline.yml, parsed once into typed sections: everything company-specific.

Every section has its typed value and its defaults in one module of this package;
nothing else reads the YAML. Nothing is read at import time: callers ask for
`hotline_config()` when they need it, so tests can point `HOTLINE_CONFIG` at another
file. A section that is wrong fails here, at start, with the key it concerns.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import yaml

from bot.config.business import BusinessIntent, parse_business_intents
from bot.config.callbacks import CallbackSettings, parse_callbacks
from bot.config.company import CompanyInfo, parse_company
from bot.config.complaints import ComplaintSettings, parse_complaints
from bot.config.console import ConsoleSettings, parse_console
from bot.config.dialogue import DialogueSettings, parse_dialogue
from bot.config.errors import ConfigError
from bot.config.parse import mapping, strings
from bot.config.privacy import PrivacySettings, parse_privacy
from bot.config.repair import RepairConfig, parse_repair
from bot.config.settings import PROJECT_ROOT
from bot.config.telephony import TelephonySettings, parse_telephony
from bot.config.tickets import (
    BusinessHoursSettings,
    SeverityKeywords,
    SlaSettings,
    parse_business_hours,
    parse_severity_keywords,
    parse_sla,
)
from bot.config.webchat import WebchatSettings, parse_webchat

DEFAULT_CONFIG_PATH = PROJECT_ROOT / "hotline.yml"


@dataclass(frozen=True)
class HotlineConfig:
    """The parsed hotline.yml, one typed value per section."""

    company: CompanyInfo
    dialogue: DialogueSettings
    repair: RepairConfig  # dialogue.repair, forms, ladders
    webchat: WebchatSettings
    business_hours: BusinessHoursSettings
    sla: SlaSettings
    severity_keywords: SeverityKeywords
    callbacks: CallbackSettings
    console: ConsoleSettings
    privacy: PrivacySettings
    complaints: ComplaintSettings
    business_intents: Mapping[str, BusinessIntent]
    forbidden_phrases: tuple[str, ...]
    telephony: TelephonySettings
    raw: Mapping[str, Any] = field(repr=False, default_factory=dict)  # the YAML as read

    @property
    def complaint_categories(self) -> Mapping[str, str]:
        return self.complaints.categories

    def slot_values(self) -> dict[str, str]:
        """Values that domain.yml responses interpolate (`{company_name}` …)."""
        return {
            "company_name": self.company.name,
            "hotline_name": self.company.hotline_name,
            "assistant_name": self.company.assistant_name,
            "hotline_number": self.company.hotline_number,
            "referral_number": self.company.referral_number,
            "business_open": self.business_hours.open.strftime("%H:%M"),
            "business_close": self.business_hours.close.strftime("%H:%M"),
        }


def parse_hotline_config(raw: Mapping[str, Any], where: str = "hotline.yml") -> HotlineConfig:
    """Every section of a hotline.yml document, checked."""
    raw = mapping(raw, where)

    def section(name: str) -> Mapping[str, Any]:
        return mapping(raw.get(name), name)

    dialogue = section("dialogue")
    complaints = parse_complaints(raw)
    business = parse_business_intents(section("business_intents"), complaints.categories)
    topic_words = [word for words in complaints.category_words.values() for word in words]
    return HotlineConfig(
        company=parse_company(section("company"), where),
        dialogue=parse_dialogue(dialogue),
        repair=parse_repair(dialogue.get("repair") or {}, section("forms"), section("ladders"),
                            business, topic_words,
                            registrations={name: spec.registers for name, spec in business.items()
                                           if spec.registers},
                            asked_in_words={name: spec.asked_in_words
                                            for name, spec in business.items()},
                            own_words={name: tuple(complaints.category_words.get(
                                spec.registers.category) or ())
                                for name, spec in business.items() if spec.registers},
                            lookup_answers={spec.response: name for name, spec in business.items()
                                            if spec.lookup}),
        webchat=parse_webchat(section("webchat")),
        business_hours=parse_business_hours(section("business_hours")),
        sla=parse_sla(section("sla")),
        severity_keywords=parse_severity_keywords(section("severity_keywords")),
        callbacks=parse_callbacks(section("callbacks")),
        console=parse_console(section("console")),
        privacy=parse_privacy(section("privacy")),
        complaints=complaints,
        business_intents=business,
        forbidden_phrases=strings(raw.get("forbidden_phrases"), "forbidden_phrases"),
        telephony=parse_telephony(section("telephony")),
        raw=raw,
    )


_DEFAULT_CONFIG = str(DEFAULT_CONFIG_PATH)


@lru_cache(maxsize=4)
def load_hotline_config(path: str) -> HotlineConfig:
    try:
        with open(path, encoding="utf-8") as handle:
            raw = yaml.safe_load(handle) or {}
    except FileNotFoundError as exc:
        raise ConfigError(f"hotline configuration not found: {path}") from exc
    return parse_hotline_config(raw, path)


def hotline_config() -> HotlineConfig:
    """The company configuration (cached per file path). Read on every prediction, so
    the path is the environment's string as it is (a `Path` per call cost 0.4 % of a
    loaded server)."""
    return load_hotline_config(os.environ.get("HOTLINE_CONFIG") or _DEFAULT_CONFIG)
