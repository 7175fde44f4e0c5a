# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Sales data analysis (P5.1, P5.2): the reports share one context, the
company, the dates and the period of the time series, narrowed to a team, a
salesperson, a channel, a customer tier or a product category.

The achievement reports (P5.2.1) extend Tryton's sale reporting
(`sale.sale_reporting.Abstract`): the confirmed order lines converted to the
company currency, with the volume and the gross profit at the product's cost
price; the purchase behaviour reports group the same lines per customer.
Every figure aggregates only the orders the user may read."""
import datetime as dt
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from sql import Cast, Column, Literal, Null, Union, Window
from sql.aggregate import Aggregate, Count, Max, Min, Sum
from sql.conditionals import Case, Coalesce, NullIf
from sql.functions import Ceil, Extract, Log, Power, Round
from sql.operators import Concat, Exists, Or

from trytond import backend
from trytond.model import ModelSQL, ModelView, fields
from trytond.model.fields import SQL_OPERATORS
from trytond.modules.currency.fields import Monetary
from trytond.modules.sale.sale_reporting import (
    Abstract, AbstractTimeseries, CustomerMixin, ProductCategoryMixin)
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.tools import grouped_slice, pairwise_longest
from trytond.tools.chart import sparkline
from trytond.transaction import Transaction

from .collection import _JulianDay, _decimal
from .model import readable_where
from .sale import _date

# a time series row id is its key times this plus the period's start as
# YYYYMMDD: an expression of the grouped columns, so that reading rows by id
# filters the orders before they are summed; exact below 2**53 for keys
# under 90 million
_KEY_FACTOR = 10 ** 8
# the average length of a month in days, for the purchase frequency
_MONTH_DAYS = 365.25 / 12


def _days(later, earlier):
    "SQL number of days from earlier to later (dates)"
    if backend.name == 'sqlite':
        # SQLite subtracts dates as text: count days by Julian day
        return Cast(_JulianDay(later) - _JulianDay(earlier), 'INTEGER')
    return later - earlier


def _rate(value, base):
    "The change value ÷ base as a fraction, None without a base"
    base = _decimal(base)
    if not base:
        return None
    return float(_decimal(value) / base)


class _JoinTexts(Aggregate):
    "The texts of the group joined by commas, in no given order"
    __slots__ = ()

    def __str__(self):
        if backend.name == 'sqlite':
            return f'GROUP_CONCAT({self.expression})'
        return f"STRING_AGG({self.expression}, ',')"


class Context(ModelView):
    "Sales Analysis Context"
    __name__ = 'sale.analysis.context'
    __string__ = "Sales Analysis Context"
    company = fields.Many2One('company.company', "Company", required=True)
    from_date = fields.Date(
        "From Date", required=True,
        domain=[
            If(Eval('to_date'),
                ('from_date', '<=', Eval('to_date')),
                ()),
            ])
    to_date = fields.Date(
        "To Date", required=True,
        domain=[
            If(Eval('from_date'),
                ('to_date', '>=', Eval('from_date')),
                ()),
            ])
    period = fields.Selection([
            ('year', "Year"),
            ('month', "Month"),
            ('day', "Day"),
            ], "Period", required=True,
        help="The length of the periods of the time series.")
    team = fields.Many2One(
        'sale.team', "Team",
        domain=[('company', '=', Eval('company', -1))],
        help="Only the orders of the salespeople who were members of the "
        "team on the order date.")
    # not "employee": in the context it is the user's current employee,
    # which the record rules of the orders follow
    salesperson = fields.Many2One(
        'company.employee', "Salesperson",
        domain=[('company', '=', Eval('company', -1))])
    channel = fields.Many2One(
        'sale.lead.channel', "Channel",
        help="Only the orders of opportunities from the channel.")
    customer_tier = fields.Many2One(
        'sale.customer.tier', "Customer Tier",
        help="Only the orders of the customers now in the tier.")
    product_category = fields.Many2One(
        'product.category', "Product Category",
        context={'company': Eval('company', -1)}, depends={'company'},
        help="Only the lines of products in the category or below it.")

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_from_date(cls):
        "The first day of the month a year ago: a year beside this month"
        context = Transaction().context
        if context.get('from_date'):
            return context['from_date']
        today = Pool().get('ir.date').today()
        return today.replace(day=1) - relativedelta(years=1)

    @classmethod
    def default_to_date(cls):
        context = Transaction().context
        if context.get('to_date'):
            return context['to_date']
        return Pool().get('ir.date').today()

    @classmethod
    def default_period(cls):
        return Transaction().context.get('period', 'month')

    @classmethod
    def default_team(cls):
        return Transaction().context.get('team')

    @classmethod
    def default_salesperson(cls):
        return Transaction().context.get('salesperson')

    @classmethod
    def default_channel(cls):
        return Transaction().context.get('channel')

    @classmethod
    def default_customer_tier(cls):
        return Transaction().context.get('customer_tier')

    @classmethod
    def default_product_category(cls):
        return Transaction().context.get('product_category')


class Achievement(Abstract):
    """The confirmed order lines of Tryton's sale reporting with the volume,
    the gross profit and the filters of the analysis context, restricted to
    the orders the user may read"""
    quantity = fields.Float("Volume", digits=(16, 2),
        help="The quantity sold, in the units of the order lines.")
    gross_profit = Monetary(
        "Gross Profit", digits='currency', currency='currency',
        help="The revenue minus the quantity at the product's cost price.")
    gross_profit_trend = fields.Function(
        fields.Char("Gross Profit Trend"), 'get_trend')
    margin = fields.Function(fields.Float(
            "Margin", digits=(1, 4),
            help="Gross profit ÷ revenue."), 'get_margin')

    @classmethod
    def _sale_line_columns(cls, line, sale):
        pool = Pool()
        Sale = pool.get('sale.sale')
        # the opportunity the order comes from gives its channel
        opportunity = Case(
            (sale.origin.like('sale.opportunity,%'),
                Sale.origin.sql_id(sale.origin, Sale)),
            else_=Null)
        return super()._sale_line_columns(line, sale) + [
            line.sale.as_('sale'),
            sale.employee.as_('employee'),
            opportunity.as_('opportunity'),
            ]

    @classmethod
    def _sale_line(cls, length, index, company_id=None):
        query = super()._sale_line(length, index, company_id)
        # the orders the user may read, as conditions on the order joined
        # to the line (the right of Tryton's join) rather than a subquery
        # of orders, which PostgreSQL would look up again per order
        sale = query.from_[0].right
        readable = readable_where('sale.sale', sale)
        if readable is not None:
            query.where &= readable
        return query

    @classmethod
    def _joins(cls):
        pool = Pool()
        CostPrice = pool.get('product.cost_price')
        from_item, tables, withs = super()._joins()
        line = tables['line']
        tables['line.product.cost_price'] = cost_price = (
            CostPrice.__table__())
        from_item = from_item.join(cost_price, 'LEFT',
            condition=(cost_price.product == line.product)
            & (cost_price.company == line.company))
        return from_item, tables, withs

    @classmethod
    def _columns(cls, tables, withs):
        line = tables['line']
        currency = tables['line.company.currency']
        amounts = cls._line_amounts(tables, withs)
        # orders counted by id rather than by Tryton's "model,id" text:
        # distinct integers are cheaper to count
        columns = [c for c in super()._columns(tables, withs)
            if c.output_name != 'number']
        return columns + [
            Count(line.sale, distinct=True).as_('number'),
            Sum(amounts['quantity']).as_('quantity'),
            Round(cls.gross_profit.sql_cast(Sum(amounts['gross_profit'])),
                currency.digits).as_('gross_profit'),
            ]

    @classmethod
    def _line_amounts(cls, tables, withs):
        """The figures of each line that the analysis sums, by name: the
        revenue as Tryton's in the company currency"""
        line = tables['line']
        currency_company = withs['currency_company']
        currency_sale = withs['currency_sale']
        cost_price = tables['line.product.cost_price']
        amount = (line.quantity * line.unit_price
            * currency_company.rate / currency_sale.rate)
        cost = line.quantity * Coalesce(cost_price.cost_price, 0)
        return {
            'revenue': amount,
            'quantity': line.quantity,
            'gross_profit': amount - cost,
            }

    @classmethod
    def _where(cls, tables, withs):
        pool = Pool()
        Member = pool.get('sale.team.member')
        Party = pool.get('party.party')
        Opportunity = pool.get('sale.opportunity')
        Product = pool.get('product.product')
        Template = pool.get('product.template')
        context = Transaction().context
        line = tables['line']
        where = super()._where(tables, withs)
        if context.get('salesperson'):
            where &= line.employee == context['salesperson']
        if context.get('team'):
            member = Member.__table__()
            where &= Exists(member.select(Literal(1),
                    where=(member.employee == line.employee)
                    & (member.team == context['team'])
                    & Member.valid_on(member, line.date)))
        if context.get('channel'):
            opportunity = Opportunity.__table__()
            where &= line.opportunity.in_(opportunity.select(
                    opportunity.id,
                    where=opportunity.channel == context['channel']))
        if context.get('customer_tier'):
            party = Party.__table__()
            where &= line.customer.in_(party.select(party.id,
                    where=party.customer_tier == context['customer_tier']))
        if context.get('product_category'):
            product = Product.__table__()
            templates = Template.search([
                    ('categories_all', 'child_of',
                        [context['product_category']], 'parent'),
                    ], order=[], query=True)
            where &= line.product.in_(product.select(product.id,
                    where=product.template.in_(templates)))
        return where

    def get_margin(self, name):
        return _rate(self.gross_profit, self.revenue)

    @classmethod
    def get_trend(cls, records, names):
        "No sparkline without a time series (see TotalsMixin)"
        return {n: dict.fromkeys(map(int, records)) for n in names}


