"""Screens that show records staff may read but never add, edit or delete in place: money, audit
and lifecycle rows change only through services (actions behind ConfirmActionMixin)."""


class ReadOnlyAdminMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
