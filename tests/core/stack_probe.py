"""Middlewares for tests/core/test_api_stack.py: they record that the lean API chain ran them."""

from django.core.exceptions import MiddlewareNotUsed


class ProbeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.probe = ["call"]
        response = self.get_response(request)
        response["X-Probe"] = "+".join(request.probe)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        request.probe.append("view")


class UnusedMiddleware:
    def __init__(self, get_response):
        raise MiddlewareNotUsed()


class AsyncOnlyMiddleware:
    sync_capable = False
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
