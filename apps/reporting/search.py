"""unfold's command palette (COMMAND.search_callback): the global search's hits as results."""

from django.urls import NoReverseMatch, reverse
from unfold.dataclasses import SearchResult

from .selectors import global_search


def admin_url(hit) -> str:
    app_label, model = hit.model_label.split(".")
    try:
        return reverse(f"admin:{app_label}_{model.lower()}_change", args=[hit.pk])
    except NoReverseMatch:
        return ""


def command_search(request, search_term: str) -> list[SearchResult]:
    return [
        SearchResult(title=hit.title, description=hit.detail, link=admin_url(hit), icon="search")
        for hit in global_search(search_term, user=request.user)
    ]
