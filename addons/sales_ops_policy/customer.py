# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Customer files, revisits, care and tiers (policy P4.1, P4.2.1, P4.2.2, P4.3)"
import datetime as dt
import logging
from collections import defaultdict
from decimal import Decimal

from sql import Literal, Null, With
from sql.aggregate import Count, Max, Sum
from sql.conditionals import Case, Coalesce
from sql.functions import Extract

from trytond import backend
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, Unique, Workflow, fields,
    sequence_ordered)
from trytond.modules.company.model import employee_field, set_employee
from trytond.model.fields import SQL_OPERATORS
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.report import Report
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .collection import _decimal
from .exceptions import CustomerValidationError, TierConfigurationError
from .model import (
    check_satisfaction, notify_employees, send_notifications)
from .sale import _date

logger = logging.getLogger(__name__)

# The tier criteria, each with its weight and target field (P4.3.1)
TIER_CRITERIA = ['amount', 'frequency', 'potential', 'payment']
TIER_FIELDS = {
    'tier_window_days', 'tier_amount_target', 'tier_frequency_target',
    'tier_potential_target',
    *(f'tier_weight_{c}' for c in TIER_CRITERIA)}
# Facts of the customer file whose change is logged (P4.1.2)
# (the tier is logged by the tier computation, its only writer)
TRACKED_FACTS = [
    'owner', 'contact_person', 'contact_birthday',
    'decision_maker', 'key_needs', 'industry', 'size', 'potential_value']
# Facts whose change the owner's supervisor hears of
KEY_FACTS = {'owner', 'customer_tier', 'contact_person', 'decision_maker'}
SALE_STATES = ['confirmed', 'processing', 'done']


class Configuration(metaclass=PoolMeta):
    __name__ = 'sale.configuration'

    tier_window_days = fields.Integer(
        "Tier Window", required=True,
        domain=[('tier_window_days', '>', 0)],
        help="The rolling number of days of purchases and payments the "
        "customer tier is computed from.")
    tier_weight_amount = fields.Integer(
        "Purchase Amount Weight", required=True,
        domain=[('tier_weight_amount', '>=', 0)])
    tier_weight_frequency = fields.Integer(
        "Purchase Frequency Weight", required=True,
        domain=[('tier_weight_frequency', '>=', 0)])
    tier_weight_potential = fields.Integer(
        "Potential Value Weight", required=True,
        domain=[('tier_weight_potential', '>=', 0)])
    tier_weight_payment = fields.Integer(
        "Payment Behaviour Weight", required=True,
        domain=[('tier_weight_payment', '>=', 0)],
        help="Weight of the share of the amounts due in the window that "
        "were paid on time.")
    tier_amount_target = fields.Numeric(
        "Purchase Amount Target", digits=(16, 2), required=True,
        domain=[('tier_amount_target', '>', 0)],
        help="The untaxed amount bought in the window that gives all the "
        "points of the criterion.")
    tier_frequency_target = fields.Integer(
        "Purchase Frequency Target", required=True,
        domain=[('tier_frequency_target', '>', 0)],
        help="The number of orders in the window that gives all the points "
        "of the criterion.")
    tier_potential_target = fields.Numeric(
        "Potential Value Target", digits=(16, 2), required=True,
        domain=[('tier_potential_target', '>', 0)],
        help="The potential value that gives all the points of the "
        "criterion.")
    review_days = fields.Integer(
        "Review Interval", required=True,
        domain=[('review_days', '>', 0)],
        help="Days between two reviews of the file of a customer without "
        "tier.")
    care_days_ahead = fields.Integer(
        "Care Days Ahead", required=True,
        domain=[('care_days_ahead', '>=', 0)],
        help="How many days before a birthday or holiday its care action "
        "is prepared.")

    @classmethod
    def default_tier_window_days(cls):
        return 365

    @classmethod
    def default_tier_weight_amount(cls):
        return 40

    @classmethod
    def default_tier_weight_frequency(cls):
        return 20

    @classmethod
    def default_tier_weight_potential(cls):
        return 20

    @classmethod
    def default_tier_weight_payment(cls):
        return 20

    @classmethod
    def default_tier_amount_target(cls):
        return Decimal(100000)

    @classmethod
    def default_tier_frequency_target(cls):
        return 12

    @classmethod
    def default_tier_potential_target(cls):
        return Decimal(100000)

    @classmethod
    def default_review_days(cls):
        return 180

    @classmethod
    def default_care_days_ahead(cls):
        return 3

    @classmethod
    def validate_fields(cls, configurations, field_names):
        super().validate_fields(configurations, field_names)
        if not field_names or field_names & TIER_FIELDS:
            cls.check_tier_weights(configurations)

    @classmethod
    def check_tier_weights(cls, configurations):
        "The weights of the tier criteria share 100 points (P4.3.1)"
        for configuration in configurations:
            total = sum(
                getattr(configuration, f'tier_weight_{c}') or 0
                for c in TIER_CRITERIA)
            if total != 100:
                raise TierConfigurationError(gettext(
                        'sales_ops_policy.msg_tier_weights_sum',
                        total=total))


