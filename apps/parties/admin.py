from django.contrib import admin

from apps.parties.models import Party, Representative


class RepresentativeInline(admin.TabularInline):
    model = Representative
    extra = 0


@admin.register(Party)
class PartyAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "country", "organisation"]
    list_filter = ["kind", "organisation"]
    search_fields = ["name", "aliases"]
    inlines = [RepresentativeInline]
    readonly_fields = ["normalised_name", "normalised_aliases"]


@admin.register(Representative)
class RepresentativeAdmin(admin.ModelAdmin):
    list_display = ["name", "title", "party", "time_zone", "authority", "active"]
    list_filter = ["authority", "active"]
    search_fields = ["name", "party__name", "email"]
    list_select_related = ["party"]
