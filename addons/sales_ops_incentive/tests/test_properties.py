# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Property-based tests (hypothesis) of the scorecards (P5.3.1) and of the
pay formula (P8.1): whatever the weights, targets and measured figures, the
scores stay within the achievement cap and the performance pay within the
plan's coefficient cap."""
import datetime as dt
from decimal import Decimal
from unittest.mock import patch

from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

import trytond.tests.test_tryton as test_tryton
from trytond.modules.company.tests import (
    create_company, create_employee, set_company)
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction

from sales_ops_incentive.pay import _months
from sales_ops_policy.tests.tools import rolled_back

CENT = Decimal('0.01')
MAY = (dt.date(2026, 5, 1), dt.date(2026, 5, 31))
# no shrinking on the database: a failure is reported as found
DB_SETTINGS = settings(
    max_examples=20, deadline=None, derandomize=True,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[
        HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
IN_MEMORY = settings(
    max_examples=200, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture])

scores = st.decimals(
    min_value=-50, max_value=400, places=2, allow_nan=False,
    allow_infinity=False)
coefficients = st.decimals(
    min_value=0, max_value=5, places=4, allow_nan=False,
    allow_infinity=False)
amounts = st.decimals(
    min_value=0, max_value=10 ** 6, places=2, allow_nan=False,
    allow_infinity=False)
COMPUTATIONS = ['revenue', 'growth', 'collection_rate']


@st.composite
def compensation_plans(draw):
    "The fields of a compensation plan the validation accepts"
    method = draw(st.sampled_from(['table', 'linear']))
    table = draw(st.lists(
            st.tuples(
                st.decimals(min_value=0, max_value=200, places=2,
                    allow_nan=False, allow_infinity=False),
                coefficients),
            max_size=5, unique_by=lambda c: c[0]))
    return {
        'coefficient_method': method,
        'coefficients': table,
        'minimum_score': draw(st.one_of(st.none(), st.decimals(
                    min_value=0, max_value=150, places=2, allow_nan=False,
                    allow_infinity=False))),
        'maximum_coefficient': draw(coefficients),
        'target_pay': draw(amounts),
        }


@st.composite
def weights(draw, count):
    "count weights in hundredths, each above 0, summing to 100"
    cuts = draw(st.lists(
            st.integers(min_value=1, max_value=9999),
            min_size=count - 1, max_size=count - 1, unique=True))
    bounds = [0, *sorted(cuts), 10000]
    return [Decimal(b - a) * CENT for a, b in zip(bounds, bounds[1:])]


figures = st.tuples(
    st.integers(min_value=-10 ** 8, max_value=10 ** 9).map(
        lambda c: Decimal(c) * CENT),
    st.integers(min_value=0, max_value=10 ** 8).map(
        lambda c: Decimal(c) * CENT))
targets = st.one_of(st.none(), st.integers(
        min_value=1, max_value=10 ** 9).map(lambda c: Decimal(c) * CENT))


class PayFormulaPropertiesTestCase(test_tryton._DBTestCase):
    "The performance pay coefficient (P8.1.1)"

    module = 'sales_ops_incentive'

    def plan(self, values):
        "An unsaved plan of values"
        pool = Pool()
        Plan = pool.get('sale.compensation.plan')
        Coefficient = pool.get('sale.compensation.coefficient')
        values = values.copy()
        values['coefficients'] = [
            Coefficient(minimum_score=m, coefficient=c)
            for m, c in values['coefficients']]
        return Plan(**values)

    @with_transaction()
    def test_coefficient_capped(self):
        """The coefficient of any score is between 0 and the cap, and the
        performance pay never above the target pay times the cap"""
        @IN_MEMORY
        @given(compensation_plans(), st.one_of(st.none(), scores),
            st.integers(min_value=1, max_value=12))
        def check(values, score, months):
            plan = self.plan(values)
            coefficient = plan.coefficient(score)
            self.assertGreaterEqual(coefficient, 0)
            self.assertLessEqual(coefficient, plan.maximum_coefficient)
            target = plan.target_pay * months
            pay = (target * coefficient).quantize(CENT)
            self.assertGreaterEqual(pay, 0)
            self.assertLessEqual(
                pay, (target * plan.maximum_coefficient).quantize(CENT))
            if score is None:
                self.assertEqual(coefficient, 0)
        check()

    @with_transaction()
    def test_coefficient_monotonic(self):
        """A higher score never lowers the coefficient of the linear method
        nor of a table whose coefficients rise with the score"""
        @IN_MEMORY
        @given(compensation_plans(), scores, scores)
        def check(values, score, other):
            values = values.copy()
            values['coefficients'] = list(zip(
                    sorted(m for m, _ in values['coefficients']),
                    sorted(c for _, c in values['coefficients'])))
            plan = self.plan(values)
            low, high = sorted([score, other])
            self.assertLessEqual(
                plan.coefficient(low), plan.coefficient(high))
        check()

    def test_months(self):
        "A period counts for at least one month"
        @given(st.dates(min_value=dt.date(2000, 1, 1)),
            st.integers(min_value=0, max_value=800))
        def check(start, days):
            class Period:
                start_date = start
                end_date = start + dt.timedelta(days=days)
            months = _months(Period)
            self.assertGreaterEqual(months, 1)
            self.assertLessEqual(months, max(1, round((days + 1) / 30.4)))
        check()


class ScorecardPropertiesTestCase(test_tryton._DBTestCase):
    "The scorecards and the pay run computed from any figures"

    module = 'sales_ops_incentive'

    @with_transaction()
    def test_scorecard_bounds(self):
        """Whatever the weights, targets and figures measured: each KPI's
        achievement is from 0 to the cap and its score at most its weight
        times the cap, the total from 0 to the cap, the band and the rank
        follow the total; the pay run's performance pay is from 0 to the
        target pay times the coefficient cap"""
        pool = Pool()
        Configuration = pool.get('sale.configuration')
        Employee = pool.get('company.employee')
        Kpi = pool.get('sale.kpi')
        Period = pool.get('sale.kpi.period')
        Scheme = pool.get('sale.kpi.scheme')
        Scorecard = pool.get('sale.kpi.scorecard')
        Target = pool.get('sale.kpi.target')
        Band = pool.get('sale.kpi.band')
        Team = pool.get('sale.team')
        Plan = pool.get('sale.compensation.plan')
        Run = pool.get('sale.pay.run')

        company = create_company()
        names = ['alice', 'bob', 'carol']
        with set_company(company):
            employees = {n: create_employee(company, n.title())
                for n in [*names, 'sam']}
            Employee.write([employees['sam']], {'sales_role': 'supervisor'})
            Team.create([{
                        'name': "East", 'company': company.id,
                        'start_date': dt.date(2025, 1, 1),
                        'supervisors': [('add', [employees['sam'].id])],
                        'members': [('create', [{
                                        'employee': employees[n].id,
                                        'start_date': dt.date(2025, 1, 1),
                                        } for n in names])],
                        }])
            period, = Period.create([{
                        'company': company.id, 'type': 'month',
                        'name': "2026-05",
                        'start_date': MAY[0], 'end_date': MAY[1],
                        }])
            kpis = [Kpi.search([('computation', '=', c)])[0]
                for c in COMPUTATIONS]
            bands = Band.search([])
            # the singleton and its values exist outside the examples
            Configuration.write(
                [Configuration(1)], {'kpi_achievement_cap': Decimal(150)})

        @DB_SETTINGS
        @given(
            weights(len(COMPUTATIONS)),
            st.integers(min_value=100, max_value=300).map(Decimal),
            st.lists(st.tuples(figures, targets),
                min_size=len(COMPUTATIONS) * len(names),
                max_size=len(COMPUTATIONS) * len(names)),
            compensation_plans())
        # one KPI of weight 1.11 counted: its score 3.30 (297 × 1.11 ÷ 100
        # rounded) scaled to 100 made 297.30, above the cap of 297
        @example(
            shares=[Decimal('3.58'), Decimal('95.31'), Decimal('1.11')],
            cap=Decimal(297),
            cards=[((Decimal(0), Decimal(0)), None)] * 2 + [
                ((Decimal('100'), Decimal('1')), Decimal('1'))] + [
                ((Decimal(0), Decimal(0)), None)] * 6,
            plan_values={
                'coefficient_method': 'linear', 'coefficients': [],
                'minimum_score': None,
                'maximum_coefficient': Decimal('1.5'),
                'target_pay': Decimal('1000')})
        def check(shares, cap, cards, plan_values):
            with rolled_back(), set_company(company):
                Configuration.write(
                    [Configuration(1)], {'kpi_achievement_cap': cap})
                for role in ['salesperson', 'supervisor']:
                    Scheme.create([{
                                'company': company.id, 'role': role,
                                'start_date': dt.date(2026, 1, 1),
                                'lines': [('create', [{
                                                'kpi': k.id, 'weight': w,
                                                } for k, w in zip(
                                                kpis, shares)])],
                                }])
                measured = {k.id: {} for k in kpis}
                to_create = []
                for i, (figure, target) in enumerate(cards):
                    kpi = kpis[i % len(kpis)]
                    employee = employees[names[i // len(kpis)]]
                    measured[kpi.id][employee.id] = figure
                    if target is not None:
                        to_create.append({
                                'period': period.id, 'kpi': kpi.id,
                                'scope': 'employee',
                                'employee': employee.id, 'value': target,
                                })
                Target.create(to_create)
                with patch.object(Kpi, 'measure', return_value=measured):
                    Scorecard.compute([period])
                cards = Scorecard.search([('period', '=', period.id)])
                self.assertEqual(len(cards), len(names) + 1)
                by_scope = {}
                for card in cards:
                    by_scope.setdefault(card.scope, []).append(card)
                    self.assertGreaterEqual(card.total_score, 0)
                    self.assertLessEqual(card.total_score, cap)
                    self.assertEqual(
                        card.band, Band.of_score(bands, card.total_score))
                    for line in card.lines:
                        if line.achievement is None:
                            self.assertIsNone(line.score)
                            continue
                        self.assertGreaterEqual(line.achievement, 0)
                        self.assertLessEqual(line.achievement, cap)
                        self.assertGreaterEqual(line.score, 0)
                        self.assertLessEqual(
                            line.score,
                            (line.weight * cap / 100).quantize(CENT))
                for scope_cards in by_scope.values():
                    for a in scope_cards:
                        for b in scope_cards:
                            if a.total_score > b.total_score:
                                self.assertLess(a.rank, b.rank)
                            elif a.total_score == b.total_score:
                                self.assertEqual(a.rank, b.rank)

                plan = dict(plan_values)
                coefficients = plan.pop('coefficients')
                plan, = Plan.create([{
                            **plan,
                            'company': company.id, 'name': "Sales",
                            'role': 'salesperson', 'base_salary': 0,
                            'start_date': dt.date(2026, 1, 1),
                            'coefficients': [('create', [{
                                            'minimum_score': m,
                                            'coefficient': c,
                                            } for m, c in coefficients])],
                            }])
                run = Run(company=company, period=period)
                lines = [l for l in run._compute_lines()
                    if l.kind == 'performance']
                self.assertEqual(len(lines), len(names))
                target = plan.target_pay * _months(period)
                for line in lines:
                    self.assertGreaterEqual(line.amount, 0)
                    self.assertLessEqual(line.amount, (
                            target * plan.maximum_coefficient).quantize(CENT))
        check()