class AchievementTimeseries(Achievement, AbstractTimeseries):
    """An achievement per period, with the change against the previous
    period and against the same period last year"""
    revenue_previous = fields.Function(Monetary(
            "Previous Period", digits='currency', currency='currency',
            help="The revenue of the period before."), 'get_comparison')
    revenue_change = fields.Function(Monetary(
            "Change", digits='currency', currency='currency',
            help="The revenue minus the previous period's."),
        'get_comparison')
    revenue_change_rate = fields.Function(fields.Float(
            "Change %", digits=(1, 4),
            help="The change ÷ the previous period's revenue."),
        'get_comparison')
    revenue_last_year = fields.Function(Monetary(
            "Same Period Last Year", digits='currency', currency='currency',
            help="The revenue of the same period a year before."),
        'get_comparison')
    revenue_year_change = fields.Function(Monetary(
            "Change on Last Year", digits='currency', currency='currency',
            help="The revenue minus the same period's last year."),
        'get_comparison')
    revenue_year_change_rate = fields.Function(fields.Float(
            "Growth Rate", digits=(1, 4),
            help="The change on last year ÷ the revenue of the same "
            "period last year."),
        'get_comparison')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(1, (cls._key, 'ASC'))

    @classmethod
    def _column_id(cls, tables, withs):
        date = cls._column_date(tables, withs)
        code = (Extract('YEAR', date) * 10000 + Extract('MONTH', date) * 100
            + Extract('DAY', date))
        key = Cast(cls._column_key(tables, withs), 'BIGINT')
        return Cast(key * _KEY_FACTOR + code, 'BIGINT')

    @classmethod
    def _group_by(cls, tables, withs):
        # the id is grouped too: as an expression of the grouped columns
        # with parameters, PostgreSQL would not recognise it otherwise
        return super()._group_by(tables, withs) + [
            cls._column_id(tables, withs).as_('id')]

    @classmethod
    def get_comparison(cls, records, names):
        """The revenue of the period before and of the same period last year
        of every record, by one query of the analysis with the context dates
        shifted"""
        context = Transaction().context
        cursor = Transaction().connection.cursor()
        key = cls._key
        period = cls._period_delta() or relativedelta(months=1)
        shifts = {'previous': period, 'year': relativedelta(years=1)}
        keys = {getattr(r, key).id for r in records}
        queries = []
        for shift, delta in shifts.items():
            dates = [r.date - delta for r in records]
            # the shifted rows of the records only: the first and last of
            # the range may be partial periods, shifted with their bounds
            from_date = min(dates)
            if context.get('from_date'):
                from_date = max(from_date, context['from_date'] - delta)
            to_date = max(dates) + period - dt.timedelta(1)
            if context.get('to_date'):
                to_date = min(to_date, context['to_date'] - delta)
            with Transaction().set_context(
                    from_date=from_date, to_date=to_date):
                table = cls.__table__()
            column = Column(table, key)
            where = Or([SQL_OPERATORS['in'](column, list(sub_keys))
                    for sub_keys in grouped_slice(
                        keys, backend.MAX_QUERY_PARAMS)])
            queries.append(table.select(
                    Literal(shift).as_('shift'), column.as_('key'),
                    table.date.as_('date'), table.revenue.as_('revenue'),
                    where=where))
        cursor.execute(*Union(*queries, all_=True))
        revenues = {}
        for shift, key_id, date, revenue in cursor:
            revenues[shift, key_id, _date(date)] = _decimal(revenue)

        result = {n: {} for n in names}
        for record in records:
            key_id = getattr(record, key).id
            revenue = _decimal(record.revenue)
            previous = revenues.get(
                ('previous', key_id, record.date - shifts['previous']),
                _decimal(0))
            last_year = revenues.get(
                ('year', key_id, record.date - shifts['year']), _decimal(0))
            values = {
                'revenue_previous': previous,
                'revenue_change': revenue - previous,
                'revenue_change_rate': _rate(revenue - previous, previous),
                'revenue_last_year': last_year,
                'revenue_year_change': revenue - last_year,
                'revenue_year_change_rate': _rate(
                    revenue - last_year, last_year),
                }
            for name in names:
                result[name][record.id] = values[name]
        return result


