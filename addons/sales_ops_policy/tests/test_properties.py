# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Property-based tests (hypothesis) of the computations of the policy: the
lead score (P3.1.2), the allocation of collections over the stages of a
plan (P3.5.1), the customer tier score (P4.3.1) and the consumption of the
expense budgets (P6.3).  The pure functions take many examples; those
needing the database take a few, each rolled back to a savepoint of one
test transaction."""
import datetime as dt
from decimal import Decimal
from unittest.mock import patch

from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from sql import Literal, Union

from sales_ops_policy.collection import _allocate
from sales_ops_policy.lead import (
    INDUSTRY_FACTORS, SIZE_FACTORS, lead_class, lead_score)

import trytond.tests.test_tryton as test_tryton
from trytond.exceptions import UserError
from trytond.modules.company.tests import (
    create_company, create_employee, set_company)
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from .test_expense import TODAY, ExpenseMixin
from .tools import rolled_back

CENT = Decimal('0.01')
# no shrinking on the database: a failure is reported as found
PHASES = [Phase.explicit, Phase.reuse, Phase.generate]
# the database examples: few, no deadline (a build takes seconds)
DB_SETTINGS = settings(
    max_examples=20, deadline=None, derandomize=True, phases=PHASES,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

weights = st.integers(min_value=0, max_value=100)
money = st.decimals(
    min_value=0, max_value=10 ** 9, places=2, allow_nan=False,
    allow_infinity=False)
cents = st.integers(min_value=1, max_value=10 ** 7).map(
    lambda c: Decimal(c) * CENT)
probability = st.one_of(
    st.none(), st.floats(min_value=0, max_value=1, allow_nan=False))
size = st.sampled_from([None, *SIZE_FACTORS])
industry = st.sampled_from([None, *INDUSTRY_FACTORS])
channel_value = st.one_of(st.none(), st.integers(min_value=0, max_value=100))


@st.composite
def lead_rules(draw):
    "Scoring rules the configuration accepts (check_lead_scoring)"
    rules = {k: draw(weights)
        for k in ['revenue', 'probability', 'size', 'industry', 'channel']}
    rules['total'] = sum(rules.values())
    if not rules['total']:
        rules['revenue'] = rules['total'] = 1
    rules['target'] = float(draw(cents))
    class_b = draw(st.integers(min_value=0, max_value=100))
    rules['class_a'] = draw(st.integers(min_value=class_b, max_value=100))
    rules['class_b'] = class_b
    return rules


class LeadScorePropertiesTestCase(test_tryton.TestCase):
    "The lead score of any input, by the reference function"

    @given(lead_rules(), money, probability, size, industry, channel_value)
    def test_bounds(self, rules, amount, probability, size, industry,
            channel_value):
        "The score is an integer from 0 to 100 and its class follows it"
        score = lead_score(
            rules, amount, probability, size, industry, channel_value)
        self.assertIsInstance(score, int)
        self.assertGreaterEqual(score, 0)
        self.assertLessEqual(score, 100)
        class_ = lead_class(rules, score)
        self.assertEqual(class_, 'A' if score >= rules['class_a']
            else 'B' if score >= rules['class_b'] else 'C')

    @given(lead_rules(), money, money, probability, size, industry,
        channel_value)
    def test_monotonic(self, rules, amount, more, probability, size,
            industry, channel_value):
        "More revenue or more probability never lowers the score"
        low, high = sorted([amount, more])
        self.assertLessEqual(
            lead_score(rules, low, probability, size, industry,
                channel_value),
            lead_score(rules, high, probability, size, industry,
                channel_value))
        self.assertLessEqual(
            lead_score(rules, amount, 0.0, size, industry, channel_value),
            lead_score(rules, amount, probability, size, industry,
                channel_value))

    @given(lead_rules())
    def test_extremes(self, rules):
        "Nothing scores 0, everything at its best scores 100"
        self.assertEqual(lead_score(rules, None, None, None, None, None), 0)
        self.assertEqual(lead_score(
                rules, Decimal(rules['target']), 1.0, 'large', 'good', 100),
            100)


@st.composite
def plans(draw):
    "Stage amounts in due-date order and the net amount collected"
    amounts = draw(st.lists(cents, min_size=1, max_size=6))
    collected = draw(st.integers(
            min_value=-10 ** 7, max_value=7 * 10 ** 7).map(
            lambda c: Decimal(c) * CENT))
    return amounts, collected


class AllocationPropertiesTestCase(test_tryton.TestCase):
    "The collections allocated over the stages (P3.5.1)"

    @given(plans())
    @example(([Decimal('300'), Decimal('700')], Decimal('-50')))
    @example(([Decimal('300'), Decimal('700')], Decimal('1200')))
    def test_allocation(self, plan):
        """The stages share what was collected, in due-date order, never
        more than each stage nor less than nothing"""
        amounts, collected = plan
        before, allocated = Decimal(0), []
        for amount in amounts:
            allocated.append(_allocate(collected, before, amount))
            before += amount
        total = sum(amounts)
        self.assertEqual(
            sum(allocated), min(max(collected, Decimal(0)), total))
        for amount, part in zip(amounts, allocated):
            self.assertGreaterEqual(part, 0)
            self.assertLessEqual(part, amount)
        # a stage is paid only when all earlier stages are
        for i, part in enumerate(allocated):
            if part:
                self.assertEqual(allocated[:i], amounts[:i])


@st.composite
def stage_plans(draw):
    """Stages (due day, amount) of a plan and the collection events (day,
    amount) of its ledger, refunds included; days from the plan date"""
    stages = draw(st.lists(st.tuples(
                st.integers(min_value=0, max_value=90),
                st.integers(min_value=1, max_value=10 ** 6)),
            min_size=1, max_size=4))
    events = draw(st.lists(st.tuples(
                st.integers(min_value=0, max_value=120),
                st.integers(min_value=-10 ** 5, max_value=10 ** 6)),
            max_size=5))
    today = draw(st.integers(min_value=0, max_value=120))
    return ([(d, Decimal(a) * CENT) for d, a in stages],
        [(d, Decimal(a) * CENT) for d, a in events if a], today)


class CollectionPropertiesTestCase(test_tryton._DBTestCase):
    "The allocation of update_collection on the database (P3.5.1)"

    module = 'sales_ops_policy'

    @with_transaction()
    def test_stage_allocation(self):
        """The stages of a plan hold what its ledger collected: their sum is
        the net collection up to the plan's amount, each stage between 0
        and its amount, filled in due-date order, collected on time no more
        than collected"""
        pool = Pool()
        Party = pool.get('party.party')
        Plan = pool.get('sale.collection.plan')
        Stage = pool.get('sale.collection.stage')
        company = create_company()
        employee = create_employee(company, "Alice")
        customer, = Party.create([{'name': "Customer"}])
        start = dt.date(2026, 3, 2)

        @DB_SETTINGS
        @given(stage_plans())
        @example(([(10, Decimal('300')), (40, Decimal('700'))],
                [(5, Decimal('300')), (50, Decimal('-300'))], 60))
        def check(data):
            stages, events, today = data
            with rolled_back(), set_company(company):
                plan, = Plan.create([{
                            'company': company.id,
                            'party': customer.id,
                            'employee': employee.id,
                            'currency': company.currency.id,
                            'amount': sum(a for _, a in stages),
                            'date': start,
                            'stages': [('create', [{
                                            'sequence': i,
                                            'due_date': (
                                                start + dt.timedelta(days=d)),
                                            'amount': a,
                                            'employee': employee.id,
                                            } for i, (d, a) in enumerate(
                                            stages)])],
                            }])

                with patch.object(Plan, '_collection_query',
                            side_effect=self._events(events, start, plan)), \
                        Transaction().set_context(
                            date=start + dt.timedelta(days=today)):
                    Stage.update_collection([plan])
                result = Stage.search([('plan', '=', plan.id)],
                    order=[('due_date', 'ASC'), ('id', 'ASC')])
                net = sum((a for _, a in events), Decimal(0))
                self.assertEqual(
                    sum(s.collected_amount for s in result),
                    min(max(net, Decimal(0)), plan.amount))
                full = True
                for stage in result:
                    self.assertGreaterEqual(stage.collected_amount, 0)
                    self.assertLessEqual(stage.collected_amount, stage.amount)
                    self.assertGreaterEqual(stage.collected_on_time, 0)
                    self.assertLessEqual(
                        stage.collected_on_time, stage.collected_amount)
                    if not full:
                        self.assertEqual(stage.collected_amount, 0)
                    full = stage.collected_amount == stage.amount
                    self.assertEqual(stage.state == 'collected', full)
        check()

    @staticmethod
    def _events(events, start, plan):
        "A stand-in of Plan._collection_query giving the events of the ledger"
        pool = Pool()
        Plan = pool.get('sale.collection.plan')
        Stage = pool.get('sale.collection.stage')
        table = Plan.__table__()

        def query(plan_ids=None):
            selects = [table.select(
                    table.id.as_('plan'),
                    Stage.due_date.sql_cast(Literal(
                            start + dt.timedelta(days=d))).as_('date'),
                    Stage.amount.sql_cast(Literal(a)).as_('amount'),
                    where=table.id == plan.id)
                for d, a in events]
            if not selects:
                return table.select(
                    table.id.as_('plan'), table.date.as_('date'),
                    table.amount.as_('amount'), where=Literal(False))
            elif len(selects) == 1:
                return selects[0]
            return Union(*selects, all_=True)
        return query


class LeadScoreSQLPropertiesTestCase(test_tryton._DBTestCase):
    "The lead score stored by SQL is the reference function's (P3.1.2)"

    module = 'sales_ops_policy'

    @with_transaction()
    def test_sql_is_reference(self):
        """Whatever the rules and the lead, score_leads stores the score and
        the class lead_score() and lead_class() give"""
        pool = Pool()
        Configuration = pool.get('sale.configuration')
        Channel = pool.get('sale.lead.channel')
        Opportunity = pool.get('sale.opportunity')
        Party = pool.get('party.party')
        company = create_company()
        employee = create_employee(company, "Alice")
        with set_company(company):
            # the singleton and its values exist outside the examples
            Configuration.write([Configuration(1)], {'lead_class_a': 70})

        @DB_SETTINGS
        # the probability is required on an opportunity, of 4 digits
        @given(lead_rules(), st.lists(st.tuples(
                    money, st.integers(min_value=0, max_value=10000).map(
                        lambda p: p / 10000),
                    size, industry, channel_value),
                min_size=1, max_size=4))
        def check(rules, leads):
            with rolled_back(), set_company(company):
                Configuration.write([Configuration(1)], {
                        'lead_weight_revenue': rules['revenue'],
                        'lead_weight_probability': rules['probability'],
                        'lead_weight_size': rules['size'],
                        'lead_weight_industry': rules['industry'],
                        'lead_weight_channel': rules['channel'],
                        'lead_revenue_target': Decimal(
                            str(rules['target'])),
                        'lead_class_a': rules['class_a'],
                        'lead_class_b': rules['class_b'],
                        })
                records = []
                for i, (amount, probability, size, industry, value) in (
                        enumerate(leads)):
                    party, = Party.create([{'name': f"P{i}", 'size': size}])
                    channel = None
                    if value is not None:
                        channel, = Channel.create([{
                                    'name': f"C{i}", 'code': f'c{i}',
                                    'score': value,
                                    }])
                    records.extend(Opportunity.create([{
                                    'company': company.id,
                                    'employee': employee.id,
                                    'party': party.id,
                                    'channel': channel.id if channel else None,
                                    'amount': amount,
                                    'conversion_probability': probability,
                                    'industry_fit': industry,
                                    }]))
                for record, (amount, probability, size, industry, value) in (
                        zip(Opportunity.browse(records), leads)):
                    score = lead_score(
                        rules, amount, probability, size, industry, value)
                    self.assertEqual(record.lead_score, score)
                    self.assertEqual(
                        record.lead_class, lead_class(rules, score))
        check()


@st.composite
def tier_inputs(draw):
    "Tier weights sharing 100 points, targets, a potential and payments"
    cuts = sorted(draw(st.lists(
                st.integers(min_value=0, max_value=100),
                min_size=3, max_size=3)))
    shares = [b - a for a, b in zip([0, *cuts], [*cuts, 100])]
    targets = [draw(cents), draw(st.integers(min_value=1, max_value=50)),
        draw(cents)]
    potential = draw(st.one_of(st.none(), money))
    stages = draw(st.lists(st.tuples(
                st.integers(min_value=1, max_value=10 ** 6),
                st.integers(min_value=0, max_value=100)),
            max_size=3))
    return shares, targets, potential, stages


class TierScorePropertiesTestCase(test_tryton._DBTestCase):
    "The customer tier score (P4.3.1)"

    module = 'sales_ops_policy'

    @with_transaction()
    def test_tier_score(self):
        """The tier score is from 0 to 100 whatever the weights, targets,
        potential and payments, and the customer is put in its tier"""
        pool = Pool()
        Configuration = pool.get('sale.configuration')
        Party = pool.get('party.party')
        Plan = pool.get('sale.collection.plan')
        Stage = pool.get('sale.collection.stage')
        Tier = pool.get('sale.customer.tier')
        Date = pool.get('ir.date')
        company = create_company()
        employee = create_employee(company, "Alice")
        today = dt.date(2026, 6, 15)
        plan_table = Plan.__table__()
        stage_table = Stage.__table__()
        cursor = Transaction().connection.cursor()
        with set_company(company):
            Configuration.write([Configuration(1)], {'tier_weight_amount': 40})

        @DB_SETTINGS
        @given(tier_inputs())
        # the tier written by SQL was read from the stale record cache
        @example(([0, 0, 0, 100], [CENT, 1, CENT], None, []))
        def check(data):
            shares, targets, potential, stages = data
            with rolled_back(), set_company(company), \
                    patch.object(Date, 'today', return_value=today):
                Configuration.write([Configuration(1)], {
                        'tier_weight_amount': shares[0],
                        'tier_weight_frequency': shares[1],
                        'tier_weight_potential': shares[2],
                        'tier_weight_payment': shares[3],
                        'tier_amount_target': targets[0],
                        'tier_frequency_target': targets[1],
                        'tier_potential_target': targets[2],
                        })
                customer, = Party.create([{
                            'name': "Customer",
                            'potential_value': potential,
                            'owner': employee.id,
                            }])
                if stages:
                    amounts = [Decimal(a) * CENT for a, _ in stages]
                    plan, = Plan.create([{
                                'company': company.id,
                                'party': customer.id,
                                'employee': employee.id,
                                'currency': company.currency.id,
                                'amount': sum(amounts),
                                'date': today - dt.timedelta(days=90),
                                'stages': [('create', [{
                                                'due_date': (today
                                                    - dt.timedelta(days=30)),
                                                'amount': a,
                                                'employee': employee.id,
                                                } for a in amounts])],
                                }])
                    cursor.execute(*plan_table.update(
                            [plan_table.state], ['confirmed'],
                            where=plan_table.id == plan.id))
                    for stage, (_, percent) in zip(plan.stages, stages):
                        cursor.execute(*stage_table.update(
                                [stage_table.collected_on_time],
                                [stage.amount * percent / 100],
                                where=stage_table.id == stage.id))
                score = Party(customer.id).tier_score
                self.assertGreaterEqual(score, 0)
                self.assertLessEqual(score, 100)
                Party.compute_tiers([customer])
                tier = Party(customer.id).customer_tier
                expected = Tier.of_score(Tier.search([]))(score)
                self.assertEqual(tier.id if tier else None, expected)
                self.assertIsNotNone(tier)
        check()


class BudgetPropertiesTestCase(ExpenseMixin, test_tryton._DBTestCase):
    "The consumption of an expense budget (P6.3)"

    @with_transaction()
    def test_no_overspend(self):
        """Claims submitted one after the other never leave a budget period
        below nothing: a claim within what remains is accepted and spends
        it, one above it is accepted only with a pre-approval covering the
        overrun, else refused with nothing changed"""
        pool = Pool()
        Claim = pool.get('sale.expense.claim')
        Period = pool.get('sale.expense.budget.period')
        self.today_is()
        self.build(budget=Decimal('12000'), post=False)
        period, = Period.search([
                ('budget', '=', self.approved_budget.id),
                ('category', '=', self.travel.id),
                ('start_date', '<=', TODAY), ('end_date', '>=', TODAY),
                ])
        extra = Decimal('500')  # of self.preapproval

        def remaining():
            return Period.get_consumption(
                [Period(period.id)], ['remaining'])['remaining'][period.id]

        def submitted(claim):
            "Submit claim as a call does: all or nothing"
            transaction = Transaction()
            cursor = transaction.connection.cursor()
            cursor.execute('SAVEPOINT submit')
            try:
                with set_company(self.company):
                    Claim.submit([claim])
            except UserError:
                cursor.execute('ROLLBACK TO SAVEPOINT submit')
                transaction.counter += 1
                transaction.cache.clear()
                return False
            finally:
                cursor.execute('RELEASE SAVEPOINT submit')
            return True

        @DB_SETTINGS
        @given(st.lists(st.tuples(
                    st.integers(min_value=1, max_value=80000).map(
                        lambda c: Decimal(c) * CENT),
                    st.booleans()),
                min_size=1, max_size=4))
        @example([(Decimal('1000'), False), (Decimal('0.01'), False)])
        @example([(Decimal('900'), False), (Decimal('600'), True),
                (Decimal('1'), True)])
        def check(claims):
            with rolled_back():
                for amount, preapproved in claims:
                    before = remaining()
                    self.assertGreaterEqual(before, 0)
                    preapproval = (self.preapproval('approved')
                        if preapproved else None)
                    claim = self.claim('draft', lines=[(amount, None, TODAY)])
                    if preapproval:
                        Claim.write([claim], {'preapproval': preapproval.id})
                    refused = not submitted(claim)
                    after = remaining()
                    if amount <= before:
                        self.assertFalse(refused)
                        self.assertEqual(after, before - amount)
                    elif preapproval and amount <= before + extra:
                        self.assertFalse(refused)
                        self.assertEqual(after, before + extra - amount)
                    else:
                        self.assertTrue(refused)
                        # the refusal changed nothing
                        self.assertEqual(after, before)
                        self.assertEqual(Claim(claim.id).state, 'draft')
                    self.assertGreaterEqual(after, 0)
        check()
