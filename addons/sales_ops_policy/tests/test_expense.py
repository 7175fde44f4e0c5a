# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Sales expenses (P6): the role matrix of every button, who reads which
claims, the budget split, the return on expense and two claims submitted at
once against one budget period."""
import datetime as dt
import threading
import time
from decimal import Decimal
from unittest.mock import patch

from trytond import backend
from trytond.exceptions import UserError
from trytond.model.exceptions import AccessButtonError, AccessError
from trytond.modules.company.tests import (
    create_company, create_employee, set_company)
from trytond.pool import Pool
from trytond.tests import test_tryton
from trytond.tests.test_tryton import (
    DB_NAME, USER, drop_db, with_transaction)
from trytond.transaction import Transaction, TransactionError

from sales_ops_policy.tests.tools import acting_as, create_accounting

TODAY = dt.date(2026, 6, 15)
ROLES = {
    'alice': ["Salesperson"],
    'sam': ["Sales Supervisor"],
    'mary': ["Sales Manager"],
    'fred': ["Finance"],
    'lena': ["Legal Reviewer"],
    'olga': ["Sales Ops Administrator"],
    }
# besides the roles: Paula sells in Alice's team, Bob in no team
OTHERS = {
    'paula': ["Salesperson"],
    'bob': ["Salesperson"],
    }
# Sales Supervisor and Sales Manager are children of Salesperson: they hold
# its buttons too
SALES = {'alice', 'sam', 'mary'}
# The policy's statement of who moves the expense documents (P6): model →
# button → (the state the button needs, the roles allowed), from the button
# groups of expense.xml
TRANSITIONS = {
    'sale.expense.claim': {
        'submit': ('draft', SALES),
        'draft': ('cancelled', SALES),
        'cancel': ('submitted', SALES | {'fred'}),
        'post': ('approved', {'fred'}),
        'pay': ('posted', {'fred'}),
        },
    'sale.expense.budget': {
        'split_periods': ('unsplit', {'sam', 'mary', 'olga'}),
        'submit': ('draft', {'sam', 'mary'}),
        'draft': ('cancelled', {'sam', 'mary'}),
        'cancel': ('approved', {'mary'}),
        },
    'sale.expense.preapproval': {
        'request': ('draft', SALES),
        'draft': ('cancelled', SALES),
        'cancel': ('approved', SALES),
        },
    }
# who reads whose claims and pre-approvals; None: no access at all
READERS = {
    'alice': {'alice'},
    'paula': {'paula'},
    'bob': {'bob'},
    'sam': {'alice', 'paula'},
    'mary': {'alice', 'paula', 'bob'},
    'fred': {'alice', 'paula', 'bob'},
    'olga': {'alice', 'paula', 'bob'},
    'lena': None,
    }


class ExpenseMixin:
    "Builds a company with its chart, fiscal year, team, users and budget"

    module = 'sales_ops_policy'

    def setUp(self):
        super().setUp()
        self.users, self.employees = {}, {}

    def today_is(self, today=TODAY):
        "Fix the day of ir.date for the rest of the test"
        Date = Pool().get('ir.date')
        self.enterContext(patch.object(Date, 'today', return_value=today))

    def build(self, today=TODAY, budget=Decimal('12000'), post=True):
        """The company, its accounts and fiscal year of today, the travel
        and entertainment categories, the East team (Sam supervises Alice
        and Paula, Mary manages), the users of ROLES and OTHERS and the
        approved monthly travel budget of East"""
        pool = Pool()
        Account = pool.get('account.account')
        JournalPeriod = pool.get('account.journal.period')
        Journal = pool.get('account.journal')
        PaymentJournal = pool.get('account.payment.journal')
        Configuration = pool.get('sale.configuration')
        Category = pool.get('sale.expense.category')
        Group = pool.get('res.group')
        User = pool.get('res.user')
        Team = pool.get('sale.team')

        if post:
            # posting moves locks the table: ask for the lock at once
            # (with_transaction restarts) rather than after the build
            JournalPeriod.lock()
        company = create_company()
        self.company = company
        with set_company(company):
            fiscalyear, = create_accounting(company, today)
            self.fiscalyear = fiscalyear
            expense, = Account.search([
                    ('type.expense', '=', True),
                    ('company', '=', company.id),
                    ('closed', '!=', True),
                    ], limit=1)
            cash, = Account.search([
                    ('code', '=', '1.1.1'),
                    ('company', '=', company.id),
                    ])
            expense_journal, = Journal.search([('code', '=', 'EXP')])
            cash_journal, = Journal.search([('code', '=', 'CASH')])
            payment_journal = PaymentJournal(
                name="Reimbursements", company=company,
                currency=company.currency, process_method='manual',
                clearing_account=cash, clearing_journal=cash_journal)
            payment_journal.save()
            Configuration.write([Configuration(1)], {
                    'expense_journal': expense_journal.id,
                    'expense_payment_journal': payment_journal.id,
                    })
            self.travel, self.entertainment = Category.create([{
                        'name': "Travel", 'code': 'TRV',
                        'account': expense.id,
                        }, {
                        'name': "Business Entertainment", 'code': 'ENT',
                        'account': expense.id, 'guests_required': True,
                        }])

        self.employees = {
            n: create_employee(company, n.title())
            for n in [*ROLES, *OTHERS]}
        for name in ['alice', 'paula', 'bob']:
            self.employees[name].supervisor = self.employees['sam']
            self.employees[name].save()
        self.team, = Team.create([{
                    'name': "East", 'company': company.id,
                    'start_date': fiscalyear.start_date,
                    'manager': self.employees['mary'].id,
                    'supervisors': [('add', [self.employees['sam'].id])],
                    'members': [('create', [{
                                    'employee': self.employees[n].id,
                                    'start_date': fiscalyear.start_date,
                                    } for n in ['alice', 'paula']])],
                    }])
        self.users = {}
        for login, names in [*ROLES.items(), *OTHERS.items()]:
            groups = Group.search([('name', 'in', names)])
            self.assertEqual(len(groups), len(names), names)
            employee = self.employees[login]
            self.users[login], = User.create([{
                        'login': login,
                        'name': login.title(),
                        'groups': [('add', [g.id for g in groups])],
                        'companies': [('add', [company.id])],
                        'company': company.id,
                        'employees': [('add', [employee.id])],
                        'employee': employee.id,
                        }])
        self.approved_budget = self.budget('approved', team=self.team, lines={
                self.travel: budget})
        return company

    def decide(self, login, requests):
        "Approve requests as the user login"
        pool = Pool()
        Request = pool.get('approval.request')
        with Transaction().set_user(self.users[login].id), \
                Transaction().set_context(
                    employee=self.employees[login].id):
            Request.approve(Request.browse(requests))

    def as_user(self, login):
        "Act as login with the access checked"
        return acting_as(self.users[login])

    def budget(self, state, team=None, split='month', lines=None):
        "A budget prepared by Sam brought to state"
        pool = Pool()
        Budget = pool.get('sale.expense.budget')
        if lines is None:
            lines = {self.travel: Decimal('1200')}
        with set_company(self.company):
            budget, = Budget.create([{
                        'fiscalyear': self.fiscalyear.id,
                        'team': team.id if team else None,
                        'employee': self.employees['sam'].id,
                        'split': split,
                        'lines': [('create', [{
                                        'category': c.id, 'amount': a,
                                        } for c, a in lines.items()])],
                        }])
            if state == 'unsplit':
                return budget
            Budget.split_periods([budget])
            if state == 'draft':
                return budget
            if state == 'cancelled':
                Budget.cancel([budget])
                return budget
            Budget.submit([budget])
            if state == 'submitted':
                return budget
            self.decide('mary', Budget(budget.id).approvals)
            budget = Budget(budget.id)
            self.assertEqual(budget.state, 'approved')
            return budget

    def claim(self, state, login='alice', lines=None, date=None):
        """A claim of login brought to state; lines: (amount, opportunity,
        date) of travel with their receipt"""
        pool = Pool()
        Claim = pool.get('sale.expense.claim')
        date = date or Pool().get('ir.date').today()
        if lines is None:
            lines = [(Decimal('10'), None, date)]
        with set_company(self.company):
            claim, = Claim.create([{
                        'employee': self.employees[login].id,
                        'description': "Customer visit",
                        'lines': [('create', [{
                                        'date': d,
                                        'category': self.travel.id,
                                        'description': "Train",
                                        'amount': a,
                                        'currency': self.company.currency.id,
                                        'opportunity': (
                                            o.id if o else None),
                                        'receipt': b'%PDF receipt',
                                        'receipt_name': 'receipt.pdf',
                                        } for a, o, d in lines])],
                        }])
            if state == 'draft':
                return claim
            if state == 'cancelled':
                Claim.cancel([claim])
                return claim
            Claim.submit([claim])
            if state == 'submitted':
                return claim
            supervisor, finance = sorted(
                Claim(claim.id).approvals, key=lambda r: r.sequence)
            self.decide('sam', [supervisor])
            self.decide('fred', [finance])
            self.assertEqual(Claim(claim.id).state, 'approved')
            if state == 'approved':
                return claim
            Claim.post([claim])
            self.assertEqual(Claim(claim.id).state, 'posted')
            return claim

    def preapproval(self, state, login='alice'):
        "A pre-approval of 500 above the travel budget brought to state"
        pool = Pool()
        PreApproval = pool.get('sale.expense.preapproval')
        with set_company(self.company):
            preapproval, = PreApproval.create([{
                        'employee': self.employees[login].id,
                        'category': self.travel.id,
                        'amount': Decimal('500'),
                        'reason': "Trade fair week",
                        }])
            if state == 'draft':
                return preapproval
            if state == 'cancelled':
                PreApproval.cancel([preapproval])
                return preapproval
            PreApproval.request([preapproval])
            if state == 'requested':
                return preapproval
            self.decide('mary', PreApproval(preapproval.id).approvals)
            self.assertEqual(PreApproval(preapproval.id).state, 'approved')
            return preapproval


class ExpenseTestCase(ExpenseMixin, test_tryton._DBTestCase):
    "Test sales expenses"

    def document(self, model, state):
        return {
            'sale.expense.claim': self.claim,
            'sale.expense.budget': self.budget,
            'sale.expense.preapproval': self.preapproval,
            }[model](state)

    def clean(self, record):
        "Cancel a budget so that the next one may be submitted"
        pool = Pool()
        Budget = pool.get('sale.expense.budget')
        if record.__name__ == 'sale.expense.budget':
            record = Budget(record.id)
            if record.state in {'submitted', 'approved'}:
                Budget.cancel([record])

    def check_done(self, model, button, record):
        "The allowed button did its work"
        record = Pool().get(model)(record.id)
        if button == 'split_periods':
            line, = record.lines
            self.assertEqual(len(line.periods), 12)
        elif button == 'pay':
            self.assertEqual(len(record.payments), 1)
            self.assertEqual(record.payments[0].state, 'processing')
        else:
            self.assertEqual(record.state, {
                    'submit': 'submitted',
                    'draft': 'draft',
                    'cancel': 'cancelled',
                    'post': 'posted',
                    'request': 'requested',
                    }[button])

    @with_transaction()
    def test_transition_matrix(self):
        "Each expense button is allowed to its roles only"
        pool = Pool()
        self.today_is()
        self.build()
        checked = 0
        for model, buttons in TRANSITIONS.items():
            Model = pool.get(model)
            for button, (state, allowed) in buttons.items():
                for login in ROLES:
                    record = self.document(model, state)
                    # outside the sub-test, which would swallow the lock
                    # requests that restart the transaction
                    try:
                        with self.as_user(login):
                            getattr(Model, button)([Model(record.id)])
                    except (AccessButtonError, AccessError) as exception:
                        refused = exception
                    else:
                        refused = None
                    with self.subTest(model=model, button=button, user=login):
                        if refused:
                            self.assertNotIn(login, allowed, refused.message)
                        else:
                            self.assertIn(login, allowed)
                            self.check_done(model, button, record)
                    self.clean(record)
                    checked += 1
        self.assertEqual(
            checked, sum(map(len, TRANSITIONS.values())) * len(ROLES))

    @with_transaction()
    def test_record_rules(self):
        """A salesperson reads their own claims and pre-approvals, the
        supervisor the team's, the manager, finance and the administrator
        all, legal none"""
        pool = Pool()
        Claim = pool.get('sale.expense.claim')
        PreApproval = pool.get('sale.expense.preapproval')
        self.today_is()
        self.build()
        claims = {n: self.claim('draft', login=n)
            for n in ['alice', 'paula', 'bob']}
        preapprovals = {n: self.preapproval('draft', login=n)
            for n in ['alice', 'paula', 'bob']}
        # a submitted claim is read the same
        claims['alice2'] = self.claim('submitted', login='alice')
        for Model, records in [
                (Claim, claims), (PreApproval, preapprovals)]:
            owners = {r.id: n.rstrip('2') for n, r in records.items()}
            for login, readers in READERS.items():
                with self.subTest(model=Model.__name__, user=login):
                    with self.as_user(login):
                        if readers is None:
                            with self.assertRaises(AccessError):
                                Model.search([])
                            continue
                        found = Model.search([])
                        self.assertEqual(
                            {owners[r.id] for r in found}, readers)
                        self.assertEqual(len(found), len([
                                    i for i, o in owners.items()
                                    if o in readers]))
                        hidden = [i for i, o in owners.items()
                            if o not in readers]
                        if hidden:
                            with self.assertRaises(AccessError):
                                Model.read(hidden, ['state'])

    @with_transaction()
    def test_split_periods(self):
        "The split spreads each line exactly over the months or quarters"
        pool = Pool()
        Budget = pool.get('sale.expense.budget')
        self.today_is()
        self.build()
        year = TODAY.year
        lines = {
            self.travel: Decimal('1000.00'),
            self.entertainment: Decimal('100.01'),
            }
        expected = {
            'month': {
                self.travel: [Decimal('83.33')] * 11 + [Decimal('83.37')],
                self.entertainment: [Decimal('8.33')] * 11 + [
                    Decimal('8.38')],
                },
            'quarter': {
                self.travel: [Decimal('250.00')] * 4,
                self.entertainment: [Decimal('25.00')] * 3 + [
                    Decimal('25.01')],
                },
            }
        for split, count in [('month', 12), ('quarter', 4)]:
            budget = self.budget('unsplit', split=split, lines=lines)
            # splitting again replaces the periods
            for _ in range(2):
                Budget.split_periods([Budget(budget.id)])
            budget = Budget(budget.id)
            for line in budget.lines:
                with self.subTest(split=split, category=line.category.code):
                    periods = sorted(line.periods, key=lambda p: p.start_date)
                    self.assertEqual(len(periods), count)
                    self.assertEqual(
                        sum((p.amount for p in periods), Decimal(0)),
                        lines[line.category])
                    self.assertEqual(
                        [p.amount for p in periods],
                        expected[split][line.category])
                    # the periods cover the fiscal year, one after the other
                    self.assertEqual(
                        periods[0].start_date, dt.date(year, 1, 1))
                    self.assertEqual(
                        periods[-1].end_date, dt.date(year, 12, 31))
                    for before, after in zip(periods, periods[1:]):
                        self.assertEqual(
                            after.start_date,
                            before.end_date + dt.timedelta(days=1))
                    if split == 'quarter':
                        self.assertEqual(
                            [(p.start_date.month, p.end_date.month)
                                for p in periods],
                            [(1, 3), (4, 6), (7, 9), (10, 12)])
                        self.assertEqual(
                            [p.name for p in periods],
                            [f'{year} Q{i}' for i in range(1, 5)])
            # the split is what submission checks
            Budget.check_submit([budget])

    @with_transaction()
    def test_return_on_expense(self):
        """The return on expense counts the posted claims of the month and
        the revenue won, per team and channel"""
        pool = Pool()
        Party = pool.get('party.party')
        Channel = pool.get('sale.lead.channel')
        Opportunity = pool.get('sale.opportunity')
        Return = pool.get('sale.expense.return')
        self.today_is()
        self.build()
        fair, website = Channel.create([
                {'name': "Trade Fair", 'code': 'trade_fair'},
                {'name': "Website", 'code': 'website'},
                ])
        customer = Party(name="Jade Mining")
        customer.save()

        def opportunity(channel, amount, login='alice'):
            with set_company(self.company):
                record, = Opportunity.create([{
                            'party': customer.id,
                            'employee': self.employees[login].id,
                            'description': "Pumps",
                            'channel': channel.id,
                            'amount': amount,
                            }])
            return record
        visited = opportunity(fair, Decimal('90000'))  # not won: no revenue
        won = opportunity(fair, Decimal('1000'))
        won_before = opportunity(fair, Decimal('7000'))
        won_web = opportunity(website, Decimal('2500'), login='paula')
        Opportunity.write([won], {
                'state': 'won', 'end_date': dt.date(2026, 6, 12),
                'amount': Decimal('4500'),
                })
        # won in May: outside the period asked
        Opportunity.write([won_before], {
                'state': 'won', 'end_date': dt.date(2026, 5, 28),
                })
        Opportunity.write([won_web], {
                'state': 'won', 'end_date': dt.date(2026, 6, 3),
                })

        june2, june10 = dt.date(2026, 6, 2), dt.date(2026, 6, 10)
        self.claim('posted', lines=[
                (Decimal('300'), visited, june2),
                (Decimal('200'), None, june2),
                ])
        self.claim('posted', login='paula', lines=[
                (Decimal('100'), won, june10),
                ])
        # neither a draft nor a claim in review counts
        self.claim('draft', lines=[(Decimal('250'), visited, june10)])
        self.claim('submitted', lines=[(Decimal('150'), won, june10)])
        # a posted claim of May is outside the period asked
        self.claim('posted', lines=[
                (Decimal('40'), won, dt.date(2026, 5, 20))])

        with self.as_user('mary'), Transaction().set_context(
                from_date=dt.date(2026, 6, 1),
                to_date=dt.date(2026, 6, 30),
                company=self.company.id):
            rows = Return.search([])
            figures = {
                (r.year, r.month, r.team, r.channel): (
                    r.expense, r.revenue, r.ratio, r.period)
                for r in rows}
        self.assertEqual(len(rows), len(figures))
        self.assertEqual(figures, {
                (2026, 6, self.team, fair): (
                    Decimal('400.00'), Decimal('4500.00'), 11.25,
                    '2026-06'),
                (2026, 6, self.team, None): (
                    Decimal('200.00'), Decimal('0'), 0.0, '2026-06'),
                (2026, 6, self.team, website): (
                    Decimal('0'), Decimal('2500.00'), None, '2026-06'),
                })


class ExpenseConcurrencyTestCase(ExpenseMixin, test_tryton._DBTestCase):
    "Two claims submitted at once against one budget period"

    @classmethod
    def tearDownClass(cls):
        # the committed records must not reach the other test cases
        super().tearDownClass()
        drop_db()

    def setUp(self):
        super().setUp()
        if backend.name != 'postgresql':
            self.skipTest("concurrent transactions need PostgreSQL")

    def run_both(self, func, calls):
        """Run func(ids, barrier) in two transactions started together, one
        per (user, context, extras, ids) of calls, retried as the RPC
        dispatcher retries them (lock requests, busy rows)"""
        barrier = threading.Barrier(2, timeout=60)
        results = {}

        def target(index, user, context, extras, ids):
            extras, first = dict(extras), True
            for attempt in range(20):
                try:
                    with Transaction().start(
                            DB_NAME, user, context=context, **extras):
                        if first:
                            # both read before either submits
                            first = False
                            func(ids, barrier)
                        else:
                            func(ids, None)
                    results[index] = 'ok'
                    return
                except TransactionError as exception:
                    exception.fix(extras)
                except backend.DatabaseOperationalError:
                    time.sleep(0.05 * attempt)
                except Exception as exception:
                    results[index] = exception
                    return
            results[index] = 'gave up'
        threads = [threading.Thread(target=target, args=(i, *call))
            for i, call in enumerate(calls)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return [results.get(i, 'crashed') for i in range(len(calls))]

    def commit(self, func):
        """Run func in a transaction committed, restarted on the lock
        requests as with_transaction does"""
        extras = {}
        while True:
            with Transaction().start(DB_NAME, USER, **extras) as transaction:
                try:
                    result = func()
                except TransactionError as exception:
                    transaction.rollback()
                    transaction.tasks.clear()
                    exception.fix(extras)
                    continue
                transaction.commit()
                return result

    def test_concurrent_submissions(self):
        """Of two claims of 600 submitted at once against the 1000 left of
        the month, one goes and the other is refused: never over budget"""
        today = dt.date.today()

        def setup():
            pool = Pool()
            Claim = pool.get('sale.expense.claim')
            Period = pool.get('sale.expense.budget.period')
            self.build(today=today, post=False)
            period, = Period.search([
                    ('budget', '=', self.approved_budget.id),
                    ('start_date', '<=', today),
                    ('end_date', '>=', today),
                    ])
            self.assertEqual(period.amount, Decimal('1000'))
            self.assertEqual(period.remaining, Decimal('1000'))
            claims = {n: self.claim(
                    'draft', login=n, lines=[(Decimal('600'), None, today)])
                for n in ['alice', 'paula']}
            return (
                {n: c.id for n, c in claims.items()}, period.id,
                self.company.id,
                {n: self.users[n].id for n in claims},
                {n: self.employees[n].id for n in claims},
                Claim._table)
        claim_ids, period_id, company_id, users, employees, claim_table = (
            self.commit(setup))

        def submit(ids, barrier):
            pool = Pool()
            Claim = pool.get('sale.expense.claim')
            Period = pool.get('sale.expense.budget.period')
            claims = Claim.browse(ids)
            if barrier:
                self.assertEqual(claims[0].state, 'draft')
                self.assertEqual(
                    Period(period_id).remaining, Decimal('1000'))
                barrier.wait()
            Claim.submit(claims)

        # each holds the lock of its own claim, as after the dispatcher's
        # first retry: the synchronised attempt reaches the budget check
        results = self.run_both(submit, [
                (users[n], {
                        'company': company_id, 'employee': employees[n],
                        '_check_access': True,
                        }, {'_lock_records': {claim_table: [claim_ids[n]]}},
                    [claim_ids[n]])
                for n in ['alice', 'paula']])
        self.assertEqual(results.count('ok'), 1, results)
        other, = [r for r in results if r != 'ok']
        self.assertIsInstance(other, UserError, other)
        # the refused one saw what the other committed
        self.assertIn('400.00', other.message)

        with Transaction().start(DB_NAME, USER):
            pool = Pool()
            Claim = pool.get('sale.expense.claim')
            Period = pool.get('sale.expense.budget.period')
            period = Period(period_id)
            self.assertEqual(period.committed, Decimal('600'))
            self.assertEqual(period.remaining, Decimal('400'))
            self.assertGreaterEqual(period.remaining, 0)
            states = sorted(
                Claim(i).state for i in claim_ids.values())
            self.assertEqual(states, ['draft', 'submitted'])
            submitted, = Claim.search([
                    ('id', 'in', list(claim_ids.values())),
                    ('state', '=', 'submitted'),
                    ])
            self.assertEqual(
                submitted.id, claim_ids[['alice', 'paula'][
                        results.index('ok')]])
            draft, = Claim.search([
                    ('id', 'in', list(claim_ids.values())),
                    ('state', '=', 'draft'),
                    ])
            # nothing of the refused submission stayed
            self.assertEqual(
                [l.budget_period for l in draft.lines], [None])
            self.assertFalse(draft.number)
            self.assertFalse(draft.approvals)
