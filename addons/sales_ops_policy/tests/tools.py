# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Helpers shared by the Sales Ops unit tests"
import functools
from contextlib import ExitStack, contextmanager
from unittest.mock import patch

from trytond.modules.account.tests import create_chart, get_fiscalyear
from trytond.modules.account_invoice.tests import set_invoice_sequences
from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
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


def with_company(today, context=None):
    """Decorate a test to run in a transaction on today (of ir.date) with
    self.company created, in its context, and built by self.build(); with
    context added to the transaction's context"""
    def decorator(func):
        @with_transaction()
        @functools.wraps(func)
        def wrapper(self):
            Date = Pool().get('ir.date')
            with patch.object(Date, 'today', return_value=today):
                self.company = create_company()
                with set_company(self.company):
                    self.build()
                    with Transaction().set_context(context or {}):
                        return func(self)
        return wrapper
    return decorator


def create_accounting(company, *days, invoice_sequences=False):
    """Create the chart of accounts of company and the fiscal years of days
    with their monthly periods, with the invoice sequences when
    invoice_sequences; return the fiscal years

    Call it in the context of company."""
    FiscalYear = Pool().get('account.fiscalyear')
    create_chart(company)
    fiscalyears = []
    for day in days:
        fiscalyear = get_fiscalyear(company, today=day)
        if invoice_sequences:
            fiscalyear = set_invoice_sequences(fiscalyear)
        fiscalyear.save()
        FiscalYear.create_period([fiscalyear])
        fiscalyears.append(fiscalyear)
    return fiscalyears


@contextmanager
def rolled_back(name='example'):
    """Run the block in a savepoint rolled back at its end, with the caches
    of the transaction dropped: a test database per example, for free"""
    transaction = Transaction()
    cursor = transaction.connection.cursor()
    cursor.execute(f'SAVEPOINT {name}')
    try:
        yield
    finally:
        cursor.execute(f'ROLLBACK TO SAVEPOINT {name}')
        cursor.execute(f'RELEASE SAVEPOINT {name}')
        transaction.counter += 1
        transaction.cache.clear()
