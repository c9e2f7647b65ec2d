"""Answer verification: safe arithmetic, numeric answer extraction, program sandbox, equation
solver.

Deliberately left out: datasets and models; every function takes text and returns a named result.
"""
