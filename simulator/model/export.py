"""Export a posterior as a calibrated priors file (``macrosim fit --export-priors``).

Each fitted parameter gets a marginal in its domain, moment-matched to the posterior:

- ``unit`` (rho, phi): Beta with the posterior mean m and variance v,
  ``alpha = m c, beta = (1 - m) c, c = m (1 - m) / v - 1``;
- ``positive`` / ``nonnegative`` (kappa, volatilities): LogNormal with the mean and
  standard deviation of log(draws) (its own unconstrained scale);
- ``real``: Normal(mean, sd), or a TruncatedNormal with the source prior's bounds when the
  source prior was bounded (TruncatedNormal or Uniform), mu and sigma the posterior's.

The ``joint`` block is the posterior mean and covariance on the unconstrained scale
(logit / log / identity) of every fitted parameter, so correlations survive; ``Fixed``
parameters stay Fixed. Engine-only parameters (``ENGINE_ONLY_PARAMETERS``: the fit does
not see them) keep the source file's prior unchanged, in ``parameters:`` only. The
written file is validated by :func:`simulator.config.load_priors` before it replaces
``out_path``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np

from simulator.config import load_priors
from simulator.config.schema import (
    ENGINE_ONLY_PARAMETERS,
    PARAMETERS,
    Fixed,
    PriorsFile,
    TruncatedNormal,
    Uniform,
)
from simulator.model.draws import to_unconstrained

if TYPE_CHECKING:
    from simulator.model.commands import FitResult

__all__ = ["export_priors", "fitted_marginal"]

SCHEMA_LINE = "# yaml-language-server: $schema=../docs/schema.json"


def _num(x: float, digits: int = 10) -> str:
    return format(float(x), f".{digits}g")


def fitted_marginal(name: str, draws: np.ndarray, source_prior: object) -> dict[str, object]:
    """The moment-matched marginal of one parameter (a dict for the YAML flow mapping).

    Examples
    --------
    >>> import numpy as np
    >>> from simulator.config.schema import Normal
    >>> d = np.random.default_rng(0).normal(3.0, 0.5, 20_000)
    >>> m = fitted_marginal("neutral_rate_pp", d, Normal(dist="Normal", mu=0, sigma=1))
    >>> m["dist"], round(m["mu"], 1), round(m["sigma"], 1)
    ('Normal', 3.0, 0.5)
    """
    domain = PARAMETERS[name][1]
    x = np.asarray(draws, dtype=np.float64)
    if domain == "unit":
        m, v = float(np.mean(x)), float(np.var(x))
        c = m * (1.0 - m) / v - 1.0
        if not c > 0:
            raise ValueError(f"{name}: posterior variance {v:.3g} too large for a Beta fit")
        return {"dist": "Beta", "alpha": m * c, "beta": (1.0 - m) * c}
    if domain in ("positive", "nonnegative"):
        logs = np.log(x)
        return {"dist": "LogNormal", "mu": float(np.mean(logs)), "sigma": float(np.std(logs))}
    mean, sd = float(np.mean(x)), float(np.std(x))
    if isinstance(source_prior, TruncatedNormal | Uniform):
        lo, hi = source_prior.support()
        out: dict[str, object] = {"dist": "TruncatedNormal", "mu": mean, "sigma": sd}
        if np.isfinite(lo):
            out["lower"] = lo
        if np.isfinite(hi):
            out["upper"] = hi
        return out
    return {"dist": "Normal", "mu": mean, "sigma": sd}


ENGINE_ONLY_NOTES = {
    "neutral_rate_news_loading": (
        'calibrated from FOMC days: docs/model.md, "The 2-year and the policy channel"'
    ),
}
FX_FITTED_NOTE = "fitted to daily USD/CNY and 10y changes (simulator.model.fx_fit, docs/fx.md)"
"""The comment above an FX parameter whose posterior the file carries."""
"""The comment written above an engine-only parameter's (unchanged) prior."""


def _exact(x: float) -> str:
    """The shortest text that reads back as exactly ``x`` (20.0 -> "20")."""
    text = repr(float(x))
    return text[:-2] if text.endswith(".0") else text


