from django.contrib import admin

from apps.parties.models import Party, Representative


class RepresentativeInline(admin.TabularInline):
    model = Representative
    extra = 0


@admin.register(Party)
class PartyAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "country", "organisation"]
    list_filter = ["kind", "organisation"]
    list_select_related = ["organisation"]
    # aliases is an array: the admin's icontains searches its text form, which is what staff expect
    search_fields = ["name", "aliases", "normalised_name"]
    inlines = [RepresentativeInline]
    readonly_fields = ["normalised_name", "normalised_aliases"]


@admin.register(Representative)
class RepresentativeAdmin(admin.ModelAdmin):
    list_display = ["name", "title", "party", "time_zone", "authority", "active"]
    list_filter = ["authority", "active"]
    search_fields = ["name", "party__name", "email"]
    list_select_related = ["party"]
