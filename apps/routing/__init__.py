"""Routing: rule sets over connector accounts, failover and the decision record (issue 15)."""
