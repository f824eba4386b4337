from django.contrib import admin
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse

from .search import admin_url, global_search


def _single_target(hits) -> str:
    """One hit opens its page; so does a search that names one payment (an email or last4 also
    finds the customer or the charge behind it, which are reachable from the payment's page)."""
    if len(hits) == 1:
        return hits[0][1]
    payments = [url for hit, url in hits if hit.model_label == "intents.PaymentIntent"]
    others = {hit.model_label for hit, _url in hits} - {"intents.PaymentIntent"}
    if len(payments) == 1 and others <= {"vault.Customer", "intents.Charge"}:
        return payments[0]
    return ""


def global_search_view(request):
    """One box: public ids, order id, customer email, card last4, gateway reference. One hit goes
    straight to its page."""
    term = request.GET.get("q", "").strip()
    hits = [(hit, admin_url(hit)) for hit in global_search(term, user=request.user)] if term else []
    target = _single_target(hits)
    if target and request.GET.get("list") != "1":
        return HttpResponseRedirect(target)
    context = {
        **admin.site.each_context(request),
        "title": "Search",
        "term": term,
        "hits": hits,
    }
    return TemplateResponse(request, "admin/backoffice/global_search.html", context)


def permission_denied(request, exception=None):
    """handler403: in the back office a refusal is a page of the back office that says why and
    which roles may do it (from apps.core.roles); elsewhere Django's plain 403."""
    from django.views.defaults import permission_denied as plain_permission_denied

    if not request.path.startswith("/admin/") or not getattr(request.user, "is_staff", False):
        return plain_permission_denied(request, exception)
    from apps.core.roles import ROLE_DESCRIPTIONS, ROLES, role_grants

    permission = getattr(exception, "permission", "")
    message = getattr(exception, "message", "") or (str(exception) if exception and str(exception) else "")
    roles = [
        (role, ROLE_DESCRIPTIONS.get(role, ""))
        for role in ROLES
        if permission and role_grants(role, permission)
    ]
    context = {
        **admin.site.each_context(request),
        "title": "Not allowed",
        "message": message or "Your role does not allow this page or action.",
        "permission": permission,
        "roles": roles,
        "your_roles": list(request.user.groups.values_list("name", flat=True)),
        "back_url": request.META.get("HTTP_REFERER", ""),
    }
    response = TemplateResponse(request, "admin/backoffice/403.html", context, status=403)
    return response.render()
