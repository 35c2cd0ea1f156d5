import uuid

from django import forms

from .targets import normalise_target


class CartQuantityForm(forms.Form):
    quantity = forms.IntegerField(min_value=1, max_value=10_000)


class CheckoutForm(forms.Form):
    email = forms.EmailField(label="E-mail", max_length=254)
    name = forms.CharField(label="Full name", max_length=120)
    accept_terms = forms.BooleanField(
        label="Terms of service",
        error_messages={"required": "Please accept the terms of service to continue."},
    )
    checkout_token = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = lines
        self.fields["checkout_token"].initial = uuid.uuid4()
        for line in lines:
            product = line.item.product
            field = forms.CharField(
                label=f"Account for {product.title}",
                max_length=300,
                help_text=_TARGET_HELP.get(product.platform, "A link to the profile or page."),
            )
            field.platform = product.platform
            self.fields[f"target_{line.item.pk}"] = field

    def clean(self):
        data = super().clean()
        for line in self.lines:
            name = f"target_{line.item.pk}"
            if data.get(name):
                try:
                    data[name] = normalise_target(line.item.product.platform, data[name])
                except forms.ValidationError as exc:
                    self.add_error(name, exc)
        return data

    def targets(self) -> dict[int, str]:
        return {line.item.pk: self.cleaned_data[f"target_{line.item.pk}"] for line in self.lines}

    def target_fields(self):
        return [self[f"target_{line.item.pk}"] for line in self.lines]


_TARGET_HELP = {
    "instagram": "Your Instagram handle (@yourbrand) or profile link.",
    "tiktok": "Your TikTok handle (@yourbrand) or profile link.",
    "youtube": "Your channel handle (@yourchannel) or channel link.",
}
