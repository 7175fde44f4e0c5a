# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Helpers shared by the Sales Ops unit tests"
from contextlib import ExitStack

from trytond.pool import Pool
from trytond.transaction import Transaction, check_access


def acting_as(user):
    """Act as user with their preferences in the context and the access
    checked, as a call from the client does"""
    User = Pool().get('res.user')
    stack = ExitStack()
    stack.enter_context(Transaction().set_user(user.id))
    stack.enter_context(Transaction().set_context(
            User.get_preferences(context_only=True)))
    stack.enter_context(check_access())
    return stack
