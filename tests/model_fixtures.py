"""Parameters shared by the model tests (a plausible point of the monthly system)."""

TRUE = {
    "inflation_persistence": 0.97,
    "inflation_shock_pp": 0.12,
    "inflation_loading": 0.6,
    "neutral_rate_pp": 3.2,
    "mean_reversion_per_year": 0.25,
    "term_premium_mean_pp": 0.9,
    "term_premium_persistence": 0.93,
    "term_premium_shock_pp": 0.2,
    "y10_noise_pp": 0.15,
    "acm_noise_pp": 0.25,
    "acm_noise_persistence": 0.8,
    "neutral_rate_shock_pp": 0.06,
    "term_premium_mean_shock_pp": 0.04,
}