class TotalsMixin:
    """The totals of an achievement over the range per key, with the
    sparklines of its time series made by the same query"""
    __slots__ = ()
    trend_points = fields.Char(
        "Trend Points",
        help="The date, revenue and gross profit of each period, "
        "for the trends.")

    @classmethod
    def table_query(cls):
        """The sums of the time series' periods summed again per key: one
        scan of the lines gives the totals and the periods of the trends"""
        pool = Pool()
        Timeseries = pool.get(cls._fields['time_series'].model_name)
        from_item, tables, withs = cls._joins()
        line = tables['line']
        currency = tables['line.company.currency']
        key = cls._column_key(tables, withs)
        date = Timeseries._column_date(tables, withs).as_('date')
        # an order has one date: its period's count of orders adds up to
        # the range's, also when a product category filters the lines
        period = from_item.select(
            key.as_('key'), line.company.as_('company'),
            currency.id.as_('currency'), currency.digits.as_('digits'),
            date, Count(line.sale, distinct=True).as_('number'),
            *(Sum(a).as_(n)
                for n, a in cls._line_amounts(tables, withs).items()),
            where=cls._where(tables, withs),
            # the date by its alias: its expression holds a parameter
            group_by=[key, line.company, currency.id, currency.digits, date],
            with_=withs.values())

        def rounded(value):
            return Round(cls.revenue.sql_cast(value), period.digits)

        # "date revenue gross_profit" with the figures of the time series
        point = Concat(Concat(Concat(Concat(
                        Cast(period.date, 'VARCHAR'), ' '),
                    Cast(rounded(Coalesce(period.revenue, 0)), 'VARCHAR')),
                ' '),
            Cast(rounded(Coalesce(period.gross_profit, 0)), 'VARCHAR'))
        return period.select(
            period.key.as_('id'),
            period.company.as_('company'),
            period.currency.as_('currency'),
            rounded(Sum(period.revenue)).as_('revenue'),
            cls.number.sql_cast(Sum(period.number)).as_('number'),
            Sum(period.quantity).as_('quantity'),
            rounded(Sum(period.gross_profit)).as_('gross_profit'),
            period.key.as_(cls._key),
            _JoinTexts(point).as_('trend_points'),
            group_by=[
                period.key, period.company, period.currency,
                period.digits])

    @classmethod
    def read(cls, ids, fields_names):
        # the trends are made from the periods read with the totals
        extra = ('trend_points' not in fields_names
            and any(n.endswith('_trend') for n in fields_names))
        if extra:
            fields_names = [*fields_names, 'trend_points']
        rows = super().read(ids, fields_names)
        if extra:
            for row in rows:
                del row['trend_points']
        return rows

    @classmethod
    def get_trend(cls, records, names):
        """The sparklines of the periods of trend_points, the periods
        without order between two others at 0 as in Tryton's
        time_series_all"""
        columns = {'revenue_trend': 1, 'gross_profit_trend': 2}
        delta = cls._period_delta()
        result = {n: {} for n in names}
        for record in records:
            periods = sorted(
                (_date(d), Decimal(r), Decimal(p)) for d, r, p in (
                    t.split(' ')
                    for t in (record.trend_points or '').split(',') if t))
            points = []
            for period, next_ in pairwise_longest(periods):
                points.append(period)
                date = period[0]
                if delta and next_:
                    date += delta
                    while date < next_[0]:
                        points.append((date, 0, 0))
                        date += delta
            for name in names:
                result[name][record.id] = sparkline(
                    [p[columns[name]] for p in points])
        return result


