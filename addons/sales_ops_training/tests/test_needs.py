# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Training needs from complaints about a product (P7.1) and the training
results read by the incentive scorecards (P7.3)"""
import datetime as dt
from decimal import Decimal

from trytond.modules.company.tests import (
    create_company, create_employee, set_company)
from trytond.pool import Pool
from trytond.tests import test_tryton
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction


class NeedsTestCase(test_tryton._DBTestCase):
    "Test complaint signals and training results"
    module = 'sales_ops_training'

    def build(self):
        "Alice and Paula sell pumps and seals to one customer in Sam's team"
        pool = Pool()
        Party = pool.get('party.party')
        Template = pool.get('product.template')
        Uom = pool.get('product.uom')
        Sale = pool.get('sale.sale')
        Team = pool.get('sale.team')
        Model = pool.get('ir.model')
        ComplaintType = pool.get('sale.complaint.type')
        Date = pool.get('ir.date')

        self.today = Date.today()
        company = create_company()
        self.company = company
        self.employees = {n: create_employee(company, n.title())
            for n in ['sam', 'alice', 'paula']}
        Team.create([{
                    'name': "East", 'company': company.id,
                    'start_date': self.today - dt.timedelta(days=400),
                    'supervisors': [('add', [self.employees['sam'].id])],
                    'members': [('create', [{
                                    'employee': self.employees[n].id,
                                    'start_date': (
                                        self.today - dt.timedelta(days=400)),
                                    } for n in ['alice', 'paula']])],
                    }])
        self.customer, = Party.create([{
                    'name': "Jade Mining",
                    'addresses': [('create', [{}])],
                    }])
        unit, = Uom.search([('name', '=', "Unit")])
        with set_company(company):
            self.pump, self.seal = [
                t.products[0] for t in Template.create([{
                            'name': name, 'type': 'service',
                            'default_uom': unit.id, 'sale_uom': unit.id,
                            'salable': True,
                            'list_price': Decimal(100),
                            'products': [('create', [{}])],
                            } for name in ["Pump", "Seal"]])]
            self.sales = {}
            for login in ['alice', 'paula']:
                self.sales[login], = Sale.create([{
                            'company': company.id,
                            'party': self.customer.id,
                            'invoice_address': self.customer.addresses[0].id,
                            'shipment_address': (
                                self.customer.addresses[0].id),
                            'employee': self.employees[login].id,
                            'sale_date': self.today - dt.timedelta(days=20),
                            'lines': [('create', [{
                                            'product': p.id,
                                            'quantity': 1,
                                            'unit': unit.id,
                                            'unit_price': Decimal(100),
                                            } for p in [self.pump, self.seal]
                                        ])],
                            }])
            # confirmed as history: the complaints are about orders
            Sale.write(list(self.sales.values()), {'state': 'confirmed'})
            self.type, = ComplaintType.create([{
                        'name': "Order",
                        'origin': Model.search(
                            [('name', '=', 'sale.line')])[0].id,
                        }])
            self.sale_type, = ComplaintType.create([{
                        'name': "Sale",
                        'origin': Model.search(
                            [('name', '=', 'sale.sale')])[0].id,
                        }])
        return company

    def complain(self, origin, type_, days, count=1):
        pool = Pool()
        Complaint = pool.get('sale.complaint')
        with set_company(self.company):
            Complaint.create([{
                        'company': self.company.id,
                        'customer': self.customer.id,
                        'type': type_.id,
                        'origin': str(origin),
                        'date': self.today - dt.timedelta(days=days),
                        } for _ in range(count)])

    @with_transaction()
    def test_complaints_per_product(self):
        "Complaints are counted per salesperson and product sold"
        pool = Pool()
        Rule = pool.get('sale.training.need.rule')
        self.build()
        alice_pump = self.sales['alice'].lines[0]
        self.complain(alice_pump, self.type, 10, count=2)
        # a complaint on the whole sale is about each of its products
        self.complain(self.sales['alice'], self.sale_type, 5)
        # outside the window
        self.complain(alice_pump, self.type, 200)
        # Paula's complaint counts for her
        self.complain(self.sales['paula'].lines[1], self.type, 3)

        counts = Rule.complaints(
            [self.employees['alice'], self.employees['paula']],
            self.today - dt.timedelta(days=90), self.today)
        alice, paula = self.employees['alice'].id, self.employees['paula'].id
        self.assertEqual(counts, {
                (alice, self.pump.id): 3,
                (alice, self.seal.id): 1,
                (paula, self.seal.id): 1,
                })

    @with_transaction()
    def test_analysis_complaint_need(self):
        "Three complaints on the pump give Alice a product knowledge need"
        pool = Pool()
        Rule = pool.get('sale.training.need.rule')
        Analysis = pool.get('sale.training.need.analysis')
        Requirement = pool.get('sale.competency.requirement')
        self.build()
        # only the signals: no level is required
        Requirement.delete(Requirement.search([]))
        rule, = Rule.search([('signal', '=', 'complaints')])
        self.assertEqual(rule.threshold, 3)
        self.complain(self.sales['alice'].lines[0], self.type, 10, count=3)
        self.complain(self.sales['paula'].lines[0], self.type, 10, count=2)
        with set_company(self.company):
            analysis, = Analysis.create([{
                        'company': self.company.id,
                        'team': self.employees['alice'].sales_team.id,
                        'date': self.today,
                        }])
            Analysis.compute([analysis])
        need, = analysis.needs
        self.assertEqual(need.employee, self.employees['alice'])
        self.assertEqual(need.competency, rule.competency)
        self.assertEqual(need.source, 'signal')
        self.assertEqual(need.priority, rule.priority)
        self.assertEqual(
            need.reason, "Complaints on products sold: Pump (3)")

    @with_transaction()
    def test_results(self):
        "Enrolled, completed and passed per employee over a period"
        pool = Pool()
        Course = pool.get('sale.training.course')
        Session = pool.get('sale.training.session')
        Enrolment = pool.get('sale.training.enrolment')
        self.build()
        alice, paula = self.employees['alice'], self.employees['paula']
        with set_company(self.company):
            course, = Course.create([{
                        'company': self.company.id, 'name': "Negotiation",
                        'hours': Decimal(8), 'cost': Decimal(0),
                        }])

            def session(days, state='held'):
                start = dt.datetime.combine(
                    self.today + dt.timedelta(days=days), dt.time(9))
                session, = Session.create([{
                            'company': self.company.id,
                            'course': course.id,
                            'start': start,
                            'end': start + dt.timedelta(hours=8),
                            'capacity': 10,
                            'enrolments': [('create', [
                                        {'employee': alice.id},
                                        {'employee': paula.id},
                                        ])],
                            }])
                return session
            held = session(-10)
            old = session(-100)
            cancelled = session(-5)
            Session.cancel([cancelled])
            for enrolment in held.enrolments + old.enrolments:
                Enrolment.write([enrolment], {
                        'state': 'attended',
                        'exam_score': (
                            Decimal(90) if enrolment.employee == alice
                            else Decimal(30)),
                        })
            with Transaction().set_context(
                    employee=self.employees['sam'].id):
                Enrolment.assess(list(held.enrolments))

        results = Enrolment.results(
            [alice, paula], self.today - dt.timedelta(days=30), self.today)
        self.assertEqual(results, {
                alice.id: (1, 1, 1),
                paula.id: (1, 1, 0),
                })
        results = Enrolment.results(
            [alice], self.today - dt.timedelta(days=365), self.today)
        # the older session is attended but not assessed
        self.assertEqual(results, {alice.id: (2, 1, 1)})

    @with_transaction()
    def test_periodic_analysis(self):
        "The monthly task analyses each current team of the company"
        pool = Pool()
        Analysis = pool.get('sale.training.need.analysis')
        Cron = pool.get('ir.cron')
        self.build()
        self.assertIn('sale.training.need.analysis|analyse_teams',
            dict(Cron.method.selection))
        with set_company(self.company):
            analysis, = Analysis.analyse_teams()
        self.assertEqual(analysis.team, self.employees['alice'].sales_team)
        self.assertEqual(analysis.date, self.today)
        self.assertIsNotNone(analysis.computed_at)
        # nobody is assessed: each member needs every required competency
        self.assertEqual(
            {n.employee for n in analysis.needs},
            {self.employees['alice'], self.employees['paula']})
        self.assertEqual({n.source for n in analysis.needs}, {'gap'})
