"""The one schema for macrosim's two file kinds: priors (dynamics) and scenarios (beliefs).

Units follow docs/model.md: rates and yields in percent (``_pp``), shock and event sizes
and seasonal drift in basis points (``_bp``), kappa per year, rho and phi per month,
half-lives in business days (``_bdays``). Every model forbids unknown keys.

Cross-field checks that must point at one key raise :class:`LocatedValueError`, whose
``path`` (relative to the model being validated) the loader turns into file:line:column.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from simulator.config.units import FIRST_CALENDAR_YEAR, LAST_CALENDAR_YEAR

PROB_SUM_TOL = 1e-6
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
Month = Literal["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
Currency = Literal["CNY", "EUR", "JPY"]
CURRENCIES: tuple[Currency, ...] = ("CNY", "EUR", "JPY")
YearMonth = Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]
NAME_MAX = 100
"""Longest scenario or sweep name: it names a folder (255 bytes at most on common file
systems, with the run id and a prefix beside it)."""


class LocatedValueError(ValueError):
    """A validation error that points at a key below the model being validated."""

    def __init__(self, path: tuple[Any, ...], message: str) -> None:
        super().__init__(message)
        self.path = path


class Strict(BaseModel):
    """Base: unknown keys are errors, numbers must be finite, assignments are checked too."""

    model_config = ConfigDict(
        extra="forbid", validate_assignment=True, frozen=False, allow_inf_nan=False
    )


# ---------------------------------------------------------------------------------------
# Priors: one distribution per dynamics parameter
# ---------------------------------------------------------------------------------------


class _Dist(Strict):
    dist: str

    def support(self) -> tuple[float, float]:
        """Closed interval containing the distribution's support."""
        return (-math.inf, math.inf)

    def mean(self) -> float:
        """Distribution mean (used for reports and for unfitted point runs)."""
        raise NotImplementedError


class Normal(_Dist):
    """Normal(mu, sigma)."""

    dist: Literal["Normal"]
    mu: float = Field(description="mean, in the parameter's unit")
    sigma: float = Field(gt=0, description="standard deviation, in the parameter's unit")

    def mean(self) -> float:
        return self.mu


class TruncatedNormal(_Dist):
    """Normal(mu, sigma) truncated to [lower, upper]; a missing bound is infinite."""

    dist: Literal["TruncatedNormal"]
    mu: float = Field(description="location of the untruncated normal")
    sigma: float = Field(gt=0, description="scale of the untruncated normal")
    lower: float | None = Field(default=None, description="lower bound (none: -inf)")
    upper: float | None = Field(default=None, description="upper bound (none: +inf)")

    @model_validator(mode="after")
    def _bounds(self) -> TruncatedNormal:
        if self.lower is not None and self.upper is not None and self.lower >= self.upper:
            raise LocatedValueError(
                ("upper",), f"upper ({self.upper}) must be above lower ({self.lower})"
            )
        return self

    def support(self) -> tuple[float, float]:
        lo = -math.inf if self.lower is None else self.lower
        hi = math.inf if self.upper is None else self.upper
        return (lo, hi)

    def mean(self) -> float:
        from scipy import stats

        lo, hi = self.support()
        a, b = (lo - self.mu) / self.sigma, (hi - self.mu) / self.sigma
        return float(stats.truncnorm(a, b, loc=self.mu, scale=self.sigma).mean())


class LogNormal(_Dist):
    """exp(Normal(mu, sigma)): mu and sigma are on the log scale."""

    dist: Literal["LogNormal"]
    mu: float = Field(description="mean of log(x)")
    sigma: float = Field(gt=0, description="standard deviation of log(x)")

    def support(self) -> tuple[float, float]:
        return (0.0, math.inf)

    def mean(self) -> float:
        return math.exp(self.mu + 0.5 * self.sigma**2)


class Beta(_Dist):
    """Beta(alpha, beta) on (0, 1)."""

    dist: Literal["Beta"]
    alpha: float = Field(gt=0, description="first shape parameter, > 0")
    beta: float = Field(gt=0, description="second shape parameter, > 0")

    def support(self) -> tuple[float, float]:
        return (0.0, 1.0)

    def mean(self) -> float:
        return self.alpha / (self.alpha + self.beta)


class Gamma(_Dist):
    """Gamma(alpha, beta) with shape alpha and rate beta."""

    dist: Literal["Gamma"]
    alpha: float = Field(gt=0, description="shape, > 0")
    beta: float = Field(gt=0, description="rate, > 0 (mean = alpha / beta)")

    def support(self) -> tuple[float, float]:
        return (0.0, math.inf)

    def mean(self) -> float:
        return self.alpha / self.beta


class HalfNormal(_Dist):
    """|Normal(0, sigma)|."""

    dist: Literal["HalfNormal"]
    sigma: float = Field(gt=0, description="scale, > 0")

    def support(self) -> tuple[float, float]:
        return (0.0, math.inf)

    def mean(self) -> float:
        return self.sigma * math.sqrt(2 / math.pi)


class Uniform(_Dist):
    """Uniform(lower, upper)."""

    dist: Literal["Uniform"]
    lower: float = Field(description="lower bound")
    upper: float = Field(description="upper bound, > lower")

    @model_validator(mode="after")
    def _bounds(self) -> Uniform:
        if self.lower >= self.upper:
            raise LocatedValueError(
                ("upper",), f"upper ({self.upper}) must be above lower ({self.lower})"
            )
        return self

    def support(self) -> tuple[float, float]:
        return (self.lower, self.upper)

    def mean(self) -> float:
        return 0.5 * (self.lower + self.upper)


class StudentT(_Dist):
    """Student-t(nu, mu, sigma)."""

    dist: Literal["StudentT"]
    nu: float = Field(gt=0, description="degrees of freedom, > 0")
    mu: float = Field(description="location")
    sigma: float = Field(gt=0, description="scale, > 0")

    def mean(self) -> float:
        return self.mu


