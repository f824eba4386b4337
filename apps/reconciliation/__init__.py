"""Settlement sync and three-way reconciliation (issue 14)."""
