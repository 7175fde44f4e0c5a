# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The three Sales Ops modules install together on a fresh database, with
the Tryton modules that DESIGN.md reuses."""

from trytond.pool import Pool
from trytond.tests import test_tryton
from trytond.tests.test_tryton import with_transaction

REUSED = [
    'account', 'account_budget', 'account_dunning', 'account_invoice',
    'account_payment', 'account_statement', 'commission', 'company',
    'notification_email', 'sale', 'sale_complaint', 'sale_opportunity',
    ]


class InstallTestCase(test_tryton._DBTestCase):
    "Test the installation of all Sales Ops modules"

    module = 'sales_ops_incentive'

    @with_transaction()
    def test_modules_activated(self):
        "Sales Ops and the reused Tryton modules are activated"
        pool = Pool()
        Module = pool.get('ir.module')
        names = ['sales_ops_policy', 'sales_ops_training',
            'sales_ops_incentive'] + REUSED
        states = {m.name: m.state for m in Module.search([
                    ('name', 'in', names)])}
        self.assertEqual(states, dict.fromkeys(names, 'activated'))

    @with_transaction()
    def test_dependency_direction(self):
        "policy <- training <- incentive, nothing points back"
        pool = Pool()
        Module = pool.get('ir.module')
        depends = {m.name: {d.name for d in m.dependencies}
            for m in Module.search([('name', 'like', 'sales_ops_%')])}
        self.assertIn('sales_ops_training', depends['sales_ops_incentive'])
        self.assertIn('sales_ops_policy', depends['sales_ops_training'])
        self.assertGreaterEqual(depends['sales_ops_policy'], set(REUSED))
        self.assertFalse(
            depends['sales_ops_policy'] & {
                'sales_ops_training', 'sales_ops_incentive'})
