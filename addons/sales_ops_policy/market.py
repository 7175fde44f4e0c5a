# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Market intelligence: what salespeople observe in the market (policy
P3.1.1), and the market share of our sales in the segments whose size the
managers enter (P5.2.1)"""
from sql import Literal, Null, Union, With
from sql.aggregate import Sum
from sql.conditionals import Case, Coalesce
from sql.functions import Lower

from trytond import backend
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelStorage, ModelView, fields
from trytond.model.exceptions import ValidationError
from trytond.model.fields import SQL_OPERATORS
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from .collection import _decimal
from .exceptions import MarketSizeValidationError
from .model import search_any

SEGMENT_TYPES = [
    ('region', "Region"),
    ('industry', "Industry"),
    ('product_line', "Product Line"),
    ]
# the field naming the segment of each type
SEGMENT_FIELDS = {
    'region': 'subdivision',
    'industry': 'industry',
    'product_line': 'product_category',
    }
# the orders whose revenue counts, as in the sale reporting of Tryton
CONFIRMED_STATES = ['confirmed', 'processing', 'done']
# the ids of a slice appear twice in the share query
_SHARE_SLICE = max((backend.MAX_QUERY_PARAMS - 100) // 2, 50)


def _segment_states(segment_type):
    "The states of the field of segment_type: shown and required for it only"
    return {
        'invisible': Eval('segment_type') != segment_type,
        'required': Eval('segment_type') == segment_type,
        }


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'
    competitor = fields.Boolean(
        "Competitor",
        help="Check for a company that competes with us; market "
        "intelligence can then record its moves.")

    @classmethod
    def default_competitor(cls):
        return False


class Intelligence(ModelSQL, ModelView):
    "Market Intelligence"
    __name__ = 'sale.market.intelligence'
    __string__ = "Market Intelligence"
    _rec_name = 'summary'

    kind = fields.Selection([
            ('industry_trend', "Industry Trend"),
            ('competitor_move', "Competitor Move"),
            ('need_change', "Customer Need Change"),
            ('price_change', "Price Change"),
            ('other', "Other"),
            ], "Kind", required=True, sort=False)
    date = fields.Date(
        "Date", required=True,
        help="The day the information was observed.")
    summary = fields.Char("Summary", required=True)
    details = fields.Text("Details")
    source = fields.Char(
        "Source", help="Where the information comes from")
    customers = fields.Many2Many(
        'sale.market.intelligence-party.party', 'intelligence', 'party',
        "Customers",
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        help="The customers the information concerns.")
    products = fields.Many2Many(
        'sale.market.intelligence-product.product', 'intelligence', 'product',
        "Products",
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        help="Our products the information concerns.")
    competitors = fields.Many2Many(
        'sale.market.intelligence-competitor', 'intelligence', 'competitor',
        "Competitors",
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        domain=[('competitor', '=', True)],
        help="The competitors the information concerns.")
    employee = fields.Many2One(
        'company.employee', "Salesperson", required=True,
        domain=[('company', '=', Eval('company', -1))],
        help="Who recorded the information.")
    company = fields.Many2One('company.company', "Company", required=True)
    # read with the other fields: the calendar colours each note by kind
    color = fields.Function(
        fields.Char("Color"), 'on_change_with_color', loading='eager')

    # Calendar colours of the kinds
    _colors = {
        'industry_trend': '#1f77b4',
        'competitor_move': '#d62728',
        'need_change': '#2ca02c',
        'price_change': '#ff7f0e',
        'other': '#7f7f7f',
        }

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()

    @classmethod
    def default_employee(cls):
        return Transaction().context.get('employee')

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @fields.depends('kind')
    def on_change_with_color(self, name=None):
        return self._colors.get(self.kind)

    @classmethod
    def validate_fields(cls, notes, field_names):
        super().validate_fields(notes, field_names)
        if not field_names or 'date' in field_names:
            cls.check_date(notes)

    @classmethod
    def check_date(cls, notes):
        "A note records what was observed: it cannot be dated in the future"
        pool = Pool()
        Date = pool.get('ir.date')
        Lang = pool.get('ir.lang')
        today = Date.today()
        for note in notes:
            if note.date and note.date > today:
                lang = Lang.get()
                raise ValidationError(gettext(
                        'sales_ops_policy.msg_market_intelligence_future',
                        intelligence=note.rec_name,
                        date=lang.strftime(note.date),
                        today=lang.strftime(today)))


class Intelligence_Party(ModelSQL):
    "Market Intelligence - Customer"
    __name__ = 'sale.market.intelligence-party.party'
    __string__ = "Market Intelligence - Customer"
    intelligence = fields.Many2One(
        'sale.market.intelligence', "Market Intelligence", required=True,
        ondelete='CASCADE')
    party = fields.Many2One(
        'party.party', "Customer", required=True, ondelete='CASCADE')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('intelligence')


class Intelligence_Product(ModelSQL):
    "Market Intelligence - Product"
    __name__ = 'sale.market.intelligence-product.product'
    __string__ = "Market Intelligence - Product"
    intelligence = fields.Many2One(
        'sale.market.intelligence', "Market Intelligence", required=True,
        ondelete='CASCADE')
    product = fields.Many2One(
        'product.product', "Product", required=True, ondelete='CASCADE')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('intelligence')


class Intelligence_Competitor(ModelSQL):
    "Market Intelligence - Competitor"
    __name__ = 'sale.market.intelligence-competitor'
    __string__ = "Market Intelligence - Competitor"
    intelligence = fields.Many2One(
        'sale.market.intelligence', "Market Intelligence", required=True,
        ondelete='CASCADE')
    competitor = fields.Many2One(
        'party.party', "Competitor", required=True, ondelete='CASCADE')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('intelligence')


class Size(ModelSQL, ModelView):
    """Market Size (P5.2.1): the size of a segment of the market over a
    period, entered by the managers from a source, beside which our revenue
    gives the market share"""
    __name__ = 'sale.market.size'
    __string__ = "Market Size"

    company = fields.Many2One('company.company', "Company", required=True)
    segment_type = fields.Selection(
        SEGMENT_TYPES, "Segment Type", required=True, sort=False)
    subdivision = fields.Many2One(
        'country.subdivision', "Region", ondelete='RESTRICT',
        states=_segment_states('region'),
        help="The region, its subdivisions included; an order counts by "
        "the region of its invoice address, else of the customer.")
    industry = fields.Char(
        "Industry",
        states=_segment_states('industry'),
        help="The industry as written on the customers, in upper or lower "
        "case alike.")
    product_category = fields.Many2One(
        'product.category', "Product Line", ondelete='RESTRICT',
        states=_segment_states('product_line'),
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        help="The product category, its sub-categories included.")
    segment = fields.Function(fields.Char("Segment"), 'get_segment')
    start_date = fields.Date("Start Date", required=True)
    end_date = fields.Date("End Date", required=True)
    amount = Monetary(
        "Market Size", currency='currency', digits='currency',
        required=True,
        help="The sales of the whole segment in the period, ours and the "
        "competitors', in company currency.")
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"),
        'on_change_with_currency')
    source = fields.Char(
        "Source", required=True,
        help="Where the figure comes from: a study, a trade association, "
        "official statistics…")
    notes = fields.Text("Notes")
    revenue = fields.Function(Monetary(
            "Our Revenue", currency='currency', digits='currency',
            help="The untaxed amount of our confirmed orders of the segment "
            "dated in the period."), 'get_share')
    # not (1, 4): a size entered in the wrong unit gives a share above 10
    share = fields.Function(fields.Float(
            "Market Share", digits=(16, 4),
            help="Our revenue ÷ the market size."), 'get_share')
    previous = fields.Function(fields.Many2One(
            'sale.market.size', "Previous Entry",
            help="The entry of the same segment for the period before."),
        'get_share')
    previous_share = fields.Function(fields.Float(
            "Previous Share", digits=(16, 4)), 'get_share')
    share_change = fields.Function(fields.Float(
            "Change (Points)", digits=(16, 2),
            help="The share minus the previous share, in percentage "
            "points."), 'get_share')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [
            ('start_date', 'DESC'), ('segment_type', 'ASC'), ('id', 'DESC')]

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_segment_type(cls):
        return 'region'

    @fields.depends('company')
    def on_change_with_currency(self, name=None):
        return self.company.currency if self.company else None

    @fields.depends('segment_type', *SEGMENT_FIELDS.values())
    def on_change_segment_type(self):
        for type_, name in SEGMENT_FIELDS.items():
            if type_ != self.segment_type:
                setattr(self, name, None)

    def get_segment(self, name):
        value = getattr(self, SEGMENT_FIELDS.get(self.segment_type, ''), None)
        if isinstance(value, ModelStorage):
            return value.rec_name
        return value

    def get_rec_name(self, name):
        lang = Pool().get('ir.lang').get()
        dates = '–'.join(
            lang.strftime(d) if d else '' for d in [
                self.start_date, self.end_date])
        return f'{self.segment or ""} {dates}'.strip()

    @classmethod
    def search_rec_name(cls, name, clause):
        return search_any(
            clause, 'industry', 'subdivision.rec_name',
            'product_category.rec_name')

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        # only the field of the segment type names the segment
        if values.get('segment_type') in SEGMENT_FIELDS:
            for type_, name in SEGMENT_FIELDS.items():
                if type_ != values['segment_type']:
                    values[name] = None
        if values.get('industry'):
            values['industry'] = values['industry'].strip()
        return values

    @classmethod
    def validate_fields(cls, sizes, field_names):
        super().validate_fields(sizes, field_names)
        if not field_names or 'amount' in field_names:
            cls.check_amount(sizes)
        if not field_names or field_names & {'start_date', 'end_date'}:
            cls.check_dates(sizes)
        if not field_names or field_names & {
                'company', 'segment_type', 'start_date', 'end_date',
                *SEGMENT_FIELDS.values()}:
            cls.check_overlap(sizes)

    @classmethod
    def check_amount(cls, sizes):
        "A market has a size: the share divides by it"
        lang = Pool().get('ir.lang').get()
        for size in sizes:
            if size.amount is not None and size.amount <= 0:
                raise MarketSizeValidationError(gettext(
                        'sales_ops_policy.msg_market_size_amount',
                        size=size.rec_name,
                        amount=lang.currency(size.amount, size.currency)))

    @classmethod
    def check_dates(cls, sizes):
        lang = Pool().get('ir.lang').get()
        for size in sizes:
            if (size.start_date and size.end_date
                    and size.end_date < size.start_date):
                raise MarketSizeValidationError(gettext(
                        'sales_ops_policy.msg_market_size_dates',
                        size=size.rec_name,
                        start_date=lang.strftime(size.start_date),
                        end_date=lang.strftime(size.end_date)))

    @classmethod
    def _same_segment(cls, table, other):
        "SQL condition that the rows of table and other size one segment"
        same_value = (
            ((table.segment_type == 'region')
                & (table.subdivision == other.subdivision))
            | ((table.segment_type == 'industry')
                & (Lower(table.industry) == Lower(other.industry)))
            | ((table.segment_type == 'product_line')
                & (table.product_category == other.product_category)))
        return ((table.company == other.company)
            & (table.segment_type == other.segment_type)
            & same_value)

    @classmethod
    def check_overlap(cls, sizes):
        """One figure per segment and day: the periods of a segment do not
        overlap, so the entry before is well defined"""
        cursor = Transaction().connection.cursor()
        table = cls.__table__()
        other = cls.__table__()
        for sub_sizes in grouped_slice(sizes, backend.MAX_QUERY_PARAMS):
            sub_ids = [s.id for s in sub_sizes]
            cursor.execute(*table.join(other,
                    condition=cls._same_segment(table, other)
                    & (other.id != table.id)
                    & (other.start_date <= table.end_date)
                    & (other.end_date >= table.start_date)
                    ).select(table.id, other.id,
                    where=SQL_OPERATORS['in'](table.id, sub_ids),
                    limit=1))
            row = cursor.fetchone()
            if row:
                size, other_size = cls.browse(row)
                raise MarketSizeValidationError(gettext(
                        'sales_ops_policy.msg_market_size_overlap',
                        size=size.rec_name,
                        other=other_size.rec_name))

    @classmethod
    def get_share(cls, sizes, names):
        """Our revenue in the segment and period of each entry, the share
        of the market, and the share of the entry before with the change"""
        result = {n: {} for n in names}
        figures = {}
        for sub_sizes in grouped_slice(sizes, _SHARE_SLICE):
            figures.update(cls._share_figures([s.id for s in sub_sizes]))

        def share(id_):
            amount, revenue, _ = figures.get(id_, (None, None, None))
            if not amount:
                return None
            return round(float(revenue / amount), 4)
        for size in sizes:
            _, revenue, previous = figures.get(size.id, (None, None, None))
            current = share(size.id)
            before = share(previous) if previous is not None else None
            values = {
                'revenue': revenue,
                'share': current,
                'previous': previous,
                'previous_share': before,
                'share_change': (
                    round((current - before) * 100, 2)
                    if current is not None and before is not None
                    else None),
                }
            for name in names:
                result[name][size.id] = values[name]
        return result

    @classmethod
    def _share_figures(cls, ids):
        """Return {id: (size, revenue, previous id)} for the entries of ids
        and the entry before each, from one query"""
        cursor = Transaction().connection.cursor()
        cursor.execute(*cls._share_query(ids))
        figures = {}
        for id_, amount, revenue, previous in cursor:
            figures[id_] = [_decimal(amount), _decimal(revenue), previous]
        # round the revenue as the currency of each entry
        for size in cls.browse(list(figures)):
            figures[size.id][1] = size.currency.round(figures[size.id][1])
        return {k: tuple(v) for k, v in figures.items()}

    @classmethod
    def _share_query(cls, ids):
        """Return the query of our revenue in the segment and period of the
        entries of ids and of the entry before each: id, amount, revenue,
        previous"""
        pool = Pool()
        Subdivision = pool.get('country.subdivision')
        Category = pool.get('product.category')
        Product = pool.get('product.product')
        TemplateCategory = pool.get('product.template-product.category.all')

        def previous_of(table):
            before = cls.__table__()
            return before.select(before.id,
                where=cls._same_segment(before, table)
                & (before.start_date < table.start_date),
                order_by=[before.start_date.desc, before.id.desc],
                limit=1)

        # the entries read and the entry before each
        wanted = With('id')
        read = cls.__table__()
        wanted.query = read.select(read.id,
            where=SQL_OPERATORS['in'](read.id, ids))
        wanted.query |= read.select(previous_of(read),
            where=SQL_OPERATORS['in'](read.id, ids))

        def entries(segment_type):
            size = cls.__table__()
            return size, (size.segment_type == segment_type) & size.id.in_(
                wanted.select(wanted.id))

        def descendants(Model, segment_type):
            """(id, root) of the records of Model under the roots the
            entries of segment_type name, roots included"""
            table = Model.__table__()
            size, where = entries(segment_type)
            root = getattr(size, SEGMENT_FIELDS[segment_type])
            tree = With('id', 'root', recursive=True)
            tree.query = table.select(table.id, table.id,
                where=table.id.in_(size.select(root, where=where)))
            child = Model.__table__()
            tree.query |= child.join(tree,
                condition=child.parent == tree.id).select(
                child.id, tree.root)
            return tree
        regions = descendants(Subdivision, 'region')
        categories = descendants(Category, 'product_line')

        line = cls._revenue_lines()

        def in_period(size):
            return ((line.company == size.company)
                & (line.date >= size.start_date)
                & (line.date <= size.end_date))

        size, where = entries('region')
        region = (line
            .join(size, condition=in_period(size))
            .join(regions, condition=(regions.root == size.subdivision)
                & (regions.id == line.region))
            .select(size.id.as_('entry'), line.amount.as_('amount'),
                where=where))

        size, where = entries('industry')
        industry = (line
            .join(size, condition=in_period(size)
                & (Lower(line.industry) == Lower(size.industry)))
            .select(size.id.as_('entry'), line.amount.as_('amount'),
                where=where))

        # a product counts once in a line even under two of its categories
        product = Product.__table__()
        template_category = TemplateCategory.__table__()
        product_line = (product
            .join(template_category,
                condition=template_category.template == product.template)
            .join(categories,
                condition=categories.id == template_category.category)
            .select(product.id.as_('product'), categories.root.as_('root'),
                distinct=True))
        size, where = entries('product_line')
        product_lines = (line
            .join(product_line, condition=product_line.product == line.product)
            .join(size, condition=in_period(size)
                & (size.product_category == product_line.root))
            .select(size.id.as_('entry'), line.amount.as_('amount'),
                where=where))

        matches = Union(region, industry, product_lines, all_=True)
        totals = matches.select(
            matches.entry, Sum(matches.amount).as_('revenue'),
            group_by=[matches.entry])
        size = cls.__table__()
        return (size
            .join(totals, 'LEFT', condition=totals.entry == size.id)
            .select(size.id, size.amount, totals.revenue,
                previous_of(size).as_('previous'),
                where=size.id.in_(wanted.select(wanted.id)),
                with_=[wanted, regions, categories]))

    @classmethod
    def _revenue_lines(cls):
        """Return the query of the lines of the confirmed orders: date,
        company, region, industry, product and untaxed amount in company
        currency (P5.2.1)"""
        pool = Pool()
        Line = pool.get('sale.line')
        Sale = pool.get('sale.sale')
        Address = pool.get('party.address')
        Party = pool.get('party.party')
        Company = pool.get('company.company')
        Rate = pool.get('currency.currency.rate')
        line = Line.__table__()
        sale = Sale.__table__()
        invoice_address = Address.__table__()
        party_address = Address.__table__()
        party = Party.__table__()
        company = Company.__table__()

        # the region of the customer: its first address in a subdivision
        party_region = party_address.select(party_address.subdivision,
            where=(party_address.party == sale.party)
            & (party_address.subdivision != Null)
            & (party_address.active == Literal(True)),
            order_by=[party_address.sequence.asc, party_address.id.asc],
            limit=1)

        def rate(currency):
            rate = Rate.__table__()
            return rate.select(rate.rate,
                where=(rate.currency == currency)
                & (rate.date <= sale.sale_date),
                order_by=[rate.date.desc], limit=1)
        quantity = Coalesce(line.actual_quantity, line.quantity)
        amount = quantity * line.unit_price
        amount = Case(
            (sale.currency == company.currency, amount),
            else_=amount * rate(company.currency) / rate(sale.currency))
        return (line
            .join(sale, condition=line.sale == sale.id)
            .join(company, condition=sale.company == company.id)
            .join(party, condition=sale.party == party.id)
            .join(invoice_address, 'LEFT',
                condition=sale.invoice_address == invoice_address.id)
            .select(
                sale.sale_date.as_('date'),
                sale.company.as_('company'),
                Coalesce(invoice_address.subdivision, party_region).as_(
                    'region'),
                party.industry.as_('industry'),
                line.product.as_('product'),
                amount.as_('amount'),
                where=sale.state.in_(CONFIRMED_STATES)
                & (line.type == 'line')))
