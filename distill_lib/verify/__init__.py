"""Answer verification: safe arithmetic, numeric answer extraction, program sandbox, equation solver."""
