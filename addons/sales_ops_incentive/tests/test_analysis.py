# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The revenue targets beside the achievement per period (P5.2.1, P5.3.1),
on the orders of the policy module's analysis test."""
import datetime as dt
from decimal import Decimal

from lxml import etree

from trytond.pool import Pool
from trytond.pyson import PYSONDecoder
from trytond.tests import test_tryton
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from sales_ops_policy.tests import test_analysis as policy


class AnalysisTargetTestCase(test_tryton._DBTestCase):
    "Test the revenue targets of the achievement time series"

    module = 'sales_ops_incentive'
    build = policy.AnalysisTestCase.build

    def targets(self, values):
        """Revenue targets of values: (period type, start, scope, record,
        value)"""
        pool = Pool()
        Kpi = pool.get('sale.kpi')
        Period = pool.get('sale.kpi.period')
        Target = pool.get('sale.kpi.target')
        Period.create_year(self.company, 2026)
        revenue, = Kpi.search([('code', '=', 'REV')])
        periods = {(p.type, p.start_date): p for p in Period.search([])}
        Target.create([{
                    'period': periods[type_, start].id,
                    'kpi': revenue.id,
                    'scope': scope,
                    scope: record.id,
                    'value': Decimal(value),
                    } for type_, start, scope, record, value in values])

    @policy.with_orders
    def test_targets(self):
        """The target of the KPI period starting with the row's period and
        the revenue's achievement of it, for salespeople and teams"""
        pool = Pool()
        Employee = pool.get('sale.analysis.achievement.employee.time_series')
        Team = pool.get('sale.analysis.achievement.team.time_series')
        alice = self.employees['alice']
        may, year = dt.date(2026, 5, 1), dt.date(2026, 1, 1)
        self.targets([
                ('month', may, 'employee', alice, 4000),
                ('month', may, 'employee', self.employees['bob'], 1000),
                ('month', may, 'team', self.team, 5000),
                ('year', year, 'employee', alice, 8800),
                ])

        rows = Employee.search([('employee', '=', alice.id)])
        self.assertEqual(
            {r.date: (r.revenue, r.revenue_target, r.achievement)
                for r in rows if r.date.year == 2026}, {
                dt.date(2026, 4, 1): (Decimal(1000), None, None),
                # 3400 of 4000
                may: (Decimal(3400), Decimal(4000), 0.85),
                })
        # Bob's May order was before he joined the team: 3400 of 5000
        row, = Team.search([('date', '=', may)])
        self.assertEqual((row.revenue_target, row.achievement),
            (Decimal(5000), 0.68))
        with Transaction().set_context(period='year'):
            row, = Employee.search([
                    ('employee', '=', alice.id), ('date', '=', year)])
            # 1000 + 3400 of 8800
            self.assertEqual((row.revenue_target, row.achievement),
                (Decimal(8800), 0.5))
            self.assertEqual(
                Employee.export_data([row], ['revenue_target', 'achievement']),
                [[Decimal(8800), 0.5]])
        with Transaction().set_context(period='day'):
            rows = Employee.search([('employee', '=', alice.id)])
            self.assertEqual({r.revenue_target for r in rows}, {None})

    @with_transaction()
    def test_desks_show_scores(self):
        "Each role's desk shows the scores of the open periods"
        pool = Pool()
        ActWindow = pool.get('ir.action.act_window')
        Scorecard = pool.get('sale.kpi.scorecard')
        View = pool.get('ir.ui.view')
        for role in ['salesperson', 'supervisor', 'manager']:
            with self.subTest(role=role):
                action = ActWindow.get(
                    f'sales_ops_policy.act_dashboard_{role}')
                (view_id, _), = action['views']
                board = etree.fromstring(View(view_id).view_get()['arch'])
                self.assertEqual([a.get('name') for a in board.xpath(
                            '//group[@id="score"]/action')],
                    ['sales_ops_incentive.act_scorecard_current'])
        action = ActWindow.get('sales_ops_incentive.act_scorecard_current')
        self.assertEqual(action['res_model'], 'sale.kpi.scorecard')
        self.assertEqual(Scorecard.search(
                PYSONDecoder().decode(action['pyson_domain'])), [])
