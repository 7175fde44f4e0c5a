# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Contract review and signing (P3.3): the role matrix of every transition,
delegation validity, the author rule, reminders and concurrent decisions."""
import datetime as dt
import threading
import time
from contextlib import ExitStack
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

from sales_ops_policy import model as mail_module
from sales_ops_policy.tests.tools import acting_as

TODAY = dt.date(2026, 6, 15)
ROLES = {
    'alice': ["Salesperson"],
    'sam': ["Sales Supervisor"],
    'mary': ["Sales Manager"],
    'lena': ["Legal Reviewer"],
    'sid': ["Authorised Signatory"],
    'fred': ["Finance"],
    'olga': ["Sales Ops Administrator"],
    # a lawyer who also sells: may never review what she drafted
    'paula': ["Salesperson", "Legal Reviewer"],
    }
# The policy's statement of who moves a contract (P3.3): button → the
# roles allowed, from the state the button needs
TRANSITIONS = {
    'submit': ('draft', {'alice', 'sam', 'mary', 'paula'}),
    'cancel': ('draft', {'alice', 'sam', 'mary', 'paula'}),
    'draft': ('cancelled', {'alice', 'sam', 'mary', 'paula'}),
    'sign': ('approved', {'mary', 'sid'}),
    'activate': ('signed', {'alice', 'sam', 'mary', 'paula', 'sid'}),
    'close': ('active', {'mary'}),
    'new_version': ('active', {'alice', 'sam', 'mary', 'paula'}),
    }
DECISIONS = {'approve', 'reject'}


class ContractTestCase(test_tryton._DBTestCase):
    "Test contract review and signing"

    module = 'sales_ops_policy'

    def setUp(self):
        super().setUp()
        self.users, self.employees = {}, {}

    def build(self):
        pool = Pool()
        Group = pool.get('res.group')
        User = pool.get('res.user')
        Team = pool.get('sale.team')
        Party = pool.get('party.party')
        Delegation = pool.get('sale.contract.delegation')

        company = create_company()
        self.employees = {
            n: create_employee(company, n.title()) for n in ROLES}
        self.employees['alice'].supervisor = self.employees['sam']
        self.employees['alice'].save()
        Team.create([{
                    'name': "East", 'company': company.id,
                    'start_date': TODAY - dt.timedelta(days=365),
                    'manager': self.employees['mary'].id,
                    'supervisors': [('add', [self.employees['sam'].id])],
                    'members': [('create', [{
                                    'employee': self.employees[n].id,
                                    'start_date': TODAY - dt.timedelta(
                                        days=365),
                                    } for n in ['alice', 'paula']])],
                    }])
        for login, names in ROLES.items():
            groups = Group.search([('name', 'in', names)])
            employee = self.employees[login]
            self.users[login], = User.create([{
                        'login': login,
                        'name': login.title(),
                        'email': f'{login}@example.com',
                        'groups': [('add', [g.id for g in groups])],
                        'companies': [('add', [company.id])],
                        'company': company.id,
                        'employees': [('add', [employee.id])],
                        'employee': employee.id,
                        }])
        self.customer = Party(name="Customer")
        self.customer.save()
        with set_company(company):
            Delegation.create([{
                        'employee': self.employees['sid'].id,
                        'start_date': TODAY - dt.timedelta(days=30),
                        'end_date': TODAY + dt.timedelta(days=30),
                        'amount_limit': Decimal('200000'),
                        'state': 'granted',
                        }])
        self.company = company
        return company

    def as_user(self, login, today=TODAY):
        "Act as login on today with the access checked"
        Date = Pool().get('ir.date')
        stack = ExitStack()
        stack.enter_context(patch.object(Date, 'today', return_value=today))
        stack.enter_context(acting_as(self.users[login]))
        return stack

    def contract(self, state, author='alice', amount=Decimal('100000')):
        "A contract of author brought to state"
        pool = Pool()
        Contract = pool.get('sale.contract')
        Request = pool.get('approval.request')
        Date = pool.get('ir.date')
        with set_company(self.company), \
                patch.object(Date, 'today', return_value=TODAY):
            contract, = Contract.create([{
                        'party': self.customer.id,
                        'employee': self.employees[author].id,
                        'amount': amount,
                        'signed_document': b'signed',
                        'customer_signed': True,
                        'customer_signed_date': TODAY,
                        }])
            if state == 'draft':
                return contract
            if state == 'cancelled':
                Contract.cancel([contract])
                return contract
            Contract.submit([contract])
            if state == 'review':
                return contract
            Contract.write([contract], {
                    'check_legality': True,
                    'check_completeness': True,
                    'check_accuracy': True,
                    })
            with Transaction().set_user(self.users['lena'].id), \
                    Transaction().set_context(
                        employee=self.employees['lena'].id):
                Request.approve(contract.approvals)
            if state == 'approved':
                return contract
            with Transaction().set_user(self.users['mary'].id), \
                    Transaction().set_context(
                        employee=self.employees['mary'].id):
                Contract.sign([contract])
            if state == 'signed':
                return contract
            Contract.activate([contract])
            return contract

    @with_transaction()
    def test_transition_matrix(self):
        "Each contract button is allowed to its roles only"
        pool = Pool()
        Contract = pool.get('sale.contract')
        self.build()
        checked = 0
        for button, (state, allowed) in TRANSITIONS.items():
            for login in ROLES:
                contract = self.contract(state)
                with self.subTest(button=button, user=login):
                    with self.as_user(login):
                        try:
                            getattr(Contract, button)([Contract(contract.id)])
                        except (AccessButtonError, AccessError):
                            self.assertNotIn(login, allowed)
                        else:
                            self.assertIn(login, allowed)
                            contract = Contract(contract.id)
                            if button == 'new_version':
                                self.assertEqual(
                                    len(contract.next_versions), 1)
                            else:
                                self.assertNotEqual(contract.state, state)
                checked += 1
        self.assertEqual(checked, len(TRANSITIONS) * len(ROLES))

    @with_transaction()
    def test_draft_from_opportunity(self):
        "A contract drafted from an opportunity carries its terms"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Contract = pool.get('sale.contract')
        CreateContract = pool.get('sale.contract.create', type='wizard')
        self.build()
        with set_company(self.company):
            opportunity, = Opportunity.create([{
                        'party': self.customer.id,
                        'employee': self.employees['alice'].id,
                        'description': "Two pumps",
                        'amount': Decimal('120000'),
                        'delivery_date': TODAY + dt.timedelta(days=30),
                        'after_sales_terms': "On-site within 48 hours",
                        }])
        with self.as_user('alice'):
            session_id, _, _ = CreateContract.create()
            with Transaction().set_context(
                    active_model='sale.opportunity',
                    active_id=opportunity.id,
                    active_ids=[opportunity.id]):
                result = CreateContract.execute(session_id, {}, 'open_')
            contract, = Contract.search([])
        self.assertEqual(result['actions'][0][1]['res_id'], [contract.id])
        self.assertEqual(contract.opportunity, opportunity)
        self.assertEqual(contract.amount, Decimal('120000'))
        self.assertEqual(contract.employee, self.employees['alice'])
        self.assertEqual(contract.after_sales_terms, "On-site within 48 hours")
        self.assertIn(
            (TODAY + dt.timedelta(days=30)).strftime('%m/%d/%Y'),
            contract.delivery_terms)
        self.assertEqual(contract.state, 'draft')

    @with_transaction()
    def test_delegation_matrix(self):
        "Only the sales manager grants and revokes signing delegations"
        pool = Pool()
        Delegation = pool.get('sale.contract.delegation')
        self.build()
        for button, state in [('grant', 'draft'), ('revoke', 'granted')]:
            for login in ROLES:
                with set_company(self.company):
                    delegation, = Delegation.create([{
                                'employee': self.employees['sid'].id,
                                'start_date': TODAY,
                                'end_date': TODAY,
                                'amount_limit': Decimal('1000'),
                                'state': state,
                                }])
                with self.subTest(button=button, user=login):
                    with self.as_user(login):
                        try:
                            getattr(Delegation, button)(
                                [Delegation(delegation.id)])
                        except (AccessButtonError, AccessError):
                            self.assertNotEqual(login, 'mary')
                        else:
                            self.assertEqual(login, 'mary')
                            delegation = Delegation(delegation.id)
                            self.assertNotEqual(delegation.state, state)
                            by = {'grant': 'granted_by',
                                'revoke': 'revoked_by'}[button]
                            self.assertEqual(
                                getattr(delegation, by),
                                self.employees['mary'])

    @with_transaction()
    def test_decision_matrix(self):
        "Only legal decides the legal review, never its author"
        pool = Pool()
        Request = pool.get('approval.request')
        self.build()
        deciders = {'lena'}
        for author in ['alice', 'paula']:
            for login in ROLES:
                contract = self.contract('review', author=author)
                request, = contract.approvals
                with self.subTest(author=author, user=login):
                    with self.as_user(login):
                        try:
                            Request.write([Request(request.id)], {
                                    'comment': "Decided"})
                            Request.reject([Request(request.id)])
                        except (AccessButtonError, AccessError, UserError):
                            self.assertFalse(
                                login in deciders
                                or (login == 'paula' and author != 'paula'))
                        else:
                            self.assertTrue(
                                login in deciders
                                or (login == 'paula' and author != 'paula'))
                            self.assertEqual(
                                Request(request.id).state, 'rejected')

    @with_transaction()
    def test_author_not_in_inbox(self):
        "The author's own review is not in their inbox"
        pool = Pool()
        Request = pool.get('approval.request')
        self.build()
        own = self.contract('review', author='paula')
        other = self.contract('review', author='alice')
        with self.as_user('paula'):
            inbox = Request.search([('to_decide', '=', True)])
            self.assertEqual(
                {r.document.id for r in inbox}, {other.id})
            with self.assertRaises(UserError):
                Request.approve(list(Request.browse(own.approvals)))

    @with_transaction()
    def test_delegation_validity(self):
        "A delegation counts on its dates and up to its amount"
        pool = Pool()
        Contract = pool.get('sale.contract')
        self.build()
        day = dt.timedelta(days=1)
        # signing date (also today), amount, whether the delegation covers
        cases = [
            (TODAY, Decimal('200000'), True),
            (TODAY, Decimal('200000.01'), False),
            (TODAY - 30 * day, Decimal('1000'), True),
            (TODAY - 31 * day, Decimal('1000'), False),
            (TODAY + 30 * day, Decimal('1000'), True),
            (TODAY + 31 * day, Decimal('1000'), False),
            ]
        for date, amount, valid in cases:
            contract = self.contract('approved', amount=amount)
            Contract.write([contract], {'signing_date': date})
            with self.subTest(date=date, amount=amount):
                with self.as_user('sid', today=date):
                    if valid:
                        Contract.sign([Contract(contract.id)])
                        self.assertEqual(
                            Contract(contract.id).signed_by,
                            self.employees['sid'])
                    else:
                        with self.assertRaises(UserError):
                            Contract.sign([Contract(contract.id)])
                        self.assertEqual(
                            Contract(contract.id).state, 'approved')
        # no signing ahead of the day
        contract = self.contract('approved')
        Contract.write([contract], {
                'signing_date': TODAY + dt.timedelta(days=1)})
        with self.as_user('sid'), self.assertRaises(UserError):
            Contract.sign([Contract(contract.id)])

    @with_transaction()
    def test_manager_signs_any_amount(self):
        "The sales manager signs without a delegation"
        pool = Pool()
        Contract = pool.get('sale.contract')
        self.build()
        # above the signatory's delegation, below the supervisor's check
        contract = self.contract('approved', amount=Decimal('450000'))
        with self.as_user('mary'):
            Contract.sign([Contract(contract.id)])
        contract = Contract(contract.id)
        self.assertEqual(contract.state, 'signed')
        self.assertIsNone(contract.delegation)

    @with_transaction()
    def test_reminders(self):
        "Reviewers are reminded of steps waiting longer than configured"
        pool = Pool()
        Request = pool.get('approval.request')
        Configuration = pool.get('sale.configuration')
        self.build()
        Configuration.write([Configuration(1)], {'approval_reminder_days': 2})
        old = self.contract('review', author='alice')
        fresh = self.contract('review', author='paula')
        table = Request.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.update(
                [table.create_date],
                [dt.datetime.now() - dt.timedelta(days=3)],
                where=table.id.in_([r.id for r in old.approvals])))
        with patch.object(mail_module, 'send_message_transactional') \
                as send_message, \
                patch.object(mail_module, 'SMTPDataManager'), \
                set_company(self.company):
            Request.send_reminders()
        sent = {msg['To']: msg for (msg,), _ in send_message.call_args_list}
        # legal members are reminded of the old one only; paula as well
        self.assertEqual(
            set(sent),
            {'Lena <lena@example.com>', 'Paula <paula@example.com>'})
        body = sent['Lena <lena@example.com>'].get_body().get_content()
        self.assertIn(old.rec_name, body)
        self.assertNotIn(fresh.rec_name, body)


class ContractConcurrencyTestCase(test_tryton._DBTestCase):
    "Two reviewers deciding the same step at once"

    module = 'sales_ops_policy'

    @classmethod
    def tearDownClass(cls):
        # the committed records must not reach the other test cases
        super().tearDownClass()
        drop_db()

    def setUp(self):
        super().setUp()
        if backend.name != 'postgresql':
            self.skipTest("concurrent transactions need PostgreSQL")

    def run_both(self, func, ids):
        """Run func(ids) in two transactions started together, retried as
        the RPC dispatcher retries them (lock requests, busy rows)"""
        barrier = threading.Barrier(2, timeout=60)
        results = []

        def target():
            extras, first = {}, True
            for attempt in range(20):
                try:
                    with Transaction().start(
                            DB_NAME, self.user, context=self.context,
                            **extras):
                        if first:
                            # both read the record before either decides
                            first = False
                            func(ids, barrier)
                        else:
                            func(ids, None)
                    results.append('ok')
                    return
                except TransactionError as exception:
                    exception.fix(extras)
                except backend.DatabaseOperationalError:
                    time.sleep(0.05 * attempt)
                except Exception as exception:
                    results.append(exception)
                    return
            results.append('gave up')
        threads = [threading.Thread(target=target) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return results

    def test_concurrent_decisions(self):
        "Of two approvals of one step and two signings, one succeeds"
        with Transaction().start(DB_NAME, USER) as transaction:
            pool = Pool()
            Group = pool.get('res.group')
            User = pool.get('res.user')
            Party = pool.get('party.party')
            Contract = pool.get('sale.contract')
            Request = pool.get('approval.request')
            company = create_company()
            author = create_employee(company, "Author")
            reviewer = create_employee(company, "Reviewer")
            group, = Group.search([('name', '=', "Legal Reviewer")])
            manager, = Group.search([('name', '=', "Sales Manager")])
            user, = User.create([{
                        'login': 'reviewer', 'name': "Reviewer",
                        'groups': [('add', [group.id, manager.id])],
                        'companies': [('add', [company.id])],
                        'company': company.id,
                        'employees': [('add', [reviewer.id])],
                        'employee': reviewer.id,
                        }])
            party = Party(name="Customer")
            party.save()
            with set_company(company):
                contract, = Contract.create([{
                            'party': party.id, 'employee': author.id,
                            'amount': Decimal('1000'),
                            'check_legality': True,
                            'check_completeness': True,
                            'check_accuracy': True,
                            'signed_document': b'signed',
                            }])
                Contract.submit([contract])
            request, = contract.approvals
            contract_id, request_id = contract.id, request.id
            transaction.commit()
        self.user = user.id
        self.context = {
            'company': company.id, 'employee': reviewer.id,
            '_check_access': True}

        def approve(ids, barrier):
            Request = Pool().get('approval.request')
            requests = Request.browse(ids)
            if barrier:
                self.assertEqual(requests[0].state, 'waiting')
                barrier.wait()
            Request.approve(requests)

        results = self.run_both(approve, [request_id])
        self.assertEqual(results.count('ok'), 1, results)
        # the second finds the step decided: a clean error, not a crash
        other, = [r for r in results if r != 'ok']
        self.assertIsInstance(other, UserError)

        def sign(ids, barrier):
            Contract = Pool().get('sale.contract')
            contracts = Contract.browse(ids)
            if barrier:
                self.assertEqual(contracts[0].state, 'approved')
                barrier.wait()
            Contract.sign(contracts)

        results = self.run_both(sign, [contract_id])
        self.assertEqual(results.count('ok'), 1, results)
        other, = [r for r in results if r != 'ok']
        self.assertIsInstance(other, UserError)

        with Transaction().start(DB_NAME, USER):
            pool = Pool()
            Request = pool.get('approval.request')
            Contract = pool.get('sale.contract')
            decided = Request.search([
                    ('document', '=', f'sale.contract,{contract_id}'),
                    ('state', '=', 'approved'),
                    ])
            self.assertEqual(len(decided), 1)
            self.assertEqual(Contract(contract_id).state, 'signed')