def source_prior_text(prior: object) -> str:
    """A prior as a YAML flow mapping, every value exact: a source prior copied unchanged.

    Examples
    --------
    >>> from simulator.config.schema import Beta
    >>> source_prior_text(Beta(dist="Beta", alpha=20, beta=30))
    '{dist: Beta, alpha: 20, beta: 30}'
    """
    fields = prior.model_dump(exclude_none=True)  # type: ignore[attr-defined]
    parts = [f"{k}: {v}" if isinstance(v, str) else f"{k}: {_exact(v)}" for k, v in fields.items()]
    return "{" + ", ".join(parts) + "}"


def _flow(mapping: dict[str, object]) -> str:
    parts = []
    for k, v in mapping.items():
        parts.append(f"{k}: {v}" if isinstance(v, str) else f"{k}: {_num(cast(float, v))}")
    return "{" + ", ".join(parts) + "}"


def export_priors(
    fit_result: FitResult,
    source_priors_path: str | Path,
    out_path: str | Path,
    as_of: str | dt.date,
    fit_start: str,
    data_sha256: str,
    command: str,
    fx_specs: Mapping[str, Mapping[str, object]] | None = None,
) -> Path:
    """Write the fit's posterior as a calibrated priors file.

    Parameters
    ----------
    fit_result : FitResult
        From :func:`simulator.model.commands.fit_posterior`.
    source_priors_path : str or Path
        The weakly informative priors the fit started from (named in the file; its Fixed
        parameters are kept Fixed).
    out_path : str or Path
        The YAML file to write (replaced atomically once it validates).
    as_of : str or date
        The fit's as-of date.
    fit_start : str
        First month of the fit window, YYYY-MM.
    data_sha256 : str
        Hash of the history the fit used.
    command : str
        The command that regenerates the file.
    fx_specs : mapping, optional
        The FX legs' fitted posteriors (:func:`simulator.model.fx_fit.calibrated_fx_specs`).

    Returns
    -------
    Path
        ``out_path``.
    """
    # levels (n*, mu_tp) at the as-of, where a simulation from this file starts
    assert fit_result.draws_as_of is not None
    text = calibrated_priors_text(
        fit_result.draws_as_of.values,
        source_priors_path,
        as_of=as_of,
        fit_start=fit_start,
        data_sha256=data_sha256,
        command=command,
        diagnostics={k: float(cast(float, v)) for k, v in fit_result.diagnostics.items()},
        fx_specs=fx_specs,
    )
    return write_priors_text(text, out_path)


def calibrated_priors_text(
    values: dict[str, np.ndarray],
    source_priors_path: str | Path,
    *,
    as_of: str | dt.date,
    fit_start: str,
    data_sha256: str,
    command: str,
    diagnostics: dict[str, float],
    description: str | None = None,
    fx_specs: Mapping[str, Mapping[str, object]] | None = None,
) -> str:
    """A calibrated priors file (YAML text) from posterior draws at the as-of.

    Marginals are moment-matched per parameter; the joint block holds the mean and
    covariance of the draws on the unconstrained scale, from which runs draw. Parameters
    Fixed in the source priors stay Fixed. ``values`` carry the random-walk levels at the
    as-of (:func:`simulator.model.kalman.levels_at_end`), where a run starts. The
    engine-only parameters' priors (not fitted) are copied from the source priors
    unchanged, after the fitted ones, and stay out of the joint block; their ``values``,
    if any, are ignored. ``fx_specs`` (from :func:`simulator.model.fx_fit.calibrated_fx_specs`)
    replace the FX parameters' source priors with their own fit's posterior.
    """
    fx_specs = fx_specs or {}
    source = load_priors(source_priors_path).config
    as_of_date = dt.date.fromisoformat(str(as_of))
    fitted = [
        name for name, prior in source.parameters.fitted_items() if not isinstance(prior, Fixed)
    ]
    about = description or (
        f"Posterior of the dynamics fitted to US month-end history {fit_start} to as-of "
        f"{as_of_date},\n  starting from {Path(source_priors_path).name}; marginals "
        "moment-matched, correlations in the joint block."
    )
    lines = [
        SCHEMA_LINE,
        f"# Calibrated dynamics priors: the posterior of a fit to month-end history from "
        f"{fit_start}",
        f"# as of {as_of_date} (generated; do not edit). Regenerate with:",
        f"#   {command}",
        "kind: priors",
        "description: >-",
        f"  {about}",
        "calibrated:",
        f"  as_of: {json.dumps(as_of_date.isoformat())}",
        f"  fit_start: {json.dumps(fit_start)}",
        f"  data_sha256: {json.dumps(data_sha256)}",
        f"  source_priors: {json.dumps(str(source_priors_path))}",
        f"  command: {json.dumps(command)}",
        "  diagnostics: {" + ", ".join(f"{k}: {_num(v, 6)}" for k, v in diagnostics.items()) + "}",
        "parameters:",
    ]
    for name, prior in source.parameters.items():
        if name in fx_specs:
            lines.append(f"  # {FX_FITTED_NOTE}")
            lines.append(f"  {name}: {_flow(dict(fx_specs[name]))}")
        elif name in ENGINE_ONLY_PARAMETERS:
            if name in source.parameters.model_fields_set:  # omitted there: omitted here
                if name in ENGINE_ONLY_NOTES:
                    lines.append(f"  # {ENGINE_ONLY_NOTES[name]}")
                lines.append(f"  {name}: {source_prior_text(prior)}")
        elif isinstance(prior, Fixed):
            lines.append(f"  {name}: {{dist: Fixed, value: {_num(prior.value)}}}")
        else:
            lines.append(f"  {name}: {_flow(fitted_marginal(name, values[name], prior))}")
    if len(fitted) >= 2:
        z = np.column_stack([to_unconstrained(n, values[n]) for n in fitted])
        cov = np.cov(z, rowvar=False)
        lines += [
            "joint:",
            "  parameters: [" + ", ".join(fitted) + "]",
            "  mean: [" + ", ".join(_num(v) for v in z.mean(axis=0)) + "]",
            "  covariance:",
        ]
        lines += ["    - [" + ", ".join(_num(v) for v in row) + "]" for row in 0.5 * (cov + cov.T)]
    lines += _fx_seasonal_lines(source)
    return "\n".join(lines) + "\n"


