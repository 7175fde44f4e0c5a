# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The KPI measures (P5.3.1) on posted invoices, revisits and complaints,
the honours' tie-breaks (P8.2.1) and the objections kept across a
recompute."""
import datetime as dt
from decimal import Decimal

from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import create_employee
from trytond.pool import Pool
from trytond.tests import test_tryton

from sales_ops_incentive.exceptions import KpiError
from sales_ops_policy.tests import tools
from sales_ops_policy.tests.tools import acting_as

TODAY = dt.date(2026, 6, 15)
MAY = (dt.date(2026, 5, 1), dt.date(2026, 5, 31))


# run the test on TODAY with the company built
with_company = tools.with_company(TODAY)


class KpiTestCase(test_tryton._DBTestCase):
    "Test the KPI measures and the honours' tie-breaks"

    module = 'sales_ops_incentive'

    def build(self):
        """The chart of the company and the fiscal years 2025 and 2026,
        Alice and Bob selling in Sam's team, a product costing 600 and
        three customers"""
        pool = Pool()
        Account = pool.get('account.account')
        Category = pool.get('product.category')
        Journal = pool.get('account.journal')
        Employee = pool.get('company.employee')
        Party = pool.get('party.party')
        Team = pool.get('sale.team')
        Template = pool.get('product.template')
        Uom = pool.get('product.uom')

        tools.create_accounting(
            self.company, dt.date(2025, 6, 1), dt.date(2026, 6, 1),
            invoice_sequences=True)
        self.receivable, self.revenue, expense = [Account.search([
                    (f'type.{kind}', '=', True), ('closed', '!=', True),
                    ], limit=1)[0]
            for kind in ['receivable', 'revenue', 'expense']]
        self.journal, = Journal.search([('type', '=', 'revenue')], limit=1)
        category, = Category.create([{
                    'name': "Goods", 'accounting': True,
                    'account_revenue': self.revenue.id,
                    'account_expense': expense.id,
                    }])
        self.employees = {n: create_employee(self.company, n.title())
            for n in ['sam', 'alice', 'bob']}
        Employee.write([self.employees['sam']], {'sales_role': 'supervisor'})
        Team.create([{
                    'name': "East", 'company': self.company.id,
                    'start_date': dt.date(2025, 1, 1),
                    'supervisors': [('add', [self.employees['sam'].id])],
                    'members': [('create', [{
                                    'employee': self.employees[n].id,
                                    'start_date': dt.date(2025, 1, 1),
                                    } for n in ['alice', 'bob']])],
                    }])
        unit, = Uom.search([('name', '=', "Unit")])
        template, = Template.create([{
                    'name': "Pump", 'type': 'service', 'default_uom': unit.id,
                    'salable': True, 'sale_uom': unit.id,
                    'account_category': category.id,
                    'list_price': Decimal(1000),
                    'products': [('create', [{}])],
                    }])
        self.product, = template.products
        self.product.cost_price = Decimal(600)
        self.product.save()
        self.customers = Party.create([{
                    'name': f"C{i}", 'addresses': [('create', [{}])],
                    } for i in range(3)])

    def invoice(self, employee, date, quantity, unit_price=Decimal(1000),
            customer=0, type_='out'):
        """A posted invoice of date for an order of employee; a negative
        quantity makes a credit note"""
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Sale = pool.get('sale.sale')
        sale, = Sale.create([{
                    'company': self.company.id,
                    'party': self.customers[customer].id,
                    'employee': self.employees[employee].id,
                    'sale_date': date,
                    'lines': [('create', [{
                                    'product': self.product.id,
                                    'quantity': abs(quantity),
                                    'unit': self.product.default_uom.id,
                                    'unit_price': unit_price,
                                    }])],
                    }])
        invoice, = Invoice.create([{
                    'company': self.company.id,
                    'type': type_,
                    'party': self.customers[customer].id,
                    'invoice_address': self.customers[customer].addresses[
                        0].id,
                    'account': self.receivable.id,
                    'journal': self.journal.id,
                    'currency': self.company.currency.id,
                    'invoice_date': date,
                    'lines': [('create', [{
                                    'company': self.company.id,
                                    'product': self.product.id,
                                    'account': self.revenue.id,
                                    'quantity': quantity,
                                    'unit': self.product.default_uom.id,
                                    'unit_price': unit_price,
                                    'origin': str(sale.lines[0]),
                                    }])],
                    }])
        Invoice.post([invoice])
        return invoice

    def values(self, code, start, end):
        "{employee name: the figure of the KPI of code}"
        pool = Pool()
        Kpi = pool.get('sale.kpi')
        kpi, = Kpi.search([('code', '=', code)])
        measured = Kpi.measure([kpi], self.company, start, end)[kpi.id]
        names = {e.id: n for n, e in self.employees.items()}
        return {names.get(e): Kpi.value(kpi.computation, *v)
            for e, v in measured.items()}

    @with_company
    def test_revenue_profit_growth(self):
        """Revenue is untaxed and net of credit notes, gross profit takes
        the cost price off, growth compares the same dates last year"""
        self.invoice('alice', dt.date(2025, 5, 10), 2)
        self.invoice('alice', dt.date(2025, 6, 2), 5)
        self.invoice('alice', dt.date(2026, 5, 3), 3)
        self.invoice('alice', dt.date(2026, 5, 20), -1)
        self.invoice('alice', dt.date(2026, 5, 21), 1)
        self.invoice('bob', dt.date(2026, 5, 31), 1, Decimal(800))
        # outside the period
        self.invoice('bob', dt.date(2026, 6, 1), 10)

        self.assertEqual(self.values('REV', *MAY), {
                'alice': Decimal('3000.00'), 'bob': Decimal('800.00')})
        # Alice: 3 × (1000 − 600); Bob: 800 − 600
        self.assertEqual(self.values('GP', *MAY), {
                'alice': Decimal('1200.00'), 'bob': Decimal('200.00')})
        # Alice sold 2000 in May 2025; Bob had no basis
        self.assertEqual(self.values('GROWTH', *MAY), {
                'alice': Decimal('50.00'), 'bob': None})

    @with_company
    def test_satisfaction_revisits_and_complaints(self):
        """Satisfaction averages the revisits done and the complaints
        resolved in the period, a complaint counting for the salesperson
        of the order it is about"""
        pool = Pool()
        Revisit = pool.get('sale.customer.revisit')
        Complaint = pool.get('sale.complaint')
        ComplaintType = pool.get('sale.complaint.type')
        Model = pool.get('ir.model')
        sale_model, = Model.search([('name', '=', 'sale.sale')])
        invoice = self.invoice('bob', dt.date(2026, 4, 10), 1)
        sale = invoice.lines[0].origin.sale
        # a complaint is about a confirmed order: the workflow of the sale
        # is not what is tested here
        Sale = pool.get('sale.sale')
        Sale.write([sale], {
                'state': 'processing',
                'invoice_address': self.customers[0].addresses[0].id,
                })
        Revisit.create([{
                    'party': self.customers[0].id,
                    'company': self.company.id,
                    'employee': self.employees[n].id,
                    'planned_date': date,
                    'date': date,
                    'method': 'visit',
                    'satisfaction': satisfaction,
                    'state': 'done',
                    } for n, date, satisfaction in [
                    ('alice', dt.date(2026, 5, 4), 5),
                    ('alice', dt.date(2026, 5, 18), 4),
                    ('bob', dt.date(2026, 5, 5), 4),
                    # the month before
                    ('bob', dt.date(2026, 4, 28), 1),
                    ]])
        type_, = ComplaintType.create([{
                    'name': "Order",
                    'origin': sale_model.id,
                    }])
        complaints = Complaint.create([{
                    'company': self.company.id,
                    'customer': self.customers[0].id,
                    'type': type_.id,
                    'origin': str(sale),
                    'owner': self.employees[owner].id,
                    'severity': 'low',
                    } for owner in ['alice', 'alice']])
        # resolved in May with satisfaction 1, then one still open
        Complaint.write(complaints[:1], {
                'customer_satisfaction': 1,
                'resolved_at': dt.datetime(2026, 5, 12, 10),
                })
        Complaint.write(complaints[1:], {'customer_satisfaction': 5})

        figures = self.values('CSAT', *MAY)
        # Alice: (5 + 4) / 2; Bob: the revisit 4 and the complaint 1 about
        # his order
        self.assertEqual(figures['alice'], Decimal('4.50'))
        self.assertEqual(figures['bob'], Decimal('2.50'))

    def period(self, weights):
        """The May 2026 period open with the KPIs of weights (code: weight)
        for the salespeople and a revenue target of 1000 each"""
        pool = Pool()
        Kpi = pool.get('sale.kpi')
        Period = pool.get('sale.kpi.period')
        Scheme = pool.get('sale.kpi.scheme')
        Target = pool.get('sale.kpi.target')
        kpis = {k.code: k for k in Kpi.search([])}
        Scheme.create([{
                    'company': self.company.id,
                    'role': 'salesperson',
                    'start_date': dt.date(2026, 1, 1),
                    'lines': [('create', [{
                                    'kpi': kpis[c].id, 'weight': w,
                                    } for c, w in weights.items()])],
                    }])
        period, = Period.search([
                ('type', '=', 'month'), ('start_date', '=', MAY[0])])
        Target.create([{
                    'period': period.id, 'kpi': kpis['REV'].id,
                    'scope': 'employee', 'employee': self.employees[n].id,
                    'value': Decimal(1000),
                    } for n in ['alice', 'bob']])
        Period.open([period])
        Period.compute([period])
        return period

    def honoured(self, period):
        pool = Pool()
        Honour = pool.get('sale.honour')
        Period = pool.get('sale.kpi.period')
        Period.close([period])
        honour, = Honour.search([
                ('period', '=', period.id),
                ('type.period_type', '=', 'month'),
                ])
        return honour

    @with_company
    def test_tie_broken_by_date_reached(self):
        """Equal on revenue and on new customers, the star is who reached
        the target first"""
        pool = Pool()
        Period = pool.get('sale.kpi.period')
        Period.create_year(self.company, 2026)
        # Alice reached 1000 on the 20th, Bob on the 12th
        self.invoice('bob', dt.date(2026, 5, 2), 1, Decimal(500))
        self.invoice('bob', dt.date(2026, 5, 12), 1, Decimal(500))
        self.invoice('alice', dt.date(2026, 5, 20), 1)
        period = self.period({'REV': 100})

        honour = self.honoured(period)
        self.assertEqual(honour.employee, self.employees['bob'])
        self.assertEqual(honour.achieved_date, dt.date(2026, 5, 12))
        self.assertEqual(honour.tie_figure, 0)
        self.assertTrue(honour.reason)

    @with_company
    def test_tie_kpi_outside_scheme(self):
        """The tie KPI is measured even when the scheme does not weight it:
        equal on revenue, the higher gross profit wins"""
        pool = Pool()
        HonourType = pool.get('sale.honour.type')
        Kpi = pool.get('sale.kpi')
        Period = pool.get('sale.kpi.period')
        Period.create_year(self.company, 2026)
        star, = HonourType.search([('period_type', '=', 'month')])
        gross_profit, = Kpi.search([('code', '=', 'GP')])
        HonourType.write([star], {'tie_kpi': gross_profit.id})
        # 1000 each: Alice sells one pump, Bob two at half price
        self.invoice('bob', dt.date(2026, 5, 2), 2, Decimal(500))
        self.invoice('alice', dt.date(2026, 5, 3), 1)
        period = self.period({'REV': 100})

        honour = self.honoured(period)
        self.assertEqual(honour.employee, self.employees['alice'])
        self.assertEqual(honour.tie_figure, Decimal('400.00'))

    @with_company
    def test_objection_kept_across_recompute(self):
        """An objection follows its employee's scorecard and figure when
        the period is computed again"""
        pool = Pool()
        Objection = pool.get('sale.kpi.objection')
        Period = pool.get('sale.kpi.period')
        Scorecard = pool.get('sale.kpi.scorecard')
        Period.create_year(self.company, 2026)
        self.invoice('alice', dt.date(2026, 5, 3), 1)
        period = self.period({'REV': 60, 'GP': 40})
        scorecard, = Scorecard.search([
                ('period', '=', period.id),
                ('employee', '=', self.employees['alice'].id),
                ])
        line, = [l for l in scorecard.lines if l.kpi.code == 'GP']
        objection, = Objection.create([{
                    'scorecard': scorecard.id,
                    'line': line.id,
                    'reason': "The pump's cost is 500, not 600.",
                    }])

        self.invoice('alice', dt.date(2026, 5, 30), 1)
        Period.compute([period])
        objection = Objection(objection.id)
        self.assertNotEqual(objection.scorecard.id, scorecard.id)
        self.assertEqual(objection.scorecard.employee, self.employees['alice'])
        self.assertEqual(objection.line.kpi.code, 'GP')
        self.assertEqual(objection.line.actual, Decimal('800.00'))
        self.assertEqual(objection.state, 'open')

    def as_user(self, login, group):
        "Act as a new user of login in group, with the access checked"
        pool = Pool()
        Group = pool.get('res.group')
        User = pool.get('res.user')
        group, = Group.search([('name', '=', group)])
        employee = self.employees[login]
        user, = User.create([{
                    'login': login, 'name': login.title(),
                    'groups': [('add', [group.id])],
                    'companies': [('add', [self.company.id])],
                    'company': self.company.id,
                    'employees': [('add', [employee.id])],
                    'employee': employee.id,
                    }])
        return acting_as(user)

    def may_revenue(self):
        "The periods of 2026 made; May's month and the revenue KPI"
        pool = Pool()
        Kpi = pool.get('sale.kpi')
        Period = pool.get('sale.kpi.period')
        Period.create_year(self.company, 2026)
        period, = Period.search([
                ('type', '=', 'month'), ('start_date', '=', MAY[0])])
        revenue, = Kpi.search([('code', '=', 'REV')])
        return period, revenue

    @with_company
    def test_target_rules(self):
        """The manager sets every target, a supervisor those of the team's
        salespeople; a salesperson reads their own and their team's and
        department's; targets freeze when the period opens"""
        pool = Pool()
        Employee = pool.get('company.employee')
        Period = pool.get('sale.kpi.period')
        Target = pool.get('sale.kpi.target')
        period, revenue = self.may_revenue()
        self.employees['dave'] = create_employee(self.company, "Dave")
        Employee.write([self.employees['sam']], {
                'supervisor': self.employees['dave'].id})

        def values(scope, who=None, value=1000):
            return {
                'period': period.id, 'kpi': revenue.id, 'scope': scope,
                'employee': self.employees[who].id if who else None,
                'value': Decimal(value),
                }
        department, alice, bob = Target.create([
                values('company', value=2000),
                values('employee', 'alice'), values('employee', 'bob')])
        dave = Target.create([values('employee', 'dave')])

        with self.as_user('alice', "Salesperson"):
            self.assertEqual(
                {t.id for t in Target.search([])},
                {department.id, alice.id})
        with self.as_user('sam', "Sales Supervisor"):
            self.assertEqual(
                {t.id for t in Target.search([])},
                {department.id, alice.id, bob.id})
            Target.write([Target(alice.id)], {'value': Decimal(1200)})
            with self.assertRaises(AccessError):
                Target.write([Target(department.id)], {'value': Decimal(1)})
            with self.assertRaises(AccessError):
                Target.write(dave, {'value': Decimal(1)})
        self.assertEqual(Target(alice.id).value, Decimal(1200))

        Target.write([bob], {'value': Decimal(800)})
        Period.open([period])
        with self.assertRaisesRegex(KpiError, "Targets are set while"):
            Target.write([alice], {'value': Decimal(1000)})
        with self.assertRaisesRegex(KpiError, "Targets are set while"):
            Target.create([values('employee', 'dave', 5)])

    @with_company
    def test_other_teams_hidden(self):
        """A salesperson and a supervisor read the targets of their own team
        and of the department, not those of another team, whose name they
        may not read"""
        pool = Pool()
        Target = pool.get('sale.kpi.target')
        Team = pool.get('sale.team')
        period, revenue = self.may_revenue()
        self.employees['walt'] = create_employee(self.company, "Walt")
        east, = Team.search([('name', '=', "East")])
        west, = Team.create([{
                    'name': "West", 'company': self.company.id,
                    'start_date': dt.date(2025, 1, 1),
                    'members': [('create', [{
                                    'employee': self.employees['walt'].id,
                                    'start_date': dt.date(2025, 1, 1),
                                    }])],
                    }])
        department, east_target, west_target = Target.create([{
                    'period': period.id, 'kpi': revenue.id, 'scope': scope,
                    'team': team.id if team else None,
                    'value': Decimal(1000),
                    } for scope, team in [
                    ('company', None), ('team', east), ('team', west)]])
        for login, group in [
                ('alice', "Salesperson"), ('sam', "Sales Supervisor")]:
            with self.subTest(login=login), self.as_user(login, group):
                targets = Target.search([])
                self.assertEqual(
                    {t.id for t in targets}, {department.id, east_target.id})
                # the list shows each row's team, read as the client does
                self.assertEqual(
                    {(r['team.'] or {}).get('rec_name')
                        for r in Target.read(
                            [t.id for t in targets], ['team.rec_name'])},
                    {None, "East"})
                with self.assertRaises(AccessError):
                    Team.read([west.id], ['rec_name'])

    @with_company
    def test_copied_targets_add_up(self):
        """Copying targets with a growth keeps the team's and the
        department's the sum of those below, whatever the rounding"""
        pool = Pool()
        Kpi = pool.get('sale.kpi')
        Period = pool.get('sale.kpi.period')
        Target = pool.get('sale.kpi.target')
        Team = pool.get('sale.team')
        Period.create_year(self.company, 2026)
        april, may = Period.search([
                ('type', '=', 'month'),
                ('start_date', 'in', [dt.date(2026, 4, 1), MAY[0]]),
                ], order=[('start_date', 'ASC')])
        revenue, = Kpi.search([('code', '=', 'REV')])
        team, = Team.search([])

        def values(scope, value, who=None):
            return {
                'period': april.id, 'kpi': revenue.id, 'scope': scope,
                'team': team.id if scope != 'company' else None,
                'employee': self.employees[who].id if who else None,
                'value': Decimal(value),
                }
        Target.create([
                values('company', '200.10'), values('team', '200.10'),
                values('employee', '100.05', 'alice'),
                values('employee', '100.05', 'bob')])

        Target.copy_to(april, may, Decimal(10))

        copied = {(t.scope, t.employee): t.value
            for t in Target.search([('period', '=', may.id)])}
        alice, bob = self.employees['alice'], self.employees['bob']
        # 100.05 grown by 10 % is 110.055, rounded 110.06 each
        self.assertEqual(copied, {
                ('company', None): Decimal('220.12'),
                ('team', None): Decimal('220.12'),
                ('employee', alice): Decimal('110.06'),
                ('employee', bob): Decimal('110.06'),
                })
        Period.open([may])
        self.assertEqual(may.state, 'open')
