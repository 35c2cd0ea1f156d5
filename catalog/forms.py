from urllib.parse import urlencode

from django import forms
from django.conf import settings

from core.money import Money

from .models import BillingMode, OptionGroup, Product
from .pricing import Configuration
from .selectors import SORT_LABELS
from .services import OnConflict

DEFAULTS = {"q": "", "category": "", "sort": "featured", "page": 1}


class CatalogQueryForm(forms.Form):
    """Listing parameters. Invalid values fall back to defaults with a notice, never an error page."""

    q = forms.CharField(required=False, max_length=settings.SEARCH_QUERY_MAX_LENGTH, label="Search")
    category = forms.SlugField(required=False, max_length=50)
    sort = forms.ChoiceField(required=False, choices=list(SORT_LABELS.items()))
    page = forms.IntegerField(required=False, min_value=1, max_value=100_000)

    NOTICES = {
        "q": f"Searches are limited to {settings.SEARCH_QUERY_MAX_LENGTH} characters of plain "
        "text; showing all services instead.",
        "category": "That category does not exist; showing every category.",
        "sort": "Unknown sort order; showing featured services first.",
        "page": "That page does not exist; showing the first page.",
    }

    def params(self) -> tuple[dict, list[str]]:
        """(usable parameters, notices for the ones that were dropped)."""
        self.is_valid()
        params, notices = dict(DEFAULTS), []
        for name in DEFAULTS:
            if name in self.errors:
                notices.append(self.NOTICES[name])
            elif self.cleaned_data.get(name) not in (None, ""):
                params[name] = self.cleaned_data[name]
        if params["sort"] == "relevance" and not params["q"]:
            params["sort"] = "featured"
        elif params["q"] and not self.data.get("sort"):
            params["sort"] = "relevance"
        return params, notices


class SuggestionChoiceForm(forms.Form):
    """A search-as-you-type suggestion the shopper picked."""

    q = forms.CharField(max_length=settings.SEARCH_QUERY_MAX_LENGTH)
    product = forms.SlugField(max_length=80)
    position = forms.IntegerField(min_value=1, max_value=20)