class KeyMixin:
    """The grouping of an analysis by the column of _key, which is also the
    row id of the totals over the range"""
    __slots__ = ()
    _key = None

    @classmethod
    def __setup__(cls):
        super().__setup__()
        if not issubclass(cls, AbstractTimeseries):
            cls._order.insert(0, (cls._key, 'ASC'))

    @classmethod
    def _column_key(cls, tables, withs):
        return Column(tables['line'], cls._key)

    @classmethod
    def _column_id(cls, tables, withs):
        if issubclass(cls, AbstractTimeseries):
            return super()._column_id(tables, withs)
        return cls._column_key(tables, withs)

    @classmethod
    def _columns(cls, tables, withs):
        return super()._columns(tables, withs) + [
            cls._column_key(tables, withs).as_(cls._key)]

    @classmethod
    def _group_by(cls, tables, withs):
        return super()._group_by(tables, withs) + [
            cls._column_key(tables, withs)]

    @classmethod
    def _where(cls, tables, withs):
        return (super()._where(tables, withs)
            & (cls._column_key(tables, withs) != Null))

    def get_rec_name(self, name):
        record = getattr(self, self._key)
        return record.rec_name if record else ''

    @classmethod
    def search_rec_name(cls, name, clause):
        return [(f'{cls._key}.rec_name', *clause[1:])]


