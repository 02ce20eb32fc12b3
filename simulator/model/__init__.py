"""The Bayesian layer: PyMC lives here and only here.

Importing this package does not import PyMC (commands import it when they fit), so the
CLI stays fast. :mod:`simulator.model.draws` gives parameter draws from priors in numpy.
"""
