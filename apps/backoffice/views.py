from django.contrib import admin
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse

from .search import admin_url, global_search


def global_search_view(request):
    """One box: public ids, order id, customer email, card last4, gateway reference. One hit goes
    straight to its page."""
    term = request.GET.get("q", "").strip()
    hits = [(hit, admin_url(hit)) for hit in global_search(term, user=request.user)] if term else []
    if len(hits) == 1 and hits[0][1] and request.GET.get("list") != "1":
        return HttpResponseRedirect(hits[0][1])
    context = {
        **admin.site.each_context(request),
        "title": "Search",
        "term": term,
        "hits": hits,
    }
    return TemplateResponse(request, "admin/backoffice/global_search.html", context)
