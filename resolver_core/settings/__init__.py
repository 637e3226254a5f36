"""One pydantic-settings class per process; every field is an environment variable listed in .env.example."""

from resolver_core.settings.common import (
    DEFAULT_BASE_MODEL_PATH,
    MIN_KEY_LENGTH,
    PLACEHOLDER_SECRETS,
    CommonSettings,
    ConfigError,
    env_file,
    parse_named_keys,
)
from resolver_core.settings.deploy import DeploySettings
from resolver_core.settings.env_example import ALL_SETTINGS, COMPOSE_VARIABLES, all_env_vars, render_env_example
from resolver_core.settings.inference import InferenceSettings
from resolver_core.settings.submission import SubmissionSettings
from resolver_core.settings.trainer import TrainerSettings

__all__ = [
    "ALL_SETTINGS",
    "COMPOSE_VARIABLES",
    "DEFAULT_BASE_MODEL_PATH",
    "MIN_KEY_LENGTH",
    "PLACEHOLDER_SECRETS",
    "CommonSettings",
    "ConfigError",
    "DeploySettings",
    "InferenceSettings",
    "SubmissionSettings",
    "TrainerSettings",
    "all_env_vars",
    "env_file",
    "parse_named_keys",
    "render_env_example",
]