class EmployeeMixin(KeyMixin):
    __slots__ = ()
    _key = 'employee'
    employee = fields.Many2One('company.employee', "Salesperson")


class AchievementEmployee(
        EmployeeMixin, TotalsMixin, Achievement, ModelView):
    "Sales Achievement per Salesperson"
    __name__ = 'sale.analysis.achievement.employee'
    __string__ = "Sales Achievement per Salesperson"
    time_series = fields.One2Many(
        'sale.analysis.achievement.employee.time_series', 'employee',
        "Time Series")


class AchievementEmployeeTimeseries(
        EmployeeMixin, AchievementTimeseries, ModelView):
    "Sales Achievement per Salesperson and Period"
    __name__ = 'sale.analysis.achievement.employee.time_series'
    __string__ = "Sales Achievement per Salesperson and Period"


class TeamMixin(KeyMixin):
    __slots__ = ()
    _key = 'team'
    team = fields.Many2One('sale.team', "Team")

    @classmethod
    def _joins(cls):
        pool = Pool()
        Member = pool.get('sale.team.member')
        from_item, tables, withs = super()._joins()
        line = tables['line']
        # the team the salesperson belonged to on the order date
        tables['line.employee.member'] = member = Member.__table__()
        from_item = from_item.join(member,
            condition=(member.employee == line.employee)
            & Member.valid_on(member, line.date))
        return from_item, tables, withs

    @classmethod
    def _column_key(cls, tables, withs):
        return tables['line.employee.member'].team


