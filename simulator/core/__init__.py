"""Numpy/scipy kernels: policy placement, expectations, term premium, barrier, bonds, hedging."""
