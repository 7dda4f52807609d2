"""`field__any_of=[...]`: a list of values sent as one array on PostgreSQL, as IN elsewhere.

Pages read a page's related rows by the ids they hold (50 tickets' defects, a
board's 200 tickets). As `__in`, each id is a parameter of its own: Django
prepares each one, and the query's text changes with the number of ids, so
PostgreSQL keeps no plan for it (DATABASE_PREPARED_STATEMENTS prepares a query by its
text) and plans it afresh whenever a list is a different length, as it is for each
agent. `= ANY(%s)` with the list as one array parameter is one text for any length,
and one value to send. The rows are the same as with `__in`.
"""

from django.core.exceptions import EmptyResultSet
from django.db.models import Field, lookups
from django.db.models.fields.related import ForeignObject

INTEGER_TYPES = frozenset({"smallint", "integer", "bigint"})


class AnyOf(lookups.In):
    lookup_name = "any_of"

    def get_prep_lookup(self):
        # Ids read from the database already: each is prepared as the field does, and
        # the per-value expression handling of __in is skipped.
        prep = self.lhs.output_field.get_prep_value
        return list(dict.fromkeys(prep(value) for value in self.rhs if value is not None))

    def as_postgresql(self, compiler, connection):
        if not self.rhs:
            raise EmptyResultSet
        lhs, lhs_params = self.process_lhs(compiler, connection)
        db_type = self.lhs.output_field.cast_db_type(connection)
        values = self.rhs
        if db_type in INTEGER_TYPES:
            # Ids (made ints by get_prep_lookup) go as the array's text: psycopg writes a
            # list item by item in Python, which took 0.6 ms longer for 900 ids.
            values = "{" + ",".join(map(str, values)) + "}"
        return f"{lhs} = ANY(%s::{db_type}[])", (*lhs_params, values)


def register() -> None:
    """Offer `__any_of` on every field (CoreConfig.ready); foreign keys keep lookups of their own."""
    Field.register_lookup(AnyOf)
    ForeignObject.register_lookup(AnyOf)