class AchievementTeam(
        TeamMixin, TotalsMixin, Achievement, ModelView):
    "Sales Achievement per Team"
    __name__ = 'sale.analysis.achievement.team'
    __string__ = "Sales Achievement per Team"
    time_series = fields.One2Many(
        'sale.analysis.achievement.team.time_series', 'team', "Time Series")


class AchievementTeamTimeseries(TeamMixin, AchievementTimeseries, ModelView):
    "Sales Achievement per Team and Period"
    __name__ = 'sale.analysis.achievement.team.time_series'
    __string__ = "Sales Achievement per Team and Period"


class CategoryMixin(KeyMixin, ProductCategoryMixin):
    "Tryton's product category grouping (the category also of its parents)"
    __slots__ = ()
    _key = 'category'

    @classmethod
    def _column_key(cls, tables, withs):
        return tables['line.product.template_category'].category

    @classmethod
    def _columns(cls, tables, withs):
        # the category column is added by ProductCategoryMixin
        return super(KeyMixin, cls)._columns(tables, withs)

    @classmethod
    def _group_by(cls, tables, withs):
        return super(KeyMixin, cls)._group_by(tables, withs)

    @classmethod
    def _column_id(cls, tables, withs):
        if issubclass(cls, AbstractTimeseries):
            return super(ProductCategoryMixin, cls)._column_id(tables, withs)
        return cls._column_key(tables, withs)


class AchievementCategory(
        CategoryMixin, TotalsMixin, Achievement, ModelView):
    "Sales Achievement per Product Category"
    __name__ = 'sale.analysis.achievement.category'
    __string__ = "Sales Achievement per Product Category"
    time_series = fields.One2Many(
        'sale.analysis.achievement.category.time_series', 'category',
        "Time Series")


class AchievementCategoryTimeseries(
        CategoryMixin, AchievementTimeseries, ModelView):
    "Sales Achievement per Product Category and Period"
    __name__ = 'sale.analysis.achievement.category.time_series'
    __string__ = "Sales Achievement per Product Category and Period"


class ChannelMixin(KeyMixin):
    __slots__ = ()
    _key = 'channel'
    channel = fields.Many2One('sale.lead.channel', "Channel")

    @classmethod
    def _joins(cls):
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        from_item, tables, withs = super()._joins()
        line = tables['line']
        # the channel of the opportunity the order comes from (P3.1.2)
        tables['line.opportunity'] = opportunity = Opportunity.__table__()
        from_item = from_item.join(opportunity,
            condition=opportunity.id == line.opportunity)
        return from_item, tables, withs

    @classmethod
    def _column_key(cls, tables, withs):
        return tables['line.opportunity'].channel


class AchievementChannel(
        ChannelMixin, TotalsMixin, Achievement, ModelView):
    "Sales Achievement per Channel"
    __name__ = 'sale.analysis.achievement.channel'
    __string__ = "Sales Achievement per Channel"
    time_series = fields.One2Many(
        'sale.analysis.achievement.channel.time_series', 'channel',
        "Time Series")


class AchievementChannelTimeseries(
        ChannelMixin, AchievementTimeseries, ModelView):
    "Sales Achievement per Channel and Period"
    __name__ = 'sale.analysis.achievement.channel.time_series'
    __string__ = "Sales Achievement per Channel and Period"


class TierMixin(KeyMixin):
    __slots__ = ()
    _key = 'tier'
    tier = fields.Many2One('sale.customer.tier', "Customer Tier")

    @classmethod
    def _joins(cls):
        pool = Pool()
        Party = pool.get('party.party')
        from_item, tables, withs = super()._joins()
        line = tables['line']
        # the tier the customer is in now (P4.3)
        tables['line.customer'] = party = Party.__table__()
        from_item = from_item.join(party,
            condition=party.id == line.customer)
        return from_item, tables, withs

    @classmethod
    def _column_key(cls, tables, withs):
        return tables['line.customer'].customer_tier