class Fixed(_Dist):
    """A point mass: the parameter is not fitted (unfitted runs only)."""

    dist: Literal["Fixed"]
    value: float = Field(description="the fixed value")

    def support(self) -> tuple[float, float]:
        return (self.value, self.value)

    def mean(self) -> float:
        return self.value


Prior = Annotated[
    Normal | TruncatedNormal | LogNormal | Beta | Gamma | HalfNormal | Uniform | StudentT | Fixed,
    Field(discriminator="dist"),
]
DIST_NAMES = (
    "Normal",
    "TruncatedNormal",
    "LogNormal",
    "Beta",
    "Gamma",
    "HalfNormal",
    "Uniform",
    "StudentT",
    "Fixed",
)

Domain = Literal["real", "positive", "nonnegative", "unit", "correlation"]

# name -> (symbol, domain, description). The order is the model's parameter order.
PARAMETERS: dict[str, tuple[str, Domain, str]] = {
    "inflation_persistence": (
        "rho",
        "unit",
        "monthly AR(1) coefficient of the core PCE inflation gap (core PCE y/y - 2)",
    ),
    "inflation_shock_pp": (
        "sigma_pi",
        "nonnegative",
        "monthly innovation standard deviation of the inflation gap, pp",
    ),
    "inflation_loading": (
        "beta",
        "real",
        "loading of the 10y expectations component on the discounted inflation gap",
    ),
    "neutral_rate_pp": (
        "n_star",
        "real",
        "neutral policy rate the short rate reverts to, %: in a fit, its level in the first "
        "month of the window; in a calibrated file, its level at the as-of date",
    ),
    "neutral_rate_shock_pp": (
        "sigma_n",
        "nonnegative",
        "monthly innovation standard deviation of the neutral rate (a random walk), pp",
    ),
    "mean_reversion_per_year": (
        "kappa",
        "positive",
        "speed of reversion of the expected short rate to neutral, per year",
    ),
    "term_premium_mean_pp": (
        "mu_tp",
        "real",
        "mean the 10y term premium reverts to, pp: in a fit, its level in the first month of "
        "the window; in a calibrated file, its level at the as-of date",
    ),
    "term_premium_mean_shock_pp": (
        "sigma_m",
        "nonnegative",
        "monthly innovation standard deviation of the term-premium mean (a random walk), pp",
    ),
    "term_premium_persistence": (
        "phi",
        "unit",
        "monthly AR(1) coefficient of the term-premium deviation",
    ),
    "term_premium_shock_pp": (
        "sigma_tp",
        "nonnegative",
        "monthly innovation standard deviation of the term premium, pp",
    ),
    "y10_noise_pp": (
        "sigma_y",
        "nonnegative",
        "observation noise of the month-end 10y close in the fit, pp (not simulated)",
    ),
    "acm_noise_pp": (
        "sigma_acm",
        "nonnegative",
        "standard deviation of the ACM 10y term premium's disagreement with TP, pp",
    ),
    "acm_noise_persistence": (
        "psi",
        "unit",
        "monthly AR(1) coefficient of the ACM term premium's disagreement with TP "
        "(0: independent month to month)",
    ),
    "neutral_rate_news_loading": (
        "lambda",
        "unit",
        "share of a policy-path surprise on an FOMC decision day that the market carries "
        "into the neutral rate: on each decision day the neutral rate moves by lambda times "
        "the change in the market's expected policy rate at the window end (0 = none: the "
        "model before this parameter; 1 = the whole surprise is permanent)",
    ),
}
# The FX dynamics (engine only): per currency with a hedging leg, the daily log-spot
# volatility and its correlation with the 10y's daily change (docs/model.md, "The FX leg").
FX_DEFAULTS: dict[str, tuple[float, float]] = {
    "CNY": (0.27, 0.08),
    "EUR": (0.45, 0.25),
    "JPY": (0.60, 0.40),
}
"""Per currency: (daily vol %, correlation) a priors file that omits them takes (Fixed)."""
for _cur in FX_DEFAULTS:
    PARAMETERS[f"{_cur.lower()}_daily_vol_pct"] = (
        f"sigma_{_cur}",
        "nonnegative",
        f"standard deviation of the daily (business-day) change of log USD/{_cur} "
        f"({_cur} per USD), in percent (100 x log change)",
    )
    PARAMETERS[f"{_cur.lower()}_y10_correlation"] = (
        f"rho_{_cur}",
        "correlation",
        f"correlation of the daily change of log USD/{_cur} with the 10y's daily change "
        "(positive: the dollar rises with US yields)",
    )
FX_PARAMETERS: tuple[str, ...] = tuple(
    name
    for cur in FX_DEFAULTS
    for name in (f"{cur.lower()}_daily_vol_pct", f"{cur.lower()}_y10_correlation")
)
OPTIONAL_PARAMETERS: dict[str, float] = {
    "neutral_rate_shock_pp": 0.0,
    "term_premium_mean_shock_pp": 0.0,
    "acm_noise_persistence": 0.0,
    "neutral_rate_news_loading": 0.0,
    **{
        name: value
        for cur, pair in FX_DEFAULTS.items()
        for name, value in zip(
            (f"{cur.lower()}_daily_vol_pct", f"{cur.lower()}_y10_correlation"), pair, strict=True
        )
    },
}
"""Parameters a priors file may omit (Fixed at this value: the model before
``macrosim-statespace-3``, which is what calibrated files written then were fitted with;
for ``neutral_rate_news_loading``, the model before the policy-news channel)."""

