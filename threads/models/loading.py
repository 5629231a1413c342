"""Rows of the widest, most read models become instances without `Model.__init__`.

The evaluator reads a thousand threads and clocks a tick (about 30 and 50 columns): Django's
`from_db` builds each through `__init__`, which sends the init signals and sets every column
through the field descriptors, about a third of what reading the rows costs. A row that has all
of the model's columns needs none of that: its values go straight into the instance's
`__dict__`, as `__init__` would have put them, with the state `from_db` gives (not adding, read
from this database). Overriding `from_db` is the customisation Django documents for this.
"""

from functools import cache

from django.db import models
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init


@cache
def _attnames(model: type[models.Model]) -> tuple[str, ...]:
    return tuple(f.attname for f in model._meta.concrete_fields)


class ReadQuickly(models.Model):
    class Meta:
        abstract = True

    @classmethod
    def from_db(cls, db, field_names, values):
        attnames = _attnames(cls)
        # Deferred columns, or someone listening for the init signals: Django's own way.
        if (
            len(values) != len(attnames)
            or pre_init.has_listeners(cls)
            or post_init.has_listeners(cls)
        ):
            return super().from_db(db, field_names, values)
        new = cls.__new__(cls)
        new._state = state = ModelState()
        state.adding, state.db = False, db
        new.__dict__.update(zip(attnames, values, strict=True))
        return new