class AchievementTier(
        TierMixin, TotalsMixin, Achievement, ModelView):
    "Sales Achievement per Customer Tier"
    __name__ = 'sale.analysis.achievement.tier'
    __string__ = "Sales Achievement per Customer Tier"
    time_series = fields.One2Many(
        'sale.analysis.achievement.tier.time_series', 'tier',
        "Time Series")


class AchievementTierTimeseries(TierMixin, AchievementTimeseries, ModelView):
    "Sales Achievement per Customer Tier and Period"
    __name__ = 'sale.analysis.achievement.tier.time_series'
    __string__ = "Sales Achievement per Customer Tier and Period"


class Customer(CustomerMixin, Achievement, ModelView):
    """Purchase Behaviour (P5.2.1): how often, how much and how lately each
    customer bought in the range"""
    __name__ = 'sale.analysis.customer'
    __string__ = "Purchase Behaviour"
    first_date = fields.Date("First Order")
    last_date = fields.Date("Last Order")
    days_since_last = fields.Integer(
        "Days since Last Order",
        help="From the last order to the end of the range.")
    frequency = fields.Float(
        "Orders per Month", digits=(16, 2),
        help="The orders ÷ the months of the range.")
    order_interval = fields.Float(
        "Days between Orders", digits=(16, 1),
        help="The average number of days from one order to the next.")
    average_order_value = Monetary(
        "Average Order Value", digits='currency', currency='currency')
    categories = fields.Function(fields.Integer(
            "Product Categories",
            help="The number of product categories bought."),
        'get_categories')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('revenue', 'DESC'))

    @classmethod
    def _column_id(cls, tables, withs):
        return tables['line'].customer

    @classmethod
    def _columns(cls, tables, withs):
        line = tables['line']
        currency = tables['line.company.currency']
        currency_company = withs['currency_company']
        currency_sale = withs['currency_sale']
        from_date, to_date = cls._range()
        months = ((to_date - from_date).days + 1) / _MONTH_DAYS
        orders = Count(line.sale, distinct=True)
        revenue = Sum(line.quantity * line.unit_price
            * currency_company.rate / currency_sale.rate)
        first, last = Min(line.date), Max(line.date)
        return super()._columns(tables, withs) + [
            first.as_('first_date'),
            last.as_('last_date'),
            _days(cls.last_date.sql_cast(Literal(to_date)), last).as_(
                'days_since_last'),
            (cls.frequency.sql_cast(orders) / months).as_('frequency'),
            (cls.order_interval.sql_cast(_days(last, first))
                / NullIf(orders - 1, 0)).as_('order_interval'),
            Round(cls.average_order_value.sql_cast(revenue / orders),
                currency.digits).as_('average_order_value'),
            ]

    @classmethod
    def _where(cls, tables, withs):
        line = tables['line']
        return super()._where(tables, withs) & (line.customer != Null)

    @classmethod
    def _range(cls):
        "The first and last days of the analysis"
        context = Transaction().context
        to_date = context.get('to_date') or Pool().get('ir.date').today()
        from_date = context.get('from_date') or to_date.replace(
            month=1, day=1)
        return from_date, to_date

    @classmethod
    def get_categories(cls, customers, name):
        pool = Pool()
        Mix = pool.get('sale.analysis.customer.category')
        mix = Mix.__table__()
        cursor = Transaction().connection.cursor()
        result = dict.fromkeys(map(int, customers), 0)
        for sub_ids in grouped_slice(list(result), backend.MAX_QUERY_PARAMS):
            cursor.execute(*mix.select(
                    mix.customer, Count(mix.id),
                    where=SQL_OPERATORS['in'](mix.customer, list(sub_ids)),
                    group_by=[mix.customer]))
            result.update(cursor)
        return result