ENGINE_ONLY_PARAMETERS: tuple[str, ...] = ("neutral_rate_news_loading", *FX_PARAMETERS)
"""Parameters the engine uses that the month-end fit does not estimate.

Month-end data cannot tell a policy surprise from an expected move, so these are
calibrated elsewhere (lambda: an event study of FOMC days; the FX parameters: a fit
of daily FX and 10y changes). The fit (PyMC model, Laplace
refit, diagnostics, posterior tables, cache key) never sees them; runs draw them from
their prior after every other parameter (so omitting one, or fixing it, leaves the other
draws bit-identical), and a calibrated priors file carries the source prior unchanged
(in ``parameters:``, never in ``joint:``)."""
ENGINE_ONLY_BLOCKS: tuple[str, ...] = ("fx_seasonal",)
"""Top-level blocks of a priors file that only the engine reads (the fit never sees them)."""

FITTED_PARAMETERS: tuple[str, ...] = tuple(n for n in PARAMETERS if n not in ENGINE_ONLY_PARAMETERS)
"""The month-end fit's parameters, in the model's order: :data:`PARAMETERS` less
:data:`ENGINE_ONLY_PARAMETERS`."""

_DOMAIN_BOUNDS: dict[str, tuple[float, float]] = {
    "real": (-math.inf, math.inf),
    "positive": (0.0, math.inf),
    "nonnegative": (0.0, math.inf),
    "unit": (0.0, 1.0),
    "correlation": (-1.0, 1.0),
}
_DOMAIN_TEXT = {
    "real": "any real number",
    "positive": "(0, inf)",
    "nonnegative": "[0, inf)",
    "unit": "[0, 1]",
    "correlation": "[-1, 1]",
}
_DOMAIN_DISTS = {
    "real": "any distribution",
    "positive": "LogNormal, Gamma, HalfNormal, or a TruncatedNormal/Uniform with lower >= 0",
    "nonnegative": "HalfNormal, LogNormal, Gamma, or a TruncatedNormal/Uniform with lower >= 0",
    "unit": "Beta, or a Uniform/TruncatedNormal within [0, 1]",
    "correlation": "a Uniform or TruncatedNormal within [-1, 1]",
}


def _param_field(name: str) -> Any:
    symbol, domain, text = PARAMETERS[name]
    return Field(description=f"{text} (symbol {symbol}; domain {_DOMAIN_TEXT[domain]})")


def _fx_field(name: str) -> Any:
    value = OPTIONAL_PARAMETERS[name]
    return Field(
        default_factory=lambda: Fixed(dist="Fixed", value=value),
        description=_param_field(name).description
        + f"; omitted: Fixed {value:g}. Engine only (the month-end fit does not see it); "
        "used only by a scenario with an fx block for this currency",
    )


class DynamicsPriors(Strict):
    """One prior per dynamics parameter."""

    inflation_persistence: Prior = _param_field("inflation_persistence")
    inflation_shock_pp: Prior = _param_field("inflation_shock_pp")
    inflation_loading: Prior = _param_field("inflation_loading")
    neutral_rate_pp: Prior = _param_field("neutral_rate_pp")
    neutral_rate_shock_pp: Prior = Field(
        default_factory=lambda: Fixed(dist="Fixed", value=0.0),
        description=_param_field("neutral_rate_shock_pp").description
        + "; omitted: Fixed 0 (a constant neutral rate, the model before "
        "macrosim-statespace-3)",
    )
    mean_reversion_per_year: Prior = _param_field("mean_reversion_per_year")
    term_premium_mean_pp: Prior = _param_field("term_premium_mean_pp")
    term_premium_mean_shock_pp: Prior = Field(
        default_factory=lambda: Fixed(dist="Fixed", value=0.0),
        description=_param_field("term_premium_mean_shock_pp").description
        + "; omitted: Fixed 0 (a constant mean, the model before macrosim-statespace-3)",
    )
    term_premium_persistence: Prior = _param_field("term_premium_persistence")
    term_premium_shock_pp: Prior = _param_field("term_premium_shock_pp")
    y10_noise_pp: Prior = _param_field("y10_noise_pp")
    acm_noise_pp: Prior = _param_field("acm_noise_pp")
    acm_noise_persistence: Prior = Field(
        default_factory=lambda: Fixed(dist="Fixed", value=0.0),
        description=_param_field("acm_noise_persistence").description
        + "; omitted: Fixed 0, the model before macrosim-statespace-3 "
        "(calibrated files written then were fitted so)",
    )
    neutral_rate_news_loading: Prior = Field(
        default_factory=lambda: Fixed(dist="Fixed", value=0.0),
        description=_param_field("neutral_rate_news_loading").description
        + "; omitted: Fixed 0 (no policy news in the neutral rate: the model before "
        "macrosim-statespace-5 and the policy-news channel). Not fitted to month-end data "
        "(calibrated from FOMC days); a calibrated priors file carries it unchanged",
    )

    cny_daily_vol_pct: Prior = _fx_field("cny_daily_vol_pct")
    cny_y10_correlation: Prior = _fx_field("cny_y10_correlation")
    eur_daily_vol_pct: Prior = _fx_field("eur_daily_vol_pct")
    eur_y10_correlation: Prior = _fx_field("eur_y10_correlation")
    jpy_daily_vol_pct: Prior = _fx_field("jpy_daily_vol_pct")
    jpy_y10_correlation: Prior = _fx_field("jpy_y10_correlation")

    @model_validator(mode="after")
    def _domains(self) -> DynamicsPriors:
        for name, (_, domain, _) in PARAMETERS.items():
            prior: _Dist = getattr(self, name)
            lo, hi = prior.support()
            dlo, dhi = _DOMAIN_BOUNDS[domain]
            # kappa must be strictly positive: a Fixed 0 would never revert
            zero_kappa = domain == "positive" and isinstance(prior, Fixed) and prior.value <= 0
            if lo < dlo or hi > dhi or zero_kappa:
                raise LocatedValueError(
                    (name,),
                    f"a {prior.dist}{_describe(prior)} prior puts mass outside the domain "
                    f"{_DOMAIN_TEXT[domain]} of {name}; use {_DOMAIN_DISTS[domain]}",
                )
        return self

    def items(self) -> list[tuple[str, _Dist]]:
        """(name, prior) pairs of every parameter, in the model's parameter order."""
        return [(name, getattr(self, name)) for name in PARAMETERS]

    def fitted_items(self) -> list[tuple[str, _Dist]]:
        """(name, prior) pairs of the month-end fit's parameters (no engine-only ones)."""
        return [(name, getattr(self, name)) for name in FITTED_PARAMETERS]

    def engine_only_items(self) -> list[tuple[str, _Dist]]:
        """(name, prior) pairs of :data:`ENGINE_ONLY_PARAMETERS`."""
        return [(name, getattr(self, name)) for name in ENGINE_ONLY_PARAMETERS]


