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
            needed = line.targets_needed
            for number, name in enumerate(_target_names(line), start=1):
                self.fields[name] = forms.CharField(
                    label=f"Account for {line.label}"
                    if needed == 1
                    else f"Account {number} of {needed} for {line.label}",
                    max_length=300,
                    help_text=_TARGET_HELP.get(
                        line.product.platform, "A link to the profile or page."
                    )
                    if number == 1
                    else "",
                )

    def clean(self):
        data = super().clean()
        for line in self.lines:
            seen: dict[str, int] = {}
            for number, name in enumerate(_target_names(line), start=1):
                if not data.get(name):
                    continue
                try:
                    target = normalise_target(line.product.platform, data[name])
                except forms.ValidationError as exc:
                    self.add_error(name, exc)
                    continue
                if target.casefold() in seen:
                    self.add_error(
                        name,
                        f"{target} is already account {seen[target.casefold()]} of this line: "
                        "each account gets its own delivery, so enter a different one.",
                    )
                    continue
                seen[target.casefold()] = number
                data[name] = target
        return data

    def targets(self) -> dict[int, list[str]]:
        """Every line's accounts, in the order they were entered."""
        return {
            line.item.pk: [self.cleaned_data[name] for name in _target_names(line)]
            for line in self.lines
        }

    def target_groups(self) -> list[tuple]:
        """(line, its account fields) for the template."""
        return [(line, [self[name] for name in _target_names(line)]) for line in self.lines]

    def target_fields(self):
        return [field for _, fields in self.target_groups() for field in fields]


def _target_names(line) -> list[str]:
    # A line's first account keeps the line's plain field name; further ones are numbered.
    first = f"target_{line.item.pk}"
    return [first, *(f"{first}_{number}" for number in range(2, line.targets_needed + 1))]


_TARGET_HELP = {
    "instagram": "Your Instagram handle (@yourbrand) or profile link.",
    "tiktok": "Your TikTok handle (@yourbrand) or profile link.",
    "youtube": "Your channel handle (@yourchannel) or channel link.",
}