def _fx_seasonal_lines(source: PriorsFile) -> list[str]:
    """The source priors' measured FX seasonal tables, carried over unchanged."""
    if not source.fx_seasonal:
        return []
    lines = ["# measured seasonal pattern of the spot, read by fx.<cur>.view.seasonal_from_history"]
    lines.append("fx_seasonal:")
    for cur, table in source.fx_seasonal.items():
        lines += [
            f"  {cur}:",
            "    mean_pct: {"
            + ", ".join(f"{m}: {_num(v)}" for m, v in table.mean_pct.items())
            + "}",
            f"    source: {json.dumps(table.source)}",
        ]
    return lines


def write_priors_text(text: str, out_path: str | Path) -> Path:
    """Write a priors file atomically, once it validates (ConfigError otherwise)."""
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.stem}-", suffix=".yaml", dir=out.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o666 & ~umask)  # mkstemp's 0600 would hide a shipped file from others
        load_priors(tmp)  # raises ConfigError if the export is not a valid priors file
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            tmp.unlink()
    return out


def main(argv: list[str] | None = None) -> int:
    """Regenerate a shipped calibrated priors file (``python -m simulator.model.export``)."""
    import argparse
    import shlex

    from simulator.model.commands import fit_posterior
    from simulator.model.fx_fit import calibrated_fx_specs

    parser = argparse.ArgumentParser(
        prog="python -m simulator.model.export",
        description="Fit the dynamics to history and export the posterior as priors.",
    )
    parser.add_argument("--priors", default="priors/default.yaml", help="source priors")
    parser.add_argument("--data", required=True, help="data folder (shared/data layout)")
    parser.add_argument("--as-of", required=True, help="as-of date, YYYY-MM-DD")
    parser.add_argument("--fit-start", default="1990-01", help="first month, YYYY-MM")
    parser.add_argument("--out", required=True, help="priors YAML to write")
    args = parser.parse_args(argv)
    command = "python -m simulator.model.export " + " ".join(
        shlex.quote(a)
        for a in (
            "--priors",
            args.priors,
            "--data",
            "$DATA",
            "--as-of",
            args.as_of,
            "--fit-start",
            args.fit_start,
            "--out",
            args.out,
        )
    ).replace("'$DATA'", "$DATA")
    priors = load_priors(args.priors)
    result = fit_posterior(priors, args.data, args.as_of, fit_start=args.fit_start)
    export_priors(
        result,
        args.priors,
        args.out,
        args.as_of,
        result.fit_start,
        result.data_sha256,
        command,
        fx_specs=calibrated_fx_specs(priors.config, args.data, args.as_of),
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
