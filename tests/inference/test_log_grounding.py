"""How VM2 grounds whole logs: the version's log threshold with the quoted-wording bonus it was calibrated with;
an operator's threshold, or a version without a log threshold, means the question threshold without the bonus."""

from __future__ import annotations

from inference.loading import _log_grounding
from resolver_core.grounding import Grounding
from resolver_core.manifest import GroundingInfo
from resolver_core.settings import InferenceSettings

RECORDED = GroundingInfo(
    closeness="top_and_margin", known_fix_threshold=0.53, log_known_fix_threshold=0.75, log_quoted_bonus=0.2
)


def _settings(**values) -> InferenceSettings:
    return InferenceSettings(_env_file=None, **values)


def test_a_version_s_logs_get_its_log_threshold_and_its_bonus() -> None:
    logs = _log_grounding(Grounding.of_version(RECORDED), RECORDED, _settings())
    assert (logs.known_fix_threshold, logs.quoted_bonus) == (0.75, 0.2)


def test_an_operator_s_threshold_holds_for_logs_searched_without_the_bonus() -> None:
    settings = _settings(inference_known_fix_threshold=0.6)
    logs = _log_grounding(Grounding.of_version(RECORDED, settings.inference_known_fix_threshold), RECORDED, settings)
    assert (logs.known_fix_threshold, logs.quoted_bonus) == (0.6, 0.0)


def test_an_older_version_without_a_log_threshold_answers_logs_as_questions() -> None:
    older = GroundingInfo(closeness="top_and_margin", known_fix_threshold=0.53)
    logs = _log_grounding(Grounding.of_version(older), older, _settings())
    assert (logs.known_fix_threshold, logs.quoted_bonus) == (0.53, 0.0)