def _describe(prior: _Dist) -> str:
    fields = {k: v for k, v in prior.model_dump().items() if k != "dist"}
    return "(" + ", ".join(f"{k}={v}" for k, v in fields.items()) + ")"


class JointBlock(Strict):
    """A multivariate normal on the unconstrained scale, replacing the named marginals.

    Unconstrained transforms: logit for parameters in (0, 1), log for positive ones,
    identity for real ones. Written by ``macrosim fit --export-priors`` so calibrated
    priors keep their posterior correlations (e.g. neutral rate with term-premium mean).
    """

    parameters: list[str] = Field(
        min_length=2, description="parameter names, in the order of mean and covariance"
    )
    mean: list[float] = Field(description="mean vector on the unconstrained scale")
    covariance: list[list[float]] = Field(
        description="covariance matrix on the unconstrained scale (symmetric, positive definite)"
    )

    @model_validator(mode="after")
    def _shape(self) -> JointBlock:
        n = len(self.parameters)
        for i, name in enumerate(self.parameters):
            if name not in PARAMETERS:
                raise LocatedValueError(("parameters", i), f"unknown parameter {name!r}")
            if name in ENGINE_ONLY_PARAMETERS:
                raise LocatedValueError(
                    ("parameters", i),
                    f"{name} is not fitted to month-end data (it is calibrated elsewhere) "
                    "and cannot be in the joint block; give its prior in parameters only",
                )
        if len(set(self.parameters)) != n:
            raise LocatedValueError(("parameters",), "parameters are listed twice")
        if len(self.mean) != n:
            raise LocatedValueError(("mean",), f"expected {n} values, found {len(self.mean)}")
        if len(self.covariance) != n or any(len(row) != n for row in self.covariance):
            raise LocatedValueError(("covariance",), f"expected a {n}x{n} matrix")
        cov = np.asarray(self.covariance, dtype=float)
        if not np.allclose(cov, cov.T, rtol=1e-8, atol=1e-12):
            raise LocatedValueError(("covariance",), "the covariance matrix is not symmetric")
        try:
            np.linalg.cholesky(cov)
        except np.linalg.LinAlgError:
            raise LocatedValueError(
                ("covariance",), "the covariance matrix is not positive definite"
            ) from None
        return self


class Calibration(Strict):
    """Marks a priors file written by a fit: a fit refuses it (it would count data twice)."""

    as_of: dt.date = Field(description="the fit's as-of date; runs use it on or after that date")
    fit_start: YearMonth = Field(description="first month of the fit window, YYYY-MM")
    data_sha256: str = Field(description="hash of the history the fit used")
    source_priors: str = Field(description="the weakly informative priors the fit started from")
    command: str = Field(description="the command that regenerates this file")
    diagnostics: dict[str, float] = Field(
        default_factory=dict, description="R-hat, ESS and divergences of the fit"
    )


class FxSeasonal(Strict):
    """The measured seasonal pattern of one currency's spot (a run's ``seasonal_from_history``)."""

    mean_pct: dict[Month, Annotated[float, Field(ge=-20, le=20)]] = Field(
        description="mean change of the log spot by calendar month, 100 x log change (jan..dec; "
        "a month not listed: 0)"
    )
    source: str = Field(min_length=1, description="the history and span it was measured on")


class PriorsFile(Strict):
    """A priors file: the dynamics priors a fit starts from (or a calibrated posterior)."""

    kind: Literal["priors"] = Field(description="file kind; always 'priors'")
    description: str = Field(min_length=1, description="what these priors encode, in words")
    calibrated: Calibration | None = Field(
        default=None, description="present only in files written by `macrosim fit`"
    )
    parameters: DynamicsPriors = Field(description="one prior per dynamics parameter")
    joint: JointBlock | None = Field(
        default=None,
        description="joint multivariate normal on the unconstrained scale (calibrated files)",
    )
    fx_seasonal: dict[Currency, FxSeasonal] = Field(
        default_factory=dict,
        description="measured seasonal FX drift per currency, used by a scenario's "
        "fx.<currency>.view.seasonal_from_history",
    )

    @model_validator(mode="after")
    def _joint_needs_calibration(self) -> PriorsFile:
        if self.joint is not None:
            for i, name in enumerate(self.joint.parameters):
                if isinstance(getattr(self.parameters, name), Fixed):
                    raise LocatedValueError(
                        ("joint", "parameters", i),
                        f"{name} is Fixed in parameters and cannot be in the joint block",
                    )
        return self


# ---------------------------------------------------------------------------------------
# Scenario: beliefs about the window
# ---------------------------------------------------------------------------------------

Probability = Annotated[float, Field(ge=0, le=1)]
# YAML integer keys arrive in JSON (and in editors) as text: say which text is allowed
_INT_KEYS: dict[str, Any] = {"propertyNames": {"pattern": r"^-?[0-9]+$"}}


class Sourced(Strict):
    """A market fact with where and when it was observed."""

    value: float = Field(description="the value, in the key's unit")
    source: str = Field(min_length=1, description="where the value was reported")
    date: dt.date = Field(description="the date the value refers to")


