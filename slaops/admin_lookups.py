"""What an admin list accepts in its URL: the filters and date drill-down its screen declares, and
sorting by the columns it shows, nothing else.

Django's default accepts any lookup on a model's own fields, so `?secret__regex=^whsec_O` answered
"1 alert channel" or "0" and read a secret back one character at a time; `?password__regex=` did
the same with password hashes. `guard(site)` puts this rule on every admin of the site, ours and
third-party (auth, django-q, axes, API keys), in one place; a lookup outside it is a 400.
Columns, searches and filters over a secret are refused as well, should a screen ever declare one.
"""

import types

from django.contrib import admin
from django.contrib.admin.filters import FieldListFilter
from django.contrib.admin.utils import NotRelationField, get_fields_from_path
from django.core.exceptions import FieldDoesNotExist
from django.db import models

from slaops.secrets import is_secret

# Fields that are secrets without being encrypted: a password hash, an API key's hash, a
# session's content.
HASHED_SECRETS = {
    ("auth", "user", "password"),
    ("sessions", "session", "session_data"),
}


def is_secret_field(field) -> bool:
    if is_secret(field):
        return True
    if getattr(field, "model", None) is None:
        return False
    meta = field.model._meta
    if (meta.app_label, meta.model_name, field.name) in HASHED_SECRETS:
        return True
    # Every model of djangorestframework-api-key keeps the key's hash in `hashed_key`.
    return field.name == "hashed_key"


def path_is_secret(model, path: str) -> bool:
    """Does a lookup path (`thread__account__name`, `secret__regex`) pass through a secret?"""
    try:
        fields = get_fields_from_path(model, path)
    except (FieldDoesNotExist, NotRelationField):
        # A path ending in a lookup or transform: check the fields it names before that.
        parts = path.split("__")
        for end in range(len(parts) - 1, 0, -1):
            try:
                fields = get_fields_from_path(model, "__".join(parts[:end]))
                break
            except (FieldDoesNotExist, NotRelationField):
                continue
        else:
            return False
    return any(is_secret_field(field) for field in fields)


def declared_parameters(model_admin, request) -> frozenset[str]:
    """The query parameters the list's declared filters and date drill-down read."""
    cache = request.__dict__.setdefault("_slaops_admin_parameters", {})
    key = id(model_admin)
    if key in cache:
        return cache[key]
    names: set[str] = set()
    model = model_admin.model
    for item in model_admin.get_list_filter(request):
        if isinstance(item, (list, tuple)):
            field_path, filter_class = item
        elif callable(item):
            # A SimpleListFilter (or a custom filter class): it names its own parameters.
            spec = item(request, {}, model, model_admin)
            names.update(spec.expected_parameters())
            continue
        else:
            field_path, filter_class = item, FieldListFilter.create
        if isinstance(field_path, models.Field):
            field, field_path = field_path, field_path.name
        else:
            field = get_fields_from_path(model, field_path)[-1]
        if path_is_secret(model, field_path):
            continue
        spec = filter_class(field, request, {}, model, model_admin, field_path=field_path)
        names.update(spec.expected_parameters())
    hierarchy = model_admin.date_hierarchy
    if hierarchy and not path_is_secret(model, hierarchy):
        names.update(f"{hierarchy}__{part}" for part in ("year", "month", "day"))
    cache[key] = frozenset(names)
    return cache[key]


def lookup_allowed(model_admin, lookup, value, request=None) -> bool:
    if path_is_secret(model_admin.model, lookup):
        return False
    # The raw-id widget's popup filters by a foreign key's `limit_choices_to`: declared in code.
    for fk_lookup in model_admin.model._meta.related_fkey_lookups:
        if callable(fk_lookup):
            fk_lookup = fk_lookup()
        if (lookup, value) in admin.widgets.url_params_from_lookup_dict(fk_lookup).items():
            return True
    if request is None:
        return False
    return lookup in declared_parameters(model_admin, request)


def sortable_by(model_admin, request):
    """The shown columns, less any that would sort by a secret."""
    columns = type(model_admin).get_sortable_by(model_admin, request)
    return [name for name in columns if not _column_is_secret(model_admin, name)]


def _column_is_secret(model_admin, name) -> bool:
    try:
        model_admin.model._meta.get_field(name)
        target = name
    except (FieldDoesNotExist, TypeError):
        shown = name if callable(name) else getattr(model_admin, name, None)
        shown = shown or getattr(model_admin.model, name, None)
        target = getattr(shown, "admin_order_field", None)
    target = getattr(target, "name", target)  # F("field")
    if not isinstance(target, str):
        return False
    return path_is_secret(model_admin.model, target.lstrip("-"))


def search_fields(model_admin, request):
    fields = type(model_admin).get_search_fields(model_admin, request)
    return [name for name in fields if not path_is_secret(model_admin.model, name.lstrip("^=@"))]


def guard(site) -> None:
    """Put the rule on every admin registered with `site` (called once the admins are loaded)."""
    for model_admin in site._registry.values():
        model_admin.lookup_allowed = types.MethodType(lookup_allowed, model_admin)
        model_admin.get_sortable_by = types.MethodType(sortable_by, model_admin)
        model_admin.get_search_fields = types.MethodType(search_fields, model_admin)
        model_admin.slaops_lookups_guarded = True
