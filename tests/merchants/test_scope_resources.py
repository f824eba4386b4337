"""Every API view's `resource` is one a restricted key can be given (SCOPE_RESOURCES): a view
whose resource is missing there is unreachable for restricted keys, whatever scopes they hold."""

from django.urls import URLPattern, URLResolver, get_resolver

from apps.merchants.services import SCOPE_RESOURCES


def _views(patterns):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _views(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            view = getattr(pattern.callback, "view_class", None) or getattr(pattern.callback, "cls", None)
            if view is not None:
                yield view


def test_every_view_resource_can_be_granted_to_a_restricted_key():
    resources = {getattr(view, "resource", None) for view in _views(get_resolver().url_patterns)}
    resources.discard(None)
    assert len(resources) > 10
    assert sorted(resources - set(SCOPE_RESOURCES)) == []