class TargetRange(Strict):
    """The Fed funds target range."""

    lower_pp: float = Field(ge=0, le=25, description="lower bound, %")
    upper_pp: float = Field(ge=0, le=25, description="upper bound, %")
    source: str = Field(min_length=1, description="where the range was reported")
    date: dt.date = Field(description="the date the range was in force")

    @model_validator(mode="after")
    def _width(self) -> TargetRange:
        if abs(self.upper_pp - self.lower_pp - 0.25) > 1e-9:
            raise LocatedValueError(
                ("upper_pp",),
                f"the target range is 25bp wide: upper_pp - lower_pp = "
                f"{self.upper_pp - self.lower_pp:.4g}, expected 0.25",
            )
        return self

    @property
    def midpoint_pp(self) -> float:
        """Target-range midpoint, %: the policy rate r of the model."""
        return 0.5 * (self.lower_pp + self.upper_pp)


class Snapshot(Strict):
    """The market as of the as-of date: where the simulation starts."""

    y10_pp: Sourced = Field(description="10-year Treasury yield, % (the simulation's start)")
    y2_pp: Sourced | None = Field(
        default=None,
        description=(
            "2-year Treasury yield, % (the simulated 2y's start; omitted: the 2y is the "
            "model's expectations component alone, with no 2y term premium)"
        ),
    )
    target_range: TargetRange = Field(description="Fed funds target range")
    core_pce_yoy_pp: Sourced = Field(description="latest core PCE inflation, y/y %")
    term_premium_pp: Sourced | None = Field(
        default=None,
        description="latest 10y term premium (ACM), % — a check, reported, not a constraint",
    )


def _beside_scenario(value: str, info: ValidationInfo, what: str) -> str:
    """Refuse a file named relative to the scenario (``base_dir`` context) that is absent."""
    base = (info.context or {}).get("base_dir")
    if base is not None:
        file_beside(Path(base), value, f"{what} file", "scenario")
    return value


def file_beside(folder: Path, value: str, label: str, owner: str) -> Path:
    """``folder / value`` resolved, if it is a file; else ValueError saying why.

    ``label`` names the file in the message ("priors file"), ``owner`` the file kind
    whose folder ``value`` is relative to ("scenario").
    """
    try:
        path = (folder / value).resolve()
        found = path.is_file()
    except (OSError, ValueError) as exc:  # a name too long for the OS, a NUL byte
        shown = value if len(value) <= 60 else value[:57] + "..."
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ValueError(f"{label} {shown!r} cannot be a file name: {reason}") from None
    if not found:
        raise ValueError(
            f"{label} {value!r} not found (looked for {path}; the path is relative to this "
            f"{owner} file)"
        )
    return path


def _check_probabilities(value: dict[int, float], what: str) -> dict[int, float]:
    if not value:
        raise ValueError(f"{what} is empty: give a probability for at least one count")
    total = sum(value.values())
    if abs(total - 1.0) > PROB_SUM_TOL:
        raise ValueError(f"probabilities sum to {total:.6g}, expected 1 (within {PROB_SUM_TOL})")
    return dict(sorted(value.items()))


class CutView(Strict):
    """A distribution of the net number of 25bp Fed cuts over the window, and their timing."""

    cut_count: dict[Annotated[int, Field(ge=-32, le=32)], Probability] = Field(
        description=(
            "probability of each net count of 25bp cuts over the whole window "
            "(negative = hikes); must sum to 1"
        ),
        json_schema_extra=_INT_KEYS,
    )
    meeting_weights: dict[dt.date, Annotated[float, Field(ge=0, le=100)]] = Field(
        default_factory=dict,
        description=(
            "relative likelihood of a move at each FOMC decision date (default 1; "
            "0 = no move at that meeting); keys are decision dates in the window"
        ),
    )
    max_moves_per_meeting: int = Field(
        default=1, ge=1, le=4, description="25bp moves one meeting can hold (2 allows 50bp)"
    )

    @field_validator("cut_count")
    @classmethod
    def _sum_to_one(cls, value: dict[int, float]) -> dict[int, float]:
        return _check_probabilities(value, "cut_count")

    @model_validator(mode="after")
    def _some_weight(self) -> CutView:
        if self.meeting_weights and not any(w > 0 for w in self.meeting_weights.values()):
            if any(k != 0 and p > 0 for k, p in self.cut_count.items()):
                raise LocatedValueError(
                    ("meeting_weights",),
                    "every meeting weight is 0 but cut_count allows moves",
                )
        return self


class MarketView(Strict):
    """What the market prices (the as-of 10y already reflects it). Default: the view."""

    cut_count: dict[Annotated[int, Field(ge=-32, le=32)], Probability] | None = Field(
        default=None,
        description="the market's cut-count distribution (default: the view's)",
        json_schema_extra=_INT_KEYS,
    )
    meeting_weights: dict[dt.date, Annotated[float, Field(ge=0, le=100)]] | None = Field(
        default=None, description="the market's meeting weights (default: the view's)"
    )
    from_futures: str | None = Field(
        default=None,
        min_length=1,
        description=(
            "a 30-day fed funds futures CSV (columns contract_month YYYY-MM, price), relative "
            "to this scenario file: cut_count and meeting_weights are read from it at load "
            "time by the FedWatch method (docs/market.md); excludes cut_count and "
            "meeting_weights"
        ),
    )
    futures_spread_bp: float | None = Field(
        default=None,
        ge=-50,
        le=50,
        description=(
            "effective fed funds rate minus the target-range midpoint, bp, used with "
            "from_futures (required with it), e.g. 1.5 for 3.64% in 3.50-3.75%"
        ),
    )

    @field_validator("cut_count")
    @classmethod
    def _sum_to_one(cls, value: dict[int, float] | None) -> dict[int, float] | None:
        return None if value is None else _check_probabilities(value, "cut_count")

    @field_validator("from_futures")
    @classmethod
    def _futures_exists(cls, value: str | None, info: ValidationInfo) -> str | None:
        return None if value is None else _beside_scenario(value, info, "futures")

    @model_validator(mode="after")
    def _one_source(self) -> MarketView:
        if self.from_futures is None:
            if self.futures_spread_bp is not None:
                raise LocatedValueError(
                    ("futures_spread_bp",), "futures_spread_bp is used only with from_futures"
                )
            return self
        for key in ("cut_count", "meeting_weights"):
            if getattr(self, key) is not None:
                raise LocatedValueError(
                    (key,), f"give from_futures or {key}, not both: the futures set {key}"
                )
        if self.futures_spread_bp is None:
            raise LocatedValueError(
                ("from_futures",),
                "from_futures needs futures_spread_bp (effective rate minus target midpoint, bp)",
            )
        return self


