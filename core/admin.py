from django.contrib import admin


class ReadOnlyInline(admin.TabularInline):
    """History-like rows shown on a parent: never added, changed or deleted by hand."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False
