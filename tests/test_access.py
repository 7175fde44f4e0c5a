# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Access matrix of the sales teams (policy P2): who reads and edits which
opportunities, sales orders and teams."""
from contextlib import ExitStack

from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import (
    create_company, create_employee, set_company)
from trytond.pool import Pool
from trytond.tests import test_tryton
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction, check_access

# who reads which of the two salespeople's records
READ = {
    'alice': {'alice'},
    'bob': {'bob'},
    'sam': {'alice'},
    'tom': {'bob'},
    'mary': {'alice', 'bob'},
    'lena': {'alice', 'bob'},
    'fred': {'alice', 'bob'},
    }
GROUPS = {
    'alice': "Salesperson",
    'bob': "Salesperson",
    'sam': "Sales Supervisor",
    'tom': "Sales Supervisor",
    'mary': "Sales Manager",
    'lena': "Legal Reviewer",
    'fred': "Finance",
    'olga': "Sales Ops Administrator",
    }


class TeamAccessTestCase(test_tryton._DBTestCase):
    "Test the access matrix of sales teams"

    module = 'sales_ops_policy'

    def setUp(self):
        super().setUp()
        # with_transaction rolls back: each test builds its own company
        self.users, self.records = {}, {}

    def build(self):
        pool = Pool()
        Group = pool.get('res.group')
        User = pool.get('res.user')
        Team = pool.get('sale.team')
        Party = pool.get('party.party')
        Opportunity = pool.get('sale.opportunity')
        Sale = pool.get('sale.sale')

        company = create_company()
        employees = {n: create_employee(company, n.title()) for n in GROUPS}
        Team.create([{
                    'name': "East", 'company': company.id,
                    'manager': employees['mary'].id,
                    'supervisors': [('add', [employees['sam'].id])],
                    'members': [('create', [
                                {'employee': employees['alice'].id}])],
                    }, {
                    'name': "West", 'company': company.id,
                    'manager': employees['mary'].id,
                    'supervisors': [('add', [employees['tom'].id])],
                    'members': [('create', [
                                {'employee': employees['bob'].id}])],
                    }])
        for login, group in GROUPS.items():
            group, = Group.search([('name', '=', group)])
            employee = employees[login]
            self.users[login], = User.create([{
                        'login': login,
                        'name': login.title(),
                        'groups': [('add', [group.id])],
                        'companies': [('add', [company.id])],
                        'company': company.id,
                        'employees': [('add', [employee.id])],
                        'employee': employee.id,
                        }])
        customer = Party(name="Customer")
        customer.save()
        with set_company(company):
            for login in ['alice', 'bob']:
                employee = employees[login]
                opportunity = Opportunity(
                    party=customer, employee=employee, description=login)
                opportunity.save()
                sale = Sale(
                    party=customer, employee=employee, description=login)
                sale.save()
                self.records[login] = (opportunity, sale)
        self.company = company
        return company

    def as_user(self, login):
        pool = Pool()
        User = pool.get('res.user')
        user = self.users[login]
        stack = ExitStack()
        stack.enter_context(Transaction().set_user(user.id))
        stack.enter_context(Transaction().set_context(
                User.get_preferences(context_only=True)))
        stack.enter_context(check_access())
        return stack

    @with_transaction()
    def test_read_matrix(self):
        "Each role reads the opportunities and sales of its scope"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Sale = pool.get('sale.sale')
        self.build()
        for login, expected in READ.items():
            for Model in [Opportunity, Sale]:
                with self.subTest(user=login, model=Model.__name__):
                    with self.as_user(login):
                        seen = {r.description for r in Model.search([])}
                    self.assertEqual(seen, expected)

    @with_transaction()
    def test_read_other_refused(self):
        "Reading another salesperson's record by id is refused"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Sale = pool.get('sale.sale')
        self.build()
        bob_opportunity, bob_sale = self.records['bob']
        for login in ['alice', 'sam']:
            for Model, record in [
                    (Opportunity, bob_opportunity), (Sale, bob_sale)]:
                with self.subTest(user=login, model=Model.__name__):
                    with self.as_user(login), \
                            self.assertRaises(AccessError):
                        Model.read([record.id], ['description'])

    @with_transaction()
    def test_write_matrix(self):
        "Salespeople edit their own, supervisors their team's, legal none"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        self.build()
        alice_opportunity = self.records['alice'][0].id
        bob_opportunity = self.records['bob'][0].id
        allowed = [('alice', alice_opportunity), ('sam', alice_opportunity),
            ('mary', bob_opportunity)]
        refused = [('alice', bob_opportunity), ('sam', bob_opportunity),
            ('lena', alice_opportunity), ('fred', alice_opportunity)]
        for login, record in allowed:
            with self.subTest(user=login, record=record):
                with self.as_user(login):
                    Opportunity.write(
                        [Opportunity(record)], {'comment': login})
        for login, record in refused:
            with self.subTest(user=login, record=record):
                with self.as_user(login), self.assertRaises(AccessError):
                    Opportunity.write(
                        [Opportunity(record)], {'comment': login})

    @with_transaction()
    def test_team_edit(self):
        "Only managers edit teams and only administrators create them"
        pool = Pool()
        Team = pool.get('sale.team')
        self.build()
        east, = Team.search([('name', '=', "East")])
        for login in ['alice', 'sam', 'lena']:
            with self.subTest(user=login):
                with self.as_user(login), self.assertRaises(AccessError):
                    Team.write([Team(east.id)], {'code': login})
                with self.as_user(login), self.assertRaises(AccessError):
                    Team.create([{'name': login}])
        with self.as_user('mary'):
            Team.write([Team(east.id)], {'code': 'E'})
            with self.assertRaises(AccessError):
                Team.create([{'name': "North"}])
        with self.as_user('olga'):
            north, = Team.create([{'name': "North"}])
        self.assertEqual(north.company, self.company)

    @with_transaction()
    def test_team_visibility(self):
        "A salesperson or supervisor sees their own team, a manager all"
        pool = Pool()
        Team = pool.get('sale.team')
        self.build()
        expected = {
            'alice': {"East"}, 'sam': {"East"}, 'tom': {"West"},
            'mary': {"East", "West"},
            }
        for login, teams in expected.items():
            with self.subTest(user=login):
                with self.as_user(login):
                    seen = {t.name for t in Team.search([])}
                self.assertEqual(seen, teams)
