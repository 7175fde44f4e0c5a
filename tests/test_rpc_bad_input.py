# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Malformed JSON-RPC calls of a logged-in salesperson: wrong types, a huge
string, negative amounts, unknown ids and another salesperson's records.
Each must answer with a clean error of Tryton (a ``UserError`` and its
kinds: access, validation, domain...) and change nothing in the database.

The calls go through trytond's WSGI application in the test process, on a
test database of Tryton's test framework (``DB_NAME``, ``DB_CACHE``)."""
import base64
import datetime as dt
import json
from decimal import Decimal

from werkzeug.test import Client

from trytond import backend
# imported first: the application refuses to start with threads running,
# as PostgreSQL's cache listener once a transaction ran
from trytond.application import app  # noqa: I100
from trytond.modules.company.tests import (
    create_company, create_employee, set_company)
from trytond.pool import Pool
from trytond.tests import test_tryton
from trytond.tests.test_tryton import DB_NAME
from trytond.transaction import Transaction, TransactionError

from sales_ops_policy.tests.tools import create_accounting

PASSWORD = 'Sales0ps-bad-input'
TODAY = dt.date.today()
HUGE = 'x' * (1024 * 1024)
UNKNOWN = 999999


class RPCBadInputTestCase(test_tryton._DBTestCase):
    "JSON-RPC calls with malformed values answer a clean error"

    module = 'sales_ops_policy'

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.client = Client(app)
        extras = {}
        while True:
            with Transaction().start(DB_NAME, 0, **extras) as transaction:
                try:
                    cls.build()
                except TransactionError as e:
                    # the tables to lock at the start, as with_transaction
                    transaction.rollback()
                    e.fix(extras)
                    continue
                transaction.commit()
                break

    @classmethod
    def build(cls):
        """Alice and Bob, salespeople, each with an opportunity; a travel
        expense category"""
        pool = Pool()
        Account = pool.get('account.account')
        Category = pool.get('sale.expense.category')
        Group = pool.get('res.group')
        Opportunity = pool.get('sale.opportunity')
        Party = pool.get('party.party')
        User = pool.get('res.user')
        company = create_company()
        with set_company(company):
            create_accounting(company, TODAY)
            expense, = Account.search([
                    ('type.expense', '=', True),
                    ('closed', '!=', True),
                    ], limit=1)
            cls.category, = Category.create([{
                        'name': "Travel", 'code': 'TRV',
                        'account': expense.id,
                        }])
        salesperson, = Group.search([('name', '=', "Salesperson")])
        cls.users, cls.opportunities = {}, {}
        cls.customer, = Party.create([{'name': "Customer"}])
        for login in ['alice', 'bob']:
            employee = create_employee(company, login.title())
            cls.users[login], = User.create([{
                        'login': login,
                        'name': login.title(),
                        'password': PASSWORD,
                        'groups': [('add', [salesperson.id])],
                        'companies': [('add', [company.id])],
                        'company': company.id,
                        'employees': [('add', [employee.id])],
                        'employee': employee.id,
                        }])
            with set_company(company):
                cls.opportunities[login], = Opportunity.create([{
                            'company': company.id,
                            'employee': employee.id,
                            'party': cls.customer.id,
                            'description': f"{login.title()}'s lead",
                            'amount': Decimal('1000'),
                            'conversion_probability': 0.5,
                            }])
        # ids only: the records live in the closed transaction
        cls.ids = {
            'company': company.id,
            'currency': company.currency.id,
            'customer': cls.customer.id,
            'category': cls.category.id,
            **{f'{n}_employee': u.employee.id for n, u in cls.users.items()},
            **{f'{n}_lead': o.id for n, o in cls.opportunities.items()},
            }

    def rpc(self, method, params, session=None):
        "The status and the JSON answer of a call"
        headers = {}
        if session:
            headers['Authorization'] = 'Session ' + base64.b64encode(
                session.encode()).decode()
        response = self.client.post(
            f'/{DB_NAME}/rpc/', headers=headers,
            content_type='application/json',
            data=json.dumps({'id': 1, 'method': method, 'params': params}))
        body = response.get_data(as_text=True)
        try:
            body = json.loads(body)
        except ValueError:
            pass
        return response.status_code, body

    def login(self, login):
        "A session of login and the context the client sends"
        status, reply = self.rpc(
            'common.db.login', [login, {'password': PASSWORD}, 'en'])
        self.assertEqual(status, 200, reply)
        user_id, token = reply['result'][:2]
        session = f'{login}:{user_id}:{token}'
        status, reply = self.rpc(
            'model.res.user.get_preferences', [True, {}], session)
        self.assertEqual(status, 200, reply)
        return session, reply['result']

    def snapshot(self):
        "What the calls could change, read as the administrator"
        with Transaction().start(DB_NAME, 0, readonly=True):
            pool = Pool()
            Opportunity = pool.get('sale.opportunity')
            Claim = pool.get('sale.expense.claim')
            ClaimLine = pool.get('sale.expense.claim.line')
            Party = pool.get('party.party')
            return {
                'opportunities': [
                    (o.id, o.description, o.amount, o.conversion_probability,
                        o.employee.id, o.party.id, o.state, o.write_date)
                    for o in Opportunity.search([], order=[('id', 'ASC')])],
                'claims': Claim.search_count([]),
                'claim lines': ClaimLine.search_count([]),
                'parties': [(p.id, p.name, p.write_date)
                    for p in Party.search([], order=[('id', 'ASC')])],
                }

    def assertRefused(self, expected, status, reply):
        """The call was refused as expected: 'UserError' for a Tryton error
        (HTTP 200 with the error of kind UserError: access, validation,
        domain, required...); 'error' for the generic error Tryton gives to
        an unexpected exception (HTTP 200, the exception's message and no
        traceback); else the HTTP status of a refused request"""
        if isinstance(expected, int):
            self.assertEqual(status, expected, reply)
            return
        self.assertEqual(status, 200, reply)
        self.assertIsInstance(reply, dict, reply)
        self.assertNotIn('result', reply)
        kind, args = reply['error']
        if expected == 'UserError':
            self.assertEqual(kind, 'UserError', reply['error'])
            return
        # no traceback given away outside of the development mode
        self.assertEqual(args, '', reply['error'])
        self.assertNotIn('Traceback', kind)

    def test_malformed_calls(self):
        """Every malformed call answers a clean error and changes nothing"""
        session, context = self.login('alice')
        ids = self.ids

        def decimal(value):
            return {'__class__': 'Decimal', 'decimal': value}
        mine = ids['alice_lead']
        bobs = ids['bob_lead']
        opportunity = {
            'company': ids['company'],
            'party': ids['customer'],
            'employee': ids['alice_employee'],
            'description': "New lead",
            'amount': decimal('100'),
            'conversion_probability': 0.5,
            }
        claim = {
            'company': ids['company'],
            'employee': ids['alice_employee'],
            'description': "Visit",
            'lines': [['create', [{
                            'date': {'__class__': 'date',
                                'year': TODAY.year, 'month': TODAY.month,
                                'day': TODAY.day},
                            'category': ids['category'],
                            'description': "Train",
                            'amount': {'__class__': 'Decimal',
                                'decimal': '-120.00'},
                            'currency': ids['currency'],
                            }]]],
            }
        # (what, method, params, the answer expected: see assertRefused)
        calls = [
            # wrong types: Tryton converts the values without checking
            # them, the conversion fails on a generic error
            ("a string for an amount", 'model.sale.opportunity.write',
                [[mine], {'amount': 'a lot'}], 'error'),
            ("a string for a probability", 'model.sale.opportunity.write',
                [[mine], {'conversion_probability': 'likely'}], 'error'),
            ("a list for a Many2One", 'model.sale.opportunity.write',
                [[mine], {'party': [ids['customer']]}], 'error'),
            ("a dict for a Char", 'model.sale.opportunity.write',
                [[mine], {'description': {'text': "lead"}}], 'error'),
            ("a string for a Many2One", 'model.sale.opportunity.create',
                [[{**opportunity, 'party': 'Customer'}]], 'error'),
            ("an unknown field", 'model.sale.opportunity.write',
                [[mine], {'no_such_field': 1}], 'error'),
            ("a string for the ids", 'model.sale.opportunity.write',
                ['all', {'description': "x"}], 422),
            ("a string for a selection", 'model.sale.opportunity.write',
                [[mine], {'industry_fit': 'excellent'}], 'UserError'),
            # huge strings where they are not allowed
            ("a huge selection value", 'model.sale.opportunity.write',
                [[mine], {'industry_fit': HUGE}], 'UserError'),
            ("a huge description on Bob's lead",
                'model.sale.opportunity.write',
                [[bobs], {'description': HUGE}], 'UserError'),
            # negative amounts and out-of-range values
            ("a negative amount", 'model.sale.opportunity.write',
                [[mine], {'amount': decimal('-5000')}], 'UserError'),
            ("a negative amount at creation",
                'model.sale.opportunity.create',
                [[{**opportunity, 'amount': decimal('-1')}]], 'UserError'),
            ("a probability above 100 %", 'model.sale.opportunity.write',
                [[mine], {'conversion_probability': 7.5}], 'UserError'),
            ("a negative expense", 'model.sale.expense.claim.create',
                [[claim]], 'UserError'),
            # unknown ids
            ("reading an unknown id", 'model.sale.opportunity.read',
                [[UNKNOWN], ['description']], 'UserError'),
            ("writing an unknown id", 'model.sale.opportunity.write',
                [[UNKNOWN], {'description': "x"}], 'UserError'),
            ("deleting an unknown id", 'model.sale.opportunity.delete',
                [[UNKNOWN]], 'UserError'),
            ("a button on an unknown id", 'model.sale.opportunity.lost',
                [[UNKNOWN]], 'UserError'),
            # another salesperson's records
            ("reading Bob's lead", 'model.sale.opportunity.read',
                [[bobs], ['description', 'amount']], 'UserError'),
            ("writing Bob's lead", 'model.sale.opportunity.write',
                [[bobs], {'description': "mine now"}], 'UserError'),
            ("taking Bob's lead", 'model.sale.opportunity.write',
                [[bobs], {'employee': ids['alice_employee']}],
                'UserError'),
            ("giving a lead to Bob", 'model.sale.opportunity.write',
                [[mine], {'employee': ids['bob_employee']}], 'UserError'),
            ("deleting Bob's lead", 'model.sale.opportunity.delete',
                [[bobs]], 'UserError'),
            ("a button on Bob's lead", 'model.sale.opportunity.lost',
                [[bobs]], 'UserError'),
            ("a button on Bob's lead with mine",
                'model.sale.opportunity.lost', [[mine, bobs]], 'UserError'),
            ]
        if backend.name != 'sqlite':
            # SQLite does not enforce the foreign keys
            calls.append(("an unknown party",
                    'model.sale.opportunity.create',
                    [[{**opportunity, 'party': UNKNOWN}]], 'UserError'))
        for name, method, params, expected in calls:
            with self.subTest(call=name):
                before = self.snapshot()
                status, reply = self.rpc(
                    method, [*params, context], session)
                self.assertRefused(expected, status, reply)
                self.assertEqual(self.snapshot(), before)

    def test_huge_description(self):
        """A description of 1 MB is a Char without size: it is stored whole
        on the salesperson's own lead, as sent"""
        session, context = self.login('alice')
        mine = self.ids['alice_lead']
        status, reply = self.rpc('model.sale.opportunity.write',
            [[mine], {'description': HUGE}, context], session)
        self.assertEqual((status, reply.get('error')), (200, None))
        status, reply = self.rpc('model.sale.opportunity.read',
            [[mine], ['description'], context], session)
        self.assertEqual(reply['result'][0]['description'], HUGE)
        status, reply = self.rpc('model.sale.opportunity.write',
            [[mine], {'description': "Alice's lead"}, context], session)
        self.assertEqual((status, reply.get('error')), (200, None))

    def test_huge_amount(self):
        """An amount of 1,000 digits has no decimals too many, the only
        check of Tryton's digits: it is refused with a clean error and
        nothing changed, or stored as sent; never half-written"""
        session, context = self.login('alice')
        mine = self.ids['alice_lead']
        huge = '9' * 1000
        before = self.snapshot()
        status, reply = self.rpc('model.sale.opportunity.write',
            [[mine], {'amount': {'__class__': 'Decimal', 'decimal': huge}},
                context], session)
        self.assertEqual(status, 200, reply)
        if 'error' in reply:
            self.assertEqual(self.snapshot(), before)
        else:
            status, reply = self.rpc('model.sale.opportunity.read',
                [[mine], ['amount', 'lead_score'], context], session)
            self.assertEqual(
                Decimal(reply['result'][0]['amount']['decimal']),
                Decimal(huge))
            self.rpc('model.sale.opportunity.write',
                [[mine], {'amount': {'__class__': 'Decimal',
                                'decimal': '1000'}}, context], session)
