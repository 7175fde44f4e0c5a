# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Lead channels and lead value scoring (policy P3.1.2), and the
effectiveness of the channels (P5.2.1)"""
import datetime as dt
import math
from decimal import Decimal

from sql import Literal, Null, Union
from sql.aggregate import Count, Sum
from sql.conditionals import Case, Coalesce
from sql.functions import Floor

from trytond import backend
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, Unique, fields,
    sequence_ordered)
from trytond.model.fields import SQL_OPERATORS
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.tools import grouped_slice
from trytond.transaction import Transaction
from trytond.wizard import StateTransition, Wizard

from .collection import _decimal
from .exceptions import (
    LeadChannelError, LeadInputError, LeadScoringConfigurationError)
from .expense import return_ratio
from .model import readable_query, search_any

# Factors of the customer size and of the industry fit, between 0 and 1
SIZE_FACTORS = {'large': 1.0, 'medium': 0.6, 'small': 0.3}
INDUSTRY_FACTORS = {'good': 1.0, 'fair': 0.5, 'poor': 0.0}
# States in which a lead is still worked on, and so rescored
OPEN_STATES = ['lead', 'opportunity']
# Fields of the opportunity that the score reads
SCORE_INPUTS = {
    'amount', 'conversion_probability', 'channel', 'industry_fit', 'party'}
SCORING_FIELDS = {
    'lead_weight_revenue', 'lead_weight_probability', 'lead_weight_size',
    'lead_weight_industry', 'lead_weight_channel', 'lead_revenue_target',
    'lead_class_a', 'lead_class_b'}
_CENT = Decimal('0.01')


def lead_score(rules, amount, probability, size, industry_fit, channel_score):
    """Return the score 0-100 of one lead (P3.1.2)

    The reference of what Opportunity.score_leads computes in SQL: same
    factors, same order of the float operations, rounded half up."""
    amount = float(amount or 0)
    target = rules['target']
    if amount <= 0:
        revenue = 0.0
    elif amount >= target:
        revenue = 1.0
    else:
        revenue = amount / target
    total = (rules['revenue'] * revenue
        + rules['probability'] * (probability or 0.0)
        + rules['size'] * SIZE_FACTORS.get(size, 0.0)
        + rules['industry'] * INDUSTRY_FACTORS.get(industry_fit, 0.0)
        + rules['channel'] * (
            channel_score / 100.0 if channel_score is not None else 0.0))
    return int(math.floor(100 * total / rules['total'] + 0.5))


def lead_class(rules, score):
    "Return the class A, B or C of a score (P3.1.2)"
    if score is None:
        return None
    if score >= rules['class_a']:
        return 'A'
    elif score >= rules['class_b']:
        return 'B'
    return 'C'


class Configuration(metaclass=PoolMeta):
    __name__ = 'sale.configuration'

    lead_weight_revenue = fields.Integer(
        "Revenue Weight", required=True,
        domain=[('lead_weight_revenue', '>=', 0)],
        help="Weight of the estimated revenue in the lead score.")
    lead_weight_probability = fields.Integer(
        "Probability Weight", required=True,
        domain=[('lead_weight_probability', '>=', 0)],
        help="Weight of the conversion probability in the lead score.")
    lead_weight_size = fields.Integer(
        "Customer Size Weight", required=True,
        domain=[('lead_weight_size', '>=', 0)],
        help="Weight of the size of the customer in the lead score.")
    lead_weight_industry = fields.Integer(
        "Industry Fit Weight", required=True,
        domain=[('lead_weight_industry', '>=', 0)],
        help="Weight of the industry fit in the lead score.")
    lead_weight_channel = fields.Integer(
        "Channel Weight", required=True,
        domain=[('lead_weight_channel', '>=', 0)],
        help="Weight of the value of the lead channel in the lead score.")
    lead_revenue_target = fields.Numeric(
        "Revenue Target", digits=(16, 2), required=True,
        help="The estimated revenue at or above which a lead gets the full "
        "revenue factor.")
    lead_class_a = fields.Integer(
        "Class A from", required=True,
        domain=[
            ('lead_class_a', '>=', 0),
            ('lead_class_a', '<=', 100),
            ],
        help="The lowest score of a class A lead.")
    lead_class_b = fields.Integer(
        "Class B from", required=True,
        domain=[
            ('lead_class_b', '>=', 0),
            ('lead_class_b', '<=', 100),
            ],
        help="The lowest score of a class B lead; below it is class C.")

    @classmethod
    def default_lead_weight_revenue(cls):
        return 30

    @classmethod
    def default_lead_weight_probability(cls):
        return 25

    @classmethod
    def default_lead_weight_size(cls):
        return 15

    @classmethod
    def default_lead_weight_industry(cls):
        return 10

    @classmethod
    def default_lead_weight_channel(cls):
        return 20

    @classmethod
    def default_lead_revenue_target(cls):
        return Decimal(100000)

    @classmethod
    def default_lead_class_a(cls):
        return 70

    @classmethod
    def default_lead_class_b(cls):
        return 40

    def get_lead_scoring_rules(self):
        "Return the weights, target and thresholds of the lead score"
        rules = {
            'revenue': self.lead_weight_revenue or 0,
            'probability': self.lead_weight_probability or 0,
            'size': self.lead_weight_size or 0,
            'industry': self.lead_weight_industry or 0,
            'channel': self.lead_weight_channel or 0,
            'target': float(self.lead_revenue_target or 0),
            'class_a': self.lead_class_a or 0,
            'class_b': self.lead_class_b or 0,
            }
        rules['total'] = sum(rules[k] for k in [
                'revenue', 'probability', 'size', 'industry', 'channel'])
        return rules

    @classmethod
    def validate_fields(cls, configurations, field_names):
        super().validate_fields(configurations, field_names)
        if not field_names or field_names & SCORING_FIELDS:
            cls.check_lead_scoring(configurations)

    @classmethod
    def check_lead_scoring(cls, configurations):
        "The lead score needs a weight, a target and ordered classes"
        for configuration in configurations:
            rules = configuration.get_lead_scoring_rules()
            if rules['total'] <= 0:
                raise LeadScoringConfigurationError(gettext(
                        'sales_ops_policy.msg_lead_weights_zero'))
            if rules['target'] <= 0:
                raise LeadScoringConfigurationError(gettext(
                        'sales_ops_policy.msg_lead_revenue_target',
                        target=configuration.lead_revenue_target))
            if rules['class_b'] > rules['class_a']:
                raise LeadScoringConfigurationError(gettext(
                        'sales_ops_policy.msg_lead_class_thresholds',
                        class_a=rules['class_a'],
                        class_b=rules['class_b']))

    @classmethod
    def on_modification(cls, mode, configurations, field_names=None):
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        super().on_modification(mode, configurations, field_names=field_names)
        if mode != 'delete' and (
                field_names is None or field_names & SCORING_FIELDS):
            # New rules apply to every lead still worked on
            Opportunity.rescore_open_leads()


class Channel(sequence_ordered(), DeactivableMixin, ModelSQL, ModelView):
    "Lead Channel"
    __name__ = 'sale.lead.channel'
    __string__ = "Lead Channel"
    name = fields.Char("Name", required=True, translate=True)
    code = fields.Char("Code")
    score = fields.Integer(
        "Channel Value", required=True,
        domain=[
            ('score', '>=', 0),
            ('score', '<=', 100),
            ],
        help="What a lead from this channel adds to its value, "
        "from 0 to 100.")

    @classmethod
    def __setup__(cls):
        cls.code.search_unaccented = False
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('code_unique', Unique(t, t.code),
                'sales_ops_policy.msg_lead_channel_code_unique'),
            ]

    @classmethod
    def default_score(cls):
        return 50

    def get_rec_name(self, name):
        return self.name

    @classmethod
    def search_rec_name(cls, name, clause):
        return search_any(clause, 'name', 'code')

    @classmethod
    def on_modification(cls, mode, channels, field_names=None):
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        super().on_modification(mode, channels, field_names=field_names)
        if mode == 'write' and 'score' in field_names:
            Opportunity.rescore_open_leads(channels=channels)


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'
    size = fields.Selection([
            (None, ""),
            ('small', "Small"),
            ('medium', "Medium"),
            ('large', "Large"),
            ], "Customer Size",
        help="Used by the lead score until customers have tiers.")

    @classmethod
    def on_modification(cls, mode, parties, field_names=None):
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        super().on_modification(mode, parties, field_names=field_names)
        if mode == 'write' and 'size' in field_names:
            Opportunity.rescore_open_leads(parties=parties)


class Opportunity(metaclass=PoolMeta):
    __name__ = 'sale.opportunity'

    channel = fields.Many2One(
        'sale.lead.channel', "Channel", ondelete='RESTRICT',
        states={
            'required': ~Eval('state').in_(['lead', 'lost', 'cancelled']),
            'readonly': Eval('state').in_(
                ['converted', 'won', 'lost', 'cancelled']),
            },
        help="Where the lead came from.")
    channel_referral = fields.Function(
        fields.Boolean("Referral Channel"),
        'on_change_with_channel_referral')
    referrer = fields.Many2One(
        'party.party', "Referred By", ondelete='RESTRICT',
        domain=[('id', '!=', Eval('party', -1))],
        states={
            'invisible': ~Eval('channel_referral', False),
            'required': Eval('channel_referral', False),
            'readonly': Eval('state').in_(
                ['converted', 'won', 'lost', 'cancelled']),
            },
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        help="The customer who referred the lead.")
    industry_fit = fields.Selection([
            (None, ""),
            ('good', "Good"),
            ('fair', "Fair"),
            ('poor', "Poor"),
            ], "Industry Fit",
        states={
            'readonly': Eval('state').in_(
                ['converted', 'won', 'lost', 'cancelled']),
            },
        help="How well the customer's industry fits our offer.")
    # Score and class are not indexed: the open leads are indexed by state
    # already, and unindexed columns keep the bulk rescoring cheap
    # (PostgreSQL updates the rows in place)
    lead_score = fields.Integer(
        "Lead Score", readonly=True,
        help="The value of the lead from 0 to 100, computed from the "
        "scoring rules of the sale configuration.")
    lead_class = fields.Selection([
            (None, ""),
            ('A', "A"),
            ('B', "B"),
            ('C', "C"),
            ], "Lead Class", readonly=True, sort=False,
        help="A, B or C by the thresholds of the lead score.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # The probability is checked by check_lead_inputs, which tells the
        # user the range in percent rather than the generic domain error
        cls.conversion_probability.domain = []

    @fields.depends('channel')
    def on_change_with_channel_referral(self, name=None):
        return bool(self.channel and self.channel.code == 'referral')

    @fields.depends('channel', 'referrer')
    def on_change_channel(self):
        if not self.on_change_with_channel_referral():
            self.referrer = None

    @classmethod
    def copy(cls, opportunities, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('lead_score')
        default.setdefault('lead_class')
        return super().copy(opportunities, default=default)

    @classmethod
    def validate_fields(cls, opportunities, field_names):
        super().validate_fields(opportunities, field_names)
        if not field_names or field_names & {
                'amount', 'conversion_probability'}:
            cls.check_lead_inputs(opportunities)

    @classmethod
    def check_lead_inputs(cls, opportunities):
        "No negative revenue, a probability from 0 to 100% (P3.1.2)"
        lang = Pool().get('ir.lang').get()
        for opportunity in opportunities:
            if opportunity.amount is not None and opportunity.amount < 0:
                raise LeadInputError(gettext(
                        'sales_ops_policy.msg_lead_amount_negative',
                        opportunity=opportunity.rec_name,
                        amount=lang.currency(
                            opportunity.amount, opportunity.currency)))
            probability = opportunity.conversion_probability
            if probability is not None and not 0 <= probability <= 1:
                percent = round(probability * 100, 2)
                raise LeadInputError(gettext(
                        'sales_ops_policy.msg_lead_probability_range',
                        opportunity=opportunity.rec_name,
                        probability=lang.format_number(
                            percent, 0 if percent.is_integer() else 2)))

    @classmethod
    def check_lead_channel(cls, opportunities):
        "A lead names its channel before it goes further (P3.1.2)"
        for opportunity in opportunities:
            if opportunity.state == 'lead' and not opportunity.channel:
                raise LeadChannelError(gettext(
                        'sales_ops_policy.msg_lead_channel_required',
                        opportunity=opportunity.rec_name))

    @classmethod
    def opportunity(cls, opportunities):
        cls.check_lead_channel(opportunities)
        super().opportunity(opportunities)

    @classmethod
    def convert(cls, opportunities):
        cls.check_lead_channel(opportunities)
        return super().convert(opportunities)

    @classmethod
    def on_modification(cls, mode, opportunities, field_names=None):
        super().on_modification(mode, opportunities, field_names=field_names)
        if mode == 'create' or (
                mode == 'write' and field_names & SCORE_INPUTS):
            cls.score_leads(opportunities)

    @classmethod
    def _lead_score_update(cls, where):
        """Return the UPDATE that stores the score and the class of the rows
        matching where (P3.1.2)

        One statement: the party size and the channel value are read by
        correlated sub-queries, so it runs on SQLite (no UPDATE ... FROM)
        and PostgreSQL alike.  The float operations follow lead_score()."""
        pool = Pool()
        Configuration = pool.get('sale.configuration')
        Channel = pool.get('sale.lead.channel')
        Party = pool.get('party.party')
        table = cls.__table__()
        channel = Channel.__table__()
        party = Party.__table__()
        rules = Configuration(1).get_lead_scoring_rules()

        def factor(column, factors):
            return Case(
                *((column == k, v) for k, v in factors.items() if v),
                else_=0.0)

        # the amount as a float, like float(amount) in lead_score()
        amount = Coalesce(
            cls.conversion_probability.sql_cast(table.amount), 0.0)
        target = rules['target']
        revenue = Case(
            (amount <= 0, 0.0),
            (amount >= target, 1.0),
            else_=amount / target)
        probability = Coalesce(table.conversion_probability, 0.0)
        size = Coalesce(party.select(
                factor(party.size, SIZE_FACTORS),
                where=party.id == table.party), 0.0)
        industry = factor(table.industry_fit, INDUSTRY_FACTORS)
        channel_value = Coalesce(channel.select(
                channel.score / 100.0,
                where=channel.id == table.channel), 0.0)
        weight = {k: Literal(v) for k, v in rules.items()}
        total = (weight['revenue'] * revenue
            + weight['probability'] * probability
            + weight['size'] * size
            + weight['industry'] * industry
            + weight['channel'] * channel_value)
        score = cls.lead_score.sql_cast(
            Floor(Literal(100) * total / rules['total'] + 0.5))
        class_ = Case(
            (score >= rules['class_a'], 'A'),
            (score >= rules['class_b'], 'B'),
            else_='C')
        return table.update(
            [table.lead_score, table.lead_class], [score, class_],
            where=where(table))

    @classmethod
    def _clear_lead_cache(cls, ids=None):
        "Drop the cached records the SQL update made stale"
        transaction = Transaction()
        transaction.counter += 1
        for cache in transaction.cache.values():
            if cls.__name__ in cache:
                if ids is None:
                    cache[cls.__name__].clear()
                else:
                    for id_ in ids:
                        cache[cls.__name__].pop(id_, None)

    @classmethod
    def score_leads(cls, opportunities):
        """Compute the lead score and class of the opportunities (P3.1.2)

        One SQL UPDATE per slice of ids, whatever their number.  The update
        skips the history and the write date: the score is derived data."""
        cursor = Transaction().connection.cursor()
        ids = [o.id for o in opportunities]
        # keep room for the parameters of the score expression
        size = max(backend.MAX_QUERY_PARAMS - 50, 50)
        for sub_ids in grouped_slice(ids, size):
            sub_ids = list(sub_ids)
            cursor.execute(*cls._lead_score_update(
                    lambda t: SQL_OPERATORS['in'](t.id, sub_ids)))
        cls._clear_lead_cache(ids)

    @classmethod
    def rescore_open_leads(cls, channels=None, parties=None):
        """Rescore the open leads, all or those of the channels or parties
        (P3.1.2): one statement, or one per slice of channels or parties"""
        cursor = Transaction().connection.cursor()

        def open_(table):
            return table.state.in_(OPEN_STATES)
        if channels is None and parties is None:
            cursor.execute(*cls._lead_score_update(open_))
        for column, records in [('channel', channels), ('party', parties)]:
            if records is None:
                continue
            size = max(backend.MAX_QUERY_PARAMS - 50, 50)
            for sub_ids in grouped_slice([r.id for r in records], size):
                sub_ids = list(sub_ids)
                cursor.execute(*cls._lead_score_update(
                        lambda t: open_(t) & SQL_OPERATORS['in'](
                            getattr(t, column), sub_ids)))
        cls._clear_lead_cache()


class ScoreLeads(Wizard):
    "Score Leads"
    __name__ = 'sale.opportunity.score'
    __string__ = "Score Leads"
    start_state = 'score'
    score = StateTransition()

    def transition_score(self):
        "Rescore the selected opportunities, or all open ones (P3.1.2)"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        # the search applies the record rules: a salesperson scores only
        # the leads they may see
        if self.records:
            domain = [('id', 'in', [r.id for r in self.records])]
        else:
            domain = [('state', 'in', OPEN_STATES)]
        Opportunity.score_leads(Opportunity.search(domain))
        return 'end'


class ChannelEffectiveness(ModelSQL, ModelView):
    """Channel Effectiveness (P5.2.1): per lead channel over the period, the
    leads and their conversion, the revenue won, the expense spent on the
    channel's opportunities and what it returned"""
    __name__ = 'sale.lead.channel.effectiveness'
    __string__ = "Channel Effectiveness"
    company = fields.Many2One('company.company', "Company")
    channel = fields.Many2One('sale.lead.channel', "Channel")
    leads = fields.Integer(
        "Leads", help="The opportunities of the channel started in the "
        "period.")
    won = fields.Integer("Won", help="Of these leads, those won.")
    decided = fields.Integer(
        "Decided", help="Of these leads, those won or lost.")
    conversion_rate = fields.Function(fields.Float(
            "Conversion Rate", digits=(1, 4),
            help="Won ÷ leads."), 'get_rate')
    win_rate = fields.Function(fields.Float(
            "Win Rate", digits=(1, 4),
            help="Won ÷ decided."), 'get_rate')
    revenue = fields.Numeric(
        "Revenue Won", digits=(16, 2),
        help="The amount of the opportunities of the channel won in the "
        "period.")
    customers = fields.Integer(
        "Customers Won",
        help="The customers of the opportunities won in the period, each "
        "counted once.")
    expense = fields.Numeric(
        "Expense", digits=(16, 2),
        help="The posted expense claim lines of the period spent on "
        "opportunities of the channel, as in the return on expense.")
    cost_per_customer = fields.Function(fields.Numeric(
            "Cost per Customer Won", digits=(16, 2),
            help="Expense ÷ customers won."), 'get_cost_per_customer')
    return_ratio = fields.Function(fields.Float(
            "Return Ratio", digits=(16, 2),
            help="Revenue won for each unit spent."), 'get_return_ratio')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('revenue', 'DESC'), ('leads', 'DESC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        """Leads by their start date, revenue won by the end date and the
        expense by the date of the claim line, within the context's company,
        dates, team and salesperson.  Only the opportunities the user may
        read count: a salesperson's report is theirs, a supervisor's their
        team's (the record rules of sale.opportunity)."""
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Member = pool.get('sale.team.member')
        Return = pool.get('sale.expense.return')
        context = Transaction().context
        company = context.get('company') or -1
        from_date = context.get('from_date') or dt.date.min
        to_date = context.get('to_date') or dt.date.max
        team, employee = context.get('team'), context.get('salesperson')
        readable = readable_query('sale.opportunity')

        opportunity = Opportunity.__table__()
        member = Member.__table__()
        where = ((opportunity.company == company)
            & (opportunity.channel != Null)
            & (opportunity.start_date >= from_date)
            & (opportunity.start_date <= to_date))
        if readable is not None:
            where &= opportunity.id.in_(readable)
        if employee:
            where &= opportunity.employee == employee
        if team:
            # the team of the salesperson when the lead came
            where &= opportunity.employee.in_(member.select(member.employee,
                    where=(member.team == team)
                    & Member.valid_on(member, opportunity.start_date)))
        leads = opportunity.select(
            opportunity.company.as_('company'),
            opportunity.channel.as_('channel'),
            Literal(1).as_('leads'),
            Case((opportunity.state == 'won', 1), else_=0).as_('won'),
            Case((opportunity.state.in_(['won', 'lost']), 1),
                else_=0).as_('decided'),
            Literal(0).as_('revenue'),
            Literal(None).as_('party'),
            Literal(0).as_('expense'),
            where=where)

        def filtered(query):
            where = query.channel != Null
            if readable is not None:
                where &= query.opportunity.in_(readable)
            if employee:
                where &= query.employee == employee
            if team:
                where &= query.team == team
            return where
        # the revenue and the expense as the return on expense counts them
        won = Return.won_query(company, from_date, to_date)
        won = won.select(
            won.company, won.channel,
            Literal(0).as_('leads'),
            Literal(0).as_('won'),
            Literal(0).as_('decided'),
            won.revenue.as_('revenue'),
            won.party.as_('party'),
            Literal(0).as_('expense'),
            where=filtered(won))
        spent = Return.spent_query(company, from_date, to_date)
        spent = spent.select(
            spent.company, spent.channel,
            Literal(0).as_('leads'),
            Literal(0).as_('won'),
            Literal(0).as_('decided'),
            Literal(0).as_('revenue'),
            Literal(None).as_('party'),
            spent.expense.as_('expense'),
            where=filtered(spent))

        union = Union(leads, won, spent, all_=True)
        return union.select(
            union.channel.as_('id'),
            union.company, union.channel,
            Sum(union.leads).as_('leads'),
            Sum(union.won).as_('won'),
            Sum(union.decided).as_('decided'),
            Sum(union.revenue).as_('revenue'),
            Count(union.party, distinct=True).as_('customers'),
            Sum(union.expense).as_('expense'),
            group_by=[union.company, union.channel])

    @classmethod
    def read(cls, ids, fields_names):
        result = super().read(ids, fields_names)
        for row in result:
            for name in ['revenue', 'expense']:
                if name in row:
                    row[name] = _decimal(row[name]).quantize(_CENT)
            for name in ['leads', 'won', 'decided', 'customers']:
                if row.get(name) is not None:
                    row[name] = int(row[name])
        return result

    @classmethod
    def get_rate(cls, records, name):
        base = {'conversion_rate': 'leads', 'win_rate': 'decided'}[name]
        return {r.id: r.won / getattr(r, base) if getattr(r, base) else None
            for r in records}

    def get_cost_per_customer(self, name):
        if self.customers:
            return (_decimal(self.expense) / self.customers).quantize(_CENT)

    def get_return_ratio(self, name):
        return return_ratio(self.revenue, self.expense)
