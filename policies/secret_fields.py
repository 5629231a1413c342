"""Write-only secrets in forms (signing secrets, webhook URLs that are their own password, and
any later password or token): once saved, a secret is never rendered back into a page. The form
shows only a hint ("••••3f2a"), keeps the stored value when the box is left empty and replaces
it when something is typed."""

from django import forms

MASK = "••••"
HINT_MIN_LENGTH = 16  # shorter secrets show no characters at all: four would be too many


class Clear:
    """What the widget returns when "remove the saved value" is ticked and nothing typed."""

    def __bool__(self) -> bool:
        return False


CLEAR = Clear()


def masked(value: str) -> str:
    """ "••••3f2a": the last four characters of a long secret, a bare mask for a short one."""
    if not value:
        return ""
    return MASK + value[-4:] if len(value) >= HINT_MIN_LENGTH else MASK


class SecretInput(forms.PasswordInput):
    """A password box that never carries the value; `clear_label` adds a tick box to remove the
    saved value (e.g. "Generate a new secret")."""

    template_name = "slaops/widgets/secret.html"

    def __init__(self, attrs=None, *, clear_label: str = ""):
        # new-password: browsers must not fill in the manager's own login password here.
        attrs = {"autocomplete": "new-password", "spellcheck": "false", **(attrs or {})}
        super().__init__(attrs, render_value=False)
        self.clear_label = clear_label

    @staticmethod
    def clear_name(name: str) -> str:
        return f"{name}-clear"

    def get_context(self, name, value, attrs):
        saved = masked(str(value)) if value and value is not CLEAR else ""
        if saved:
            attrs = {**(attrs or {}), "placeholder": saved}
        context = super().get_context(name, None, attrs)
        context["widget"].update(
            saved=saved, clear_label=self.clear_label, clear_name=self.clear_name(name)
        )
        return context

    def value_from_datadict(self, data, files, name):
        typed = data.get(name, "")
        if not typed and self.clear_label and data.get(self.clear_name(name)):
            return CLEAR
        return typed

    def value_omitted_from_data(self, data, files, name):
        return name not in data and self.clear_name(name) not in data


class SecretField(forms.CharField):
    """A write-only text field: empty keeps the stored value, typed text replaces it, the clear
    box (if offered) empties it. Works in any form whose initial data holds the stored value
    (a ModelForm's instance)."""

    widget = SecretInput

    def __init__(self, *, clear_label: str = "", **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.widget.clear_label = clear_label

    def _clean_bound_field(self, bf):
        # As Django's FileField does: cleaning needs the stored value to know what "empty" means.
        return self.clean(bf.data, bf.initial)

    def clean(self, value, initial=None):
        if value is CLEAR:
            return super().clean("")
        if value in self.empty_values and initial:
            return initial  # kept as it was saved
        return super().clean(value)

    def bound_data(self, data, initial):
        # What the widget is given on a bound form: the stored value (for its hint), never the
        # text just typed.
        return initial

    def has_changed(self, initial, data):
        if data is CLEAR:
            return bool(initial)
        return bool(data) and data != initial
