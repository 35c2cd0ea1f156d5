from django import forms

from orders.models import NotificationPreference, NotificationTopic


class OrderPickForm(forms.Form):
    order = forms.CharField(max_length=20, label="Order")
    # The picker page the form was sent from, so the client stays on it.
    orders_page = forms.IntegerField(min_value=1, max_value=10_000, required=False)


class PickerPageForm(forms.Form):
    """`?orders_page=`: anything but a sensible page number shows the first page."""

    orders_page = forms.IntegerField(min_value=1, max_value=10_000, required=False)

    def page(self) -> int:
        return (self.cleaned_data.get("orders_page") or 1) if self.is_valid() else 1


def _preference_field(topic: NotificationTopic) -> forms.BooleanField:
    model_field = NotificationPreference._meta.get_field(topic)
    return forms.BooleanField(required=False, label=topic.label, help_text=model_field.help_text)


class PreferencesForm(forms.Form):
    order_updates = _preference_field(NotificationTopic.ORDER_UPDATES)
    weekly_digest = _preference_field(NotificationTopic.WEEKLY_DIGEST)
    marketing = _preference_field(NotificationTopic.MARKETING)