class Tier(sequence_ordered(), DeactivableMixin, ModelSQL, ModelView):
    "Customer Tier"
    __name__ = 'sale.customer.tier'
    __string__ = "Customer Tier"
    name = fields.Char("Name", required=True, translate=True)
    code = fields.Char("Code", required=True)
    min_score = fields.Integer(
        "From Score", required=True,
        domain=[('min_score', '>=', 0), ('min_score', '<=', 100)],
        help="The lowest score of the tier.")
    max_score = fields.Integer(
        "To Score",
        domain=['OR',
            ('max_score', '=', None),
            ('max_score', '>', Eval('min_score', 0)),
            ],
        help="The score from which the next tier starts; "
        "leave empty for the top tier.")
    revisit_days = fields.Integer(
        "Revisit Interval", required=True,
        domain=[('revisit_days', '>', 0)],
        help="Days between two revisits of a customer of the tier "
        "(P4.2.1).")
    review_days = fields.Integer(
        "Review Interval", required=True,
        domain=[('review_days', '>', 0)],
        help="Days between two reviews of the customer file (P4.1.2).")
    discount_limit = fields.Numeric(
        "Discount Limit", digits=(4, 4),
        domain=['OR', ('discount_limit', '=', None),
            [('discount_limit', '>=', 0), ('discount_limit', '<=', 1)]],
        help="The largest discount a salesperson may give a customer of "
        "the tier without approval; empty for the company's limit.")
    credit_limit = fields.Numeric(
        "Default Credit Limit", digits=(16, 2),
        domain=['OR', ('credit_limit', '=', None),
            ('credit_limit', '>=', 0)],
        help="The credit limit given to a customer entering the tier, "
        "unless its limit was set by hand.")
    service_priority = fields.Selection([
            ('high', "High"),
            ('normal', "Normal"),
            ('low', "Low"),
            ], "Service Priority", required=True,
        help="How fast the requests of the customers of the tier are "
        "served (P4.3.2).")
    service_priority_string = service_priority.translated('service_priority')
    strategy = fields.Text(
        "Strategy", translate=True,
        help="The service and sales strategy for the tier (P4.3.2).")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('code_unique', Unique(t, t.code),
                'sales_ops_policy.msg_tier_code_unique'),
            ]
        cls._order = [('min_score', 'DESC'), ('id', 'DESC')]

    @classmethod
    def default_service_priority(cls):
        return 'normal'

    @classmethod
    def validate_fields(cls, tiers, field_names):
        super().validate_fields(tiers, field_names)
        if not field_names or field_names & {
                'min_score', 'max_score', 'active'}:
            cls.check_overlap()

    @classmethod
    def check_overlap(cls):
        "The score ranges of the active tiers do not overlap (P4.3.1)"
        tiers = sorted(cls.search([]), key=lambda t: t.min_score)
        for lower, upper in zip(tiers, tiers[1:]):
            if lower.max_score is None or lower.max_score > upper.min_score:
                raise TierConfigurationError(gettext(
                        'sales_ops_policy.msg_tier_overlap',
                        tier=lower.rec_name, other=upper.rec_name))

    @classmethod
    def of_score(cls, tiers):
        "A function giving the tier id of a score among the tiers"
        ranges = sorted(
            ((t.min_score, t.max_score, t.id) for t in tiers), reverse=True)

        def tier(score):
            for min_score, max_score, id_ in ranges:
                if score >= min_score and (
                        max_score is None or score < max_score):
                    return id_
        return tier


class TierHistory(ModelSQL, ModelView):
    "Customer Tier History"
    __name__ = 'sale.customer.tier.history'
    __string__ = "Customer Tier History"
    party = fields.Many2One(
        'party.party', "Customer", required=True, readonly=True,
        ondelete='CASCADE')
    date = fields.Date("Date", required=True, readonly=True)
    tier = fields.Many2One(
        'sale.customer.tier', "Tier", readonly=True, ondelete='RESTRICT')
    previous_tier = fields.Many2One(
        'sale.customer.tier', "Previous Tier", readonly=True,
        ondelete='RESTRICT')
    score = fields.Integer("Score", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.party, Index.Range())))
        cls._order = [('date', 'DESC'), ('id', 'DESC')]


class Change(ModelSQL, ModelView):
    "Customer File Change"
    __name__ = 'sale.customer.change'
    __string__ = "Customer File Change"
    party = fields.Many2One(
        'party.party', "Customer", required=True, readonly=True,
        ondelete='CASCADE')
    field = fields.Many2One(
        'ir.model.field', "Fact", required=True, readonly=True,
        ondelete='CASCADE')
    old_value = fields.Char("Old Value", readonly=True)
    new_value = fields.Char("New Value", readonly=True)
    key = fields.Boolean(
        "Key Change", readonly=True,
        help="The owner's supervisor was told of it.")
    user = fields.Function(
        fields.Many2One('res.user', "By"), 'get_audit')
    date = fields.Function(fields.Timestamp("Date"), 'get_audit')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.party, Index.Range())))
        cls._order = [('create_date', 'DESC'), ('id', 'DESC')]

    def get_audit(self, name):
        if name == 'user':
            return self.create_uid.id
        return self.create_date

    @classmethod
    def log(cls, old, parties, field_names):
        """Record the changes of the tracked facts of parties from the old
        values (per party id and field name) and notify the supervisors of
        key changes"""
        pool = Pool()
        Field = pool.get('ir.model.field')
        Party = pool.get('party.party')
        fields_ = {f.name: f for f in Field.search([
                    ('model', '=', 'party.party'),
                    ('name', 'in', list(field_names)),
                    ])}
        changes = []
        for party in parties:
            for name in field_names:
                before = old[party.id].get(name)
                after = _fact_value(party, name)
                if before != after:
                    changes.append(cls(
                            party=party, field=fields_[name],
                            old_value=before, new_value=after,
                            key=name in KEY_FACTS))
        with without_check_access():
            cls.save(changes)
        Party.notify_key_changes([c.id for c in changes if c.key])
        return changes


def _fact_value(party, name):
    "The text of a fact of the customer file as logged"
    value = getattr(party, name)
    if value is None:
        return None
    if isinstance(value, ModelSQL):
        return value.rec_name
    field = party._fields[name]
    if isinstance(field, fields.Selection):
        return dict(field.selection).get(value, value)
    return str(value)[:200]