class ObservedMove(Strict):
    """An FOMC decision already taken inside the window."""

    date: dt.date = Field(description="decision date")
    move_bp: int = Field(ge=-100, le=100, description="change of the target range, bp (cut < 0)")

    @field_validator("move_bp")
    @classmethod
    def _multiple_of_25(cls, value: int) -> int:
        if value % 25:
            raise ValueError(f"moves are multiples of 25bp, found {value}")
        return value


class ObservedPrint(Strict):
    """A core PCE print already published inside the window."""

    month: YearMonth = Field(description="the month the print refers to, YYYY-MM")
    core_pce_yoy_pp: float = Field(ge=-5, le=20, description="core PCE y/y, %")


class ObservedClose(Strict):
    """A 10-year close already seen inside the window (for touches already observed)."""

    date: dt.date = Field(description="the business day")
    y10_pp: float = Field(ge=-2, le=25, description="10y close, %")


class Observed(Strict):
    """What the window has already shown (offline runs with an as-of inside the window)."""

    moves: list[ObservedMove] = Field(default_factory=list, description="decisions taken")
    core_pce: list[ObservedPrint] = Field(default_factory=list, description="prints published")
    y10_closes: list[ObservedClose] = Field(
        default_factory=list, description="10y closes (touches already observed count)"
    )


class Event(Strict):
    """A term-premium shock: Bernoulli(probability) x onset uniform over business days in
    [start, end] x signed size, decaying with the half-life."""

    name: str = Field(min_length=1, description="short label used in outputs")
    probability: Probability = Field(description="probability the shock happens in the window")
    start: dt.date = Field(description="first possible onset date")
    end: dt.date = Field(description="last possible onset date")
    size_bp: float = Field(ge=-300, le=300, description="signed jump of the term premium, bp")
    half_life_bdays: float | None = Field(
        default=None,
        gt=0,
        le=10_000,
        description="business days for the shock to halve (none: permanent)",
    )

    @model_validator(mode="after")
    def _order(self) -> Event:
        if self.end < self.start:
            raise LocatedValueError(("end",), f"end {self.end} is before start {self.start}")
        return self


RateInput = float | dict[YearMonth, float]


class ForeignLeg(Strict):
    """Hedging inputs for one base currency: cost = USD rate + bill spread - rate - basis."""

    short_rate_pp: RateInput = Field(
        description="foreign short rate, %: a constant or a map of YYYY-MM -> % (monthly path)"
    )
    basis_pp: RateInput = Field(
        default=0.0,
        description="cross-currency basis, % (negative = dearer dollars, raises the cost)",
    )
    source: str = Field(min_length=1, description="where these values come from")


def _default_currencies() -> dict[Currency, ForeignLeg]:
    # Market facts around 2026-01-20; each note says how the number follows from its source.
    return {
        "CNY": ForeignLeg(
            short_rate_pp=1.95,
            basis_pp=0.0,
            source=(
                "12m USD-CNY forward ~1.7% below spot on 2026-01-12 (Bloomberg via livemint) "
                "with the USD short rate ~3.65%: CNY rate plus basis ~1.95%, basis folded in"
            ),
        ),
        "EUR": ForeignLeg(
            short_rate_pp=2.00,
            basis_pp=-0.17,
            source=(
                "ECB deposit rate 2.00%; hedge cost ~1.82%/yr on 2025-12-05 (broker, "
                "secondary) with USD ~3.65% implies basis ~-0.17%"
            ),
        ),
        "JPY": ForeignLeg(
            short_rate_pp=0.75,
            basis_pp=-0.2,
            source=(
                "BOJ policy rate 0.75% from 2025-12-19; 3m hedge cost ~4.6% in Nov 2024 "
                "(Bloomberg via bnnbloomberg) vs a ~4.4pp policy gap implies basis ~-0.2%"
            ),
        ),
    }


class Hedging(Strict):
    """FX hedging by rolling 3-month forwards, for each base currency."""

    usd_bill_spread_pp: float = Field(
        default=0.0,
        ge=-2,
        le=2,
        description="USD short rate (cash, hedges) minus the policy rate midpoint, pp",
    )
    roll_months: int = Field(default=3, ge=1, le=12, description="forward tenor, months")
    currencies: dict[Currency, ForeignLeg] = Field(
        default_factory=_default_currencies,
        description="CNY, EUR and JPY legs; missing ones take the defaults",
    )

    @field_validator("currencies", mode="after")
    @classmethod
    def _fill(cls, value: dict[Currency, ForeignLeg]) -> dict[Currency, ForeignLeg]:
        full = _default_currencies()
        full.update(value)
        return full


