# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The daily overdue scan and the collection reminder (policy P3.5.2) on a
fixed date; the ledger side is walked in scenario_collection.rst."""
import datetime as dt
from decimal import Decimal
from unittest.mock import patch

from sales_ops_policy import model as mail_module

import trytond.config as config
from trytond.modules.company.tests import (
    create_company, create_employee, set_company)
from trytond.pool import Pool
from trytond.tests import test_tryton
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

FROM = 'tryton@example.com'
TODAY = dt.date(2026, 3, 16)


class CollectionTestCase(test_tryton._DBTestCase):
    "Test the overdue scan and the collection reminder"

    module = 'sales_ops_policy'

    def setUp(self):
        super().setUp()
        reset_from = config.get('email', 'from', default='')
        config.set('email', 'from', FROM)
        self.addCleanup(lambda: config.set('email', 'from', reset_from))

    def build(self):
        "A plan of Alice's with a stage due before TODAY, one due after"
        pool = Pool()
        User = pool.get('res.user')
        Party = pool.get('party.party')
        Plan = pool.get('sale.collection.plan')
        company = create_company()
        employees = {n: create_employee(company, n.title())
            for n in ['alice', 'bob']}
        for login, employee in employees.items():
            User.create([{
                        'login': login,
                        'name': login.title(),
                        'email': f'{login}@example.com',
                        'companies': [('add', [company.id])],
                        'company': company.id,
                        'employees': [('add', [employee.id])],
                        'employee': employee.id,
                        }])
        customer, = Party.create([{'name': "Customer"}])
        with set_company(company):
            plan, = Plan.create([{
                        'company': company.id,
                        'party': customer.id,
                        'employee': employees['alice'].id,
                        'currency': company.currency.id,
                        'amount': Decimal('1000'),
                        'date': TODAY - dt.timedelta(days=40),
                        'stages': [('create', [{
                                        'sequence': 1,
                                        'kind': 'advance',
                                        'due_date': (
                                            TODAY - dt.timedelta(days=10)),
                                        'amount': Decimal('300'),
                                        'employee': employees['alice'].id,
                                        }, {
                                        'sequence': 2,
                                        'kind': 'delivery',
                                        'due_date': (
                                            TODAY + dt.timedelta(days=20)),
                                        'amount': Decimal('700'),
                                        'employee': employees['bob'].id,
                                        }])],
                        }])
        return company, plan

    @with_transaction()
    def test_scan_overdue(self):
        "The daily scan marks the stages past due and nothing else"
        pool = Pool()
        Stage = pool.get('sale.collection.stage')
        company, plan = self.build()
        with set_company(company), Transaction().set_context(date=TODAY):
            Stage.scan_overdue()
            advance, delivery = Stage.browse(plan.stages)
            self.assertEqual(
                [advance.state, delivery.state], ['overdue', 'open'])
            self.assertEqual(
                Stage.search([('needs_followup', '=', True)]), [advance])
            # a second scan the same day changes nothing
            self.assertEqual(Stage.update_collection(), 0)
        with set_company(company), Transaction().set_context(
                date=TODAY + dt.timedelta(days=21)):
            self.assertEqual(Stage.update_collection([plan]), 1)
            self.assertEqual(
                [s.state for s in Stage.browse(plan.stages)],
                ['overdue', 'overdue'])

    @with_transaction()
    def test_reminder(self):
        "Each responsible gets one e-mail listing the stages to follow up"
        pool = Pool()
        Stage = pool.get('sale.collection.stage')
        Date = pool.get('ir.date')
        company, plan = self.build()
        with set_company(company), Transaction().set_context(date=TODAY):
            Stage.scan_overdue()
            with patch.object(Date, 'today', return_value=TODAY), \
                    patch.object(mail_module,
                        'send_message_transactional') as send_message, \
                    patch.object(mail_module, 'SMTPDataManager'):
                emails = Stage.send_reminders()
        sent = {msg['To']: msg for (msg,), _ in send_message.call_args_list}
        # Bob's stage is not due yet
        self.assertEqual(sorted(sent), ['Alice <alice@example.com>'])
        self.assertEqual(len(emails), 1)
        body = sent['Alice <alice@example.com>'].get_body(
            ('html', 'plain')).get_content()
        self.assertIn("Customer", body)
        self.assertIn("300.00", body)
        self.assertNotIn("700.00", body)

    @with_transaction()
    def test_promise_silences_until_it_passes(self):
        "A promised payment date silences the stage until it passes"
        pool = Pool()
        Stage = pool.get('sale.collection.stage')
        FollowUp = pool.get('sale.followup')
        company, plan = self.build()
        with set_company(company), Transaction().set_context(date=TODAY):
            Stage.scan_overdue()
            advance = Stage(plan.stages[0].id)
            FollowUp.create([{
                        'party': plan.party.id,
                        'collection_stage': advance.id,
                        'employee': advance.employee.id,
                        'date': dt.datetime.combine(TODAY, dt.time(9)),
                        'content': "Called",
                        'promised_date': TODAY + dt.timedelta(days=3),
                        }])
            self.assertEqual(
                Stage.search([('needs_followup', '=', True)]), [])
        with set_company(company), Transaction().set_context(
                date=TODAY + dt.timedelta(days=4)):
            self.assertEqual(
                Stage.search([('needs_followup', '=', True)]), [advance])
