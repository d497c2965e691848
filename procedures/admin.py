from django.contrib import admin

from procedures.models import Agency, DayException, Department


class DepartmentInline(admin.TabularInline):
    model = Department
    extra = 0


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent", "is_active"]
    list_filter = ["level", "is_active"]
    search_fields = ["code", "name", "short_name"]
    raw_id_fields = ["parent"]
    inlines = [DepartmentInline]


@admin.register(DayException)
class DayExceptionAdmin(admin.ModelAdmin):
    list_display = ["date", "kind", "agency", "description"]
    list_filter = ["kind", "agency"]
    date_hierarchy = "date"