class Adjustments(Strict):
    """Post-fit shifts of fitted dynamics: explicit, never a prior the data would wash out."""

    neutral_rate_shift_pp: float = Field(
        default=0.0, ge=-5, le=5, description="added to every draw of the neutral rate, pp"
    )
    term_premium_mean_shift_pp: float = Field(
        default=0.0, ge=-3, le=3, description="added to every draw of the term-premium mean, pp"
    )
    inflation_gap_shift_pp: float = Field(
        default=0.0,
        ge=-5,
        le=5,
        description="added to the starting inflation gap (sticky inflation > 0), pp",
    )


class MixtureComponent(Strict):
    """One sub-scenario of a mixture: replaces the named belief blocks, drawn per path."""

    name: str = Field(min_length=1, description="label used in outputs")
    weight: Probability = Field(description="probability of this component; weights sum to 1")
    view: CutView | None = Field(default=None, description="replaces the scenario's view")
    events: list[Event] | None = Field(default=None, description="replaces the events")
    seasonal_drift_bp: dict[Month, Annotated[float, Field(ge=-100, le=100)]] | None = Field(
        default=None, description="replaces the seasonal drift"
    )
    adjustments: Adjustments | None = Field(default=None, description="replaces adjustments")


class Window(Strict):
    """The simulated calendar window."""

    start: dt.date = Field(default=dt.date(2026, 1, 1), description="first day of the window")
    end: dt.date = Field(default=dt.date(2026, 12, 31), description="last day of the window")

    @model_validator(mode="after")
    def _order(self) -> Window:
        if self.end <= self.start:
            raise LocatedValueError(("end",), f"end {self.end} is not after start {self.start}")
        if (self.end - self.start).days > 3 * 366:
            raise LocatedValueError(("end",), "a window is at most three years")
        # the bond-market calendar's years; a run looks up days just past its window's end
        first, last = FIRST_CALENDAR_YEAR, LAST_CALENDAR_YEAR - 1
        for key, day in (("start", self.start), ("end", self.end)):
            if not first <= day.year <= last:
                raise LocatedValueError(
                    (key,),
                    f"date {day} is outside the years a window can cover ({first}-{last}: "
                    f"the business-day calendar ends in {LAST_CALENDAR_YEAR})",
                )
        return self


class Simulation(Strict):
    """Monte Carlo settings."""

    grid: Literal["daily", "weekly"] = Field(
        default="daily", description="daily business days, or Fridays plus event dates"
    )
    paths: int = Field(default=100_000, ge=1, le=10**10, description="number of paths")
    seed: int = Field(default=20260120, ge=0, le=2**63 - 1, description="master seed")


FX_SPOT_MAX = 1e6
FxDrift = Annotated[float, Field(ge=-20, le=20)]


class FxView(Strict):
    """The researcher's view of the spot: a drift per calendar month (log change, %)."""

    drift_pct_per_month: FxDrift | dict[YearMonth, FxDrift] = Field(
        default=0.0,
        description="drift of the spot, 100 x log change per calendar month (negative: the "
        "foreign currency strengthens): a constant, or a map YYYY-MM -> % (months not "
        "listed: 0); spread evenly over the month's business days",
    )
    seasonal_from_history: bool = Field(
        default=False,
        description="true: the drift is the measured mean change by calendar month (the "
        "priors file's fx_seasonal table) instead of drift_pct_per_month",
    )
    source: str = Field(default="", description="where the view comes from")


class FxLeg(Strict):
    """One currency's spot path: its as-of spot and a view; dynamics from the priors file."""

    spot: Sourced = Field(
        description="spot on the as-of date, foreign units per USD (e.g. 6.96 CNY per USD)"
    )
    view: FxView = Field(default_factory=FxView, description="the spot's drift")