class ConfiguratorForm(forms.Form):
    """The configurator as a plain form: one field per option group, add-ons, quantity, billing."""

    def __init__(self, *args, product: Product, **kwargs):
        super().__init__(*args, **kwargs)
        self.product = product
        self.group_fields = []
        for group in product.option_groups.all():
            choices = [
                (str(o.pk), _with_delta(o.label, o.price_delta_amount, product.currency))
                for o in group.options.all()
            ]
            name = f"group_{group.pk}"
            if group.selection == OptionGroup.Selection.SINGLE:
                field = forms.ChoiceField(choices=choices, widget=forms.RadioSelect)
            else:
                field = forms.MultipleChoiceField(
                    choices=choices, widget=forms.CheckboxSelectMultiple
                )
            field.required = group.required
            field.label = group.name
            field.help_text = group.help_text
            field.group = group
            self.fields[name] = field
            self.group_fields.append(name)
        monthly = BillingMode.SUBSCRIPTION in product.offered_billing
        addons = [
            a for a in product.addons.all() if a.is_active and (monthly or not a.subscription_only)
        ]
        if addons:
            self.fields["addons"] = forms.MultipleChoiceField(
                required=False,
                label="Add-ons",
                choices=[(str(a.pk), _addon_label(a, product)) for a in addons],
                widget=forms.CheckboxSelectMultiple,
            )
            # Monthly-billing-only add-ons: the configurator's script disables them for one-off.
            self.fields["addons"].subscription_only = {
                str(a.pk)
                for a in addons
                if a.subscription_only and len(product.offered_billing) > 1
            }
        unit = product.quantity_label
        self.fields["quantity"] = forms.IntegerField(
            min_value=product.min_quantity,
            max_value=product.max_quantity,
            initial=product.min_quantity,
            label=f"Quantity ({unit})",
            help_text=f"{product.min_quantity} to {product.max_quantity} {unit}",
            error_messages={
                "required": f"Enter how many {unit} you want.",
                "invalid": f"Enter a whole number of {unit}.",
                "min_value": f"At least {product.min_quantity} {unit}.",
                "max_value": f"At most {product.max_quantity} {unit}.",
            },
        )
        offered = product.offered_billing
        self.fields["billing"] = forms.ChoiceField(
            choices=[(m, BillingMode(m).label) for m in offered],
            initial=offered[0],
            widget=forms.RadioSelect,
            label="Billing",
        )
        if len(offered) == 1:
            self.fields["billing"].widget = forms.HiddenInput()

    def controls(self) -> list[dict]:
        """Plain data for the configurator template: cheaper to render than widget templates."""
        controls = []
        for name, field in self.fields.items():
            bound = self[name]
            value = bound.value()
            selected = {str(v) for v in value} if isinstance(value, list | tuple) else {str(value)}
            widget = field.widget
            if isinstance(widget, forms.HiddenInput):
                kind = "hidden"
            elif isinstance(widget, forms.CheckboxSelectMultiple):
                kind = "checkbox"
            elif isinstance(widget, forms.RadioSelect):
                kind = "radio"
            else:
                kind = "number"
            described_by = [f"{bound.auto_id}_help"] if field.help_text else []
            if bound.errors:
                described_by.append(f"{bound.auto_id}_error")
            controls.append(
                {
                    "kind": kind,
                    "name": bound.html_name,
                    "id": bound.auto_id,
                    "label": field.label,
                    "help": field.help_text,
                    "required": field.required,
                    "errors": bound.errors,
                    "described_by": " ".join(described_by),
                    # Where the error summary's link for this field leads: the first input.
                    "anchor": bound.auto_id if kind == "number" else f"{bound.auto_id}_0",
                    "value": "" if value is None else value,
                    "min": getattr(field, "min_value", None),
                    "max": getattr(field, "max_value", None),
                    "choices": [
                        (str(v), label, str(v) in selected)
                        for v, label in getattr(field, "choices", [])
                    ],
                    "subscription_only": getattr(field, "subscription_only", set()),
                }
            )
        return controls

    @staticmethod
    def initial_from(configuration: Configuration, product: Product) -> dict:
        initial = {"quantity": configuration.quantity, "billing": configuration.billing}
        chosen = {str(pk) for pk in configuration.option_ids}
        for group in product.option_groups.all():
            ids = [str(o.pk) for o in group.options.all() if str(o.pk) in chosen]
            if group.selection == OptionGroup.Selection.SINGLE:
                initial[f"group_{group.pk}"] = ids[0] if ids else None
            else:
                initial[f"group_{group.pk}"] = ids
        initial["addons"] = [str(pk) for pk in configuration.addon_ids]
        return initial

    def posted_choices(self) -> list[tuple[str, str]]:
        """The submitted choices as they came, without the CSRF token, preset name or anything
        else posted: to carry them into a second step or a link."""
        return [(name, value) for name in self.fields for value in self.data.getlist(name)]

    def choices_url(self) -> str:
        """The configurator's GET address showing these choices again."""
        return f"{self.product.get_absolute_url()}?{urlencode(self.posted_choices())}"

    def configuration(self) -> Configuration:
        data = self.cleaned_data
        option_ids = []
        for name in self.group_fields:
            value = data.get(name)
            if isinstance(value, list):
                option_ids.extend(int(v) for v in value)
            elif value:
                option_ids.append(int(value))
        return Configuration(
            option_ids=tuple(option_ids),
            addon_ids=tuple(int(v) for v in data.get("addons", [])),
            quantity=data["quantity"],
            billing=data["billing"],
        )


def _addon_label(addon, product: Product) -> str:
    label = _with_delta(addon.label, addon.amount, product.currency)
    if addon.subscription_only and len(product.offered_billing) > 1:
        return f"{label}, with monthly billing only"
    return label


def _with_delta(label: str, amount: int, currency: str) -> str:
    if not amount:
        return label
    sign = "+" if amount > 0 else "−"
    return f"{label} ({sign}{Money(abs(amount), currency)})"


class PresetForm(forms.Form):
    name = forms.CharField(max_length=60, label="Preset name")
    # Only the second step (the name is taken) sends it.
    on_conflict = forms.ChoiceField(
        required=False,
        choices=[(OnConflict.REPLACE, "Replace"), (OnConflict.KEEP_BOTH, "Keep both")],
    )
