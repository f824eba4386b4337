"""Uploaded files, read-only (who uploaded what, its size, type and SHA-256); the bytes are
downloaded from the page of the dispute that uses them, which audits the download."""

from django.contrib import admin
from unfold.admin import ModelAdmin

from apps.backoffice.readonly import ReadOnlyAdminMixin

from .models import File


@admin.register(File)
class FileAdmin(ReadOnlyAdminMixin, ModelAdmin):
    list_display = ("public_id", "merchant", "purpose", "type", "filename", "size", "created_at")
    list_filter = ("purpose", "type", "livemode")
    list_select_related = ("merchant",)
    search_fields = ("=public_id", "=sha256")
    readonly_fields = ("public_id", "merchant", "livemode", "purpose", "type", "filename", "title", "size",
                       "sha256", "created_at", "expires_at")  # fmt: skip
    fields = readonly_fields
