"""What a browser submits for an admin form it was shown, for tests that edit through it."""


def form_data(field: str, page) -> dict:
    """The values of the form holding the input named `field`, unchanged."""
    form = page.select_one(f"input[name={field}]").find_parent("form")
    data = {}
    for field in form.select("input[name], select[name], textarea[name]"):
        name = field["name"]
        if field.name == "select":
            chosen = field.select_one("option[selected]")
            data[name] = chosen["value"] if chosen else ""
        elif field.name == "textarea":
            data[name] = field.get_text()
        elif field.get("type") == "checkbox":
            if field.has_attr("checked"):
                data[name] = field.get("value", "on")
        elif field.get("type") not in ("submit", "button"):
            data[name] = field.get("value", "")
    return data
