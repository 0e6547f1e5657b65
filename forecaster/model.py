"""The day-ahead load model: calendar + temperature regression with AR errors.

Stage 1 is a time-decayed, outlier-robust WLS (statsmodels) on hour-of-week
indicators and heating/cooling degree-hours (`features.py`). Stage 2 forecasts
the stage-1 error from what is known at the forecast origin: the last hour's
error, the last 24 h mean error (yesterday's level), and the errors at the same
hour one day and one week earlier (last week's shape), with one small OLS per
lead hour. Intervals are empirical quantiles of the stage-2 errors per lead,
scaled by the error spread of the hour and day class. No statsmodels object leaves this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import statsmodels.api as sm

from forecaster import __version__
from forecaster import closures as C
from forecaster import combine as M
from forecaster import features as F
from forecaster import intervals as I
from forecaster import persistence as P
from forecaster.calendar import LocalCalendar
from forecaster.data import HOUR_NS, FutureInput, HourlyHistory, Issue
from forecaster.errors import DataSufficiencyError
from forecaster.settings import ForecastSettings, Persistence, TemperatureMode

__all__ = ["Forecast", "LoadForecaster"]

LEVELS = (0.80, 0.95)
WEEK, DAY = 168, 24


@dataclass(frozen=True)
class Forecast:
    """Hourly forecast (kWh per hour, or kgCO2e for carbon) with 80% and 95% intervals."""

    time_ns: np.ndarray
    value: np.ndarray
    lower80: np.ndarray
    upper80: np.ndarray
    lower95: np.ndarray
    upper95: np.ndarray
    model: str
    issues: list[Issue] = field(default_factory=list)

    def scaled(self, factor: np.ndarray | float) -> Forecast:
        """Every column times `factor` (e.g. an emission factor per hour)."""
        f = np.asarray(factor, dtype=float)
        return Forecast(self.time_ns, self.value * f, self.lower80 * f, self.upper80 * f,
                        self.lower95 * f, self.upper95 * f, self.model, list(self.issues))


class LoadForecaster:
    """`LoadForecaster(settings).fit(history)` then `.predict(future)`."""

    def __init__(self, settings: ForecastSettings | None = None) -> None:
        self.settings = settings or ForecastSettings()
        self.calendar = LocalCalendar(self.settings.timezone, self.settings.country,
                                      self.settings.subdivision, self.settings.calendar)
        self.is_fitted = False
        self.issues: list[Issue] = []
        self.model_name = ""

    # ---------------------------------------------------------------- fit
    def fit(self, history: HourlyHistory, use_temperature: bool = True) -> LoadForecaster:
        """Fit on `history` (the last `history_days`); returns self.

        Raises DataSufficiencyError when the history is disqualified (too short).
        """
        s = self.settings
        if not isinstance(history, HourlyHistory):
            raise TypeError("fit() takes an HourlyHistory")
        h = history.tail(s.history_days)
        self.issues = list(h.warnings)
        if h.disqualifications or len(h) == 0:
            raise DataSufficiencyError(
                "history too short: " + ", ".join(f"{i.code} {i.detail}" for i in
                                                  h.disqualifications or [Issue("data.empty",
                                                                               "disqualification")])
            )
        y, t = h.kwh, h.time_ns
        valid_days = np.isfinite(y).sum() / 24
        self.short = valid_days < s.full_model_days
        if self.short:
            self.issues.append(Issue("model.short_history", "warning",
                                     {"valid_days": round(float(valid_days), 1),
                                      "full_model_days": s.full_model_days}))
        self.use_temp = (use_temperature and s.temperature == TemperatureMode.auto
                         and h.has_temperature and not self.short)
        if not self.use_temp and not self.short and s.temperature == TemperatureMode.auto:
            code = "model.no_future_temperature" if h.has_temperature else "model.no_temperature"
            self.issues.append(Issue(code, "warning", {}))
        self.model_name = ("profile" if self.short else "tow-temp" if self.use_temp else "tow")
        if s.persistence == Persistence.ar:
            self.model_name += "-ar"
        self.nonneg = bool(np.nanmin(y) >= 0)

        hour, daytype, ordinal = self.calendar.features(t)
        memory, special = C.DayMemory.empty(), np.zeros(y.size, bool)
        if s.detect_closures:
            daytype, special, memory = C.observe(y, ordinal, daytype)
        self._memory = memory
        group, n_groups = F.base_index(hour, daytype, self.short)
        age_h = (t[-1] - t) / HOUR_NS
        w = 0.5 ** (age_h / (24.0 * s.half_life_days))
        ok = np.isfinite(y)
        temp = None
        if self.use_temp:
            temp = F.interpolate_short_gaps(h.temp_c)
            ok &= np.isfinite(temp)
        w = np.where(ok & ~special, w, 0.0)
        y0 = np.where(ok, y, 0.0)

        # base fit (group means) -> occupancy and change points
        sw = np.bincount(group, weights=w, minlength=n_groups)
        present = sw > 0
        base = np.bincount(group, weights=w * y0, minlength=n_groups) / np.maximum(sw, 1e-12)
        self.occ = base > np.median(base[present]) if present.any() else np.zeros(n_groups, bool)
        self.cps = (0.0, 0.0)
        if self.use_temp:
            self.cps = F.pick_change_points(y0 - base[group], np.nan_to_num(temp),
                                            self.occ[group], group, n_groups, w)
        self._n_groups, self._hour_of_group = n_groups, np.arange(n_groups) % DAY
        z = F.hinge_columns(np.nan_to_num(temp), self.occ[group], *self.cps) if self.use_temp \
            else np.zeros((y.size, 0))
        # robust WLS: fit, drop hours beyond outlier_z robust sigmas, refit
        self._fit_stage1(y0, z, group, w)
        r = y0 - self._stage1(group, z)
        scale = 1.4826 * np.median(np.abs(r[ok] - np.median(r[ok]))) + 1e-9
        out = ok & (np.abs(r) > s.outlier_z * scale)
        if out.any():
            self.issues.append(Issue("model.outliers_ignored", "warning",
                                     {"hours": int(out.sum())}))
            w = np.where(out, 0.0, w)
            self._fit_stage1(y0, z, group, w)
        resid = np.where(ok, y - self._stage1(group, z), np.nan)
        # a lone bad reading is no news about tomorrow: keep it out of the persistence
        # inputs (a closure, many hours in a row, stays in)
        near = np.zeros(out.size + 2, bool)
        near[:-2] |= out
        near[2:] |= out
        resid[out & ~near[1:-1]] = np.nan
        self._sigma_clip = s.ar_clip_sigmas * scale
        work = daytype < 5
        off = (self.calendar.utc_offset_ns(t) // HOUR_NS).astype(np.int64)
        held = self._holdout_errors(h, y, temp, hour, work)
        clean = np.where(np.isnan(resid) & ok, np.nan, y)  # no lone bad reading either
        self._fit_ar(resid, hour, work, clean, off, held)
        self._end_ns = int(t[-1])
        pad = max(M.PAST_HOURS - y.size, 0)
        self._tail_y = np.concatenate([np.full(pad, np.nan), clean[-M.PAST_HOURS:]])
        self._tail_off = np.concatenate([np.full(pad, off[0]), off[-M.PAST_HOURS:]])
        self._tail_work = np.concatenate([np.zeros(pad, bool), work[-M.PAST_HOURS:]])
        pad = max(WEEK - resid.size, 0)
        self._last_resid = np.concatenate([np.full(pad, np.nan), resid[-WEEK:]])
        self._last_work = np.concatenate([np.zeros(pad, bool), work[-WEEK:]])
        self.is_fitted = True
        return self

    def _fit_stage1(self, y: np.ndarray, z: np.ndarray, group: np.ndarray,
                    w: np.ndarray) -> None:
        """WLS of y on group indicators + z, via within-group de-meaning (Frisch-Waugh).

        The indicators are profiled out exactly, so statsmodels only solves for the
        few temperature columns; the group levels are weighted means of y - z·beta.
        """
        n = self._n_groups
        sw = np.bincount(group, weights=w, minlength=n)
        beta = np.zeros(z.shape[1])
        if z.shape[1]:
            zt = F.demean_by_group(z, group, n, w)
            yt = F.demean_by_group(y[:, None], group, n, w)[:, 0]
            keep = w > 0
            live = (zt[keep] ** 2).T @ w[keep] > 1e-9 * max(float(np.sum(w)), 1.0)
            if live.any():
                res = sm.WLS(yt[keep], zt[keep][:, live], weights=w[keep], hasconst=False)
                beta[live] = np.asarray(res.fit(method="qr").params)
        rest = y - z @ beta
        level = np.bincount(group, weights=w * rest, minlength=n) / np.maximum(sw, 1e-12)
        present = sw > 0
        if not present.all():  # hour of week never seen: mean of that hour of day
            hod = self._hour_of_group
            hw = np.bincount(hod[present], weights=sw[present], minlength=DAY)
            hm = np.bincount(hod[present], weights=(level * sw)[present], minlength=DAY)
            fallback = hm / np.maximum(hw, 1e-12)
            level = np.where(present, level, fallback[hod])
        self._level, self._beta = level, beta

    def _stage1(self, group: np.ndarray, z: np.ndarray) -> np.ndarray:
        return self._level[group] + z @ self._beta

    def _holdout_errors(self, h: HourlyHistory, y: np.ndarray, temp: np.ndarray | None,
                        hour: np.ndarray, work: np.ndarray,
                        ) -> tuple[list[np.ndarray], list[np.ndarray]] | None:
        """Out-of-sample day-ahead errors on the last `combine_days` days, per lead:
        (target indices, errors) of models fitted on the history before each of
        `combine_folds` equal parts of them, their stage 2 fed their own errors up to each
        origin; None when that history is too short."""
        s = self.settings
        days = s.combine_days // max(s.combine_folds, 1)
        cuts = [y.size - 24 * days * (k + 1) for k in range(s.combine_folds)]
        if (not days or self.short or s.persistence == Persistence.none
                or min(cuts) < 24 * s.full_model_days):
            return None
        _, daytype, _ = self.calendar.features(h.time_ns)  # the calendar's, not observed
        group, _ = F.base_index(hour, daytype, False)
        idx: list[list[np.ndarray]] = [[] for _ in range(s.horizon_hours)]
        err: list[list[np.ndarray]] = [[] for _ in range(s.horizon_hours)]
        for cut in cuts:
            ho = LoadForecaster(s.model_copy(update={"combine_days": 0}))
            ho.fit(h.slice(0, cut, s.min_history_days), use_temperature=self.use_temp)
            if ho.short or ho.use_temp != self.use_temp:
                return None
            z = F.hinge_columns(np.nan_to_num(temp), ho.occ[group], *ho.cps) if ho.use_temp \
                else np.zeros((y.size, 0))
            fold = M.replay(y[: cut + 24 * days] - ho._stage1(group, z)[: cut + 24 * days],
                            work, ho._ar, ho._sigma_clip, cut)
            for lead in range(s.horizon_hours):
                idx[lead].append(fold[0][lead])
                err[lead].append(fold[1][lead])
        return [np.concatenate(i) for i in idx], [np.concatenate(e) for e in err]

    def _fit_ar(self, resid: np.ndarray, hour: np.ndarray, work: np.ndarray, y: np.ndarray,
                off: np.ndarray, held: tuple[list[np.ndarray], list[np.ndarray]] | None,
                ) -> None:
        """Per-lead OLS of the error on origin-time features; the building's weights of
        the persistence forecasts from the held-out errors `held` (`combine.py`); empirical
        quantiles of the final (combined) errors in the fit, per slot (`intervals.py`), and
        the interval scales moved `interval_adapt` of the way towards the ratio of the
        held-out to the in-fit error width."""
        s = self.settings
        n = min(resid.size, s.residual_days * 24)
        r, hr, wk = resid[-n:], hour[-n:], work[-n:]
        self._spread = I.slot_spread(r, hr, wk)
        slots = I.slot(hr, wk)
        warm = WEEK if n > 2 * WEEK else DAY
        use = 0 if s.persistence == Persistence.none else s.ar_features
        self._ar, errors, where = P.fit_leads(r, wk, s.horizon_hours, self._sigma_clip, warm, use)
        self._w = np.zeros((s.horizon_hours, 2))
        self._scales = tuple(s.interval_scales)
        where_slots = [slots[i] for i in where]
        if held is None:
            self._q = I.lead_quantiles(errors, where_slots, self._spread)
            return
        held_cols = M.columns(y, off, work, *held)
        self._w = M.fit_weights(held[1], held_cols, s.combine_shrink)
        inside = M.columns(y, off, work, [y.size - n + i for i in where], errors)
        errors = M.combined(errors, inside, self._w)
        self._q = I.lead_quantiles(errors, where_slots, self._spread)
        if s.interval_adapt:
            held_slots = [I.slot(hour[i], work[i]) for i in held[0]]
            self._scales = I.adapted_scales(
                s.interval_scales, s.interval_adapt, errors, where_slots,
                M.combined(held[1], held_cols, self._w), held_slots, self._spread)

    # ------------------------------------------------------ serialization
    _ARRAYS = ("occ", "_level", "_beta", "_ar", "_q", "_spread", "_last_resid", "_last_work",
               "_w", "_tail_y", "_tail_off", "_tail_work")
    _SCALARS = ("model_name", "short", "use_temp", "nonneg", "cps", "_n_groups",
                "_sigma_clip", "_end_ns", "_scales")

    def to_dict(self) -> dict:
        """JSON-safe state (NaN → None), with the package version; fitted models only."""
        if not self.is_fitted:
            raise RuntimeError("LoadForecaster.to_dict() before fit()")
        out: dict = {"version": __version__, "settings": self.settings.model_dump(mode="json"),
                     "issues": [i.to_dict() for i in self.issues],
                     "memory": self._memory.to_dict()}
        for name in self._SCALARS:
            value = getattr(self, name)
            if isinstance(value, tuple):
                value = [float(v) for v in value]
            out[name] = value.item() if isinstance(value, np.generic) else value
        for name in self._ARRAYS:
            arr = np.asarray(getattr(self, name))
            out[name] = {"dtype": str(arr.dtype), "shape": list(arr.shape),
                         "data": [None if isinstance(v, float) and not np.isfinite(v) else v
                                  for v in arr.ravel().tolist()]}
        return out

    @classmethod
    def from_dict(cls, state: dict) -> LoadForecaster:
        """A fitted model from `to_dict()`'s output."""
        model = cls(ForecastSettings(**state["settings"]))
        model.issues = [Issue(**i) for i in state["issues"]]
        model._memory = C.DayMemory(**state["memory"])
        for name in cls._SCALARS:
            value = state[name]
            setattr(model, name, tuple(value) if isinstance(value, list) else value)
        for name in cls._ARRAYS:
            a = state[name]
            data = [np.nan if v is None else v for v in a["data"]]
            setattr(model, name, np.asarray(data, dtype=a["dtype"]).reshape(a["shape"]))
        model._hour_of_group = np.arange(model._n_groups) % DAY
        model.is_fitted = True
        return model

    # ------------------------------------------------------------ predict
    def _near_holiday(self, ordinal: np.ndarray) -> np.ndarray:
        """Per hour: is the local day before or after a public holiday on a weekday?"""
        days = np.unique(ordinal)
        near = {}
        for d in days.tolist():
            noon = np.array([d - 1, d + 1]) - 719_163  # days since 1970-01-01
            t = (noon * 24 + 12) * HOUR_NS - self.calendar.utc_offset_ns(
                (noon * 24 + 12) * HOUR_NS)
            _, daytype, _ = self.calendar.features(t)
            weekday = (noon + 3) % 7  # 1970-01-01 was a Thursday (Monday = 0)
            near[d] = bool(np.any((daytype == C.SUNDAY) & (weekday < 5)))
        return np.array([near[d] for d in ordinal.tolist()])

    def _point(self, future: FutureInput, lead: np.ndarray, hour: np.ndarray,
               daytype: np.ndarray) -> tuple[np.ndarray, ...]:
        """(value, lo95, lo80, hi80, hi95) for the given day types."""
        group, _ = F.base_index(hour, daytype, self.short)
        z = np.zeros((lead.size, 0))
        if self.use_temp:
            z = F.hinge_columns(future.temp_c, self.occ[group], *self.cps)
        value = self._stage1(group, z)
        H = self._ar.shape[0]
        q = np.zeros((lead.size, 4))
        feats = P.Features(self._last_resid, self._last_work, self._sigma_clip)
        for i, L in enumerate(lead.tolist()):
            if L <= H:
                value[i] += feats.at(L, bool(daytype[i] < 5))[-1] @ self._ar[L - 1]
                q[i] = self._q[L - 1]
            else:
                q[i] = self._q[-1]
        lo95, lo80, hi80, hi95 = I.bounds(value, q, self._spread[I.slot(hour, daytype < 5)],
                                          self._scales)
        if self.nonneg:
            return tuple(np.maximum(a, 0.0) for a in (value, lo95, lo80, hi80, hi95))
        return value, lo95, lo80, hi80, hi95

    def _combine(self, t: np.ndarray, lead: np.ndarray, work: np.ndarray, *cols: np.ndarray,
                 ) -> tuple[np.ndarray, ...]:
        """Move the forecast (and its intervals) towards last week and the mean of the
        last 7 days by the weights learnt for this building (`combine.py`)."""
        if not self._w.any():
            return cols
        n = self._tail_y.size
        off = (self.calendar.utc_offset_ns(t) // HOUR_NS).astype(np.int64)
        naive, mean7 = M.persistence_forecasts(self._tail_y, self._tail_off, self._tail_work,
                                               n - 1 + lead, off, work, lead)
        w = np.where((lead <= self._w.shape[0])[:, None],
                     self._w[np.minimum(lead, self._w.shape[0]) - 1], 0.0)
        value = cols[0]
        delta = np.nan_to_num(w[:, 0] * (naive - value)) + np.nan_to_num(w[:, 1] * (mean7 - value))
        out = tuple(c + delta for c in cols)
        return tuple(np.maximum(c, 0.0) for c in out) if self.nonneg else out

    def predict(self, future: FutureInput) -> Forecast:
        """Forecast the hours in `future` (all after the end of the history).

        Raises RuntimeError if not fitted; ValueError for missing temperature (when the
        model uses it) or hours not after the history; TypeError for a wrong input type.
        """
        if not self.is_fitted:
            raise RuntimeError("LoadForecaster.predict() before fit()")
        if not isinstance(future, FutureInput):
            raise TypeError("predict() takes a FutureInput")
        if self.use_temp and not future.has_temperature:
            raise ValueError(
                f"model {self.model_name} needs forecast temp_c for every future hour; "
                "fit with use_temperature=False to forecast without it"
            )
        t = future.time_ns
        lead = (t - self._end_ns) // HOUR_NS
        if lead.min() < 1:
            raise ValueError("future hours must come after the last hour of the history")
        hour, daytype, ordinal = self.calendar.features(t)
        alt, p = self._memory.alternative(ordinal, daytype, self._near_holiday(ordinal))
        value, lo95, lo80, hi80, hi95 = self._point(future, lead, hour, daytype)
        if p.any():  # a workday that may be closed, a holiday that may be worked: mix
            other = self._point(future, lead, hour, np.where(p > 0, alt, daytype))
            value = (1 - p) * value + p * other[0]
            sure = p >= 1.0
            lo95, lo80 = (np.where(sure, c, np.minimum(o, c)) for o, c in
                          ((lo95, other[1]), (lo80, other[2])))
            hi80, hi95 = (np.where(sure, c, np.maximum(o, c)) for o, c in
                          ((hi80, other[3]), (hi95, other[4])))
        value, lo95, lo80, hi80, hi95 = self._combine(t, lead, daytype < 5, value, lo95, lo80,
                                                      hi80, hi95)
        return Forecast(t.copy(), value, lo80, hi80, lo95, hi95, self.model_name,
                        list(self.issues))
