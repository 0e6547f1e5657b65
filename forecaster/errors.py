"""Errors the forecaster raises on purpose.

    ForecasterError
    └── DataSufficiencyError   history too short/empty to fit any model (`fit` refuses it,
                               so no model is ever fitted on disqualified data)

Wrong use of the API (unfitted model, missing features, naive timestamps)
raises the built-ins RuntimeError / ValueError / TypeError instead.
"""

from __future__ import annotations

__all__ = ["DataSufficiencyError", "ForecasterError"]


class ForecasterError(Exception):
    """Base of the forecaster's domain errors."""


class DataSufficiencyError(ForecasterError):
    """The history cannot support any model (see the data's disqualifications)."""
