"""Real payment providers, one package each: ``apps/connectors/adapters/<code>/``.

Adding a provider needs no edit anywhere else. The registry (``apps.connectors.registry``) scans
this package's sub-packages and registers the ``ADAPTER`` each one's ``__init__.py`` exports::

    apps/connectors/adapters/acme/
        __init__.py      from .adapter import AcmeAdapter as ADAPTER
        adapter.py       class AcmeAdapter(ProviderAdapter): code = "acme"; capabilities = {…}; …
        webhooks.py      signature verification and event mapping (when the provider calls back)
        statuses.py      the provider's statuses / decline codes → results and the decline table

    tests/connectors/adapters/acme/
        conformance.py   class Recordings(ConformanceRecordings): the recorded exchanges of every
                         scenario of the conformance suite (tests/connectors/conformance)

Write the adapter on ``ProviderAdapter`` (``apps.connectors.adapters.base``): it builds the
account's ``ProviderHTTP`` client, turns ``ProviderHTTPError`` into ``RetryableError``, and answers
"not supported" for every operation the capability matrix leaves out. Then run
``python manage.py providers_table`` to regenerate ``docs/providers.md`` (a test compares them).
"""
