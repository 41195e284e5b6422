from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.reminders.models import (
    EmailDelivery,
    Notification,
    NotificationPreference,
    Reminder,
    ReminderRecipient,
    ReminderRules,
)


class ReminderRecipientInline(admin.TabularInline):
    model = ReminderRecipient
    raw_id_fields = ["user"]
    extra = 0


class EmailDeliveryInline(admin.TabularInline):
    model = EmailDelivery
    fields = ["recipient", "email", "status", "attempts", "last_error", "not_before", "sent_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "organisation", "target_type", "target_id", "due_at", "status", "attempts", "sent_at"]
    list_filter = ["status", "kind", "organisation"]
    search_fields = ["key", "target_type", "last_error"]
    date_hierarchy = "due_at"
    readonly_fields = ["attempts", "last_error", "sent_at", "created_at", "updated_at"]
    inlines = [ReminderRecipientInline, EmailDeliveryInline]
    actions = ["retry_now", "cancel"]

    @admin.action(description=_("Retry now (failed or pending)"))
    def retry_now(self, request: HttpRequest, queryset: QuerySet[Reminder]) -> None:
        count = queryset.filter(status__in=[Reminder.Status.FAILED, Reminder.Status.PENDING]).update(
            status=Reminder.Status.PENDING, attempts=0, next_attempt_at=timezone.now(), updated_at=timezone.now()
        )
        self.message_user(request, _("%(count)d reminder(s) will be retried within a minute.") % {"count": count})

    @admin.action(description=_("Cancel"))
    def cancel(self, request: HttpRequest, queryset: QuerySet[Reminder]) -> None:
        count = queryset.filter(status__in=[Reminder.Status.PENDING, Reminder.Status.SENDING]).update(
            status=Reminder.Status.CANCELLED, updated_at=timezone.now()
        )
        self.message_user(request, _("%(count)d reminder(s) cancelled.") % {"count": count})


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["title", "recipient", "organisation", "created_at", "read_at"]
    list_filter = ["organisation"]
    search_fields = ["title", "recipient__email"]
    raw_id_fields = ["reminder", "recipient"]
    date_hierarchy = "created_at"


@admin.register(EmailDelivery)
class EmailDeliveryAdmin(admin.ModelAdmin):
    list_display = ["email", "reminder", "status", "attempts", "not_before", "sent_at"]
    list_filter = ["status"]
    search_fields = ["email", "last_error"]
    raw_id_fields = ["reminder", "recipient"]


@admin.register(ReminderRules)
class ReminderRulesAdmin(admin.ModelAdmin):
    list_display = ["organisation", "session_upcoming_hours", "shuttle_follow_up_hours", "quiet_hours_enabled"]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "email", "in_app"]
    raw_id_fields = ["user"]
    search_fields = ["user__email"]
