"""Developer platform: sandbox simulation, bulk jobs, GraphQL, diagnostics (issue 20)."""