class Requirement(sequence_ordered(), DeactivableMixin, ModelSQL, ModelView):
    "Customer File Requirement"
    __name__ = 'sale.customer.requirement'
    __string__ = "Customer File Requirement"
    fact = fields.Selection([
            ('contact_person', "Contact Person"),
            ('phone_or_email', "Phone or E-mail"),
            ('address', "Address"),
            ('industry', "Industry"),
            ('size', "Customer Size"),
            ('key_needs', "Key Needs"),
            ('decision_maker', "Decision Maker"),
            ('contact_birthday', "Birthday of the Main Contact"),
            ('owner', "Owner"),
            ('tax_identifier', "Tax Identifier"),
            ], "Fact", required=True)
    fact_string = fact.translated('fact')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('fact_unique', Unique(t, t.fact),
                'sales_ops_policy.msg_requirement_fact_unique'),
            ]

    def get_rec_name(self, name):
        return self.fact_string

    def is_met(self, party):
        "Whether the file of party holds the fact"
        if self.fact == 'phone_or_email':
            return any(
                m.type in {'phone', 'mobile', 'email'} and m.value
                for m in party.contact_mechanisms)
        elif self.fact == 'address':
            return bool(party.addresses)
        value = getattr(party, self.fact)
        return bool(value.strip() if isinstance(value, str) else value)


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'
    owner = fields.Many2One(
        'company.employee', "Owner", ondelete='RESTRICT',
        help="The salesperson who looks after the customer (P4.1).")
    my_customer = fields.Function(
        fields.Boolean("My Customer"), 'get_my_customer',
        searcher='search_my_customer')
    contact_person = fields.Char(
        "Main Contact", help="The person we deal with at the customer.")
    contact_birthday = fields.Date(
        "Main Contact's Birthday", help="For birthday wishes (P4.2.2).")
    decision_maker = fields.Char(
        "Decision Maker", help="Who decides on purchases.")
    industry = fields.Char("Industry")
    key_needs = fields.Text(
        "Key Needs", help="What the customer needs from us.")
    potential_value = fields.Numeric(
        "Potential Value", digits=(16, 2),
        domain=['OR', ('potential_value', '=', None),
            ('potential_value', '>=', 0)],
        help="The yearly value the customer could bring; leave empty to "
        "derive it from the open opportunities.")
    completeness = fields.Function(
        fields.Integer("Completeness", help="Percentage of the required "
            "facts the customer file holds (P4.1.1)."),
        'get_completeness')
    missing_facts = fields.Function(
        fields.Char("Missing Facts"), 'get_completeness')
    last_reviewed = fields.Date(
        "Last Reviewed", readonly=True,
        help="When the owner last checked the whole file (P4.1.2).")
    review_due = fields.Function(
        fields.Boolean("Review Due"), 'get_review_due',
        searcher='search_review_due')
    customer_tier = fields.Many2One(
        'sale.customer.tier', "Tier", readonly=True, ondelete='RESTRICT',
        help="Computed from the tier criteria (P4.3.1).")
    tier_score = fields.Function(
        fields.Integer("Tier Score"), 'get_purchases')
    service_priority = fields.Function(
        fields.Char("Service Priority"), 'get_service_priority')
    tier_history = fields.One2Many(
        'sale.customer.tier.history', 'party', "Tier History",
        readonly=True)
    changes = fields.One2Many(
        'sale.customer.change', 'party', "Changes", readonly=True)
    purchase_amount = fields.Function(
        fields.Numeric("Purchases", digits=(16, 2),
            help="Untaxed amount of the orders in the tier window."),
        'get_purchases')
    purchase_count = fields.Function(
        fields.Integer("Orders",
            help="Number of orders in the tier window."),
        'get_purchases')
    last_purchase_date = fields.Function(
        fields.Date("Last Order"), 'get_purchases')
    revisits = fields.One2Many(
        'sale.customer.revisit', 'party', "Revisits", readonly=True)
    next_revisit_date = fields.Function(
        fields.Date("Next Revisit"), 'get_next_revisit_date')
    care_actions = fields.One2Many(
        'sale.customer.care', 'party', "Care Actions", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t, (t.owner, Index.Range()), where=t.owner != Null))
        cls._buttons.update({
                'mark_reviewed': {
                    'invisible': ~Eval('owner'),
                    'icon': 'tryton-ok',
                    'depends': ['owner'],
                    },
                'compute_tier': {
                    'icon': 'tryton-refresh',
                    },
                })

    @classmethod
    def copy(cls, parties, default=None):
        default = default.copy() if default is not None else {}
        # the history belongs to the original customer
        for name in [
                'customer_tier', 'tier_history', 'changes', 'revisits',
                'care_actions', 'last_reviewed']:
            default.setdefault(name, None)
        return super().copy(parties, default=default)

    @classmethod
    def get_my_customer(cls, parties, name):
        employees = set(Pool().get('res.user').get_employees())
        return {p.id: bool(p.owner and p.owner.id in employees)
            for p in parties}

    @classmethod
    def search_my_customer(cls, name, clause):
        employees = list(Pool().get('res.user').get_employees())
        positive = (clause[1] == '=') == bool(clause[2])
        if positive:
            return [('owner', 'in', employees)]
        return ['OR', ('owner', 'not in', employees), ('owner', '=', None)]

    @classmethod
    def get_completeness(cls, parties, name):
        pool = Pool()
        Requirement = pool.get('sale.customer.requirement')
        requirements = Requirement.search([])
        result = {}
        for party in parties:
            missing = [r for r in requirements if not r.is_met(party)]
            if name == 'completeness':
                total = len(requirements)
                met = total - len(missing)
                # rounded half up
                result[party.id] = (
                    (200 * met + total) // (2 * total) if total else 100)
            else:
                result[party.id] = ', '.join(r.rec_name for r in missing)
        return result

    @classmethod
    def _review_days(cls):
        "The review interval per tier id (None for no tier)"
        pool = Pool()
        Configuration = pool.get('sale.configuration')
        Tier = pool.get('sale.customer.tier')
        days = {t.id: t.review_days for t in Tier.search([])}
        days[None] = Configuration(1).review_days or 0
        return days

    @classmethod
    def get_review_due(cls, parties, name):
        today = Pool().get('ir.date').today()
        days = cls._review_days()
        result = {}
        for party in parties:
            tier = party.customer_tier.id if party.customer_tier else None
            interval = days.get(tier, days[None])
            result[party.id] = bool(party.owner) and (
                not party.last_reviewed
                or party.last_reviewed + dt.timedelta(days=interval) <= today)
        return result

    @classmethod
    def search_review_due(cls, name, clause):
        "Owned customers never reviewed or reviewed a tier interval ago"
        today = Pool().get('ir.date').today()
        due = ['OR', ('last_reviewed', '=', None)]
        for tier, days in cls._review_days().items():
            due.append([
                    ('customer_tier', '=', tier),
                    ('last_reviewed', '<=', today - dt.timedelta(days=days)),
                    ])
        due = [('owner', '!=', None), due]
        if (clause[1] == '=') == bool(clause[2]):
            return due
        return ['NOT', due]

    def get_service_priority(self, name):
        if self.customer_tier:
            return self.customer_tier.service_priority_string

    @classmethod
    def get_next_revisit_date(cls, parties, name):
        pool = Pool()
        Revisit = pool.get('sale.customer.revisit')
        revisit = Revisit.__table__()
        cursor = Transaction().connection.cursor()
        result = dict.fromkeys(map(int, parties))
        for sub in grouped_slice(parties, backend.MAX_QUERY_PARAMS):
            cursor.execute(*revisit.select(
                    revisit.party, Max(revisit.planned_date),
                    where=SQL_OPERATORS['in'](
                        revisit.party, list(map(int, sub)))
                    & (revisit.state == 'planned'),
                    group_by=[revisit.party]))
            result.update((p, _date(d)) for p, d in cursor)
        return result

    @classmethod
    def purchase_query(cls, date=None, company=None, party_ids=None):
        """The query of the tier criteria per customer: purchase amount and
        count, last order date, potential value, amount due and paid on
        time in the window ending on date, and the score (P4.3.1); only of
        the customers of party_ids if given"""
        pool = Pool()
        Configuration = pool.get('sale.configuration')
        Date = pool.get('ir.date')
        Sale = pool.get('sale.sale')
        Opportunity = pool.get('sale.opportunity')
        Plan = pool.get('sale.collection.plan')
        Stage = pool.get('sale.collection.stage')
        config = Configuration(1)
        date = date or Date.today()
        company = company or Transaction().context.get('company')
        start = date - dt.timedelta(days=config.tier_window_days or 365)
        sale = Sale.__table__()
        opportunity = Opportunity.__table__()
        plan = Plan.__table__()
        stage = Stage.__table__()
        party = cls.__table__()

        def of_parties(column):
            if party_ids is None:
                return Literal(True)
            return SQL_OPERATORS['in'](column, party_ids)

        purchases = With('party', 'amount', 'orders', 'last_date',
            query=sale.select(
                sale.party,
                Sum(Coalesce(sale.untaxed_amount_cache, 0)),
                Count(sale.id),
                Max(sale.sale_date),
                where=of_parties(sale.party)
                & sale.state.in_(SALE_STATES)
                & (sale.company == company)
                & (sale.sale_date >= start) & (sale.sale_date <= date),
                group_by=[sale.party]))
        pipeline = With('party', 'amount', query=opportunity.select(
                opportunity.party,
                Sum(Coalesce(opportunity.amount, 0)
                    * Coalesce(opportunity.conversion_probability, 0)),
                where=of_parties(opportunity.party)
                & opportunity.state.in_(['lead', 'opportunity'])
                & (opportunity.company == company)
                & (opportunity.party != Null),
                group_by=[opportunity.party]))
        payments = With('party', 'due', 'on_time', query=stage.join(
                plan, condition=stage.plan == plan.id
                ).select(
                plan.party,
                Sum(stage.amount),
                Sum(Coalesce(stage.collected_on_time, 0)),
                where=of_parties(plan.party)
                & (plan.state == 'confirmed')
                & (plan.company == company)
                & (stage.due_date >= start) & (stage.due_date < date),
                group_by=[plan.party]))

        def factor(value, target):
            return _capped(Coalesce(value, 0) / float(target))
        potential = Coalesce(party.potential_value, pipeline.amount)
        paid = Case(
            (payments.due > 0, Coalesce(payments.on_time, 0) / payments.due),
            (purchases.orders > 0, Literal(1.0)),
            else_=Literal(0.0))
        score = (
            Literal(config.tier_weight_amount or 0)
            * factor(purchases.amount, config.tier_amount_target)
            + Literal(config.tier_weight_frequency or 0)
            * factor(purchases.orders, config.tier_frequency_target)
            + Literal(config.tier_weight_potential or 0)
            * factor(potential, config.tier_potential_target)
            + Literal(config.tier_weight_payment or 0) * _capped(paid))
        query = (party
            .join(purchases, 'LEFT', condition=purchases.party == party.id)
            .join(pipeline, 'LEFT', condition=pipeline.party == party.id)
            .join(payments, 'LEFT', condition=payments.party == party.id)
            .select(
                party.id.as_('id'),
                Coalesce(purchases.amount, 0).as_('amount'),
                Coalesce(purchases.orders, 0).as_('orders'),
                purchases.last_date.as_('last_date'),
                score.as_('score'),
                party.customer_tier.as_('tier'),
                where=of_parties(party.id),
                with_=[purchases, pipeline, payments]))
        return query

    @classmethod
    def get_purchases(cls, parties, names):
        cursor = Transaction().connection.cursor()
        result = {n: dict.fromkeys(map(int, parties)) for n in names}
        for sub in grouped_slice(parties, backend.MAX_QUERY_PARAMS):
            query = cls.purchase_query(party_ids=list(map(int, sub)))
            cursor.execute(*query.select(
                    query.id, query.amount, query.orders, query.last_date,
                    query.score))
            for id_, amount, orders, last_date, score in cursor:
                values = {
                    'purchase_amount': _decimal(amount).quantize(
                        Decimal('0.01')),
                    'purchase_count': orders,
                    'last_purchase_date': _date(last_date),
                    'tier_score': _round(score),
                    }
                for name in names:
                    result[name][id_] = values[name]
        return result

    @classmethod
    @ModelView.button
    def compute_tier(cls, parties):
        cls.compute_tiers(parties)

    @classmethod
    def compute_tiers(cls, parties=None):
        """Put customers in the tier of their score in one pass and write
        only the tiers that changed, grouped by tier, with their history
        and change log (P4.3.1).  Customers are those with an order in the
        window, an owner or a tier already; all of them without parties.
        Return the ids of the customers that changed, per new tier."""
        pool = Pool()
        Tier = pool.get('sale.customer.tier')
        History = pool.get('sale.customer.tier.history')
        Change = pool.get('sale.customer.change')
        Field = pool.get('ir.model.field')
        Revisit = pool.get('sale.customer.revisit')
        Date = pool.get('ir.date')
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        today = Date.today()
        tiers = Tier.search([('active', 'in', [True, False])])
        tier_of = Tier.of_score([t for t in tiers if t.active])
        party = cls.__table__()
        changed = defaultdict(list)

        def scan(party_ids=None):
            query = cls.purchase_query(date=today, party_ids=party_ids)
            where = None
            if party_ids is None:
                where = ((query.orders > 0) | (query.tier != Null)
                    | query.id.in_(party.select(
                            party.id, where=party.owner != Null)))
            cursor.execute(*query.select(
                    query.id, query.score, query.tier, where=where))
            for id_, score, tier in cursor:
                score = _round(score)
                new = tier_of(score)
                if new != tier:
                    changed[new].append((id_, tier, score))
        if parties is None:
            scan()
        else:
            for sub in grouped_slice(parties, backend.MAX_QUERY_PARAMS):
                scan(list(map(int, sub)))
        if not changed:
            return {}

        # SQL writes: the ORM's per-record work would cost 20 times the
        # scan for a few percent of changes
        now = dt.datetime.now()
        user = transaction.user
        for tier, rows in changed.items():
            for sub in grouped_slice(
                    [r[0] for r in rows], backend.MAX_QUERY_PARAMS):
                cursor.execute(*party.update(
                        [party.customer_tier, party.write_uid,
                            party.write_date],
                        [tier, user, now],
                        where=SQL_OPERATORS['in'](party.id, list(sub))))
        names = {t.id: t.rec_name for t in tiers}
        field, = Field.search([
                ('model', '=', cls.__name__),
                ('name', '=', 'customer_tier'),
                ])
        history = History.__table__()
        change = Change.__table__()
        rows = [(id_, old, new, score)
            for new, rows in changed.items() for id_, old, score in rows]
        # one statement run for all rows: a multi-row VALUES costs more to
        # parse than to execute
        cursor.executemany(*_insert_template(history, [
                    history.party, history.date, history.tier,
                    history.previous_tier, history.score,
                    history.create_uid, history.create_date],
                [(i, today, n, o, c, user, now) for i, o, n, c in rows]))
        cursor.executemany(*_insert_template(change, [
                    change.party, change.field, change.old_value,
                    change.new_value, change.key,
                    change.create_uid, change.create_date],
                [(i, field.id, names.get(o), names.get(n), True, user, now)
                    for i, o, n, c in rows]))
        # the records read before in the transaction are stale
        transaction.counter += 1
        for cache in transaction.cache.values():
            if cls.__name__ in cache:
                for id_, *_ in rows:
                    cache[cls.__name__].pop(id_, None)

        changed = {t: [r[0] for r in rows] for t, rows in changed.items()}
        ids = [i for rows in changed.values() for i in rows]
        change_ids = []
        for sub in grouped_slice(ids, backend.MAX_QUERY_PARAMS):
            cursor.execute(*change.select(change.id,
                    where=SQL_OPERATORS['in'](change.party, list(sub))
                    & (change.field == field.id)
                    & (change.create_date == now)))
            change_ids.extend(i for i, in cursor)
        with without_check_access():
            cls.apply_tier_strategy(changed, tiers)
            Revisit.plan(ids, move=True, create=False)
            cls.notify_key_changes(change_ids)
        return changed

    @classmethod
    def apply_tier_strategy(cls, changed, tiers):
        """Give the customers that changed tier the default credit limit of
        their new tier unless the limit was set by hand (P4.3.2)"""
        pool = Pool()
        CreditLimit = pool.get('party.party.credit_limit_amount')
        credit_limit = CreditLimit.__table__()
        cursor = Transaction().connection.cursor()
        company = Transaction().context.get('company')
        tiers = {t.id: t for t in tiers}
        defaults = {t.credit_limit for t in tiers.values()} | {None}
        to_write = []
        for tier, ids in changed.items():
            limit = tiers[tier].credit_limit if tier else None
            if limit is None:
                continue
            current = {}
            for sub in grouped_slice(ids, backend.MAX_QUERY_PARAMS):
                cursor.execute(*credit_limit.select(
                        credit_limit.party,
                        credit_limit.credit_limit_amount,
                        where=SQL_OPERATORS['in'](
                            credit_limit.party, list(sub))
                        & (credit_limit.company == company)))
                current.update(
                    (p, _decimal(a) if a is not None else None)
                    for p, a in cursor)
            parties = [i for i in ids
                if current.get(i) in defaults and current.get(i) != limit]
            if parties:
                to_write.extend(
                    (cls.browse(parties), {'credit_limit_amount': limit}))
        if to_write:
            cls.write(*to_write)

    @classmethod
    def compute_all_tiers(cls):
        "Daily task recomputing the tiers of every company"
        pool = Pool()
        Company = pool.get('company.company')
        for company in Company.search([]):
            with Transaction().set_context(company=company.id):
                cls.compute_tiers()

    @classmethod
    @ModelView.button
    def mark_reviewed(cls, parties):
        today = Pool().get('ir.date').today()
        cls.write(parties, {'last_reviewed': today})

    @classmethod
    def on_write(cls, parties, values):
        callback = super().on_write(parties, values)
        names = [n for n in TRACKED_FACTS if n in values]
        if names:
            old = {p.id: {n: _fact_value(p, n) for n in names}
                for p in parties}
            ids = list(map(int, parties))
            callback.append(
                lambda: Pool().get('sale.customer.change').log(
                    old, cls.browse(ids), names))
        return callback

    @classmethod
    def notify_key_changes(cls, change_ids):
        """E-mail the supervisor of each owner the key changes of the files
        of the owner's customers (P4.1.2)"""
        pool = Pool()
        Change = pool.get('sale.customer.change')
        Employee = pool.get('company.employee')
        change = Change.__table__()
        party = cls.__table__()
        owner = Employee.__table__()
        cursor = Transaction().connection.cursor()
        by_supervisor = defaultdict(list)
        for sub in grouped_slice(change_ids, backend.MAX_QUERY_PARAMS):
            cursor.execute(*change
                .join(party, condition=change.party == party.id)
                .join(owner, condition=party.owner == owner.id)
                .select(owner.supervisor, change.id,
                    where=SQL_OPERATORS['in'](change.id, list(sub))
                    & (owner.supervisor != Null)))
            for supervisor, change_id in cursor:
                by_supervisor[supervisor].append(change_id)
        return notify_employees(
            'customer_change_email', by_supervisor, 'customer_changes')


def _insert_template(table, columns, rows):
    "The SQL of an insert of one row into columns of table, and the rows"
    query, _ = tuple(table.insert(columns, [[None] * len(columns)]))
    return query, rows


def _capped(ratio):
    # LEAST is not SQLite's
    return Case((ratio > 1.0, Literal(1.0)), else_=ratio)


def _round(score):
    return int(float(score or 0) + 0.5)


class ChangeReport(Report):
    "The key changes of customer files told to a supervisor (P4.1.2)"
    __name__ = 'sale.customer.change.notice'

    @classmethod
    def get_context(cls, records, header, data):
        pool = Pool()
        Change = pool.get('sale.customer.change')
        context = super().get_context(records, header, data)
        context['changes'] = Change.browse(
            Transaction().context.get('customer_changes') or [])
        return context


class Sale(metaclass=PoolMeta):
    __name__ = 'sale.sale'

    def get_discount_limit(self):
        "The tier's limit unless the salesperson has a limit of their own"
        tier = self.party.customer_tier if self.party else None
        if (tier and tier.discount_limit is not None
                and (not self.employee
                    or self.employee.discount_limit is None)):
            return tier.discount_limit
        return super().get_discount_limit()


class Revisit(Workflow, ModelSQL, ModelView):
    "Customer Revisit"
    __name__ = 'sale.customer.revisit'
    __string__ = "Customer Revisit"
    _states = {
        'readonly': Eval('state') != 'planned',
        }
    party = fields.Many2One(
        'party.party', "Customer", required=True, ondelete='RESTRICT',
        states=_states,
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})
    company = fields.Many2One(
        'company.company', "Company", required=True, states=_states)
    employee = fields.Many2One(
        'company.employee', "Visitor", required=True, states=_states,
        domain=[('company', '=', Eval('company', -1))],
        help="Who revisits the customer.")
    planned_date = fields.Date(
        "Planned Date", required=True, states=_states)
    date = fields.Date(
        "Date", states={
            'readonly': _states['readonly'],
            'required': Eval('state') == 'done',
            },
        help="When the revisit took place.")
    method = fields.Selection([
            ('visit', "Visit"),
            ('phone', "Phone"),
            ('video', "Video Call"),
            ('email', "E-mail"),
            ], "Method", required=True, states=_states)
    method_string = method.translated('method')
    usage = fields.Text(
        "Product Usage", states=_states,
        help="How the customer uses our products.")
    satisfaction = fields.Integer(
        "Satisfaction", states=_states,
        help="From 1 (very dissatisfied) to 5 (very satisfied).")
    feedback = fields.Text("Feedback", states=_states)
    actions = fields.Text(
        "Follow-up Actions", states=_states,
        help="What we do after the revisit.")
    overdue = fields.Function(
        fields.Boolean("Overdue"), 'get_overdue', searcher='search_overdue')
    done_by = employee_field("Done By", states=['done', 'cancelled'])
    done_at = fields.DateTime("Done At", readonly=True)
    cancelled_by = employee_field("Cancelled By", states=['cancelled'])
    state = fields.Selection([
            ('planned', "Planned"),
            ('done', "Done"),
            ('cancelled', "Cancelled"),
            ], "State", required=True, readonly=True, sort=False)
    state_string = state.translated('state')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(
                    t, (t.party, Index.Range()), (t.state, Index.Equality())),
                Index(t, (t.planned_date, Index.Range()),
                    where=t.state == 'planned'),
                })
        cls._order = [('planned_date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('planned', 'done'),
            ('planned', 'cancelled'),
            ('cancelled', 'planned'),
            }
        cls._buttons.update({
                'do': {
                    'invisible': Eval('state') != 'planned',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': Eval('state') != 'planned',
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                'replan': {
                    'invisible': Eval('state') != 'cancelled',
                    'icon': 'tryton-back',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'planned'

    @classmethod
    def default_method(cls):
        return 'visit'

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_employee(cls):
        return Transaction().context.get('employee')

    @classmethod
    def default_planned_date(cls):
        return Pool().get('ir.date').today()

    def get_rec_name(self, name):
        return f'{self.party.rec_name} @ {self.planned_date}'

    def get_overdue(self, name):
        today = Pool().get('ir.date').today()
        return self.state == 'planned' and self.planned_date < today

    @classmethod
    def search_overdue(cls, name, clause):
        today = Pool().get('ir.date').today()
        overdue = [('state', '=', 'planned'), ('planned_date', '<', today)]
        if (clause[1] == '=') == bool(clause[2]):
            return overdue
        return ['NOT', overdue]

    @classmethod
    def validate_fields(cls, revisits, field_names):
        super().validate_fields(revisits, field_names)
        if not field_names or field_names & {'satisfaction'}:
            check_satisfaction(revisits)
        if not field_names or field_names & {'date', 'state'}:
            cls.check_date(revisits)

    @classmethod
    def check_date(cls, revisits):
        "A revisit is done on a day that has come (P4.2.1)"
        today = Pool().get('ir.date').today()
        for revisit in revisits:
            if revisit.state == 'done' and (
                    not revisit.date or revisit.date > today):
                raise CustomerValidationError(gettext(
                        'sales_ops_policy.msg_revisit_date_future',
                        revisit=revisit.rec_name,
                        date=revisit.date or ''))

    @classmethod
    def check_modification(cls, mode, revisits, values=None, external=False):
        super().check_modification(
            mode, revisits, values=values, external=external)
        if mode == 'delete':
            for revisit in revisits:
                if revisit.state == 'done':
                    raise CustomerValidationError(gettext(
                            'sales_ops_policy.msg_revisit_delete_done',
                            revisit=revisit.rec_name))

    @classmethod
    @ModelView.button
    @Workflow.transition('done')
    @set_employee('done_by')
    def do(cls, revisits):
        today = Pool().get('ir.date').today()
        for revisit in revisits:
            if not revisit.date:
                revisit.date = min(revisit.planned_date, today)
            revisit.done_at = dt.datetime.now()
        cls.save(revisits)

    @classmethod
    def on_modification(cls, mode, revisits, field_names=None):
        super().on_modification(mode, revisits, field_names=field_names)
        if mode == 'write' and 'state' in field_names:
            # the next revisit follows the one done
            cls.plan([r.party for r in revisits if r.state == 'done'])

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    @set_employee('cancelled_by')
    def cancel(cls, revisits):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('planned')
    def replan(cls, revisits):
        cls.write(revisits, {'cancelled_by': None})

    @classmethod
    def plan(cls, parties=None, move=False, create=True):
        """Keep one planned revisit per customer with a tier and an owner,
        the tier's interval after the last one done (P4.2.1); with move, the
        planned revisits are moved to that date (the tier changed); without
        create, the missing ones are left to the daily task"""
        pool = Pool()
        Party = pool.get('party.party')
        Tier = pool.get('sale.customer.tier')
        Date = pool.get('ir.date')
        today = Date.today()
        party = Party.__table__()
        revisit = cls.__table__()
        cursor = Transaction().connection.cursor()
        intervals = {t.id: t.revisit_days for t in Tier.search([])}
        plannable = (party.customer_tier != Null) & (party.owner != Null)
        if parties is None:
            slices = [None]
        else:
            slices = grouped_slice(
                {int(p) for p in parties}, backend.MAX_QUERY_PARAMS)
        to_create, to_move = [], defaultdict(list)
        for sub in slices:
            where, of_parties = plannable, Literal(True)
            if sub is not None:
                sub = list(sub)
                where &= SQL_OPERATORS['in'](party.id, sub)
                of_parties = SQL_OPERATORS['in'](revisit.party, sub)
            last = revisit.select(
                revisit.party, Max(revisit.date).as_('date'),
                where=of_parties & (revisit.state == 'done'),
                group_by=[revisit.party])
            planned = revisit.select(
                revisit.party, Max(revisit.id).as_('id'),
                where=of_parties & (revisit.state == 'planned'),
                group_by=[revisit.party])
            cursor.execute(*party
                .join(last, 'LEFT', condition=last.party == party.id)
                .join(planned, 'LEFT', condition=planned.party == party.id)
                .select(party.id, party.customer_tier, party.owner,
                    last.date, planned.id, where=where))
            for id_, tier, owner, last_date, planned_id in cursor:
                days = intervals.get(tier)
                if not days:
                    continue
                last_date = _date(last_date)
                date = (last_date + dt.timedelta(days=days)
                    if last_date else today)
                if planned_id:
                    if move:
                        to_move[date].append(planned_id)
                elif create:
                    to_create.append({
                            'party': id_, 'employee': owner,
                            'planned_date': date})
        with without_check_access():
            cls._plan(to_create, to_move)

    @classmethod
    def _plan(cls, to_create, to_move):
        if to_move:
            revisits = cls.browse(
                [i for ids in to_move.values() for i in ids])
            dates = {r.id: r.planned_date for r in revisits}
            to_write = []
            for date, ids in to_move.items():
                ids = [i for i in ids if dates[i] != date]
                if ids:
                    to_write.extend((cls.browse(ids), {'planned_date': date}))
            if to_write:
                cls.write(*to_write)
        if to_create:
            company = Transaction().context.get('company')
            if company:
                for values in to_create:
                    values['company'] = company
                cls.create(to_create)

    @classmethod
    def plan_and_remind(cls):
        """Daily task: plan the revisits and e-mail each visitor the
        revisits overdue (P4.2.1)"""
        Company = Pool().get('company.company')
        for company in Company.search([]):
            with Transaction().set_context(company=company.id):
                cls.plan()
        by_employee = defaultdict(list)
        for revisit in cls.search([('overdue', '=', True)]):
            by_employee[revisit.employee.id].append(revisit.id)
        return notify_employees(
            'revisit_reminder_email', by_employee, 'customer_revisits')


class RevisitReminderReport(Report):
    "The overdue revisits of a salesperson (P4.2.1)"
    __name__ = 'sale.customer.revisit.reminder'

    @classmethod
    def get_context(cls, records, header, data):
        pool = Pool()
        Revisit = pool.get('sale.customer.revisit')
        context = super().get_context(records, header, data)
        ids = Transaction().context.get('customer_revisits')
        if ids is None:
            revisits = Revisit.search([
                    ('overdue', '=', True),
                    ('employee', 'in', [
                            e.id for u in records for e in u.employees]),
                    ])
        else:
            revisits = Revisit.browse(ids)
        context['revisits'] = revisits
        return context


class Holiday(DeactivableMixin, ModelSQL, ModelView):
    "Care Holiday"
    __name__ = 'sale.customer.care.holiday'
    __string__ = "Care Holiday"
    name = fields.Char("Name", required=True, translate=True)
    greeting = fields.Text(
        "Greeting", translate=True,
        help="The wishes sent to customers for the holiday.")
    dates = fields.One2Many(
        'sale.customer.care.holiday.date', 'holiday', "Dates",
        help="The date of the holiday in each year.")


class HolidayDate(ModelSQL, ModelView):
    "Care Holiday Date"
    __name__ = 'sale.customer.care.holiday.date'
    __string__ = "Care Holiday Date"
    holiday = fields.Many2One(
        'sale.customer.care.holiday', "Holiday", required=True,
        ondelete='CASCADE')
    date = fields.Date("Date", required=True)
    year = fields.Function(fields.Integer("Year"), 'get_year')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('holiday')
        t = cls.__table__()
        cls._sql_constraints = [
            ('holiday_date_unique', Unique(t, t.holiday, t.date),
                'sales_ops_policy.msg_holiday_date_unique'),
            ]
        cls._order = [('date', 'ASC'), ('id', 'ASC')]

    def get_rec_name(self, name):
        return f'{self.holiday.rec_name} {self.date}'

    def get_year(self, name):
        return self.date.year


class Recommendation(ModelSQL, ModelView):
    "New Product Recommendation"
    __name__ = 'sale.customer.care.recommendation'
    __string__ = "New Product Recommendation"
    product = fields.Many2One(
        'product.product', "New Product", required=True,
        domain=[('salable', '=', True)],
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})
    related_products = fields.Many2Many(
        'sale.customer.care.recommendation-product', 'recommendation',
        'product', "Related Products",
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        help="Customers who bought one of these get the recommendation.")
    date = fields.Date(
        "Date", required=True, help="When the recommendation is prepared.")
    message = fields.Text("Message", translate=True)
    company = fields.Many2One('company.company', "Company", required=True)

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()

    def get_rec_name(self, name):
        return self.product.rec_name


class RecommendationProduct(ModelSQL):
    "New Product Recommendation - Related Product"
    __name__ = 'sale.customer.care.recommendation-product'
    __string__ = "New Product Recommendation - Related Product"
    recommendation = fields.Many2One(
        'sale.customer.care.recommendation', "Recommendation",
        required=True, ondelete='CASCADE')
    product = fields.Many2One(
        'product.product', "Product", required=True, ondelete='CASCADE')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('recommendation')


class Care(Workflow, ModelSQL, ModelView):
    "Customer Care Action"
    __name__ = 'sale.customer.care'
    __string__ = "Customer Care Action"
    _states = {
        'readonly': Eval('state') != 'draft',
        }
    party = fields.Many2One(
        'party.party', "Customer", required=True, ondelete='RESTRICT',
        states=_states,
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})
    company = fields.Many2One(
        'company.company', "Company", required=True, states=_states)
    employee = fields.Many2One(
        'company.employee', "Owner", required=True, states=_states,
        domain=[('company', '=', Eval('company', -1))])
    kind = fields.Selection([
            ('birthday', "Birthday"),
            ('holiday', "Holiday"),
            ('recommendation', "New Product Recommendation"),
            ], "Kind", required=True, states=_states)
    kind_string = kind.translated('kind')
    date = fields.Date("Date", required=True, states=_states,
        help="The day of the occasion.")
    holiday = fields.Many2One(
        'sale.customer.care.holiday', "Holiday", ondelete='RESTRICT',
        states={
            'readonly': _states['readonly'],
            'invisible': Eval('kind') != 'holiday',
            'required': Eval('kind') == 'holiday',
            })
    recommendation = fields.Many2One(
        'sale.customer.care.recommendation', "Recommendation",
        ondelete='RESTRICT',
        states={
            'readonly': _states['readonly'],
            'invisible': Eval('kind') != 'recommendation',
            'required': Eval('kind') == 'recommendation',
            })
    channel = fields.Selection([
            ('email', "E-mail"),
            ('task', "Task for the Owner"),
            ], "Channel", required=True, states=_states,
        help="E-mail sends the greeting from its template; a task asks the "
        "owner to call or visit.")
    note = fields.Text("Note")
    email = fields.Many2One('ir.email', "E-mail", readonly=True)
    done_by = employee_field("Done By", states=['sent', 'done'])
    done_at = fields.DateTime("Done At", readonly=True)
    state = fields.Selection([
            ('draft', "To Do"),
            ('sent', "Sent"),
            ('done', "Done"),
            ('cancelled', "Cancelled"),
            ], "State", required=True, readonly=True, sort=False)
    state_string = state.translated('state')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('occasion_unique',
                Unique(t, t.party, t.kind, t.date, t.holiday,
                    t.recommendation),
                'sales_ops_policy.msg_care_unique'),
            ]
        cls._sql_indexes.add(Index(t, (t.party, Index.Range())))
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'sent'),
            ('draft', 'done'),
            ('draft', 'cancelled'),
            ('cancelled', 'draft'),
            }
        cls._buttons.update({
                'send': {
                    'invisible': ((Eval('state') != 'draft')
                        | (Eval('channel') != 'email')),
                    'icon': 'tryton-email',
                    'depends': ['state', 'channel'],
                    },
                'do': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                'draft': {
                    'invisible': Eval('state') != 'cancelled',
                    'icon': 'tryton-back',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_channel(cls):
        return 'email'

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    def get_rec_name(self, name):
        return f'{self.kind_string} {self.party.rec_name} {self.date}'

    @classmethod
    def check_modification(cls, mode, actions, values=None, external=False):
        super().check_modification(
            mode, actions, values=values, external=external)
        if mode == 'delete':
            for action in actions:
                if action.state in {'sent', 'done'}:
                    raise CustomerValidationError(gettext(
                            'sales_ops_policy.msg_care_delete_done',
                            action=action.rec_name))

    @classmethod
    @ModelView.button
    @Workflow.transition('sent')
    @set_employee('done_by')
    def send(cls, actions):
        """Send the greeting to the customer through the notification
        e-mail "customer_care_email" and log it on the action (P4.2.2)"""
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        NotificationEmail = pool.get('notification.email')
        notification = NotificationEmail(ModelData.get_id(
                'sales_ops_policy', 'customer_care_email'))
        emails = send_notifications(notification, actions, lambda a: {})
        by_action = {e.resource.id: e for e in emails}
        now = dt.datetime.now()
        for action in actions:
            if action.id not in by_action:
                raise CustomerValidationError(gettext(
                        'sales_ops_policy.msg_care_no_email',
                        party=action.party.rec_name))
            action.email = by_action[action.id]
            action.done_at = now
        cls.save(actions)

    @classmethod
    @ModelView.button
    @Workflow.transition('done')
    @set_employee('done_by')
    def do(cls, actions):
        cls.write(actions, {'done_at': dt.datetime.now()})

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, actions):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, actions):
        pass

    @classmethod
    def prepare(cls, date=None):
        """Prepare the care actions of the occasions falling on date plus
        the configured days ahead: birthdays of the main contacts, holidays
        and new product recommendations to the buyers of related products
        (P4.2.2); an occasion already prepared is skipped"""
        pool = Pool()
        Configuration = pool.get('sale.configuration')
        Date = pool.get('ir.date')
        Party = pool.get('party.party')
        HolidayDate = pool.get('sale.customer.care.holiday.date')
        Recommendation = pool.get('sale.customer.care.recommendation')
        RecommendationProduct = pool.get(
            'sale.customer.care.recommendation-product')
        Sale = pool.get('sale.sale')
        Line = pool.get('sale.line')
        company = Transaction().context.get('company')
        if not company:
            return []
        config = Configuration(1)
        date = (date or Date.today()) + dt.timedelta(
            days=config.care_days_ahead or 0)
        party = Party.__table__()
        cursor = Transaction().connection.cursor()
        owned = (party.owner != Null) & (party.active == Literal(True))
        occasions = []

        cursor.execute(*party.select(party.id, party.owner,
                where=owned
                & (Extract('MONTH', party.contact_birthday) == date.month)
                & (Extract('DAY', party.contact_birthday) == date.day)))
        occasions.extend(
            (p, o, 'birthday', None, None) for p, o in cursor)

        holidays = HolidayDate.search([
                ('date', '=', date),
                ('holiday.active', '=', True),
                ])
        if holidays:
            cursor.execute(*party.select(party.id, party.owner, where=owned))
            owners = cursor.fetchall()
            for holiday in holidays:
                occasions.extend(
                    (p, o, 'holiday', holiday.holiday.id, None)
                    for p, o in owners)

        sale = Sale.__table__()
        line = Line.__table__()
        related = RecommendationProduct.__table__()
        for recommendation in Recommendation.search([
                    ('date', '=', date),
                    ('company', '=', company),
                    ]):
            cursor.execute(*line
                .join(sale, condition=line.sale == sale.id)
                .join(party, condition=sale.party == party.id)
                .select(party.id, party.owner,
                    where=owned & sale.state.in_(SALE_STATES)
                    & (sale.company == company)
                    & line.product.in_(related.select(related.product,
                            where=related.recommendation
                            == recommendation.id)),
                    group_by=[party.id, party.owner]))
            occasions.extend(
                (p, o, 'recommendation', None, recommendation.id)
                for p, o in cursor)
        if not occasions:
            return []

        care = cls.__table__()
        done = set()
        for sub in grouped_slice(
                {o[0] for o in occasions}, backend.MAX_QUERY_PARAMS):
            cursor.execute(*care.select(
                    care.party, care.kind, care.holiday, care.recommendation,
                    where=SQL_OPERATORS['in'](care.party, list(sub))
                    & (care.date == date)))
            done.update(cursor)
        with without_check_access():
            return cls.create([{
                    'party': p, 'employee': o, 'kind': k, 'date': date,
                    'holiday': h, 'recommendation': r, 'company': company,
                    } for p, o, k, h, r in occasions
                    if (p, k, h, r) not in done])

    @classmethod
    def prepare_all(cls):
        "Daily task preparing the care actions of every company"
        pool = Pool()
        Company = pool.get('company.company')
        for company in Company.search([]):
            with Transaction().set_context(company=company.id):
                cls.prepare()


class PrepareCareStart(ModelView):
    "Prepare Customer Care"
    __name__ = 'sale.customer.care.prepare.start'
    __string__ = "Prepare Customer Care"
    date = fields.Date(
        "Date", required=True,
        help="The care actions of the occasions falling on this day, plus "
        "the configured days ahead, are prepared.")

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()


class PrepareCare(Wizard):
    "Prepare Customer Care"
    __name__ = 'sale.customer.care.prepare'
    start = StateView('sale.customer.care.prepare.start',
        'sales_ops_policy.care_prepare_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Prepare", 'prepare', 'tryton-ok', default=True),
            ])
    prepare = StateTransition()

    def transition_prepare(self):
        Pool().get('sale.customer.care').prepare(self.start.date)
        return 'end'


class CareReport(Report):
    "The greeting of a customer care action (P4.2.2)"
    __name__ = 'sale.customer.care.greeting'


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.extend([
                ('party.party|compute_all_tiers', "Compute Customer Tiers"),
                ('sale.customer.revisit|plan_and_remind',
                    "Plan Revisits and Remind Overdue Ones"),
                ('sale.customer.care|prepare_all',
                    "Prepare Customer Care Actions"),
                ])
