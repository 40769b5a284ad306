"""One place for configuration: the company's hotline.yml, parsed into typed sections
(one module per section, defaults defined there once), and the deployment settings
from environment variables (`settings`).

Company data (names, phrases, deadlines) comes from hotline.yml; deployment settings
(addresses, secrets, mode) from the environment; every line a caller hears or reads
from domain.yml responses, never from here.
"""

from bot.config.company import CompanyInfo
from bot.config.errors import ConfigError
from bot.config.hotline import (
    DEFAULT_CONFIG_PATH,
    HotlineConfig,
    hotline_config,
    load_hotline_config,
    parse_hotline_config,
)
from bot.config.settings import DEVELOPMENT_SECRETS, PROJECT_ROOT, Settings, settings

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "DEVELOPMENT_SECRETS",
    "PROJECT_ROOT",
    "CompanyInfo",
    "ConfigError",
    "HotlineConfig",
    "Settings",
    "hotline_config",
    "load_hotline_config",
    "parse_hotline_config",
    "settings",
]