class CustomerCategory(
        CustomerMixin, ProductCategoryMixin, Achievement, ModelView):
    "Product Mix (P5.2.1): what each customer bought per product category"
    __name__ = 'sale.analysis.customer.category'
    __string__ = "Product Mix"
    share = fields.Float(
        "Share", digits=(1, 4),
        help="The part of the customer's revenue in the range.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [
            ('customer', 'ASC'), ('revenue', 'DESC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        query = super().table_query()
        columns = [Column(query, n) for n in [
                'id', 'company', 'currency', 'customer', 'category',
                'number', 'quantity', 'revenue', 'gross_profit']]
        customer_revenue = Sum(query.revenue, window=Window([query.customer]))
        return query.select(*columns,
            (cls.share.sql_cast(query.revenue)
                / NullIf(customer_revenue, 0)).as_('share'))

    @classmethod
    def _column_id(cls, tables, withs):
        pool = Pool()
        Category = pool.get('product.category')
        category = Category.__table__()
        line = tables['line']
        template_category = tables['line.product.template_category']
        # a number one order of magnitude above the largest category id,
        # as Tryton's reporting does: the id stays a grouped expression
        factor = category.select(
            Power(10, (Ceil(Log(Max(category.id))) + Literal(1))))
        return Cast(Cast(line.customer, 'BIGINT') * factor
            + template_category.category, 'BIGINT')

    def get_rec_name(self, name):
        return ' - '.join(r.rec_name for r in [self.customer, self.category]
            if r)

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, value = clause
        bool_op = 'AND' if operator.startswith('!') else 'OR'
        return [bool_op,
            ('customer.rec_name', *clause[1:]),
            ('category.rec_name', *clause[1:]),
            ]


class CustomerBuckets(ModelSQL, ModelView):
    """The customers of the purchase behaviour counted per bucket of one of
    its figures"""
    company = fields.Many2One('company.company', "Company")
    currency = fields.Many2One('currency.currency', "Currency")
    customers = fields.Integer("Customers")
    revenue = Monetary(
        "Revenue", digits='currency', currency='currency')
    _buckets = []   # (selection value, lower bound)
    _figure = None

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('id', 'ASC')]

    @classmethod
    def table_query(cls):
        pool = Pool()
        Customer = pool.get('sale.analysis.customer')
        customer = Customer.__table__()
        figure = Column(customer, cls._figure)
        # the highest lower bound reached, as the bucket's index and value
        index = Case(*((figure >= low, i)
                for i, (_, low) in reversed(list(enumerate(cls._buckets)))
                ), else_=0)
        bucket = Case(*((figure >= low, Literal(value))
                for value, low in reversed(cls._buckets)),
            else_=Literal(cls._buckets[0][0]))
        id_, bucket = (index + 1).as_('id'), bucket.as_('bucket')
        # grouped by the columns' ordinals: the expressions hold parameters
        return customer.select(
            id_, bucket,
            Max(customer.company).as_('company'),
            Max(customer.currency).as_('currency'),
            Count(customer.id).as_('customers'),
            Sum(customer.revenue).as_('revenue'),
            group_by=[id_, bucket])


class CustomerRecency(CustomerBuckets):
    "Customers per Days since Last Order"
    __name__ = 'sale.analysis.customer.recency'
    __string__ = "Customers per Days since Last Order"
    bucket = fields.Selection([
            ('0-30', "0–30 Days"),
            ('31-90', "31–90 Days"),
            ('91-180', "91–180 Days"),
            ('181-365', "181–365 Days"),
            ('366+', "Over a Year"),
            ], "Days since Last Order", sort=False)
    _buckets = [
        ('0-30', 0), ('31-90', 31), ('91-180', 91), ('181-365', 181),
        ('366+', 366)]
    _figure = 'days_since_last'


class CustomerOrderValue(CustomerBuckets):
    "Customers per Average Order Value"
    __name__ = 'sale.analysis.customer.order_value'
    __string__ = "Customers per Average Order Value"
    bucket = fields.Selection([
            ('0-1k', "Under 1,000"),
            ('1k-5k', "1,000–5,000"),
            ('5k-20k', "5,000–20,000"),
            ('20k-100k', "20,000–100,000"),
            ('100k+', "Over 100,000"),
            ], "Average Order Value", sort=False,
        help="In the company currency.")
    _buckets = [
        ('0-1k', 0), ('1k-5k', 1000), ('5k-20k', 5000),
        ('20k-100k', 20000), ('100k+', 100000)]
    _figure = 'average_order_value'
