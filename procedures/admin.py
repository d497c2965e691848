from django.contrib import admin

from procedures.models import Agency, DayException, Department, RuleSet


class DepartmentInline(admin.TabularInline):
    model = Department
    extra = 0


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent", "is_service_centre", "is_active"]
    list_filter = ["level", "is_service_centre", "is_active"]
    search_fields = ["code", "name", "short_name"]
    raw_id_fields = ["parent"]
    inlines = [DepartmentInline]


@admin.register(DayException)
class DayExceptionAdmin(admin.ModelAdmin):
    # A year's announced days off and make-up days are entered in one list: drill down by year
    # with the date hierarchy, edit kinds and notes in place, "save as new" to copy a row.
    list_display = ["date", "kind", "agency", "description"]
    list_display_links = ["date"]
    list_editable = ["kind", "description"]
    list_filter = ["kind", "agency"]
    list_per_page = 100
    search_fields = ["description", "agency__code", "agency__name"]
    raw_id_fields = ["agency"]
    save_as = True
    date_hierarchy = "date"


@admin.register(RuleSet)
class RuleSetAdmin(admin.ModelAdmin):
    # A later rule set of the one-stop mechanism (procedures.rulebook): only what changes is
    # filled in; the blank fields keep the wording of the set in force before it.
    list_display = ["effective_from", "name", "decree", "circular"]
    ordering = ["-effective_from"]
    save_as = True


# The catalogue's admin pages (fields, procedures, versions, import/export) live in their own module.
from procedures import admin_catalogue  # noqa: E402, F401
