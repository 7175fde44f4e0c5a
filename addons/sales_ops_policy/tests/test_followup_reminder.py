# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The daily follow-up reminder (policy P3.1.3) on a fixed date: who gets an
e-mail and which opportunities it lists."""
import datetime as dt
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


class FollowUpReminderTestCase(test_tryton._DBTestCase):
    "Test the daily follow-up reminder"

    module = 'sales_ops_policy'

    def setUp(self):
        super().setUp()
        reset_from = config.get('email', 'from', default='')
        config.set('email', 'from', FROM)
        self.addCleanup(lambda: config.set('email', 'from', reset_from))

    def build(self):
        """Two salespeople with a user each, a third without e-mail, and
        their leads around TODAY"""
        pool = Pool()
        User = pool.get('res.user')
        Party = pool.get('party.party')
        Opportunity = pool.get('sale.opportunity')
        FollowUp = pool.get('sale.followup')

        company = create_company()
        employees = {n: create_employee(company, n.title())
            for n in ['alice', 'bob', 'carl']}
        users = {}
        for login, employee in employees.items():
            users[login], = User.create([{
                        'login': login,
                        'name': login.title(),
                        'email': (
                            f'{login}@example.com' if login != 'carl'
                            else None),
                        'companies': [('add', [company.id])],
                        'company': company.id,
                        'employees': [('add', [employee.id])],
                        'employee': employee.id,
                        }])
        customer, = Party.create([{'name': "Customer"}])

        def lead(description, employee, days, lead_class='A'):
            opportunity, = Opportunity.create([{
                        'description': description,
                        'party': customer.id,
                        'employee': employees[employee].id,
                        'start_date': TODAY - dt.timedelta(days=days),
                        }])
            # the class is computed by the scoring; set it for the test
            Opportunity.write([opportunity], {'lead_class': lead_class})
            return opportunity

        def followup(opportunity, days, next_step_date=None, done=False):
            FollowUp.create([{
                        'party': customer.id,
                        'opportunity': opportunity.id,
                        'employee': opportunity.employee.id,
                        'date': dt.datetime.combine(
                            TODAY - dt.timedelta(days=days), dt.time(9)),
                        'content': "Call",
                        'next_step': "Send the offer",
                        'next_step_date': next_step_date,
                        'next_step_done': done,
                        }])

        with set_company(company):
            self.late = lead("late A", 'alice', 5)
            self.fresh = lead("fresh A", 'alice', 1)
            self.class_b = lead("late B", 'alice', 10, lead_class='B')
            self.followed = lead("followed A", 'alice', 5)
            followup(self.followed, 4)
            self.overdue = lead("overdue B", 'bob', 20, lead_class='B')
            followup(self.overdue, 10, TODAY - dt.timedelta(days=1))
            self.done = lead("done A", 'bob', 20)
            followup(self.done, 10, TODAY - dt.timedelta(days=1), done=True)
            self.due_today = lead("due today", 'bob', 20)
            followup(self.due_today, 10, TODAY)
            self.lost = lead("lost A", 'bob', 20)
            Opportunity.lost([self.lost])
            self.carl = lead("carl A", 'carl', 5)
        return company, users

    def send(self, company):
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Date = pool.get('ir.date')
        with patch.object(Date, 'today', return_value=TODAY), \
                patch.object(mail_module,
                    'send_message_transactional') as send_message, \
                patch.object(mail_module, 'SMTPDataManager'), \
                set_company(company):
            Opportunity.send_followup_reminders()
        return {msg['To']: msg
            for (msg,), _ in send_message.call_args_list}

    @with_transaction()
    def test_needs_followup(self):
        "Needs follow-up: late class-A leads and overdue next steps"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        company, _ = self.build()
        with set_company(company), \
                Transaction().set_context(date=TODAY):
            found = Opportunity.search([('needs_followup', '=', True)])
            self.assertEqual(
                sorted(o.description for o in found),
                ["carl A", "late A", "overdue B"])
            not_found = Opportunity.search([('needs_followup', '=', False)])
            self.assertEqual(len(found) + len(not_found), 9)
            self.assertEqual(
                [o.needs_followup for o in Opportunity.browse(
                        [self.late, self.fresh, self.overdue, self.done])],
                [True, False, True, False])
        # two days later the fresh lead is late and today's step overdue
        with set_company(company), Transaction().set_context(
                date=TODAY + dt.timedelta(days=2)):
            found = Opportunity.search([('needs_followup', '=', True)])
            self.assertEqual(
                sorted(o.description for o in found),
                ["carl A", "due today", "fresh A", "late A", "overdue B"])

    @with_transaction()
    def test_days_configured(self):
        "The days to the first follow-up of a class-A lead are configured"
        pool = Pool()
        Configuration = pool.get('sale.configuration')
        Opportunity = pool.get('sale.opportunity')
        # before the leads: a new configuration rescores the open leads
        Configuration.write([Configuration(1)], {'followup_days_class_a': 0})
        company, _ = self.build()
        with set_company(company), \
                Transaction().set_context(date=TODAY):
            found = Opportunity.search([('needs_followup', '=', True)])
            self.assertIn(self.fresh, found)
        Configuration.write(
            [Configuration(1)], {'followup_days_class_a': None})
        with set_company(company), \
                Transaction().set_context(date=TODAY):
            found = Opportunity.search([('needs_followup', '=', True)])
            self.assertEqual(found, [self.overdue])

    @with_transaction()
    def test_reminder(self):
        "Each owner gets one e-mail listing their opportunities"
        pool = Pool()
        Email = pool.get('ir.email')
        company, users = self.build()
        sent = self.send(company)

        # carl has no e-mail address: no message for him
        self.assertEqual(sorted(sent),
            ['Alice <alice@example.com>', 'Bob <bob@example.com>'])
        alice = sent['Alice <alice@example.com>']
        self.assertEqual(alice['From'], FROM)
        self.assertEqual(alice['Subject'], "Opportunities Needing Follow-up")
        body = alice.get_body(('html', 'plain')).get_content()
        self.assertIn(f'>{self.late.number}<', body)
        self.assertIn("late A", body)
        self.assertIn("without any follow-up", body)
        for other in ["fresh A", "followed A", "late B", "overdue B",
                "carl A"]:
            self.assertNotIn(other, body)

        body = sent['Bob <bob@example.com>'].get_body(
            ('html', 'plain')).get_content()
        self.assertIn("overdue B", body)
        self.assertIn("Send the offer", body)
        for other in ["done A", "due today", "lost A", "late A"]:
            self.assertNotIn(other, body)

        # the e-mails are logged on the users
        emails = Email.search([])
        self.assertEqual(
            sorted(e.resource.id for e in emails),
            sorted([users['alice'].id, users['bob'].id]))

    @with_transaction()
    def test_reminder_nothing_due(self):
        "No e-mail when nothing needs a follow-up"
        pool = Pool()
        FollowUp = pool.get('sale.followup')
        Opportunity = pool.get('sale.opportunity')
        company, _ = self.build()
        FollowUp.write(FollowUp.search([]), {'next_step_done': True})
        Opportunity.write(
            [self.late, self.carl], {'lead_class': 'B'})
        self.assertEqual(self.send(company), {})

    @with_transaction()
    def test_cron_registered(self):
        "The daily task runs the reminder"
        pool = Pool()
        Cron = pool.get('ir.cron')
        cron, = Cron.search([
                ('method', '=', 'sale.opportunity|send_followup_reminders'),
                ])
        self.assertEqual(
            (cron.interval_number, cron.interval_type), (1, 'days'))

    @with_transaction()
    def test_default_date_to_the_second(self):
        "A new follow-up is dated to the second, as the web client edits it"
        FollowUp = Pool().get('sale.followup')
        with patch.object(dt, 'datetime', wraps=dt.datetime) as datetime:
            datetime.now.return_value = dt.datetime(2026, 3, 2, 9, 30, 15, 5)
            date = FollowUp.default_get(['date'])['date']
        self.assertEqual(date, dt.datetime(2026, 3, 2, 9, 30, 15))
