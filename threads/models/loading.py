"""Rows of the widest, most read models become instances without `Model.__init__`, and the
evaluator's new events and outbox rows are built the same way (`built`).

The evaluator reads a thousand threads and clocks a tick (about 30 and 50 columns): Django's
`from_db` builds each through `__init__`, which sends the init signals and sets every column
through the field descriptors, about a third of what reading the rows costs. A row that has all
of the model's columns needs none of that: its values go straight into the instance's
`__dict__`, as `__init__` would have put them, with the state `from_db` gives (not adding, read
from this database). Overriding `from_db` is the customisation Django documents for this.
"""

from functools import cache
from typing import Any

from django.db import models
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init


@cache
def _attnames(model: type[models.Model]) -> tuple[str, ...]:
    return tuple(f.attname for f in model._meta.concrete_fields)


@cache
def _attname_set(model: type[models.Model]) -> frozenset[str]:
    return frozenset(_attnames(model))


def _listened(model: type[models.Model]) -> bool:
    """Whether a receiver of the init signals could hear of this model (no receiver at all,
    the usual case, is one attribute read; `has_listeners` costs microseconds a row)."""
    if not (pre_init.receivers or post_init.receivers):
        return False
    return pre_init.has_listeners(model) or post_init.has_listeners(model)


@cache
def _defaults(model: type[models.Model]) -> tuple[dict[str, Any], tuple] | None:
    """The model's column defaults: the constant ones as values, the callable ones (a clock's
    now, a new uuid) to call per instance; None when a column's default is the database's."""
    constants, makers = {}, []
    for field in model._meta.concrete_fields:
        if field.has_default():
            if callable(field.default):
                makers.append((field.attname, field.default))
            else:
                constants[field.attname] = field.default
        elif field.has_db_default():
            return None
        else:
            constants[field.attname] = field.get_default()  # None, or "" for text
    return constants, tuple(makers)


def built(model: type[models.Model], values: dict[str, Any], related: dict[str, Any]):
    """A new, unsaved instance from column values (by attname: `thread_id`; the others take
    their defaults) and the related objects behind its foreign keys (by field name: `thread`),
    cached as assigning them would (an unsaved one's key is taken when the row is written).
    What `model(thread=…, …)` makes, without the descriptors, the signals and a default looked
    up per field: a tick builds a thousand events and as many outbox rows, and `__init__` was
    half of the rules' time and most of the outbox's."""
    defaults = _defaults(model)
    if defaults is not None and not _listened(model):
        constants, makers = defaults
        row = {**constants, **values}
        for attname, make in makers:
            if attname not in values:
                row[attname] = make()
        if row.keys() == _attname_set(model):  # else a name that is no column: Django says so
            instance = model.__new__(model)
            instance._state = ModelState()
            instance.__dict__.update(row)
            instance._state.fields_cache.update(related)
            return instance
    instance = model(**values)
    for name, value in related.items():
        model._meta.get_field(name).set_cached_value(instance, value)
    return instance


class ReadQuickly(models.Model):
    class Meta:
        abstract = True

    @classmethod
    def from_db(cls, db, field_names, values):
        attnames = _attnames(cls)
        # Deferred columns, or someone listening for the init signals: Django's own way.
        if len(values) != len(attnames) or _listened(cls):
            return super().from_db(db, field_names, values)
        new = cls.__new__(cls)
        new._state = state = ModelState()
        state.adding, state.db = False, db
        new.__dict__.update(zip(attnames, values, strict=True))
        return new