class Scenario(Strict):
    """A scenario: beliefs about the window, on top of a priors file."""

    kind: Literal["scenario"] = Field(description="file kind; always 'scenario'")
    name: str = Field(
        pattern=r"^[a-z0-9][a-z0-9_-]*$",
        max_length=NAME_MAX,
        description="short name, used for the run folder",
    )
    description: str = Field(min_length=1, description="the view in words")
    as_of: dt.date = Field(description="the date the view is taken; nothing later is used")
    window: Window = Field(default_factory=Window, description="simulated window")
    horizon: dt.date | None = Field(
        default=None, description="last simulated date (default: window end)"
    )
    priors: str = Field(description="the priors file, relative to this scenario file")
    adjustments: Adjustments = Field(default_factory=Adjustments, description="post-fit shifts")
    snapshot: Snapshot = Field(description="the market as of the as-of date")
    view: CutView = Field(description="the researcher's view of Fed moves in the window")
    market: MarketView = Field(
        default_factory=MarketView, description="what the market prices (default: the view)"
    )
    observed: Observed = Field(default_factory=Observed, description="what the window has shown")
    events: list[Event] = Field(default_factory=list, description="term-premium shock events")
    seasonal_drift_bp: dict[Month, Annotated[float, Field(ge=-100, le=100)]] = Field(
        default_factory=dict,
        description="term-premium drift per calendar month, bp per month (jan..dec)",
    )
    hedging: Hedging = Field(default_factory=Hedging, description="FX hedging inputs")
    fx: dict[str, FxLeg] = Field(
        default_factory=dict,
        description="spot paths per currency with a hedging leg (CNY, EUR, JPY): adds "
        "unhedged returns for that currency",
    )
    mixture: list[MixtureComponent] | None = Field(
        default=None, description="weighted sub-scenarios drawn per path"
    )
    levels_pp: list[Annotated[float, Field(ge=-2, le=25)]] = Field(
        default_factory=lambda: [3.5],
        min_length=1,
        description="10y levels of interest, % (touch probabilities)",
    )
    simulation: Simulation = Field(default_factory=Simulation, description="Monte Carlo settings")

    @property
    def horizon_date(self) -> dt.date:
        """The horizon, defaulting to the window end."""
        return self.horizon or self.window.end

    @field_validator("priors")
    @classmethod
    def _priors_exists(cls, value: str, info: ValidationInfo) -> str:
        return _beside_scenario(value, info, "priors")

    @model_validator(mode="after")
    def _dates(self) -> Scenario:
        w = self.window
        if not (w.start - dt.timedelta(days=1) <= self.as_of <= w.end):
            side = "after the window ends" if self.as_of > w.end else "before the window starts"
            raise LocatedValueError(
                ("as_of",),
                f"{self.as_of} is {side} ({w.start}..{w.end}); the as-of date must lie in "
                "the window, or be the day before it starts",
            )
        if self.horizon is not None and not (self.as_of < self.horizon <= w.end):
            raise LocatedValueError(
                ("horizon",),
                f"date {self.horizon} must be after as_of {self.as_of} and within the window "
                f"ending {w.end}",
            )
        for key in ("y10_pp", "y2_pp", "core_pce_yoy_pp", "term_premium_pp"):
            fact = getattr(self.snapshot, key)
            if fact is not None and fact.date > self.as_of:
                raise LocatedValueError(
                    ("snapshot", key, "date"),
                    f"date {fact.date} is after as_of {self.as_of}: nothing later is known",
                )
        if self.snapshot.target_range.date > self.as_of:
            raise LocatedValueError(
                ("snapshot", "target_range", "date"),
                f"date {self.snapshot.target_range.date} is after as_of {self.as_of}",
            )
        for blockname, block in (("view", self.view), ("market", self.market)):
            for d in block.meeting_weights or {}:
                if not (w.start <= d <= w.end):
                    raise LocatedValueError(
                        (blockname, "meeting_weights", d),
                        f"date {d} is outside the window {w.start}..{w.end}: weights are for "
                        "FOMC decision dates inside the window",
                    )
        for i, move in enumerate(self.observed.moves):
            if not (w.start <= move.date <= self.as_of):
                raise LocatedValueError(
                    ("observed", "moves", i, "date"),
                    f"date {move.date} is not inside the window and on or before as_of "
                    f"{self.as_of}",
                )
        for i, close in enumerate(self.observed.y10_closes):
            if not (w.start <= close.date <= self.as_of):
                raise LocatedValueError(
                    ("observed", "y10_closes", i, "date"),
                    f"date {close.date} is not inside the window and on or before as_of "
                    f"{self.as_of}",
                )
        for base, events in [(("events",), self.events)] + [
            (("mixture", i, "events"), c.events or []) for i, c in enumerate(self.mixture or [])
        ]:
            for i, ev in enumerate(events):
                if ev.end <= self.as_of or ev.start > self.horizon_date:
                    raise LocatedValueError(
                        (*base, i, "start"),
                        f"window {ev.start}..{ev.end} must overlap ({self.as_of}, "
                        f"{self.horizon_date}]: events start strictly after as_of",
                    )
        if self.mixture is not None:
            total = sum(c.weight for c in self.mixture)
            if abs(total - 1) > PROB_SUM_TOL:
                raise LocatedValueError(
                    ("mixture",), f"weights sum to {total:.6g}, expected 1 (within {PROB_SUM_TOL})"
                )
            names = [c.name for c in self.mixture]
            if len(set(names)) != len(names):
                raise LocatedValueError(("mixture",), "component names must be unique")
        for cur, leg in self.hedging.currencies.items():
            for key in ("short_rate_pp", "basis_pp"):
                value = getattr(leg, key)
                if isinstance(value, dict):
                    _check_monthly_path(value, ("hedging", "currencies", cur, key), self)
        return self

    @model_validator(mode="after")
    def _fx(self) -> Scenario:
        for cur, leg in self.fx.items():
            _check_fx_leg(cur, leg, self)
        return self


def _check_monthly_path(
    path: dict[str, float], where: tuple[str | int, ...], scenario: Scenario
) -> None:
    months = sorted(path)
    first = f"{scenario.as_of.year:04d}-{scenario.as_of.month:02d}"
    if not months:
        raise LocatedValueError(
            where, f"the monthly path is empty: give a number, or YYYY-MM keys from {first}"
        )
    if months[0] > first:
        raise LocatedValueError(
            where, f"the monthly path starts at {months[0]}; it must cover {first} (the as-of)"
        )


def _check_fx_leg(cur: str, leg: FxLeg, scenario: Scenario) -> None:
    """Located checks of ``fx.<cur>``: a hedging leg, a spot in range and dated, view months."""
    where: tuple[str, ...] = ("fx", cur)
    if cur not in CURRENCIES:
        raise LocatedValueError(
            where,
            f"{cur} has no hedging leg: an fx block is for a currency with one "
            f"({', '.join(CURRENCIES)})",
        )
    if not 0.0 < leg.spot.value < FX_SPOT_MAX:
        raise LocatedValueError(
            (*where, "spot", "value"),
            f"spot {leg.spot.value:g} is outside (0, {int(FX_SPOT_MAX)}) {cur} per USD",
        )
    if leg.spot.date > scenario.as_of:
        raise LocatedValueError(
            (*where, "spot", "date"),
            f"date {leg.spot.date} is after as_of {scenario.as_of}: nothing later is known",
        )
    drift = leg.view.drift_pct_per_month
    if leg.view.seasonal_from_history and (isinstance(drift, dict) or drift != 0.0):
        raise LocatedValueError(
            (*where, "view", "seasonal_from_history"),
            "give either drift_pct_per_month or seasonal_from_history: true, not both",
        )
    if isinstance(drift, dict):
        first, last = scenario.as_of.strftime("%Y-%m"), scenario.horizon_date.strftime("%Y-%m")
        for month in drift:
            if not first <= month <= last:
                raise LocatedValueError(
                    (*where, "view", "drift_pct_per_month", month),
                    f"month {month} is outside the simulated months {first}..{last}",
                )


FileKind = Literal["priors", "scenario"]
